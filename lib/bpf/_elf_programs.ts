/**
 * The programs of an eBPF object, linked as libbpf links them: every function of a code section
 * (several per section, libbpf style) is a program; the functions it calls — in `.text` or in
 * its own section, through `R_BPF_64_32` relocations or plain pc-relative `call`s — are appended
 * to it one by one (only those reached), and the relocations are applied: `R_BPF_64_64` on an
 * `lddw` becomes a map reference (source 1, `imm` = map index) or a global data address
 * (source 2, `imm` = map index, `imm2` = offset); a `call` becomes a local call to the appended
 * copy of its callee.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { type BpfInstruction, type BpfProgram, decodeProgram, programOf } from "./instruction.ts";
import { EBPF } from "./opcodes.ts";
import {
  type ElfFile,
  type ElfRelocation,
  type ElfSection,
  SHF_EXECINSTR,
  STT_FUNC,
  STT_SECTION,
} from "./_elf_file.ts";
import type { ElfMaps } from "./_elf_maps.ts";

const { LDDW, CALL, LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_VALUE_BY_FD, CALL_SRC_LOCAL } = EBPF;
const { LDDW_SRC_CODE } = EBPF;

/** BPF relocation types. */
const R_BPF_64_64 = 1,
  R_BPF_64_ABS64 = 2,
  R_BPF_64_ABS32 = 3,
  R_BPF_64_NODYLD32 = 4,
  R_BPF_64_32 = 10;
/** Symbol bindings (`st_info >> 4`). */
const STB_GLOBAL = 1, STB_WEAK = 2;
/** Symbol type of untyped labels (old objects name programs with them). */
const STT_NOTYPE = 0;

/** A function of a code section: its slots `[start, end)`. */
export interface ElfFunction {
  /** Its section. */
  section: ElfSection;
  /** Its name (the section's name when the section has no function symbols). */
  name: string;
  /** First slot. */
  start: number;
  /** Slot after the last. */
  end: number;
  /** Whether the symbol is global (or weak): a program of a program section. */
  global: boolean;
}

/** A code section decoded once, with its relocations by slot. */
interface Code {
  prog: BpfProgram;
  relocs: Map<number, ElfRelocation>;
  fns: ElfFunction[];
}

/** Links the programs of one object; caches decoded sections. */
export class ElfLinker {
  #elf: ElfFile;
  #maps: ElfMaps;
  #code = new Map<number, Code>();

  /**
   * @param elf The object.
   * @param maps Its maps, for `lddw` relocations.
   */
  constructor(elf: ElfFile, maps: ElfMaps) {
    this.#elf = elf;
    this.#maps = maps;
  }

  /**
   * The functions of a code section, by start: its `STT_FUNC` symbols (or, in old objects,
   * global untyped labels), or the whole section as one function named after it.
   *
   * @param s The section.
   * @returns The functions.
   */
  functions(s: ElfSection): ElfFunction[] {
    return this.#codeOf(s).fns;
  }

