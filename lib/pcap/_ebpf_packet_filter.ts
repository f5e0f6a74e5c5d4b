/**
 * Running a loaded eBPF packet program (XDP, socket filter, tc) as a capture filter: its verdict
 * on each Ethernet packet says whether the packet is kept.
 *
 * @module
 */
import type { LoadedBpfProgram } from "../bpf/mod.ts";
import type { PacketView } from "./packet_view.ts";

/** XDP verdicts that let the packet through (`XDP_PASS`, `XDP_TX`). */
const XDP_PASS = 2n, XDP_TX = 3n;
/** tc verdicts that drop the packet (`TC_ACT_SHOT`, `TC_ACT_STOLEN`, `TC_ACT_REDIRECT`). */
const TC_DROP: readonly bigint[] = [2n, 4n, 7n];

/**
 * Whether a program's verdict keeps a packet: XDP `XDP_PASS`/`XDP_TX`; a socket filter (or a
 * program of no type) a non-zero result; tc anything but shot, stolen or redirected.
 *
 * @param program The loaded program.
 * @param v The packet.
 * @returns Whether it is kept.
 */
export function ebpfAccepts(program: LoadedBpfProgram, v: PacketView): boolean {
  const r = program.run(v.buf.subarray(v.dataOffset, v.dataOffset + v.caplen));
  switch (program.programType) {
    case "xdp":
      return r === XDP_PASS || r === XDP_TX;
    case "sched_cls":
    case "sched_act":
      return !TC_DROP.includes(BigInt.asIntN(32, r) < 0n ? 0n : r & 0xffffffffn);
    default:
      return r !== 0n;
  }
}
