/**
 * Reading eBPF ELF objects as `clang -O2 -target bpf -c` produces them: the program sections
 * (executable sections such as `socket`, `xdp`, `classifier/foo`), legacy map definitions in the
 * `maps` section (`struct bpf_map_def`: type, key size, value size, max entries, flags), global
 * data sections (`.data`, `.rodata`, `.bss`) as one-element array maps, `R_BPF_64_64`
 * relocations that turn `lddw` into map references, and `R_BPF_64_32` calls into functions of
 * `.text`, which are appended to the program that calls them.
 *
 * BTF-defined maps (the `.maps` section, `__uint(type, …)`/`__type(key, …)` members) are read from
 * the `.BTF` section when the object has one (`clang -g`); without it they are refused with a
 * message saying so.
 *
 * @module
 */
import type { BpfProgram } from "./instruction.ts";
import { ElfFile, SHF_EXECINSTR } from "./_elf_file.ts";
import { elfMaps } from "./_elf_maps.ts";
import { ElfLinker } from "./_elf_programs.ts";
import { type BpfProgramType, programTypeOfSection } from "./program_types.ts";

/**
 * A map definition found in the object.
 *
 * @example
 * ```ts
 * import { assemble, type ElfMapDef, parseElf } from "@mxy/mxy/bpf";
 * import { buildBpfElf } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const obj = buildBpfElf({ socket: assemble("mov %r0, 0\nexit") }, { data: new Uint8Array([1, 2, 3, 4]) });
 * const [data]: ElfMapDef[] = parseElf(obj).maps;
 * assert.deepEqual([data.name, data.type, data.keySize, data.valueSize, data.maxEntries], [".data", 2, 4, 4, 1]);
 * assert.deepEqual(data.initial, new Uint8Array([1, 2, 3, 4]));
 * ```
 */
export interface ElfMapDef {
  /** The symbol name (or section name for global data). */
  name: string;
  /** Linux's map type number (`BPF_MAP_TYPE`: 1 hash, 2 array …). */
  type: number;
  /** Key size in bytes. */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** Maximum entries. */
  maxEntries: number;
  /** `map_flags`. */
  flags: number;
  /** Where the value's `struct bpf_spin_lock` is (BTF-defined maps), when it has one. */
  spinLock?: number;
  /** `map_extra` (BTF-defined maps; a bloom filter's number of hash functions), when not 0. */
  mapExtra?: number;
  /** For global data sections: the initial value bytes. */
  initial?: Uint8Array;
  /** Maps of maps: the inner map's definition (the template the verifier assumes). */
  inner?: ElfMapDef;
  /**
   * Program arrays and maps of maps initialised in the object (`.values = { [2] = &prog }`):
   * the index and the program's or map's symbol name.
   */
  initialValues?: { index: number; symbol: string }[];
}

/**
 * One program found in the object.
 *
 * @example
 * ```ts
 * import { assemble, disassemble, type ElfProgram, parseElf } from "@mxy/mxy/bpf";
 * import { buildBpfElf } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const obj = buildBpfElf({ "classifier/ingress": assemble("mov %r0, 2\nexit") });
 * const [p]: ElfProgram[] = parseElf(obj).programs;
 * assert.equal(p.section, "classifier/ingress");
 * assert.equal(p.name, "classifier/ingress"); // no function symbol: named after its section
 * assert.equal(disassemble(p.program), "mov %r0, 2\nexit\n");
 * ```
 */
export interface ElfProgram {
  /** The entry function's name (or the section name). */
  name: string;
  /** The section it came from. */
  section: string;
  /**
   * Its program type, from the section name as libbpf reads it (`xdp`, `socket` →
   * `socket_filter`, `tc`/`classifier` → `sched_cls`, `kprobe/…`, `tracepoint/…` …), or
   * `"unspec"`.
   */
  type: BpfProgramType;
  /**
   * A function of `.text` (a subprogram others call, exposed as a program too): not loaded by
   * {@linkcode loadElf} unless asked for by name or the object has no other program.
   */
  subprogram: boolean;
  /**
   * The instructions after relocation: `lddw` map references have `src` 1 (map) or 2 (map
   * value) and `imm` = the index of the map in {@linkcode ElfObject.maps}.
   */
  program: BpfProgram;
}

/**
 * A parsed object.
 *
 * @example
 * ```ts
 * import { assemble, type ElfObject, parseElf } from "@mxy/mxy/bpf";
 * import { buildBpfElf } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const exit0 = assemble("mov %r0, 0\nexit");
 * const obj: ElfObject = parseElf(buildBpfElf({ xdp: exit0, socket: exit0 }, { license: "Dual MIT/GPL" }));
 * assert.deepEqual(obj.programs.map((p) => p.name), ["xdp", "socket"]);
 * assert.deepEqual(obj.maps, []);
 * assert.equal(obj.license, "Dual MIT/GPL");
 * ```
 */
export interface ElfObject {
  /**
   * Programs in section order: every global function of a program section, then the global
   * functions of `.text` (`subprogram: true`).
   */
  programs: ElfProgram[];
  /** Maps: legacy definitions, then global data sections. */
  maps: ElfMapDef[];
  /** The `license` section's text (empty when absent). */
  license: string;
}

/**
 * Options for {@linkcode parseElf}.
 *
 * @example
 * ```ts
 * import { parseElf, type ParseElfOptions } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: ParseElfOptions = { file: "count.o" };
 * assert.throws(() => parseElf(new Uint8Array(64), options), /This is not an ELF file .* \(at count\.o\)/);
 * ```
 */
export interface ParseElfOptions {
  /** The file name for messages. */
  file?: string;
}

/**
 * Parses an eBPF ELF object (ELF64, little-endian, machine BPF).
 *
 * @param bytes The object file.
 * @param options The file name for messages.
 * @returns Programs (relocated), maps and licence; throws a `BpfError` (`"elf"`) naming the byte
 *   offset of what is wrong.
 *
 * @example
 * ```ts
 * import { assemble, BpfError, parseElf } from "@mxy/mxy/bpf";
 * import { buildBpfElf } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const obj = buildBpfElf({ socket: assemble("ldxb %r0, [%r1]\nexit") });
 * assert.equal(parseElf(obj).programs[0].program.instructions.length, 2);
 * assert.throws(() => parseElf(obj.subarray(0, 100)), (e) => e instanceof BpfError && e.code === "elf");
 * ```
 */
export function parseElf(bytes: Uint8Array, options: ParseElfOptions = {}): ElfObject {
  const elf = new ElfFile(bytes, options.file ?? "<object>");
  const maps = elfMaps(elf);
  const license = elf.section("license");
  const linker = new ElfLinker(elf, maps);
  const programs: ElfProgram[] = [];
  const text: ElfProgram[] = [];
  for (const s of elf.sections) {
    if (!(s.flags & SHF_EXECINSTR) || s.size === 0) continue;
    const isText = s.name === ".text";
    const fns = linker.functions(s);
    // libbpf: the global functions of a section are its programs (static ones are subprograms).
    const entries = isText || fns.some((f) => f.global) ? fns.filter((f) => f.global) : fns;
    for (const f of entries) {
      (isText ? text : programs).push({
        name: f.name,
        section: s.name,
        type: isText ? "unspec" : programTypeOfSection(s.name),
        subprogram: isText,
        program: linker.link(f),
      });
    }
  }
  const names = new Set(programs.map((p) => p.name));
  for (const p of text) if (!names.has(p.name)) programs.push(p);
  return { programs, maps: maps.maps, license: license ? elf.cstr(license.offset) : "" };
}
