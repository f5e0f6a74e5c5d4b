/**
 * The verifier's memory checks: an access through a pointer must match the pointer's type and
 * stay inside its region — the context, the packet (up to its largest size), a map value, or the
 * stack of a live frame, whose bytes are read only after they are written. Stack stores remember
 * what they store, by byte range (`_verify_stack.ts`): a spilled register comes back with its type,
 * a narrower scalar (a 4-byte loop counter) with its value.
 *
 * @module
 */
import {
  constant,
  NOT_INIT,
  PTR_CTX,
  PTR_MAP_VALUE,
  PTR_MEM,
  PTR_PACKET,
  PTR_STACK,
  type Reg,
  SCALAR,
  scalar,
  truncated,
  TYPE_NAME,
  U64,
  UNKNOWN,
} from "./_verify_values.ts";
import {
  byteMask,
  getSlot,
  makeSlot,
  partAt,
  partCovering,
  setSlot,
  type Slot,
  writeParts,
} from "./_verify_stack.ts";
import type { Frame, State } from "./_verify_state.ts";
import type { Walker } from "./_verify_walk.ts";
import { ctxAccess, packetAccess } from "./_verify_ctx.ts";

/** What a memory access does: read, write a known value (or `null`: unknown bytes). */
export type AccessKind = "read" | "write";

/** Scalars of 1, 2 and 4 bytes about which nothing is known (by size). */
const UNKNOWN_BYTES: readonly Reg[] = [0, 1, 2, 3, 4, 5, 6, 7].map((n) =>
  n === 0 ? UNKNOWN : scalar(0n, (1n << BigInt(n * 8)) - 1n)
);

/** A scalar of `size` bytes about which nothing is known. */
function unknownOf(size: number): Reg {
  return size < 8 ? UNKNOWN_BYTES[size] : UNKNOWN;
}

/**
 * Checks an access of `size` bytes at `[R<k> + off]`; for reads returns the loaded value, for
 * writes stores `value` (a scalar or a spilled register; `null`: bytes of unknown value).
 *
 * @param w The walk.
 * @param i The instruction index.
 * @param st The state.
 * @param k The base register.
 * @param off The offset.
 * @param size The size in bytes (1, 2, 4, 8, or a helper argument's size).
 * @param kind Read or write.
 * @param value What a write stores.
 * @returns The value read (reads), or an unknown scalar (writes).
 */
export function checkAccess(
  w: Walker,
  i: number,
  st: State,
  k: number,
  off: number,
  size: number,
  kind: AccessKind,
  value: Reg | null,
): Reg {
  const f = st.frames[st.frames.length - 1];
  const p = w.read(i, f.regs, k);
  const lo = p.off + off + p.vmin;
  const hi = p.off + off + p.vmax + size; // exclusive
  // The base register itself must point inside its region: the runtime resolves the region
  // from the base address before adding the instruction's offset.
  const base = p.off + p.vmin;
  const layout = w.ctx.layout;
  if (layout !== null) {
    if (p.t === PTR_CTX) {
      return ctxAccess(w, i, k, p, off, size, kind === "write", value, layout);
    }
    w.plainAccess(i);
    if (p.t === PTR_PACKET && layout.packet) {
      packetAccess(w, i, k, p, off, size);
      return kind === "read" ? unknownOf(size) : UNKNOWN;
    }
  }
  switch (p.t) {
    case PTR_STACK: {
      const frame = stackFrame(w, i, st, k, p, lo, hi, base, size, kind);
      if (p.vmin !== p.vmax) {
        // Variable offset: reads need every byte in range written; writes forget values.
        if (kind === "read") {
          if (!written(frame, lo, hi)) {
            throw w.ctx.err(
              i,
              `invalid variable-offset read from stack R${k} var_off=[${lo},${hi}) size=${size}`,
            );
          }
          return unknownOf(size);
        }
        forget(st, frame, lo, hi, 0);
        return UNKNOWN;
      }
      if (kind === "read") {
        if (!written(frame, lo, lo + size)) {
          throw w.ctx.err(i, `invalid read from stack R${k} off=${lo} size=${size}`);
        }
        return loadStack(frame, lo, size);
      }
      if (value !== null && value.t !== SCALAR && size !== 8) {
        throw w.ctx.err(i, `invalid size of register spill`);
      }
      storeStack(st, frame, lo, size, value);
      return UNKNOWN;
    }
    case PTR_CTX:
    case PTR_PACKET:
    case PTR_MEM:
    case PTR_MAP_VALUE: {
      regionBounds(w, i, k, p, lo, hi, base, size);
      if (
        kind === "write" && value !== null && value.t !== SCALAR && p.t !== PTR_MAP_VALUE &&
        layout !== null
      ) {
        throw w.ctx.err(i, `R${k} leaks addr into ${TYPE_NAME[p.t]}`);
      }
      if (kind === "write" && p.t === PTR_MAP_VALUE) mapWritable(w, i, p);
      return kind === "read" ? unknownOf(size) : UNKNOWN;
    }
    case NOT_INIT:
      throw w.ctx.err(i, `R${k} !read_ok`);
    default:
      throw w.ctx.err(i, `R${k} invalid mem access '${TYPE_NAME[p.t]}'`);
  }
}

