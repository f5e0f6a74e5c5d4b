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
import type { BpfVm, LoadedProgram, LoadOptions } from "./vm.ts";

const { LDDW, LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_VALUE_BY_FD } = EBPF;

/** Options for {@linkcode loadElf}. */
export interface LoadElfOptions extends LoadOptions {
  /** The file name for messages. */
  file?: string;
}

/** The result of {@linkcode loadElf}. */
export interface LoadedElf {
  /** Loaded (verified) programs by name. */
  programs: Map<string, LoadedProgram>;
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
 * @example
 * ```ts ignore
 * import { loadElf } from "./elf_loader.ts";
 * import { BpfVm } from "./vm.ts";
 * const vm = new BpfVm();
 * const obj = loadElf(vm, await Deno.readFile("prog.o"));
 * obj.programs.get("count")!.run(new Uint8Array(64));
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
  const programs = new Map<string, LoadedProgram>();
  for (const p of obj.programs) {
    const ins = p.program.instructions.map((x) =>
      x.opcode === LDDW && (x.src === LDDW_SRC_MAP_BY_FD || x.src === LDDW_SRC_MAP_VALUE_BY_FD)
        ? { ...x, imm: fds[x.imm] }
        : x
    );
    programs.set(p.name, vm.load(programOf(ins), { ...options, name: p.name }));
  }
  return { programs, maps, license: obj.license };
}