  /**
   * Builds the program that starts at a function: its code, then every function it reaches
   * through calls, relocated.
   *
   * @param entry The entry function.
   * @returns The program.
   */
  link(entry: ElfFunction): BpfProgram {
    const elf = this.#elf;
    // Pass 1: which functions, in which order, at which output slot.
    const order: ElfFunction[] = [entry];
    const base = new Map<ElfFunction, number>([[entry, 0]]);
    let size = entry.end - entry.start;
    const callees = (f: ElfFunction): { slot: number; target: ElfFunction; at: number }[] => {
      const code = this.#codeOf(f.section);
      const out: { slot: number; target: ElfFunction; at: number }[] = [];
      for (let slot = f.start; slot < f.end; slot++) {
        const idx = code.prog.indexOfSlot[slot];
        if (idx === undefined || idx < 0) continue;
        const x = code.prog.instructions[idx];
        const r = code.relocs.get(slot);
        let sec: ElfSection, at: number;
        if (x.opcode === LDDW) {
          // A callback (`bpf_loop(n, fn, …)`): lddw of a function, by its symbol or its code
          // section's symbol and a byte offset (clang's choice for static functions).
          if (r === undefined || r.type !== R_BPF_64_64 || !this.#isCode(r.sym)) continue;
          sec = elf.sections[r.sym.shndx];
          at = (r.sym.value + ((r.sym.info & 0xf) === STT_SECTION ? x.imm : 0)) / 8;
        } else if (x.opcode !== CALL) continue;
        else if (r !== undefined && r.type === R_BPF_64_32) {
          sec = elf.sections[r.sym.shndx];
          if (sec === undefined || r.sym.shndx === 0) {
            throw elf.err(
              `Call to "${r.sym.name}", which is not defined in this object (extern functions are not supported)`,
              r.at,
            );
          }
          // As libbpf: the callee is at symbol value / 8 + imm + 1 (imm is -1 for a function
          // symbol, the offset for a section symbol).
          at = r.sym.value / 8 + x.imm + 1;
        } else if (x.src === CALL_SRC_LOCAL) {
          sec = f.section;
          at = slot + 1 + x.imm;
        } else continue;
        const target = this.#codeOf(sec).fns.find((g) => g.start <= at && at < g.end);
        if (target === undefined) {
          throw elf.err(
            `Call in "${f.name}" at slot ${slot} goes to slot ${at} of "${sec.name}", outside any function`,
            f.section.offset + slot * 8,
          );
        }
        out.push({ slot, target, at });
      }
      return out;
    };
    const calls = new Map<ElfFunction, { slot: number; target: ElfFunction; at: number }[]>();
    for (let k = 0; k < order.length; k++) {
      const list = callees(order[k]);
      calls.set(order[k], list);
      for (const c of list) {
        if (base.has(c.target)) continue;
        base.set(c.target, size);
        size += c.target.end - c.target.start;
        order.push(c.target);
      }
    }
    // Pass 2: copy and relocate.
    const ins: BpfInstruction[] = [];
    for (const f of order) {
      const code = this.#codeOf(f.section);
      const b = base.get(f)!;
      const callAt = new Map(calls.get(f)!.map((c) => [c.slot, c]));
      for (let slot = f.start; slot < f.end; slot++) {
        const idx = code.prog.indexOfSlot[slot];
        if (idx === undefined || idx < 0) continue;
        const x = { ...code.prog.instructions[idx] };
        const out = b + slot - f.start;
        const c = callAt.get(slot);
        if (c !== undefined) {
          x.src = x.opcode === LDDW ? LDDW_SRC_CODE : CALL_SRC_LOCAL;
          x.imm = base.get(c.target)! + c.at - c.target.start - out - 1;
          if (x.opcode === LDDW) x.imm2 = 0;
        } else {
          const r = code.relocs.get(slot);
          if (r !== undefined) this.#relocate(f, x, r);
        }
        ins.push(x);
      }
    }
    return programOf(ins);
  }

  /** Whether a symbol names code: a function, or the section symbol of a code section. */
  #isCode(sym: ElfRelocation["sym"]): boolean {
    const sec = this.#elf.sections[sym.shndx];
    if (sec === undefined || sym.shndx === 0) return false;
    const kind = sym.info & 0xf;
    return kind === STT_FUNC || (kind === STT_SECTION && (sec.flags & SHF_EXECINSTR) !== 0);
  }