/**
 * A helper's access to the memory an argument points to: `[R<k>, R<k> + maxSize)` must be in
 * bounds (and, when read, written); a write makes `[R<k>, R<k> + minSize)` written bytes of
 * unknown value and forgets every value stored in the whole range.
 *
 * @param w The walk.
 * @param i The instruction index.
 * @param st The state.
 * @param k The argument register.
 * @param minSize The fewest bytes accessed.
 * @param maxSize The most bytes accessed.
 * @param read Whether the helper reads them.
 * @param write Whether the helper writes them.
 */
export function helperAccess(
  w: Walker,
  i: number,
  st: State,
  k: number,
  minSize: number,
  maxSize: number,
  read: boolean,
  write: boolean,
): void {
  if (maxSize === 0) return;
  const f = st.frames[st.frames.length - 1];
  const p = w.read(i, f.regs, k);
  if (p.t !== PTR_STACK) {
    if (read) checkAccess(w, i, st, k, 0, maxSize, "read", null);
    if (write) checkAccess(w, i, st, k, 0, maxSize, "write", null);
    return;
  }
  const lo = p.off + p.vmin, hi = p.off + p.vmax + maxSize;
  const kind = write && !read ? "write" : "read";
  const frame = stackFrame(w, i, st, k, p, lo, hi, lo, maxSize, kind);
  if (read && !written(frame, lo, hi)) {
    throw w.ctx.err(
      i,
      p.vmin === p.vmax
        ? `invalid read from stack R${k} off=${lo} size=${maxSize}`
        : `invalid variable-offset read from stack R${k} var_off=[${lo},${hi}) size=${maxSize}`,
    );
  }
  if (write) forget(st, frame, lo, hi, p.vmin === p.vmax ? minSize : 0);
}

/** The frame a stack pointer points into, after checking the access is inside the stack. */
function stackFrame(
  w: Walker,
  i: number,
  st: State,
  k: number,
  p: Reg,
  lo: number,
  hi: number,
  base: number,
  size: number,
  kind: AccessKind,
): Frame {
  const frame = st.frames[p.id];
  if (frame === undefined) {
    throw w.ctx.err(i, `R${k} invalid mem access: stack of a function that has returned`);
  }
  const limit = w.ctx.profile.stackSize;
  if (lo < -limit || hi > 0) {
    throw w.ctx.err(
      i,
      `invalid ${kind === "read" ? "read from" : "write to"} stack R${k} off=${
        lo < -limit ? lo : hi - size
      } size=${size}`,
    );
  }
  if (base < -limit) {
    throw w.ctx.err(i, `R${k} invalid stack pointer off=${base}: below the ${limit}-byte stack`);
  }
  const sub = frame.subprog;
  const deepest = Math.max(-lo, -base);
  if (deepest > w.subDepth[sub]) w.subDepth[sub] = deepest;
  if (-lo > frame.stack.depth) frame.stack.depth = -lo;
  return frame;
}

/** Checks an access to the context, the packet or a map value against the region's size. */
function regionBounds(
  w: Walker,
  i: number,
  k: number,
  p: Reg,
  lo: number,
  hi: number,
  base: number,
  size: number,
): void {
  let limit: number;
  let what: string;
  if (p.t === PTR_MAP_VALUE) {
    limit = w.ctx.maps[p.map].valueSize;
    what = `invalid access to map value, value_size=${limit} off=${lo} size=${size}`;
  } else if (p.t === PTR_MEM) {
    limit = p.range;
    what = `invalid access to memory, mem_size=${limit} off=${lo} size=${size}`;
  } else if (p.t === PTR_CTX) {
    limit = w.ctx.input.size;
    what = `invalid bpf_context access off=${lo} size=${size} (context size ${limit})`;
  } else {
    limit = w.ctx.input.size;
    what = `invalid access to packet, off=${lo} size=${size}, max packet size ${limit}`;
  }
  if (lo < 0 || hi > limit) throw w.ctx.err(i, what);
  if (p.t === PTR_MAP_VALUE) {
    const lock = w.ctx.maps[p.map].spinLock;
    if (lock >= 0 && lo < lock + SPIN_LOCK_BYTES && hi > lock) {
      throw w.ctx.err(i, "bpf_spin_lock cannot be accessed directly by load/store");
    }
  }
  if (base < 0) {
    throw w.ctx.err(
      i,
      `R${k} invalid mem access: pointer offset ${base} is before the start of the ${
        TYPE_NAME[p.t]
      }`,
    );
  }
}

