/**
 * Loading eBPF ELF objects as `clang -O2 -target bpf -c` produces them: the program sections
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
import { BpfError } from "./bpf_error.ts";
import { btfMaps } from "./_btf_maps.ts";
import { decodeProgram, type Instruction, type Program, programOf } from "./instruction.ts";
import type { BpfMap, BpfMapType } from "./maps.ts";
import type { BpfVm, LoadedProgram, LoadOptions } from "./vm.ts";

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

const SHT_SYMTAB = 2, SHT_RELA = 4, SHT_NOBITS = 8, SHT_REL = 9;
const SHF_EXECINSTR = 0x4;
const EM_BPF = 247;
const R_BPF_64_64 = 1,
  R_BPF_64_ABS64 = 2,
  R_BPF_64_ABS32 = 3,
  R_BPF_64_NODYLD32 = 4,
  R_BPF_64_32 = 10;

interface Section {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

interface Sym {
  name: string;
  info: number;
  shndx: number;
  value: number;
  size: number;
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
 * import { parseElf } from "./elf_loader.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseElf(new Uint8Array(8), { file: "x.o" }), /not an ELF file/);
 * ```
 */
export function parseElf(bytes: Uint8Array, options: ParseElfOptions = {}): ElfObject {
  return new ElfReader(bytes, options.file ?? "<object>").parse();
}

class ElfReader {
  #b: Uint8Array;
  #v: DataView;
  #file: string;
  #sections: Section[] = [];
  #symbols: Sym[] = [];

  constructor(bytes: Uint8Array, file: string) {
    this.#b = bytes;
    this.#v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#file = file;
  }

  #err(message: string, offset?: number): BpfError {
    return new BpfError(
      "elf",
      offset === undefined ? message : `${message} at byte offset ${offset}`,
      { file: this.#file },
    );
  }

