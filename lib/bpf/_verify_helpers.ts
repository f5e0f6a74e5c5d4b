/**
 * The verifier's helper and map checks: `lddw` map references (by fd or index, and map value
 * addresses of array maps), and helper calls, checked against the helper's prototype
 * (`HelperPrototype`, as Linux's `bpf_func_proto`): argument types (numbers, maps, pointers to
 * keys, values and memory of a declared or argument-given size, read or written), what it
 * writes (forgotten in the stack), and what it returns (a number, or a map value that may be
 * null until checked). A call clobbers R1–R5.
 *
 * @module
 */
import type { BpfInstruction } from "./instruction.ts";
import { EBPF } from "./opcodes.ts";
import {
  constant,
  ptr,
  PTR_CTX,
  PTR_FUNC,
  PTR_MAP,
  PTR_MAP_OR_NULL,
  PTR_MAP_VALUE,
  PTR_MAP_VALUE_OR_NULL,
  PTR_MEM,
  PTR_MEM_OR_NULL,
  PTR_PACKET,
  PTR_STACK,
  type Reg,
  SCALAR,
  scalar,
  TYPE_NAME,
  UNINIT,
  UNKNOWN,
} from "./_verify_values.ts";
import { cloneState, type Frame, type State } from "./_verify_state.ts";
import { clobberStack, mapAllSpills } from "./_verify_stack.ts";
import { helperAccess } from "./_verify_memory.ts";
import { forgetPacket } from "./_verify_ctx.ts";
import { mapHelperMismatch } from "./_verify_map_helpers.ts";
import type { Walker } from "./_verify_walk.ts";

const { LDDW_SRC_IMM64, LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_VALUE_BY_FD } = EBPF;
const { LDDW_SRC_MAP_BY_IDX, LDDW_SRC_MAP_VALUE_BY_IDX, LDDW_SRC_CODE } = EBPF;

/**
 * The value an `lddw` loads: a constant, a map pointer, or a map value pointer.
 *
 * @param w The walk.
 * @param i The instruction index.
 * @param x The `lddw`.
 * @returns The register value.
 */
export function mapReference(w: Walker, i: number, x: BpfInstruction): Reg {
  const lo = BigInt(x.imm >>> 0);
  const hi = BigInt((x.imm2 ?? 0) >>> 0);
  switch (x.src) {
    case LDDW_SRC_IMM64:
      return constant((hi << 32n) | lo);
    case LDDW_SRC_CODE: // a callback: the instruction it starts at
      return ptr(PTR_FUNC, 0, w.ctx.target(i, x.imm), 0);
    case LDDW_SRC_MAP_BY_FD:
    case LDDW_SRC_MAP_BY_IDX:
    case LDDW_SRC_MAP_VALUE_BY_FD:
    case LDDW_SRC_MAP_VALUE_BY_IDX: {
      const m = x.imm;
      if (m < 0 || m >= w.ctx.maps.length) {
        throw w.ctx.err(i, `fd ${m} is not pointing to valid bpf_map`);
      }
      if (x.src === LDDW_SRC_MAP_BY_FD || x.src === LDDW_SRC_MAP_BY_IDX) {
        return ptr(PTR_MAP, 0, m, 0);
      }
      const off = x.imm2 ?? 0;
      if (w.ctx.maps[m].type !== "array") {
        throw w.ctx.err(
          i,
          `map value address of a ${w.ctx.maps[m].type} map: only array maps allowed`,
        );
      }
      if (off < 0 || off >= w.ctx.maps[m].valueSize) {
        throw w.ctx.err(
          i,
          `invalid access to map value pointer, value_size=${w.ctx.maps[m].valueSize} off=${off}`,
        );
      }
      return ptr(PTR_MAP_VALUE, off, m, 0);
    }
    default:
      throw w.ctx.err(i, `unsupported ldimm64 source ${x.src}`);
  }
}

/** Releases a reference: its pointers (registers and spills) become numbers. */
function release(st: State, id: number): void {
  st.refs = st.refs.filter((x) => x !== id);
  const fix = (r: Reg): Reg =>
    (r.t === PTR_MEM || r.t === PTR_MEM_OR_NULL) && r.id === id ? UNKNOWN : r;
  for (const f of st.frames) {
    for (let k = 0; k < f.regs.length; k++) f.regs[k] = fix(f.regs[k]);
    mapAllSpills(st, f.stack, fix);
  }
}

