/**
 * Loading an eBPF ELF object into a VM: its maps created, its programs pointed at them and
 * verified.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { parseElf } from "./elf_object.ts";
import { programOf } from "./instruction.ts";
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, type BpfMap, type BpfMapType } from "./maps.ts";
import { EBPF } from "./opcodes.ts";
import type { BpfLoadOptions, BpfVm, LoadedBpfProgram } from "./vm.ts";

const { LDDW, LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_VALUE_BY_FD } = EBPF;

/**
 * Options for {@linkcode loadElf}.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, loadElf, type LoadElfOptions } from "@mxy/mxy/bpf";
 * import { buildBpfElf } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const obj = buildBpfElf({ socket: assemble("ldxh %r0, [%r1+12]\nexit") });
 * const options: LoadElfOptions = { file: "filter.o", input: { kind: "packet", size: 1514 }, jit: true };
 * const filter = loadElf(new BpfVm(), obj, options).programs.get("socket")!;
 * assert.equal(filter.jit, true);
 * assert.throws(() => loadElf(new BpfVm(), obj, { file: "filter.o", input: { kind: "ctx", size: 12 } }), /invalid bpf_context access/);
 * ```
 */
export interface LoadElfOptions extends BpfLoadOptions {
  /** The file name for messages. */
  file?: string;
  /**
   * The programs to load, by name (default: every program of a program section, or the
   * functions of `.text` when there is none). A function of `.text` may be named too.
   */
  programs?: readonly string[];
}

/**
 * The result of {@linkcode loadElf}.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, type LoadedElf, loadElf } from "@mxy/mxy/bpf";
 * import { buildBpfElf } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * // A program that returns the first byte of its global data.
 * const obj = buildBpfElf({ socket: assemble("lddw %r1, 0, map_value_fd\nldxb %r0, [%r1]\nexit") }, {
 *   data: new Uint8Array([9]),
 * });
 * const loaded: LoadedElf = loadElf(new BpfVm(), obj);
 * assert.deepEqual([...loaded.maps.keys()], [".data"]);
 * assert.equal(loaded.programs.get("socket")!.run(), 9n);
 * loaded.maps.get(".data")!.valueView(0)[0] = 10;
 * assert.equal(loaded.programs.get("socket")!.run(), 10n);
 * ```
 */
export interface LoadedElf {
  /** Loaded (verified) programs by name. */
  programs: Map<string, LoadedBpfProgram>;
  /** The object's maps by name, created in the VM. */
  maps: Map<string, BpfMap>;
  /** The licence string. */
  license: string;
}

const MAP_TYPES: Readonly<Record<number, BpfMapType>> = {
  [BPF_MAP_TYPE_HASH]: "hash",
  [BPF_MAP_TYPE_ARRAY]: "array",
};

/**
 * Parses an object, creates its maps in the VM (global data sections filled with their initial
 * bytes), points the programs' map references at them and loads (verifies) every program.
 *
 * @param vm The VM (its profile decides map pools and limits).
 * @param bytes The object file.
 * @param options Load options for every program, and the file name.
 * @returns Programs and maps by name; throws a `BpfError` (`"elf"`, `"verify"` …).
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, loadElf } from "@mxy/mxy/bpf";
 * import { buildBpfElf } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * // An object as clang -O2 -target bpf -c writes it (here built in memory).
 * const obj = buildBpfElf({ socket: assemble("ldxb %r0, [%r1]\nexit") }, { license: "GPL" });
 * const vm = new BpfVm({ profile: "embedded" });
 * const { programs, license } = loadElf(vm, obj, { input: { kind: "packet", size: 1514 } });
 * assert.equal(license, "GPL");
 * assert.equal(programs.get("socket")!.run(new Uint8Array([6, 0, 0])), 6n);
 * ```
 */
export function loadElf(vm: BpfVm, bytes: Uint8Array, options: LoadElfOptions = {}): LoadedElf {
  const obj = parseElf(bytes, { file: options.file });
  const maps = new Map<string, BpfMap>();
  const fds: number[] = [];
  for (const d of obj.maps) {
    const type = MAP_TYPES[d.type];
    if (type === undefined) {
      throw new BpfError(
        "elf",
        `Map "${d.name}" has type ${d.type}; mxy supports hash (1) and array (2)`,
        { file: options.file },
      );
    }
    const m = vm.createMap({
      type,
      keySize: d.keySize,
      valueSize: d.valueSize,
      maxEntries: d.maxEntries,
      name: d.name,
    });
    if (d.initial) m.valueView(0).set(d.initial);
    maps.set(d.name, m);
    fds.push(vm.fdOf(m));
  }
  const programs = new Map<string, LoadedBpfProgram>();
  const want = options.programs;
  if (want !== undefined) {
    for (const name of want) {
      if (!obj.programs.some((p) => p.name === name)) {
        throw new BpfError(
          "elf",
          `No program "${name}"; programs: ${obj.programs.map((p) => p.name).join(", ")}`,
          { file: options.file },
        );
      }
    }
  }
  const main = obj.programs.some((p) => !p.subprogram);
  for (const p of obj.programs) {
    if (want !== undefined ? !want.includes(p.name) : main && p.subprogram) continue;
    const ins = p.program.instructions.map((x) =>
      x.opcode === LDDW && (x.src === LDDW_SRC_MAP_BY_FD || x.src === LDDW_SRC_MAP_VALUE_BY_FD)
        ? { ...x, imm: fds[x.imm] }
        : x
    );
    const { file: _f, programs: _p, ...load } = options;
    programs.set(p.name, vm.load(programOf(ins), { ...load, name: p.name }));
  }
  return { programs, maps, license: obj.license };
}