  #u16(o: number): number {
    this.#need(o, 2);
    return this.#v.getUint16(o, true);
  }
  #u32(o: number): number {
    this.#need(o, 4);
    return this.#v.getUint32(o, true);
  }
  #u64(o: number): number {
    this.#need(o, 8);
    const v = this.#v.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.#err(`Value ${v} too large`, o);
    return Number(v);
  }
  #need(o: number, n: number): void {
    if (o < 0 || o + n > this.#b.length) {
      throw this.#err(
        `Truncated object: ${n} bytes needed past the end (${this.#b.length} bytes)`,
        o,
      );
    }
  }
  #cstr(o: number): string {
    let e = o;
    while (e < this.#b.length && this.#b[e] !== 0) e++;
    if (e >= this.#b.length) throw this.#err("Unterminated string", o);
    return new TextDecoder().decode(this.#b.subarray(o, e));
  }

  parse(): ElfObject {
    const b = this.#b;
    if (b.length < 64 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) {
      throw this.#err("This is not an ELF file (no \\x7fELF magic)", 0);
    }
    if (b[4] !== 2) throw this.#err("Only 64-bit ELF objects are supported", 4);
    if (b[5] !== 1) throw this.#err("Only little-endian ELF objects are supported", 5);
    const machine = this.#u16(18);
    if (machine !== EM_BPF) throw this.#err(`ELF machine is ${machine}, not BPF (247)`, 18);
    const shoff = this.#u64(0x28);
    const shentsize = this.#u16(0x3a);
    const shnum = this.#u16(0x3c);
    const shstrndx = this.#u16(0x3e);
    if (shentsize !== 64) throw this.#err(`Section header size ${shentsize}, expected 64`, 0x3a);
    if (shstrndx >= shnum) {
      throw this.#err(`Section name table index ${shstrndx} out of range`, 0x3e);
    }
    this.#need(shoff, shnum * 64);
    const raw: Omit<Section, "name">[] = [];
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * 64;
      nameOffs.push(this.#u32(o));
      const sec = {
        index: i,
        type: this.#u32(o + 4),
        flags: this.#u64(o + 8),
        offset: this.#u64(o + 24),
        size: this.#u64(o + 32),
        link: this.#u32(o + 40),
        info: this.#u32(o + 44),
        entsize: this.#u64(o + 56),
      };
      if (sec.type !== SHT_NOBITS && sec.type !== 0) this.#need(sec.offset, sec.size);
      raw.push(sec);
    }
    const strtab = raw[shstrndx];
    for (let i = 0; i < shnum; i++) {
      if (nameOffs[i] >= strtab.size && strtab.size > 0) {
        throw this.#err(
          `Section ${i} name offset ${nameOffs[i]} outside the name table`,
          shoff + i * 64,
        );
      }
      this.#sections.push({ ...raw[i], name: this.#cstr(strtab.offset + nameOffs[i]) });
    }
    // Symbols.
    const symtab = this.#sections.find((s) => s.type === SHT_SYMTAB);
    if (symtab !== undefined) {
      const strs = this.#sections[symtab.link];
      if (strs === undefined) throw this.#err("Symbol table has no string table", symtab.offset);
      for (let o = symtab.offset; o + 24 <= symtab.offset + symtab.size; o += 24) {
        const nameOff = this.#u32(o);
        this.#symbols.push({
          name: nameOff === 0 ? "" : this.#cstr(strs.offset + nameOff),
          info: this.#b[o + 4],
          shndx: this.#u16(o + 6),
          value: this.#u64(o + 8),
          size: this.#u64(o + 16),
        });
      }
    }
    const maps: ElfMapDef[] = [];
    const mapBySym = new Map<string, number>(); // "shndx:value" → map index
    const btfMapsSec = this.#sections.find((s) => s.name === ".maps");
    if (btfMapsSec !== undefined) {
      const btf = this.#sections.find((s) => s.name === ".BTF");
      if (btf === undefined) {
        throw this.#err(
          'BTF-defined maps (section ".maps") need the .BTF section: compile with clang -g, or define maps with SEC("maps") struct bpf_map_def',
        );
      }
      const defs = btfMaps(
        this.#b.subarray(btf.offset, btf.offset + btf.size),
        this.#file,
        btf.offset,
      );
      for (const d of defs) {
        maps.push({
          name: d.name,
          type: d.type,
          keySize: d.keySize,
          valueSize: d.valueSize,
          maxEntries: d.maxEntries,
          flags: d.flags,
        });
        // Variable offsets in an object's BTF are not final (libbpf takes them from the symbol
        // table), so the symbol of the same name says where the map is.
        const sym = this.#symbols.find((y) => y.name === d.name && y.shndx === btfMapsSec.index);
        mapBySym.set(`${btfMapsSec.index}:${sym?.value ?? d.offset}`, maps.length - 1);
      }
    }
    const mapsSec = this.#sections.find((s) => s.name === "maps");
    if (mapsSec !== undefined) {
      const defs = this.#symbols.filter((s) =>
        s.shndx === mapsSec.index && s.name !== "" &&
        (s.info & 0xf) !== 3
      );
      defs.sort((a, b) => a.value - b.value);
      for (const s of defs) {
        const size = s.size || 20;
        if (size < 16) {
          throw this.#err(
            `Map "${s.name}" definition is ${size} bytes, at least 16 needed`,
            mapsSec.offset + s.value,
          );
        }
        const o = mapsSec.offset + s.value;
        this.#need(o, size);
        maps.push({
          name: s.name,
          type: this.#u32(o),
          keySize: this.#u32(o + 4),
          valueSize: this.#u32(o + 8),
          maxEntries: this.#u32(o + 12),
          flags: size >= 20 ? this.#u32(o + 16) : 0,
        });
        mapBySym.set(`${mapsSec.index}:${s.value}`, maps.length - 1);
      }
    }
    // Global data sections become one-element array maps.
    const dataMap = new Map<number, number>(); // section index → map index
    for (const s of this.#sections) {
      if (!/^\.(data|rodata|bss)(\..*)?$/.test(s.name) || s.size === 0) continue;
      const initial = s.type === SHT_NOBITS
        ? new Uint8Array(s.size)
        : this.#b.slice(s.offset, s.offset + s.size);
      maps.push({
        name: s.name,
        type: 2,
        keySize: 4,
        valueSize: s.size,
        maxEntries: 1,
        flags: 0,
        initial,
      });
      dataMap.set(s.index, maps.length - 1);
    }
    const license = this.#sections.find((s) => s.name === "license");
    const text = this.#sections.find((s) => s.name === ".text");
    const programs: ElfProgram[] = [];
    for (const s of this.#sections) {
      if (!(s.flags & SHF_EXECINSTR) || s.size === 0 || s.name === ".text") continue;
      programs.push(this.#program(s, text, mapBySym, dataMap));
    }
    if (programs.length === 0 && text !== undefined && text.size > 0) {
      programs.push(this.#program(text, undefined, mapBySym, dataMap));
    }
    return {
      programs,
      maps,
      license: license ? this.#cstr(license.offset) : "",
    };
  }

  #relocs(target: Section): { offset: number; sym: Sym; type: number; at: number }[] {
    const out: { offset: number; sym: Sym; type: number; at: number }[] = [];
    for (const r of this.#sections) {
      if ((r.type !== SHT_REL && r.type !== SHT_RELA) || r.info !== target.index) continue;
      const size = r.type === SHT_REL ? 16 : 24;
      for (let o = r.offset; o + size <= r.offset + r.size; o += size) {
        const offset = this.#u64(o);
        const info = this.#v.getBigUint64(o + 8, true);
        const symIndex = Number(info >> 32n);
        const sym = this.#symbols[symIndex];
        if (sym === undefined) {
          throw this.#err(`Relocation refers to symbol ${symIndex}, which does not exist`, o);
        }
        out.push({ offset, sym, type: Number(info & 0xffffffffn), at: o });
      }
    }
    return out;
  }

  #decode(s: Section): Program {
    if (s.size % 8 !== 0) {
      throw this.#err(`Section "${s.name}" size ${s.size} is not a multiple of 8`, s.offset);
    }
    try {
      return decodeProgram(this.#b.subarray(s.offset, s.offset + s.size), { strict: false });
    } catch (e) {
      if (e instanceof BpfError) {
        throw this.#err(`Section "${s.name}": ${e.message}`, s.offset + Math.max(0, e.pc) * 8);
      }
      throw e;
    }
  }

  #program(
    s: Section,
    text: Section | undefined,
    mapBySym: Map<string, number>,
    dataMap: Map<number, number>,
  ): ElfProgram {
    const prog = this.#decode(s);
    const ins: Instruction[] = prog.instructions.map((x) => ({ ...x }));
    let textBase = -1; // slot where .text was appended
    const own = this.#relocs(s);
    const apply = (
      list: { offset: number; sym: Sym; type: number; at: number }[],
      base: number,
      p: Program,
      sec: Section,
    ) => {
      for (const r of list) {
        if (r.offset % 8 !== 0) {
          throw this.#err(
            `Relocation offset ${r.offset} in "${sec.name}" is not on an instruction`,
            r.at,
          );
        }
        const slot = base + r.offset / 8;
        const idx = p.indexOfSlot[r.offset / 8];
        if (idx === undefined || idx < 0) {
          throw this.#err(
            `Relocation at ${r.offset} in "${sec.name}" does not point at an instruction`,
            r.at,
          );
        }
        const x = ins[this.#indexAt(slot, ins)];
        if (r.type === R_BPF_64_64) {
          if (x.opcode !== 0x18) {
            throw this.#err(
              `R_BPF_64_64 relocation in "${sec.name}" at ${r.offset} is not on an lddw`,
              r.at,
            );
          }
          const m = mapBySym.get(`${r.sym.shndx}:${r.sym.value}`);
          if (m !== undefined) {
            x.src = 1;
            x.imm = m;
            x.imm2 = 0;
            continue;
          }
          const d = dataMap.get(r.sym.shndx);
          if (d !== undefined) {
            const off = r.sym.value + x.imm; // section symbol + addend in imm
            x.src = 2;
            x.imm = d;
            x.imm2 = off;
            continue;
          }
          throw this.#err(
            `R_BPF_64_64 relocation against "${
              r.sym.name || `section ${r.sym.shndx}`
            }", which is neither a map nor global data`,
            r.at,
          );
        } else if (r.type === R_BPF_64_32) {
          if (x.opcode !== 0x85) {
            throw this.#err(
              `R_BPF_64_32 relocation in "${sec.name}" at ${r.offset} is not on a call`,
              r.at,
            );
          }
          if (text === undefined || r.sym.shndx !== text.index) {
            throw this.#err(`Call relocation against "${r.sym.name}", which is not in .text`, r.at);
          }
          if (textBase < 0) {
            throw new BpfError("internal", ".text was not appended before its relocations", {
              file: this.#file,
            });
          }
          // As libbpf: the callee is at symbol value / 8 + imm + 1 in .text (imm is -1 for a
          // function symbol, the offset for a section symbol).
          const target = textBase + r.sym.value / 8 + x.imm + 1;
          x.src = 1;
          x.imm = target - slot - 1;
        } else if (
          r.type === R_BPF_64_ABS64 || r.type === R_BPF_64_ABS32 || r.type === R_BPF_64_NODYLD32
        ) {
          // Debug-info relocations: nothing to do for execution.
        } else {
          throw this.#err(`Unsupported relocation type ${r.type} in "${sec.name}"`, r.at);
        }
      }
    };
    const needsText = own.some((r) => r.type === R_BPF_64_32);
    let textRelocs: { offset: number; sym: Sym; type: number; at: number }[] = [];
    let textProg: Program | null = null;
    if (needsText && text !== undefined && text !== s) {
      textProg = this.#decode(text);
      textBase = prog.slotCount;
      for (const x of textProg.instructions) ins.push({ ...x });
      textRelocs = this.#relocs(text);
    }
    apply(own, 0, prog, s);
    if (textProg !== null && text !== undefined) apply(textRelocs, textBase, textProg, text);
    const entry = this.#symbols.find((y) =>
      y.shndx === s.index && (y.info & 0xf) === 2 && y.value === 0 && y.name !== ""
    );
    return { name: entry?.name ?? s.name, section: s.name, program: programOf(ins) };
  }

  #indexAt(slot: number, ins: Instruction[]): number {
    let s = 0;
    for (let i = 0; i < ins.length; i++) {
      if (s === slot) return i;
      s += ins[i].opcode === 0x18 ? 2 : 1;
    }
    throw this.#err(`Relocation at slot ${slot} is past the program`);
  }
}

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

const MAP_TYPES: Readonly<Record<number, BpfMapType>> = { 1: "hash", 2: "array" };

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
      x.opcode === 0x18 && (x.src === 1 || x.src === 2) ? { ...x, imm: fds[x.imm] } : x
    );
    programs.set(p.name, vm.load(programOf(ins), { ...options, name: p.name }));
  }
  return { programs, maps, license: obj.license };
}