/** `bpf_tail_call`'s id. */
const TAIL_CALL = 12;
/** Helper ids below this are Linux's: a program type allows only its own. */
const LINUX_HELPERS = 212;

/** The largest byte count a helper's size argument may have. */
const MAX_SIZE = 1n << 29n;

/**
 * Checks a helper call's arguments against its prototype, applies what it writes, sets its
 * result in R0 and clobbers R1–R5. A helper without a prototype may get anything, may write
 * every byte of the stack of every frame (so no value spilled there survives), and returns an
 * unknown number.
 *
 * @param w The walk.
 * @param i The instruction index.
 * @param id The helper id.
 * @param st The state.
 * @returns The next instruction.
 */
export function helperCall(w: Walker, i: number, id: number, st: State): number {
  const f = st.frames[st.frames.length - 1];
  const r = f.regs;
  const proto = w.ctx.helpers?.prototype(id);
  const name = w.ctx.helpers?.name(id) ?? "unknown";
  const allowed = w.ctx.allowed;
  if (st.lock !== null && !(proto?.args.includes("spin-unlock") ?? false)) {
    throw w.ctx.err(i, "function calls are not allowed while holding a lock");
  }
  if (id === TAIL_CALL && st.refs.length > 0) {
    throw w.ctx.err(i, "tail_call would lead to reference leak");
  }
  if (allowed !== null && id < LINUX_HELPERS && !allowed.has(id)) {
    throw w.ctx.err(
      i,
      `unknown func bpf_${name}#${id}: ${w.ctx.programType} programs may not call it`,
    );
  }
  let ret: Reg = UNKNOWN;
  let constSize = -1;
  let callback = -1;
  if (proto === undefined) {
    for (const frame of st.frames) clobberStack(st, frame.stack);
  } else {
    let map = -1;
    const args = proto.args;
    for (let j = 0; j < args.length; j++) {
      const k = j + 1;
      const a = args[j];
      if (typeof a === "object") {
        pointerArg(w, i, r, k);
        let lo = a.size ?? 0, hi = a.size ?? 0;
        if (a.size === undefined) {
          const n = w.readScalar(i, r, k + 1);
          if (n.umax > MAX_SIZE) {
            throw w.ctx.err(
              i,
              `R${k + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`,
            );
          }
          if (n.umin === 0n && args[j + 1] === "size") {
            throw w.ctx.err(i, `R${k + 1} invalid zero-sized read: u64=[0,${n.umax}]`);
          }
          lo = Number(n.umin);
          hi = Number(n.umax);
        }
        helperAccess(w, i, st, k, lo, hi, a.mem !== "write", a.mem !== "read");
        continue;
      }
      switch (a) {
        case "anything":
          w.read(i, r, k);
          break;
        case "scalar":
        case "size":
        case "size-or-zero":
          w.readScalar(i, r, k);
          break;
        case "map": {
          const m = w.read(i, r, k);
          if (m.t !== PTR_MAP) throw w.ctx.err(i, `R${k} type=${TYPE_NAME[m.t]} expected=map_ptr`);
          map = m.map;
          const why = mapHelperMismatch(id, `bpf_${name}`, w.ctx.maps[map].type);
          if (why !== null) throw w.ctx.err(i, why);
          break;
        }
        case "map-key":
        case "map-value":
        case "map-value-or-null":
        case "map-value-out": {
          const m = w.ctx.maps[map];
          if (a === "map-value-or-null") {
            const v = w.read(i, r, k);
            if (v.t === SCALAR && v.umin === 0n && v.umax === 0n) break;
          }
          pointerArg(w, i, r, k);
          const size = a === "map-key" ? m.keySize : m.valueSize;
          if (size > 0) {
            // A bloom filter's peek reads the value it tests.
            const out = a === "map-value-out" && m.type !== "bloom_filter";
            helperAccess(w, i, st, k, size, size, !out, out);
          }
          break;
        }
        case "const-size": {
          const n = w.readScalar(i, r, k);
          if (n.umin !== n.umax || n.umax > MAX_SIZE) {
            throw w.ctx.err(i, `R${k} is not a known constant`);
          }
          constSize = Number(n.umin);
          break;
        }
        case "ringbuf-mem": {
          const p = w.read(i, r, k);
          if (p.t !== PTR_MEM) throw w.ctx.err(i, `R${k} type=${TYPE_NAME[p.t]} expected=mem`);
          if (p.off !== 0 || p.vmin !== 0 || p.vmax !== 0) {
            throw w.ctx.err(i, `R${k} must have zero offset when passed to release func`);
          }
          if (!st.refs.includes(p.id)) {
            throw w.ctx.err(i, `R${k} is an unacquired reference (released already?)`);
          }
          release(st, p.id);
          break;
        }
        case "ctx": {
          const c = w.read(i, r, k);
          if (c.t !== PTR_CTX) throw w.ctx.err(i, `R${k} type=${TYPE_NAME[c.t]} expected=ctx`);
          if (c.off !== 0 || c.vmin !== 0 || c.vmax !== 0) {
            throw w.ctx.err(i, `dereference of modified ctx ptr R${k} off=${c.off} disallowed`);
          }
          break;
        }
        case "string":
          pointerArg(w, i, r, k);
          helperAccess(w, i, st, k, 1, 1, true, false);
          break;
        case "func": {
          const fn = w.read(i, r, k);
          if (fn.t !== PTR_FUNC) throw w.ctx.err(i, `R${k} type=${TYPE_NAME[fn.t]} expected=func`);
          callback = fn.map;
          break;
        }
        case "spin-lock":
        case "spin-unlock":
          spinLock(w, i, st, k, a === "spin-lock");
          break;
      }
    }
    if (proto.returns === "map-value-or-null") {
      const m = w.ctx.maps[map];
      if (m.type === "array_of_maps" || m.type === "hash_of_maps") {
        const inner = m.inner === undefined ? -1 : w.ctx.maps.indexOf(m.inner);
        if (inner < 0) {
          throw w.ctx.err(i, `map of maps "${m.name}" has no inner map template in this VM`);
        }
        ret = ptr(PTR_MAP_OR_NULL, 0, inner, st.nextId++);
      } else ret = ptr(PTR_MAP_VALUE_OR_NULL, 0, map, st.nextId++);
    } else if (proto.returns === "map-value") {
      ret = ptr(PTR_MAP_VALUE, 0, map, 0);
    } else if (proto.returns === "ringbuf-mem-or-null") {
      ret = ptr(PTR_MEM_OR_NULL, 0, -1, st.nextId++, constSize);
      st.refs = [...st.refs, ret.id];
    }
    if (proto.changesPacket) forgetPacket(st);
  }
  if (callback >= 0) return loopCallback(w, i, st, callback);
  r[0] = ret;
  for (let k = 1; k <= 5; k++) r[k] = UNINIT;
  return i + 1;
}

