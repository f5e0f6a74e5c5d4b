/**
 * The programs of an eBPF object: a code section decoded, the functions of `.text` it calls
 * appended to it, and its relocations applied — `R_BPF_64_64` on an `lddw` becomes a map
 * reference (source 1, `imm` = map index) or a global data address (source 2, `imm` = map
 * index, `imm2` = offset), `R_BPF_64_32` on a `call` becomes a local call into the appended
 * `.text`.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { ElfProgram } from "./elf_object.ts";
import { type BpfInstruction, type BpfProgram, decodeProgram, programOf } from "./instruction.ts";
import { EBPF } from "./opcodes.ts";
import { type ElfFile, type ElfRelocation, type ElfSection, STT_FUNC } from "./_elf_file.ts";
import type { ElfMaps } from "./_elf_maps.ts";

const { LDDW, CALL, LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_VALUE_BY_FD, CALL_SRC_LOCAL } = EBPF;

/** BPF relocation types. */
const R_BPF_64_64 = 1,
  R_BPF_64_ABS64 = 2,
  R_BPF_64_ABS32 = 3,
  R_BPF_64_NODYLD32 = 4,
  R_BPF_64_32 = 10;

/** Decodes a code section leniently (relocations still have to fill in fields). */
function decodeSection(elf: ElfFile, s: ElfSection): BpfProgram {
  if (s.size % 8 !== 0) {
    throw elf.err(`Section "${s.name}" size ${s.size} is not a multiple of 8`, s.offset);
  }
  try {
    return decodeProgram(elf.contents(s), { strict: false });
  } catch (e) {
    if (e instanceof BpfError) {
      throw elf.err(`Section "${s.name}": ${e.message}`, s.offset + Math.max(0, e.pc) * 8);
    }
    throw e;
  }
}

/** The instruction at a slot of the program being built. */
function indexAt(elf: ElfFile, slot: number, ins: BpfInstruction[]): number {
  let s = 0;
  for (let i = 0; i < ins.length; i++) {
    if (s === slot) return i;
    s += ins[i].opcode === LDDW ? 2 : 1;
  }
  throw elf.err(`Relocation at slot ${slot} is past the program`);
}

/**
 * Builds the program of a code section: decoded, `.text` appended when it calls into it, and
 * relocated.
 *
 * @param elf The object.
 * @param s The code section.
 * @param text The `.text` section, if any (when `s` is not `.text` itself).
 * @param maps The object's maps, for `lddw` relocations.
 * @returns The program, named after the function at its start.
 */
export function elfProgram(
  elf: ElfFile,
  s: ElfSection,
  text: ElfSection | undefined,
  maps: ElfMaps,
): ElfProgram {
  const { mapBySym, dataMap } = maps;
  const prog = decodeSection(elf, s);
  const ins: BpfInstruction[] = prog.instructions.map((x) => ({ ...x }));
  let textBase = -1; // slot where .text was appended
  const own = elf.relocations(s);
  const apply = (list: ElfRelocation[], base: number, p: BpfProgram, sec: ElfSection) => {
    for (const r of list) {
      if (r.offset % 8 !== 0) {
        throw elf.err(
          `Relocation offset ${r.offset} in "${sec.name}" is not on an instruction`,
          r.at,
        );
      }
      const slot = base + r.offset / 8;
      const idx = p.indexOfSlot[r.offset / 8];
      if (idx === undefined || idx < 0) {
        throw elf.err(
          `Relocation at ${r.offset} in "${sec.name}" does not point at an instruction`,
          r.at,
        );
      }
      const x = ins[indexAt(elf, slot, ins)];
      if (r.type === R_BPF_64_64) {
        if (x.opcode !== LDDW) {
          throw elf.err(
            `R_BPF_64_64 relocation in "${sec.name}" at ${r.offset} is not on an lddw`,
            r.at,
          );
        }
        const m = mapBySym.get(`${r.sym.shndx}:${r.sym.value}`);
        if (m !== undefined) {
          x.src = LDDW_SRC_MAP_BY_FD;
          x.imm = m;
          x.imm2 = 0;
          continue;
        }
        const d = dataMap.get(r.sym.shndx);
        if (d !== undefined) {
          const off = r.sym.value + x.imm; // section symbol + addend in imm
          x.src = LDDW_SRC_MAP_VALUE_BY_FD;
          x.imm = d;
          x.imm2 = off;
          continue;
        }
        throw elf.err(
          `R_BPF_64_64 relocation against "${
            r.sym.name || `section ${r.sym.shndx}`
          }", which is neither a map nor global data`,
          r.at,
        );
      } else if (r.type === R_BPF_64_32) {
        if (x.opcode !== CALL) {
          throw elf.err(
            `R_BPF_64_32 relocation in "${sec.name}" at ${r.offset} is not on a call`,
            r.at,
          );
        }
        if (text === undefined || r.sym.shndx !== text.index) {
          throw elf.err(`Call relocation against "${r.sym.name}", which is not in .text`, r.at);
        }
        if (textBase < 0) {
          throw new BpfError("internal", ".text was not appended before its relocations", {
            file: elf.file,
          });
        }
        // As libbpf: the callee is at symbol value / 8 + imm + 1 in .text (imm is -1 for a
        // function symbol, the offset for a section symbol).
        const target = textBase + r.sym.value / 8 + x.imm + 1;
        x.src = CALL_SRC_LOCAL;
        x.imm = target - slot - 1;
      } else if (
        r.type === R_BPF_64_ABS64 || r.type === R_BPF_64_ABS32 || r.type === R_BPF_64_NODYLD32
      ) {
        // Debug-info relocations: nothing to do for execution.
      } else {
        throw elf.err(`Unsupported relocation type ${r.type} in "${sec.name}"`, r.at);
      }
    }
  };
  const needsText = own.some((r) => r.type === R_BPF_64_32);
  let textRelocs: ElfRelocation[] = [];
  let textProg: BpfProgram | null = null;
  if (needsText && text !== undefined && text !== s) {
    textProg = decodeSection(elf, text);
    textBase = prog.slotCount;
    for (const x of textProg.instructions) ins.push({ ...x });
    textRelocs = elf.relocations(text);
  }
  apply(own, 0, prog, s);
  if (textProg !== null && text !== undefined) apply(textRelocs, textBase, textProg, text);
  const entry = elf.symbols.find((y) =>
    y.shndx === s.index && (y.info & 0xf) === STT_FUNC && y.value === 0 && y.name !== ""
  );
  return { name: entry?.name ?? s.name, section: s.name, program: programOf(ins) };
}
