/**
 * Loading an eBPF ELF object into a VM: its maps created, its programs pointed at them and
 * verified.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { parseElf } from "./elf_object.ts";
import { programOf } from "./instruction.ts";
import type { BpfMap } from "./maps.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import { BPF_MAP_TYPE, bpfMapTypeOf, linuxMapTypeName } from "./map_types.ts";
import type { BpfProgramType } from "./program_types.ts";
import type { ElfMapDef } from "./elf_object.ts";
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
 * // Section "socket": a socket filter, whose R1 is a struct __sk_buff (len at offset 0).
 * const obj = buildBpfElf({ socket: assemble("ldxw %r0, [%r1+0]\nexit") });
 * const options: LoadElfOptions = { file: "filter.o", input: { kind: "packet", size: 1514 }, jit: true };
 * const filter = loadElf(new BpfVm(), obj, options).programs.get("socket")!;
 * assert.equal(filter.jit, true);
 * assert.equal(filter.run(new Uint8Array(60)), 60n);
 * // programType "unspec": mxy's own convention, R1 the packet itself.
 * assert.throws(
 *   () => loadElf(new BpfVm(), obj, { programType: "unspec", input: { kind: "ctx", size: 2 } }),
 *   /invalid bpf_context access off=0 size=4 \(context size 2\)/,
 * );
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
  /**
   * The program type of every program (default: each program's, from its section name as
   * libbpf reads it; `.text` functions are `unspec`). `"unspec"` loads them with mxy's own
   * convention (R1 the input, R2 its length).
   */
  programType?: BpfProgramType;
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
 * const { programs, license } = loadElf(vm, obj, {
 *   programType: "unspec", // R1 is the packet itself, not a socket filter's __sk_buff
 *   input: { kind: "packet", size: 1514 },
 * });
 * assert.equal(license, "GPL");
 * assert.equal(programs.get("socket")!.run(new Uint8Array([6, 0, 0])), 6n);
 * ```
 */
export function loadElf(vm: BpfVm, bytes: Uint8Array, options: LoadElfOptions = {}): LoadedElf {
  const obj = parseElf(bytes, { file: options.file });
  const maps = new Map<string, BpfMap>();
  const fds: number[] = [];
  const spec = (d: ElfMapDef, inner?: BpfMap): BpfMapSpec => {
    const type = bpfMapTypeOf(d.type);
    if (type === undefined) {
      throw new BpfError(
        "elf",
        `Map "${d.name}" has type ${d.type} (${
          linuxMapTypeName(d.type)
        }), which mxy does not implement; it implements ${
          Object.entries(BPF_MAP_TYPE).map(([n, id]) => `${n} (${id})`).join(", ")
        }`,
        { file: options.file },
      );
    }
    // libbpf gives a perf event array one entry per CPU when it says 0: one CPU here.
    const maxEntries = type === "perf_event_array" && d.maxEntries === 0 ? 1 : d.maxEntries;
    return {
      type,
      keySize: d.keySize,
      valueSize: d.valueSize,
      maxEntries,
      name: d.name,
      flags: d.flags,
      mapExtra: d.mapExtra,
      spinLock: d.spinLock,
      inner,
    };
  };
  const created = (f: () => BpfMap, d: ElfMapDef): BpfMap => {
    try {
      return f();
    } catch (e) {
      if (e instanceof BpfError && e.code === "map-key") {
        throw new BpfError("elf", `Map "${d.name}": ${e.message}`, { file: options.file });
      }
      throw e;
    }
  };
  for (const d of obj.maps) {
    const inner = d.inner === undefined
      ? undefined
      : created(() => vm.createMap(spec(d.inner!)), d.inner);
    const m = created(() => vm.createMap(spec(d, inner)), d);
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
    const { file: _f, programs: _p, programType, ...load } = options;
    // A function of .text beside the object's programs takes numbers (a subprogram's arguments,
    // unless a program type is given); in an object of .text alone (as ubpf loads them) it is
    // the program, given the input.
    const args = p.subprogram && main && programType === undefined;
    programs.set(
      p.name,
      vm.load(programOf(ins), {
        ...load,
        ...(args ? { input: { kind: "args", size: 0 } } : {}),
        name: p.name,
        programType: programType ?? p.type,
      }),
    );
  }
  // Program arrays and maps of maps the object initialises.
  obj.maps.forEach((d) => {
    const m = maps.get(d.name)!;
    for (const v of d.initialValues ?? []) {
      if (m.type === "prog_array") {
        const prog = programs.get(v.symbol);
        if (prog !== undefined) m.setProgram(v.index, prog);
      } else {
        const inner = maps.get(v.symbol);
        if (inner !== undefined) m.setInnerMap(v.index, inner);
      }
    }
  });
  return { programs, maps, license: obj.license };
}
