/**
 * The verifier's rules for typed program contexts (`programType`): context fields read and
 * written as the type's layout allows (`_prog_contexts.ts`), `data`/`data_end` loaded as packet
 * pointers (their loads recorded for rewriting into 64-bit loads), packet accesses allowed only
 * below a range learnt from comparisons with `data_end` (Linux's `find_good_pkt_pointers`), and
 * helpers that change the packet forgetting every packet pointer.
 *
 * @module
 */
import type { CtxLayout } from "./_prog_contexts.ts";
import {
  ptr,
  PTR_PACKET,
  PTR_PACKET_END,
  type Reg,
  scalar,
  UNKNOWN,
  withRange,
} from "./_verify_values.ts";
import type { State } from "./_verify_state.ts";
import { mapAllSpills } from "./_verify_stack.ts";
import type { Walker } from "./_verify_walk.ts";

/** The largest packet offset Linux tracks (`MAX_PACKET_OFF`). */
const MAX_PACKET_OFF = 0xffff;

/** Scalars of 1, 2, 4 and 8 bytes about which nothing is known, by size. */
function unknownOf(size: number): Reg {
  return size >= 8 ? UNKNOWN : scalar(0n, (1n << BigInt(size * 8)) - 1n);
}

/**
 * Checks an access to a typed context at `[R<k> + off]` and returns what a read loads.
 *
 * @param w The walk.
 * @param i The instruction index.
 * @param k The base register.
 * @param p Its value (a context pointer).
 * @param off The instruction's offset.
 * @param size The access size.
 * @param write Whether it writes.
 * @param value What a write stores.
 * @param layout The context's layout.
 * @returns The value read (a scalar or a packet pointer).
 */
export function ctxAccess(
  w: Walker,
  i: number,
  k: number,
  p: Reg,
  off: number,
  size: number,
  write: boolean,
  value: Reg | null,
  layout: CtxLayout,
): Reg {
  if (p.off !== 0 || p.vmin !== 0 || p.vmax !== 0) {
    throw w.ctx.err(
      i,
      `dereference of modified ctx ptr R${k} off=${p.off + p.vmin} disallowed`,
    );
  }
  const bad = () =>
    w.ctx.err(
      i,
      `invalid bpf_context access off=${off} size=${size} (${layout.name}, ${layout.size} bytes)`,
    );
  if (off < 0 || off + size > layout.size) throw bad();
  if (layout.fields === null) {
    // Tracing contexts: aligned reads anywhere, never writes.
    if (write || off % size !== 0) throw bad();
    return unknownOf(size);
  }
  const f = layout.fields.find((x) => x.off <= off && off + size <= x.off + x.size);
  if (f === undefined) throw bad();
  if (f.kind === "none") {
    throw w.ctx.err(
      i,
      `invalid bpf_context access off=${off} size=${size}: ${layout.name}.${f.name} (a kernel pointer) is not available off-kernel`,
    );
  }
  if (write) {
    if (!f.write || (value !== null && value.t !== 1)) throw bad();
    return UNKNOWN;
  }
  if (f.kind === "scalar") {
    w.plainAccess(i);
    return unknownOf(size);
  }
  if (off !== f.off || size !== 4) throw bad();
  w.ctxLoad(i, f.kernelOff!);
  return f.kind === "pkt" ? ptr(PTR_PACKET, 0, -1, 0) : ptr(PTR_PACKET_END, 0, -1, 0);
}

/**
 * Checks an access through a packet pointer of a typed context: inside the range learnt for it.
 *
 * @param w The walk.
 * @param i The instruction index.
 * @param k The base register.
 * @param p Its value.
 * @param off The instruction's offset.
 * @param size The access size.
 */
export function packetAccess(
  w: Walker,
  i: number,
  k: number,
  p: Reg,
  off: number,
  size: number,
): void {
  const at = p.off + off;
  if (p.vmin < 0 || at < 0 || p.vmax + at + size > MAX_PACKET_OFF) {
    throw w.ctx.err(
      i,
      `R${k} offset is outside of the packet: off=${at} var_off=[${p.vmin},${p.vmax}]`,
    );
  }
  if (at + size > p.range) {
    throw w.ctx.err(
      i,
      `invalid access to packet, off=${at} size=${size}, R${k}(id=${p.id},off=${p.off},r=${p.range})\n` +
        `R${k} offset is outside of the packet (check it against data_end first)`,
    );
  }
}

/**
 * What a comparison of a packet pointer with `data_end` proves on one side: every packet
 * pointer with the compared one's variable offset has at least its constant offset of bytes.
 *
 * @param st The state of that side.
 * @param pkt The compared packet pointer.
 */
export function learnPacketRange(st: State, pkt: Reg): void {
  if (pkt.off <= 0 || pkt.vmin < 0 || pkt.vmax + pkt.off > MAX_PACKET_OFF) return;
  const fix = (r: Reg): Reg =>
    r.t === PTR_PACKET && r.id === pkt.id && r.range < pkt.off ? withRange(r, pkt.off) : r;
  for (const f of st.frames) {
    for (let k = 0; k < f.regs.length; k++) f.regs[k] = fix(f.regs[k]);
    mapAllSpills(st, f.stack, fix);
  }
}

/**
 * After a helper that may move or resize the packet (`bpf_xdp_adjust_head`,
 * `bpf_skb_store_bytes` …): every packet pointer becomes an unknown number.
 *
 * @param st The state.
 */
export function forgetPacket(st: State): void {
  const fix = (r: Reg): Reg => r.t === PTR_PACKET || r.t === PTR_PACKET_END ? UNKNOWN : r;
  for (const f of st.frames) {
    for (let k = 0; k < f.regs.length; k++) f.regs[k] = fix(f.regs[k]);
    mapAllSpills(st, f.stack, fix);
  }
}