/** Writes into a map value: not when the map is read-only for programs (`.rodata`). */
function mapWritable(w: Walker, i: number, p: Reg): void {
  if (w.ctx.maps[p.map].flags & BPF_F_RDONLY_PROG) {
    throw w.ctx.err(i, `write into map forbidden, value_size=${w.ctx.maps[p.map].valueSize}`);
  }
}

/** `sizeof(struct bpf_spin_lock)`. */
const SPIN_LOCK_BYTES = 4;

/** `BPF_F_RDONLY_PROG`. */
const BPF_F_RDONLY_PROG = 128;

/** The slot holding byte `a` (a negative offset from the frame top) and the byte's place in it. */
function slotOf(a: number): number {
  return (-a - 1) >> 3;
}
function byteOf(a: number, s: number): number {
  return a + 8 * (s + 1);
}

/** Whether every byte of `[lo, hi)` was written. */
function written(frame: Frame, lo: number, hi: number): boolean {
  for (let a = lo; a < hi;) {
    const s = slotOf(a), b = byteOf(a, s);
    const n = Math.min(8 - b, hi - a);
    const slot = getSlot(frame.stack, s);
    const want = byteMask(b, n);
    if (slot === undefined || (slot.mask & want) !== want) return false;
    a += n;
  }
  return true;
}

/** Marks `[lo, lo + definite)` written and forgets the values stored anywhere in `[lo, hi)`. */
function forget(st: State, frame: Frame, lo: number, hi: number, definite: number): void {
  for (let a = lo; a < hi;) {
    const s = slotOf(a), b = byteOf(a, s);
    const n = Math.min(8 - b, hi - a);
    const old = getSlot(frame.stack, s);
    const sure = Math.max(0, Math.min(n, lo + definite - a));
    const mask = (old?.mask ?? 0) | (sure > 0 ? byteMask(b, sure) : 0);
    const touches = old?.parts.some((p) => p.b < b + n && p.b + p.size > b) ?? false;
    if (touches || mask !== (old?.mask ?? 0)) {
      const parts = writeParts(old, b, n, null);
      setSlot(st, frame.stack, s, makeSlot(frame.stack, s, mask, parts));
    }
    a += n;
  }
}

/** Stores `size` bytes at `at` (`value` null: unknown bytes). */
function storeStack(st: State, frame: Frame, at: number, size: number, value: Reg | null): void {
  const s = slotOf(at), b = byteOf(at, s);
  if (b + size > 8) {
    // Across two slots (unaligned): the bytes are written, their value is not remembered.
    forget(st, frame, at, at + size, size);
    return;
  }
  const old = getSlot(frame.stack, s);
  let v = value;
  if (v !== null && v.t === SCALAR && size < 8) v = truncated(v, size * 8);
  if (v !== null && v.t !== SCALAR && b !== 0) v = null; // a misaligned spill: bytes only
  const mask = (old?.mask ?? 0) | byteMask(b, size);
  const parts = writeParts(old, b, size, v);
  setSlot(st, frame.stack, s, makeSlot(frame.stack, s, mask, parts));
}

/** The value of `size` written bytes at `at`. */
function loadStack(frame: Frame, at: number, size: number): Reg {
  const s = slotOf(at), b = byteOf(at, s);
  if (b + size > 8) return unknownOf(size);
  const slot = getSlot(frame.stack, s)!;
  const exact = partAt(slot, b, size);
  if (exact !== undefined) return exact.reg;
  const cover = partCovering(slot, b, size);
  if (cover !== undefined && cover.reg.t === SCALAR) {
    // Little-endian: bytes at the start of a stored value are its low bytes.
    if (cover.b === b) return truncated(cover.reg, size * 8);
    if (cover.reg.umin === cover.reg.umax) {
      const v = cover.reg.umin >> BigInt((b - cover.b) * 8);
      return constant(v & ((1n << BigInt(size * 8)) - 1n));
    }
  }
  return constants(slot, b, size) ?? unknownOf(size);
}

/** The value of bytes `[b, b + size)` of a slot when known constants cover all of them. */
function constants(slot: Slot, b: number, size: number): Reg | null {
  let v = 0n;
  for (let x = b; x < b + size; x++) {
    const p = partCovering(slot, x, 1);
    if (p === undefined || p.reg.t !== SCALAR || p.reg.umin !== p.reg.umax) return null;
    const byte = (p.reg.umin >> BigInt((x - p.b) * 8)) & 0xffn;
    v |= byte << BigInt((x - b) * 8);
  }
  return constant(v & U64);
}