/** `bpf_loop`'s most iterations (Linux's `BPF_MAX_LOOPS`). */
const MAX_LOOPS = 1n << 23n;

/**
 * `bpf_loop(nr_loops, callback, ctx, flags)`: the callback is walked as a subprogram called here,
 * with R1 the index (a number below `nr_loops`'s largest value) and R2 the context (a stack
 * pointer or 0); its exit checks that R0 is 0 or 1, gives the caller an unknown R0, and, when the
 * callback may have asked for more, enters it again with what it left in the caller's memory
 * until those states converge (the walker's exit).
 */
function loopCallback(w: Walker, i: number, st: State, target: number): number {
  const caller = st.frames[st.frames.length - 1];
  const r = caller.regs;
  const n = r[1], ctx = r[3];
  if (!(ctx.t === PTR_STACK || (ctx.t === SCALAR && ctx.umin === 0n && ctx.umax === 0n))) {
    throw w.ctx.err(i, `R3 type=${TYPE_NAME[ctx.t]} expected=fp`);
  }
  if (st.frames.length >= w.ctx.profile.maxCallDepth) {
    throw w.ctx.err(i, `the call stack of ${st.frames.length + 1} frames is too deep`);
  }
  const most = n.umax < MAX_LOOPS ? n.umax : MAX_LOOPS;
  r[0] = UNKNOWN;
  for (let k = 1; k <= 5; k++) r[k] = UNINIT;
  const index = scalar(0n, most > 0n ? most - 1n : 0n);
  enterCallback(w, st, callbackFrame(w, st, target, index, ctx, i + 1));
  return target;
}

