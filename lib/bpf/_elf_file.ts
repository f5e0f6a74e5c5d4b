/**
 * Reading the ELF64 container of an eBPF object: the header, section headers and names, the
 * symbol table and relocation entries, every read bounds-checked and every failure an `elf`
 * `BpfError` naming the byte offset.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";

/** Section types (`sh_type`). */
export const SHT_SYMTAB = 2, SHT_RELA = 4, SHT_NOBITS = 8, SHT_REL = 9;
/** Section flag (`sh_flags`): the section holds code. */
export const SHF_EXECINSTR = 0x4;
/** Symbol types (`st_info & 0xf`). */
export const STT_FUNC = 2, STT_SECTION = 3;
/** The ELF machine number of BPF. */
const EM_BPF = 247, EM_NONE = 0;
/** Sizes of an ELF64 header entry. */
const SECTION_HEADER_BYTES = 64, SYMBOL_BYTES = 24, REL_BYTES = 16, RELA_BYTES = 24;

/** A section header, with its name resolved. */
export interface ElfSection {
  /** Index in the section header table. */
  index: number;
  /** Name. */
  name: string;
  /** `sh_type`. */
  type: number;
  /** `sh_flags`. */
  flags: number;
  /** File offset of its bytes. */
  offset: number;
  /** Size in bytes. */
  size: number;
  /** `sh_link`. */
  link: number;
  /** `sh_info`. */
  info: number;
  /** `sh_entsize`. */
  entsize: number;
}

/** A symbol table entry. */
export interface ElfSymbol {
  /** Name (empty for section symbols). */
  name: string;
  /** `st_info`: binding and type. */
  info: number;
  /** The section it is defined in. */
  shndx: number;
  /** Its value (offset in the section). */
  value: number;
  /** Its size in bytes. */
  size: number;
}

/** A relocation entry of a section. */
export interface ElfRelocation {
  /** Offset in the section it applies to. */
  offset: number;
  /** The symbol it refers to. */
  sym: ElfSymbol;
  /** The relocation type. */
  type: number;
  /** File offset of the entry, for messages. */
  at: number;
}

/** An ELF64 little-endian object of machine BPF, read from bytes. */
export class ElfFile {
  /** The object's bytes. */
  readonly bytes: Uint8Array;
  /** The file name for messages. */
  readonly file: string;
  /** The section headers. */
  readonly sections: ElfSection[] = [];
  /** The symbol table (empty when there is none). */
  readonly symbols: ElfSymbol[] = [];
  #v: DataView;

  /**
   * Reads the header, the section headers and the symbol table.
   *
   * @param bytes The object file.
   * @param file The file name for messages.
   */
  constructor(bytes: Uint8Array, file: string) {
    this.bytes = bytes;
    this.file = file;
    this.#v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#readSections();
    this.#readSymbols();
  }

  /**
   * An `elf` error naming the byte offset.
   *
   * @param message What is wrong.
   * @param offset Where, when known.
   * @returns The error.
   */
  err(message: string, offset?: number): BpfError {
    return new BpfError(
      "elf",
      offset === undefined ? message : `${message} at byte offset ${offset}`,
      { file: this.file },
    );
  }

  /**
   * Reads a 16-bit little-endian value.
   *
   * @param o The offset.
   * @returns The value.
   */
  u16(o: number): number {
    this.need(o, 2);
    return this.#v.getUint16(o, true);
  }

  /**
   * Reads a 32-bit little-endian value.
   *
   * @param o The offset.
   * @returns The value.
   */
  u32(o: number): number {
    this.need(o, 4);
    return this.#v.getUint32(o, true);
  }

  /**
   * Reads a 64-bit little-endian value that must fit a safe integer.
   *
   * @param o The offset.
   * @returns The value.
   */
  u64(o: number): number {
    this.need(o, 8);
    const v = this.#v.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.err(`Value ${v} too large`, o);
    return Number(v);
  }

  /**
   * Checks that `n` bytes at `o` are inside the object.
   *
   * @param o The offset.
   * @param n How many bytes.
   */
  need(o: number, n: number): void {
    if (o < 0 || o + n > this.bytes.length) {
      throw this.err(
        `Truncated object: ${n} bytes needed past the end (${this.bytes.length} bytes)`,
        o,
      );
    }
  }

