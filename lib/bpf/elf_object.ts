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
import type { Program } from "./instruction.ts";
import { ElfFile, SHF_EXECINSTR } from "./_elf_file.ts";
import { elfMaps } from "./_elf_maps.ts";
import { elfProgram } from "./_elf_programs.ts";

/** A map definition found in the object. */
export interface ElfMapDef {
  /** The symbol name (or section name for global data). */
  name: string;
  /** Linux's map type number (1 hash, 2 array). */
  type: number;
  /** Key size in bytes. */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** Maximum entries. */
  maxEntries: number;
  /** `map_flags`. */
  flags: number;
  /** For global data sections: the initial value bytes. */
  initial?: Uint8Array;
}

/** One program found in the object. */
export interface ElfProgram {
  /** The entry function's name (or the section name). */
  name: string;
  /** The section it came from. */
  section: string;
  /**
   * The instructions after relocation: `lddw` map references have `src` 1 (map) or 2 (map
   * value) and `imm` = the index of the map in {@linkcode ElfObject.maps}.
   */
  program: Program;
}

/** A parsed object. */
export interface ElfObject {
  /** Programs by section order. */
  programs: ElfProgram[];
  /** Maps: legacy definitions, then global data sections. */
  maps: ElfMapDef[];
  /** The `license` section's text (empty when absent). */
  license: string;
}

/** Options for {@linkcode parseElf}. */
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
 * @example
 * ```ts
 * import { parseElf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseElf(new Uint8Array(8), { file: "x.o" }), /not an ELF file/);
 * ```
 */
export function parseElf(bytes: Uint8Array, options: ParseElfOptions = {}): ElfObject {
  const elf = new ElfFile(bytes, options.file ?? "<object>");
  const maps = elfMaps(elf);
  const license = elf.section("license");
  const text = elf.section(".text");
  const programs: ElfProgram[] = [];
  for (const s of elf.sections) {
    if (!(s.flags & SHF_EXECINSTR) || s.size === 0 || s.name === ".text") continue;
    programs.push(elfProgram(elf, s, text, maps));
  }
  if (programs.length === 0 && text !== undefined && text.size > 0) {
    programs.push(elfProgram(elf, text, undefined, maps));
  }
  return { programs, maps: maps.maps, license: license ? elf.cstr(license.offset) : "" };
}