  /** Applies a relocation other than a call's. */
  #relocate(f: ElfFunction, x: BpfInstruction, r: ElfRelocation): void {
    const elf = this.#elf;
    const where = `"${f.section.name}" at ${r.offset}`;
    if (r.type === R_BPF_64_64) {
      if (x.opcode !== LDDW) {
        throw elf.err(`R_BPF_64_64 relocation in ${where} is not on an lddw`, r.at);
      }
      const { mapBySym, dataMap } = this.#maps;
      const symOff = (r.sym.info & 0xf) === STT_SECTION ? r.sym.value + x.imm : r.sym.value;
      const m = mapBySym.get(`${r.sym.shndx}:${symOff}`);
      if (m !== undefined) {
        x.src = LDDW_SRC_MAP_BY_FD;
        x.imm = m;
        x.imm2 = 0;
        return;
      }
      const d = dataMap.get(r.sym.shndx);
      if (d !== undefined) {
        x.src = LDDW_SRC_MAP_VALUE_BY_FD;
        x.imm2 = r.sym.value + x.imm; // symbol + addend in imm
        x.imm = d;
        return;
      }
      const sec = elf.sections[r.sym.shndx];
      if (r.sym.shndx === 0) {
        throw elf.err(
          `lddw of "${r.sym.name}", an extern (libbpf's .kconfig/.ksyms) that mxy cannot resolve, in ${where}`,
          r.at,
        );
      }
      throw elf.err(
        `R_BPF_64_64 relocation against "${
          r.sym.name || `section ${sec?.name ?? r.sym.shndx}`
        }", which is neither a map nor global data, in ${where}`,
        r.at,
      );
    }
    if (r.type === R_BPF_64_32) {
      throw elf.err(`R_BPF_64_32 relocation in ${where} is not on a call`, r.at);
    }
    if (r.type === R_BPF_64_ABS64 || r.type === R_BPF_64_ABS32 || r.type === R_BPF_64_NODYLD32) {
      return; // debug information: nothing to do for execution
    }
    throw elf.err(`Unsupported relocation type ${r.type} in ${where}`, r.at);
  }

  #codeOf(s: ElfSection): Code {
    let c = this.#code.get(s.index);
    if (c !== undefined) return c;
    const elf = this.#elf;
    if (s.size % 8 !== 0) {
      throw elf.err(`Section "${s.name}" size ${s.size} is not a multiple of 8`, s.offset);
    }
    let prog: BpfProgram;
    try {
      prog = decodeProgram(elf.contents(s), { strict: false });
    } catch (e) {
      if (e instanceof BpfError) {
        throw elf.err(`Section "${s.name}": ${e.message}`, s.offset + Math.max(0, e.pc) * 8);
      }
      throw e;
    }
    const relocs = new Map<number, ElfRelocation>();
    for (const r of elf.relocations(s)) {
      if (r.offset % 8 !== 0 || r.offset / 8 >= prog.slotCount) {
        throw elf.err(
          `Relocation offset ${r.offset} in "${s.name}" is not on an instruction`,
          r.at,
        );
      }
      const idx = prog.indexOfSlot[r.offset / 8];
      if (idx < 0) {
        throw elf.err(
          `Relocation at ${r.offset} in "${s.name}" does not point at an instruction`,
          r.at,
        );
      }
      if (r.type === R_BPF_64_64 || r.type === R_BPF_64_32) relocs.set(r.offset / 8, r);
    }
    c = { prog, relocs, fns: this.#functionsOf(s, prog.slotCount) };
    this.#code.set(s.index, c);
    return c;
  }

  #functionsOf(s: ElfSection, slots: number): ElfFunction[] {
    const syms = this.#elf.symbols.filter((y) =>
      y.shndx === s.index && y.name !== "" && y.value % 8 === 0 && y.value / 8 < slots
    );
    let named = syms.filter((y) => (y.info & 0xf) === STT_FUNC);
    if (named.length === 0) {
      named = syms.filter((y) => (y.info & 0xf) === STT_NOTYPE && (y.info >> 4) === STB_GLOBAL);
    }
    named.sort((a, b) => a.value - b.value);
    const fns: ElfFunction[] = [];
    for (let k = 0; k < named.length; k++) {
      const y = named[k];
      if (k > 0 && named[k - 1].value === y.value) continue;
      const start = y.value / 8;
      const next = k + 1 < named.length ? named[k + 1].value / 8 : slots;
      const end = y.size > 0 ? Math.min(slots, start + Math.ceil(y.size / 8)) : next;
      const bind = y.info >> 4;
      fns.push({
        section: s,
        name: y.name,
        start,
        end: Math.max(end, start + 1),
        global: bind === STB_GLOBAL || bind === STB_WEAK,
      });
    }
    if (fns.length === 0 || fns[0].start > 0) {
      // Code before the first symbol (or no symbols): a function named after the section.
      fns.unshift({
        section: s,
        name: s.name,
        start: 0,
        end: fns[0]?.start ?? slots,
        global: true,
      });
    }
    return fns;
  }
}