  /**
   * Reads a NUL-terminated string.
   *
   * @param o The offset.
   * @returns The string.
   */
  cstr(o: number): string {
    const b = this.bytes;
    let e = o;
    while (e < b.length && b[e] !== 0) e++;
    if (e >= b.length) throw this.err("Unterminated string", o);
    return new TextDecoder().decode(b.subarray(o, e));
  }

  /**
   * The first section of a name.
   *
   * @param name The section name.
   * @returns The section, or `undefined`.
   */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /**
   * The bytes of a section.
   *
   * @param s The section.
   * @returns A view of its bytes.
   */
  contents(s: ElfSection): Uint8Array {
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  /**
   * The relocation entries (`.rel*` and `.rela*` sections) that apply to a section.
   *
   * @param target The section relocated.
   * @returns The entries.
   */
  relocations(target: ElfSection): ElfRelocation[] {
    const out: ElfRelocation[] = [];
    for (const r of this.sections) {
      if ((r.type !== SHT_REL && r.type !== SHT_RELA) || r.info !== target.index) continue;
      const size = r.type === SHT_REL ? REL_BYTES : RELA_BYTES;
      for (let o = r.offset; o + size <= r.offset + r.size; o += size) {
        const offset = this.u64(o);
        const info = this.#v.getBigUint64(o + 8, true);
        const symIndex = Number(info >> 32n);
        const sym = this.symbols[symIndex];
        if (sym === undefined) {
          throw this.err(`Relocation refers to symbol ${symIndex}, which does not exist`, o);
        }
        out.push({ offset, sym, type: Number(info & 0xffffffffn), at: o });
      }
    }
    return out;
  }

  #readSections(): void {
    const b = this.bytes;
    if (b.length < 64 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) {
      throw this.err("This is not an ELF file (no \\x7fELF magic)", 0);
    }
    if (b[4] !== 2) throw this.err("Only 64-bit ELF objects are supported", 4);
    if (b[5] !== 1) throw this.err("Only little-endian ELF objects are supported", 5);
    const machine = this.u16(18);
    // Old LLVM versions wrote e_machine 0 (EM_NONE) in BPF objects; libbpf accepts both.
    if (machine !== EM_BPF && machine !== EM_NONE) {
      throw this.err(`ELF machine is ${machine}, not BPF (247)`, 18);
    }
    const shoff = this.u64(0x28);
    const shentsize = this.u16(0x3a);
    const shnum = this.u16(0x3c);
    const shstrndx = this.u16(0x3e);
    if (shentsize !== SECTION_HEADER_BYTES) {
      throw this.err(`Section header size ${shentsize}, expected 64`, 0x3a);
    }
    if (shstrndx >= shnum) {
      throw this.err(`Section name table index ${shstrndx} out of range`, 0x3e);
    }
    this.need(shoff, shnum * SECTION_HEADER_BYTES);
    const raw: Omit<ElfSection, "name">[] = [];
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * SECTION_HEADER_BYTES;
      nameOffs.push(this.u32(o));
      const sec = {
        index: i,
        type: this.u32(o + 4),
        flags: this.u64(o + 8),
        offset: this.u64(o + 24),
        size: this.u64(o + 32),
        link: this.u32(o + 40),
        info: this.u32(o + 44),
        entsize: this.u64(o + 56),
      };
      if (sec.type !== SHT_NOBITS && sec.type !== 0) this.need(sec.offset, sec.size);
      raw.push(sec);
    }
    const strtab = raw[shstrndx];
    for (let i = 0; i < shnum; i++) {
      if (nameOffs[i] >= strtab.size && strtab.size > 0) {
        throw this.err(
          `Section ${i} name offset ${nameOffs[i]} outside the name table`,
          shoff + i * SECTION_HEADER_BYTES,
        );
      }
      this.sections.push({ ...raw[i], name: this.cstr(strtab.offset + nameOffs[i]) });
    }
  }

  #readSymbols(): void {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (symtab === undefined) return;
    const strs = this.sections[symtab.link];
    if (strs === undefined) throw this.err("Symbol table has no string table", symtab.offset);
    const end = symtab.offset + symtab.size;
    for (let o = symtab.offset; o + SYMBOL_BYTES <= end; o += SYMBOL_BYTES) {
      const nameOff = this.u32(o);
      this.symbols.push({
        name: nameOff === 0 ? "" : this.cstr(strs.offset + nameOff),
        info: this.bytes[o + 4],
        shndx: this.u16(o + 6),
        value: this.u64(o + 8),
        size: this.u64(o + 16),
      });
    }
  }
}
