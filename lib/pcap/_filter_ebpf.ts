/**
 * Running a classic filter in the eBPF VM with the packet's wire length. The eBPF form of a
 * classic program (`cbpfToEbpf`) sees only the bytes it is given, so `len` would be the captured
 * length; libpcap's `len` is the length on the wire. The VM is therefore given the wire length
 * as a 4-byte big-endian prefix before the packet, and the classic program is rewritten to match:
 * every packet offset moves up by 4 and `ld len` becomes `ld [0]`. The bounds checks stay the
 * same (offset + 4 against length + 4), so a load past the captured bytes still rejects.
 *
 * @module
 */
import type { CbpfInstruction } from "../bpf/mod.ts";
import { PcapError } from "./pcap_error.ts";

const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, RET = 0x06;
const W = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
/** Bytes of the wire-length prefix. */
export const WIRE_PREFIX = 4;
const MEMWORDS = 16;

/**
 * Rewrites a classic program to read its packet after a 4-byte wire-length prefix.
 *
 * @param program A valid classic program.
 * @returns The program for `[wire length (big-endian u32)][packet bytes]`.
 * @throws {PcapError} `bad-filter-expression` when the program uses `ldx len` and every scratch
 *   word (there is none left to hold the length).
 */
export function prefixWireLength(program: readonly CbpfInstruction[]): CbpfInstruction[] {
  const usesLdxLen = program.some((i) => i.code === (LDX | W | LEN));
  let spare = -1;
  if (usesLdxLen) {
    const used = new Set<number>();
    for (const i of program) {
      const cls = i.code & 7;
      if (cls === ST || cls === STX || ((cls === LD || cls === LDX) && (i.code & 0xe0) === MEM)) {
        used.add(i.k);
      }
    }
    for (let w = MEMWORDS - 1; w >= 0; w--) {
      if (!used.has(w)) {
        spare = w;
        break;
      }
    }
    if (spare < 0) {
      throw new PcapError(
        "bad-filter-expression",
        "Cannot run the program in the eBPF VM: it loads the length into X and uses every scratch word",
      );
    }
  }
  const out: CbpfInstruction[] = [];
  if (usesLdxLen) {
    // M[spare] = wire length; A back to 0 as at the start of a classic program.
    out.push(
      { code: LD | W | ABS, jt: 0, jf: 0, k: 0 },
      { code: ST, jt: 0, jf: 0, k: spare },
      { code: LD, jt: 0, jf: 0, k: 0 },
    );
  }
  for (const ins of program) {
    const cls = ins.code & 7, mode = ins.code & 0xe0;
    const k = ins.k >>> 0;
    if ((cls === LD && (mode === ABS || mode === IND)) || (cls === LDX && mode === MSH)) {
      // An offset that overflows 32 bits is past any packet: the load always fails.
      out.push(
        k + WIRE_PREFIX > 0xffffffff
          ? { code: RET, jt: 0, jf: 0, k: 0 }
          : { ...ins, k: k + WIRE_PREFIX },
      );
    } else if (ins.code === (LD | W | LEN)) {
      out.push({ code: LD | W | ABS, jt: 0, jf: 0, k: 0 });
    } else if (ins.code === (LDX | W | LEN)) {
      out.push({ code: LDX | MEM, jt: 0, jf: 0, k: spare });
    } else out.push({ ...ins });
  }
  return out;
}