/**
 * A `bpf_loop` callback's frame for a state (not pushed yet): R1 the index, R2 the context, its
 * own stack, returning to `returnTo`.
 *
 * @param w The walk.
 * @param st The state it is for.
 * @param target The callback's first instruction.
 * @param index R1.
 * @param ctx R2.
 * @param returnTo Where the caller continues.
 * @returns The frame.
 */
export function callbackFrame(
  w: Walker,
  st: State,
  target: number,
  index: Reg,
  ctx: Reg,
  returnTo: number,
): Frame {
  const regs: Reg[] = new Array(11).fill(UNINIT);
  regs[1] = index;
  regs[2] = ctx;
  regs[10] = ptr(PTR_STACK, 0, -1, st.frames.length);
  return { regs, stack: w.newFrameStack(target), returnTo, subprog: w.cfg.subOf[target] };
}

/**
 * Pushes a callback's frame onto a state and records, in the frame, a copy of the state at this
 * entry (what a later entry is compared with).
 *
 * @param w The walk.
 * @param st The state.
 * @param f The frame from {@linkcode callbackFrame}.
 */
export function enterCallback(w: Walker, st: State, f: Frame): void {
  st.frames.push(f);
  const entry = cloneState(st, w.tokens).frames;
  f.callback = { target: w.cfg.subStart[f.subprog], index: f.regs[1], ctx: f.regs[2], entry };
}

/** A helper argument that must point to memory (the stack, the packet, the context, a map value). */
function pointerArg(w: Walker, i: number, r: Reg[], k: number): void {
  const p = w.read(i, r, k);
  if (
    p.t !== PTR_STACK && p.t !== PTR_PACKET && p.t !== PTR_CTX && p.t !== PTR_MAP_VALUE &&
    p.t !== PTR_MEM
  ) {
    throw w.ctx.err(i, `R${k} type=${TYPE_NAME[p.t]} expected=fp, pkt, map_value, mem`);
  }
}

/** Program types that may not use `bpf_spin_lock` (Linux: "tracing progs"). */
const TRACING_TYPES = new Set([
  "kprobe",
  "tracepoint",
  "raw_tracepoint",
  "raw_tracepoint_writable",
  "perf_event",
]);

/**
 * `bpf_spin_lock`/`bpf_spin_unlock`'s argument, as Linux's `process_spin_lock`: a map value
 * pointer at the constant offset of the value's `struct bpf_spin_lock`; one lock at a time,
 * released by the lock that took it.
 */
function spinLock(w: Walker, i: number, st: State, k: number, lock: boolean): void {
  const p = w.read(i, st.frames[st.frames.length - 1].regs, k);
  if (p.t !== PTR_MAP_VALUE) throw w.ctx.err(i, `R${k} type=${TYPE_NAME[p.t]} expected=map_value`);
  const m = w.ctx.maps[p.map];
  if (TRACING_TYPES.has(w.ctx.programType)) {
    throw w.ctx.err(i, "tracing progs cannot use bpf_spin_lock yet");
  }
  if (m.spinLock < 0) throw w.ctx.err(i, `map '${m.name}' has no valid bpf_spin_lock`);
  if (p.vmin !== p.vmax) {
    throw w.ctx.err(
      i,
      `R${k} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`,
    );
  }
  const off = p.off + p.vmin;
  if (off !== m.spinLock) {
    throw w.ctx.err(
      i,
      `off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${m.spinLock}`,
    );
  }
  const key = `${p.map}:${p.id}`;
  if (lock) {
    if (st.lock !== null) throw w.ctx.err(i, "Locking two bpf_spin_locks are not allowed");
    st.lock = key;
  } else {
    if (st.lock === null) throw w.ctx.err(i, "bpf_spin_unlock without taking a lock");
    if (st.lock !== key) throw w.ctx.err(i, "bpf_spin_unlock of different lock");
    st.lock = null;
  }
}
