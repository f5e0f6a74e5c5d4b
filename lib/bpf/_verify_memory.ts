/**
 * The verifier's memory checks: an access through a pointer must match the pointer's type and
 * stay inside its region — the context, the packet (up to its largest size), a map value, or the
 * stack of a live frame, whose bytes are read only after they are written. Stack stores remember
 * spilled registers so that a later load gets them back.
 *
 * @module
 */
import {
  constant,
  isConst,
  NOT_INIT,
  PTR_CTX,
  PTR_MAP_VALUE,
  PTR_PACKET,
  PTR_STACK,
  type Reg,
  SCALAR,
  scalar,
  TYPE_NAME,
  U64,
  UNKNOWN,
} from "./_verify_values.ts";
import { cloneStackOf, type Frame, type State } from "./_verify_state.ts";
import type { Walker } from "./_verify_walk.ts";

/**
 * Checks an access of `size` bytes at `[R<k> + off]`; for reads returns the loaded value, for
 * writes stores `value` (a scalar or a spilled register).
 */
export function checkAccess(
  w: Walker,
  i: number,
  st: State,
  k: number,
  off: number,
  size: number,
  kind: "read" | "write",
  value: Reg | null,
): Reg {
  const f = st.frames[st.frames.length - 1];
  const p = w.read(i, f.regs, k);
  const lo = p.off + off + p.vmin;
  const hi = p.off + off + p.vmax + size; // exclusive
  // The base register itself must point inside its region: the runtime resolves the region
  // from the base address before adding the instruction's offset.
  const base = p.off + p.vmin;
  switch (p.t) {
    case PTR_STACK: {
      const frame = st.frames[p.id];
      if (frame === undefined || p.id >= st.frames.length) {
        throw w.ctx.err(i, `R${k} invalid mem access: stack of a function that has returned`);
      }
      if (lo < -w.ctx.profile.stackSize || hi > 0) {
        throw w.ctx.err(
          i,
          `invalid ${kind === "read" ? "read from" : "write to"} stack R${k} off=${
            p.off + off + (lo < -w.ctx.profile.stackSize ? p.vmin : p.vmax)
          } size=${size}`,
        );
      }
      if (base < -w.ctx.profile.stackSize) {
        throw w.ctx.err(
          i,
          `R${k} invalid stack pointer off=${base}: below the ${w.ctx.profile.stackSize}-byte stack`,
        );
      }
      const sub = frame.subprog;
      w.subDepth[sub] = Math.max(w.subDepth[sub], -lo, -base);
      frame.stack.depth = Math.max(frame.stack.depth, -lo);
      if (p.vmin !== p.vmax) {
        // Variable offset: reads need every byte in range written; writes forget spills.
        if (kind === "read") {
          for (let b = lo; b < hi; b++) {
            if (!frame.stack.bytes.has(b)) {
              throw w.ctx.err(
                i,
                `invalid variable-offset read from stack R${k} var_off=[${lo},${hi}) size=${size}`,
              );
            }
          }
          return UNKNOWN;
        }
        const s = cloneStackOf(frame);
        for (let b = lo & ~7; b < hi; b += 8) s.spills.delete(b);
        return UNKNOWN;
      }
      return stackAccess(w, i, frame, k, lo, size, kind, value);
    }
    case PTR_CTX:
    case PTR_PACKET:
    case PTR_MAP_VALUE: {
      let limit: number;
      let what: string;
      if (p.t === PTR_MAP_VALUE) {
        limit = w.ctx.maps[p.map].valueSize;
        what = `invalid access to map value, value_size=${limit} off=${lo} size=${size}`;
      } else if (p.t === PTR_CTX) {
        limit = w.ctx.input.size;
        what = `invalid bpf_context access off=${lo} size=${size} (context size ${limit})`;
      } else {
        limit = w.ctx.input.size;
        what = `invalid access to packet, off=${lo} size=${size}, max packet size ${limit}`;
      }
      if (lo < 0 || hi > limit) throw w.ctx.err(i, what);
      if (base < 0) {
        throw w.ctx.err(
          i,
          `R${k} invalid mem access: pointer offset ${base} is before the start of the ${
            TYPE_NAME[p.t]
          }`,
        );
      }
      if (kind === "write" && value !== null && value.t !== SCALAR && p.t !== PTR_MAP_VALUE) {
        // Pointers may be stored, but they come back as scalars.
      }
      return kind === "read"
        ? scalar(0n, size === 8 ? U64 : (1n << BigInt(size * 8)) - 1n)
        : UNKNOWN;
    }
    case NOT_INIT:
      throw w.ctx.err(i, `R${k} !read_ok`);
    default:
      throw w.ctx.err(i, `R${k} invalid mem access '${TYPE_NAME[p.t]}'`);
  }
}

function stackAccess(
  w: Walker,
  i: number,
  frame: Frame,
  k: number,
  at: number,
  size: number,
  kind: "read" | "write",
  value: Reg | null,
): Reg {
  if (kind === "read") {
    for (let b = at; b < at + size; b++) {
      if (!frame.stack.bytes.has(b)) {
        throw w.ctx.err(i, `invalid read from stack R${k} off=${at} size=${size}`);
      }
    }
    if (size === 8 && (at & 7) === 0) {
      const s = frame.stack.spills.get(at);
      if (s !== undefined) return s;
    }
    if ((at & 7) === 0 || size < 8) {
      const s = frame.stack.spills.get(at & ~7);
      if (s !== undefined && isConst(s) && size < 8) {
        // Little-endian partial fill of a spilled constant.
        const shift = BigInt((at - (at & ~7)) * 8);
        if (at - (at & ~7) + size <= 8) {
          return constant((s.umin >> shift) & ((1n << BigInt(size * 8)) - 1n));
        }
      }
    }
    return scalar(0n, size === 8 ? U64 : (1n << BigInt(size * 8)) - 1n);
  }
  const s = cloneStackOf(frame);
  for (let b = at; b < at + size; b++) s.bytes.set(b, true);
  for (let b = at & ~7; b < at + size; b += 8) s.spills.delete(b);
  if (
    value !== null && (at & 7) === 0 && (size === 8 || (value.t === SCALAR && isConst(value)))
  ) {
    if (size === 8) s.spills.set(at, value);
    else if (value.t === SCALAR) {
      // A narrow constant store is only remembered when it fills a whole slot: skip.
    }
  } else if (value !== null && value.t !== SCALAR && size !== 8) {
    throw w.ctx.err(i, `invalid size of register spill`);
  }
  return UNKNOWN;
}
