/**
 * The eBPF verifier: proves, before a program runs, that it is well formed and safe under a
 * profile's limits, in the manner of the Linux verifier.
 *
 * Two passes. The first builds the control-flow graph: every jump lands inside its subprogram and
 * not in the middle of an `lddw`, every instruction is reachable, every subprogram ends with
 * `exit` or a jump, loops (back edges) appear only when the profile allows bounded loops, calls
 * go to known helpers, the call graph has no cycle and is not too deep, and the program is not
 * longer than the profile allows.
 *
 * The second pass walks every path with an abstract state: each register is not initialised, a
 * scalar (with an unsigned range, exact when known), or a typed pointer — to the context, the
 * packet, the stack, a map value (possibly null until checked) or a map. Registers are read only
 * after they are written (R0 at exit; a call clobbers R1–R5 and keeps R6–R9), R10 is read-only,
 * memory accesses must match the pointer's type and stay in bounds, stack bytes are read only
 * after they are written, constant divisors are not zero. Known scalars are folded exactly, so a
 * loop with a constant bound is followed to its end; a state that repeats on the same path is an
 * infinite loop, and a walk longer than the profile's verifier budget is rejected.
 *
 * Rejections are `BpfError`s with code `"verify"`, the instruction index (slot) and a message in
 * the Linux verifier's words: `R2 !read_ok`, `unreachable insn 7`,
 * `invalid write to stack R10 off=8 size=8`.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { HelperRegistry } from "./helpers.ts";
import { decodeProgram, type Instruction, type Program } from "./instruction.ts";
import type { BpfMap } from "./maps.ts";
import { type BpfProfile, CLOUD } from "./profile.ts";

/** What `R1` points to when the program starts (and what `R2` holds: its length). */
export interface VerifyInput {
  /**
   * `"ctx"`: a region of exactly `size` bytes, every access checked against it here.
   * `"packet"`: a region of at most `size` bytes (its real length is in `R2`); accesses are
   * checked against `size` here and against the real length at run time.
   */
  kind: "ctx" | "packet";
  /** The size (`ctx`) or the largest size (`packet`) in bytes. */
  size: number;
}

/** Options for {@linkcode verify}. */
export interface VerifyOptions {
  /** The limits (default `cloud`). */
  profile?: BpfProfile;
  /**
   * The helpers a program may call. Helpers named `map_lookup_elem`, `map_update_elem` and
   * `map_delete_elem` get Linux's argument and return types. Default: none known, so every
   * helper call is rejected.
   */
  helpers?: HelperRegistry;
  /** The maps `lddw` may refer to: index = the fd (src 1, 2) or the index (src 5, 6). */
  maps?: readonly BpfMap[];
  /** What R1 points to at entry (default: a packet of up to 65,535 bytes). */
  input?: VerifyInput;
}

/** What the verifier learnt about an accepted program. */
export interface VerifyReport {
  /** Logical instructions (an `lddw` counts once). */
  instructions: number;
  /** 8-byte slots. */
  slots: number;
  /** Instructions walked by the second pass. */
  steps: number;
  /** Subprograms (1 + local call targets). */
  subprograms: number;
  /** The deepest chain of frames (1 without local calls). */
  callDepth: number;
  /** The most stack bytes any one frame uses (a multiple of 8). */
  frameStack: number;
  /** Stack bytes the program needs: `frameStack × callDepth`. */
  stackBytes: number;
  /** Whether the program has loops (back edges). */
  hasLoops: boolean;
}

// Register types.
const NOT_INIT = 0,
  SCALAR = 1,
  PTR_CTX = 2,
  PTR_PACKET = 3,
  PTR_STACK = 4,
  PTR_MAP_VALUE = 5,
  PTR_MAP_VALUE_OR_NULL = 6,
  PTR_MAP = 7;
const TYPE_NAME = ["?", "scalar", "ctx", "pkt", "fp", "map_value", "map_value_or_null", "map_ptr"];

const U64 = (1n << 64n) - 1n;
const U32 = 0xffffffffn;
const S64_MIN = 1n << 63n;

/** An abstract register value; treated as immutable. */
interface Reg {
  readonly t: number;
  /** Scalars: unsigned range. */
  readonly umin: bigint;
  readonly umax: bigint;
  /** Pointers: constant offset and variable offset range. */
  readonly off: number;
  readonly vmin: number;
  readonly vmax: number;
  /** Map pointers and map values: the map's index in `options.maps`. */
  readonly map: number;
  /** Stack pointers: the frame; maybe-null map values: the lookup's id. */
  readonly id: number;
}

const UNINIT: Reg = Object.freeze({
  t: NOT_INIT,
  umin: 0n,
  umax: 0n,
  off: 0,
  vmin: 0,
  vmax: 0,
  map: -1,
  id: 0,
});
const UNKNOWN: Reg = scalar(0n, U64);

function scalar(umin: bigint, umax: bigint): Reg {
  return { t: SCALAR, umin, umax, off: 0, vmin: 0, vmax: 0, map: -1, id: 0 };
}
function constant(v: bigint): Reg {
  const u = v & U64;
  return scalar(u, u);
}
function ptr(t: number, off: number, map: number, id: number): Reg {
  return { t, umin: 0n, umax: 0n, off, vmin: 0, vmax: 0, map, id };
}
function isConst(r: Reg): boolean {
  return r.t === SCALAR && r.umin === r.umax;
}

/** Stack of one frame: initialised bytes and spilled registers, by offset from the frame top. */
interface Stack {
  bytes: Map<number, true>;
  spills: Map<number, Reg>;
  depth: number; // deepest byte used (positive)
}

interface Frame {
  regs: Reg[]; // R0..R10
  stack: Stack;
  returnTo: number; // instruction index to continue at after exit, -1 for the main frame
  subprog: number;
}

interface State {
  frames: Frame[];
  loopSeen: Map<number, string>; // loop header → last fingerprint on this path
  nextId: number;
}

type Work = { kind: "state"; at: number; st: State } | { kind: "close"; at: number; key: string };

/**
 * Verifies a program (decoded, or bytecode to decode strictly first).
 *
 * @param program The program or its bytecode.
 * @param options The profile, helpers, maps and input description.
 * @returns What was learnt; throws a `BpfError` (`"verify"`, or `"decode"` for bad bytecode)
 *   with the instruction index on rejection.
 * @example
 * ```ts
 * import { verify } from "./verifier.ts";
 * import { programOf } from "./instruction.ts";
 * import assert from "node:assert/strict";
 * const ok = programOf([
 *   { opcode: 0xb7, dst: 0, src: 0, offset: 0, imm: 1 }, // mov r0, 1
 *   { opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 }, // exit
 * ]);
 * assert.equal(verify(ok).instructions, 2);
 * const bad = programOf([
 *   { opcode: 0xbf, dst: 0, src: 3, offset: 0, imm: 0 }, // mov r0, r3
 *   { opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 },
 * ]);
 * assert.throws(() => verify(bad), /R3 !read_ok \(at insn 0\)/);
 * ```
 */
export function verify(program: Program | Uint8Array, options: VerifyOptions = {}): VerifyReport {
  const prog = program instanceof Uint8Array ? decodeProgram(program) : program;
  return new Verifier(prog, options).run();
}

const R1_5 = 0b111110;

/**
 * The registers one instruction reads and writes, as bit sets (bit r for register r), in
 * `out`: [0] the operands an ALU instruction reads to compute its destination, [1] every other
 * read (branch operands, addresses, stored values, helper and call arguments, R0 at exit),
 * [2] what it writes (never r10).
 */
function registerEffects(x: Instruction, out: Uint16Array): void {
  const cls = x.opcode & 7, op = x.opcode & 0xf0, useX = (x.opcode & 8) !== 0;
  let f = 0, u = 0, d = 0;
  if (cls === 4 || cls === 7) {
    if (op !== 0xb0) f |= 1 << x.dst;
    if (useX && op !== 0xd0 && op !== 0x80) f |= 1 << x.src;
    d |= 1 << x.dst;
  } else if (cls === 5 || cls === 6) {
    if (x.opcode === 0x95) u |= 1;
    else if (x.opcode === 0x85 || x.opcode === 0x8d) {
      u |= R1_5;
      if (x.opcode === 0x8d) u |= 1 << x.dst;
      d |= 1 | R1_5;
    } else if (op !== 0x00) {
      u |= 1 << x.dst;
      if (useX) u |= 1 << x.src;
    }
  } else if (cls === 0) {
    if (x.opcode === 0x18) d |= 1 << x.dst;
    else {
      if ((x.opcode & 0xe0) === 0x40) u |= 1 << x.src;
      d |= 1 | R1_5;
    }
  } else if (cls === 1) {
    u |= 1 << x.src;
    d |= 1 << x.dst;
  } else if (cls === 2) u |= 1 << x.dst;
  else {
    u |= (1 << x.dst) | (1 << x.src);
    if ((x.opcode & 0xe0) === 0xc0) {
      if (x.imm === 0xf1) u |= 1;
      d |= x.imm === 0xf1 ? 1 : (x.imm & 1) ? 1 << x.src : 0;
    }
  }
  out[0] = f;
  out[1] = u;
  out[2] = d & ~(1 << 10);
}

class Verifier {
  #p: Program;
  #ins: Instruction[];
  #profile: BpfProfile;
  #helpers: HelperRegistry | undefined;
  #maps: readonly BpfMap[];
  #input: VerifyInput;
  #n: number;
  #subOf: Int32Array; // instruction → subprogram number
  #subStart: number[] = []; // subprogram → first instruction
  #pruneAt: Uint8Array; // instructions where states are remembered
  #loopHeader: Uint8Array;
  #seen: Map<string, boolean>[]; // per instruction: fingerprint → closed?
  #steps = 0;
  #hasLoops = false;
  #callDepth = 1;
  #subDepth: number[] = []; // deepest stack use per subprogram
  #live: Uint16Array = new Uint16Array(0); // registers read before written from each insn on
  #precise: Uint16Array = new Uint16Array(0); // registers whose scalar value can matter for safety

  constructor(p: Program, o: VerifyOptions) {
    this.#p = p;
    this.#ins = p.instructions;
    this.#n = p.instructions.length;
    this.#profile = o.profile ?? CLOUD;
    this.#helpers = o.helpers;
    this.#maps = o.maps ?? [];
    this.#input = o.input ?? { kind: "packet", size: 65535 };
    this.#subOf = new Int32Array(this.#n);
    this.#pruneAt = new Uint8Array(this.#n);
    this.#loopHeader = new Uint8Array(this.#n);
    this.#seen = [];
  }

  run(): VerifyReport {
    this.#cfg();
    this.#walk();
    const frameStack = Math.max(0, ...this.#subDepth.map((d) => (d + 7) & ~7));
    const stackBytes = frameStack * this.#callDepth;
    if (stackBytes > this.#profile.stackSize) {
      throw this.#err(
        0,
        `combined stack size of ${this.#callDepth} calls is ${stackBytes}. Too large for the ${this.#profile.name} profile (${this.#profile.stackSize})`,
      );
    }
    return {
      instructions: this.#n,
      slots: this.#p.slotCount,
      steps: this.#steps,
      subprograms: this.#subStart.length,
      callDepth: this.#callDepth,
      frameStack,
      stackBytes,
      hasLoops: this.#hasLoops,
    };
  }

  #slot(i: number): number {
    return i < this.#n ? this.#p.pcs[i] : this.#p.slotCount;
  }

  #err(i: number, message: string): BpfError {
    return new BpfError("verify", message, { pc: this.#slot(i) });
  }

  // ---------------------------------------------------------------- pass 1: control flow

  /** The instruction index a jump from `i` with slot delta `delta` lands on (checked). */
  #target(i: number, delta: number): number {
    const slot = this.#p.pcs[i] + 1 + delta;
    if (slot < 0 || slot >= this.#p.slotCount) {
      throw this.#err(i, `jump out of range from insn ${this.#p.pcs[i]} to ${slot}`);
    }
    const t = this.#p.indexOfSlot[slot];
    if (t < 0) throw this.#err(i, `jump into the middle of ldimm64 insn ${slot - 1}`);
    return t;
  }

  #cfg(): void {
    const n = this.#n;
    const ins = this.#ins;
    if (n === 0) throw new BpfError("verify", "empty program: no instructions", { pc: 0 });
    if (this.#p.slotCount > this.#profile.maxInstructions) {
      throw new BpfError(
        "verify",
        `program of ${this.#p.slotCount} instructions is too large for the ${this.#profile.name} profile (max ${this.#profile.maxInstructions})`,
        { pc: this.#profile.maxInstructions },
      );
    }
    // Subprogram entries.
    const entries = new Set<number>([0]);
    for (let i = 0; i < n; i++) {
      const x = ins[i];
      if (x.opcode === 0x85 && x.src === 1) entries.add(this.#target(i, x.imm));
      else if (x.opcode === 0x85 && x.src === 0) {
        if (!this.#helpers?.has(x.imm >>> 0)) {
          throw this.#err(i, `invalid func unknown#${x.imm >>> 0}`);
        }
      } else if (x.opcode === 0x85) {
        throw this.#err(i, `unsupported call to a BTF function ${x.imm}`);
      } else if (x.opcode === 0x18 && x.src !== 0) {
        if (x.src === 3 || x.src === 4) throw this.#err(i, `unsupported ldimm64 source ${x.src}`);
        if (x.imm < 0 || x.imm >= this.#maps.length) {
          throw this.#err(i, `fd ${x.imm} is not pointing to valid bpf_map`);
        }
      } else if (x.opcode === 0x05 || x.opcode === 0x06) {
        // A chain of unconditional jumps that comes back to itself never ends.
        const visited = new Set<number>();
        let j = i;
        while (j < n && (ins[j].opcode === 0x05 || ins[j].opcode === 0x06) && !visited.has(j)) {
          visited.add(j);
          j = this.#target(j, ins[j].opcode === 0x06 ? ins[j].imm : ins[j].offset);
        }
        if (visited.has(j)) throw this.#err(i, `infinite loop detected at insn ${this.#p.pcs[i]}`);
      }
    }
    this.#subStart = [...entries].sort((a, b) => a - b);
    for (let s = 0; s < this.#subStart.length; s++) {
      const end = s + 1 < this.#subStart.length ? this.#subStart[s + 1] : n;
      for (let i = this.#subStart[s]; i < end; i++) this.#subOf[i] = s;
      const last = ins[end - 1];
      const op = last.opcode;
      if (op !== 0x95 && op !== 0x05 && op !== 0x06) {
        throw this.#err(end - 1, "last insn is not an exit or jmp");
      }
      this.#subDepth.push(0);
    }
    // Successors, in-subprogram jumps.
    const succ: number[][] = [];
    const calls: number[][] = this.#subStart.map(() => []);
    for (let i = 0; i < n; i++) {
      const x = ins[i];
      const cls = x.opcode & 7;
      const out: number[] = [];
      if (cls === 5 || cls === 6) {
        const op = x.opcode & 0xf0;
        if (x.opcode === 0x95) { /* exit */ }
        else if (op === 0x80) {
          if (x.src === 1 && x.opcode === 0x85) {
            const t = this.#target(i, x.imm);
            calls[this.#subOf[i]].push(this.#subOf[t]);
          }
          out.push(i + 1);
        } else {
          const t = this.#target(i, x.opcode === 0x06 && op === 0 ? x.imm : x.offset);
          if (this.#subOf[t] !== this.#subOf[i]) {
            throw this.#err(
              i,
              `jump out of range from insn ${this.#p.pcs[i]} to ${this.#p.pcs[t]}`,
            );
          }
          if (op !== 0) out.push(i + 1);
          out.push(t);
        }
      } else out.push(i + 1);
      succ.push(out);
    }
    // Reachability and back edges: iterative DFS per subprogram.
    const color = new Uint8Array(n); // 0 white, 1 on stack, 2 done
    const reachedSub = new Uint8Array(this.#subStart.length);
    const subQueue = [0];
    reachedSub[0] = 1;
    while (subQueue.length > 0) {
      const s = subQueue.pop()!;
      for (const c of calls[s]) {
        if (!reachedSub[c]) {
          reachedSub[c] = 1;
          subQueue.push(c);
        }
      }
      const stack: [number, number][] = [[this.#subStart[s], 0]];
      color[this.#subStart[s]] = 1;
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const [i, k] = top;
        if (k < succ[i].length) {
          top[1]++;
          const t = succ[i][k];
          if (color[t] === 1) {
            if (!this.#profile.boundedLoops) {
              throw this.#err(
                i,
                `back-edge from insn ${this.#p.pcs[i]} to ${this.#p.pcs[t]}`,
              );
            }
            this.#hasLoops = true;
            this.#loopHeader[t] = 1;
          } else if (color[t] === 0) {
            color[t] = 1;
            stack.push([t, 0]);
          }
        } else {
          color[i] = 2;
          stack.pop();
        }
      }
    }
    for (let i = 0; i < n; i++) {
      if (this.#loopHeader[i]) this.#pruneAt[i] = 1;
      if (color[i] === 0) throw this.#err(i, `unreachable insn ${this.#p.pcs[i]}`);
      const x = ins[i];
      const cls = x.opcode & 7;
      if ((cls === 5 || cls === 6) && (x.opcode & 0xf0) !== 0x80 && x.opcode !== 0x95) {
        for (const t of succ[i]) this.#pruneAt[t] = 1;
      }
    }
    // Call graph: no cycles, bounded depth.
    const depth = new Int32Array(this.#subStart.length).fill(-1);
    const onPath = new Uint8Array(this.#subStart.length);
    const depthOf = (s: number): number => {
      if (depth[s] >= 0) return depth[s];
      if (onPath[s]) {
        throw this.#err(
          this.#subStart[s],
          `recursive call to subprogram at insn ${this.#p.pcs[this.#subStart[s]]}`,
        );
      }
      onPath[s] = 1;
      let d = 1;
      for (const c of calls[s]) d = Math.max(d, 1 + depthOf(c));
      onPath[s] = 0;
      depth[s] = d;
      return d;
    };
    this.#callDepth = depthOf(0);
    if (this.#callDepth > this.#profile.maxCallDepth) {
      throw this.#err(
        0,
        `the call stack of ${this.#callDepth} frames is too deep for the ${this.#profile.name} profile (max ${this.#profile.maxCallDepth})`,
      );
    }
    for (let i = 0; i < n; i++) this.#seen.push(new Map());
    this.#liveness(succ);
    this.#precision(succ);
  }

  /** Backward data flow: for each instruction, the registers some path reads before writing. */
  #liveness(succ: number[][]): void {
    const n = this.#n;
    const use = new Uint16Array(n), def = new Uint16Array(n);
    const fx = new Uint16Array(3);
    for (let i = 0; i < n; i++) {
      registerEffects(this.#ins[i], fx);
      use[i] = fx[0] | fx[1];
      def[i] = fx[2];
    }
    const live = new Uint16Array(n);
    for (let changed = true; changed;) {
      changed = false;
      for (let i = n - 1; i >= 0; i--) {
        let out = 0;
        for (const t of succ[i]) out |= live[t];
        const v = (use[i] | (out & ~def[i])) & 0x7ff;
        if (v !== live[i]) {
          live[i] = v;
          changed = true;
        }
      }
    }
    this.#live = live;
  }

  /**
   * Backward data flow like liveness, but a register counts only when its value can reach
   * something that safety or the path depends on: a branch condition, a memory address, a
   * stored value, a helper or local-call argument, a callee's return value. Scalars outside this
   * set are compared as "some scalar" when states are pruned, so programs that only accumulate
   * results do not multiply paths.
   */
  #precision(succ: number[][]): void {
    const n = this.#n;
    // sens: registers used sensitively; flow: for ALU, dst needed after ⇒ these needed before.
    const sens = new Uint16Array(n), def = new Uint16Array(n), flow = new Uint16Array(n);
    const dstOf = new Int8Array(n).fill(-1);
    const fx = new Uint16Array(3);
    for (let i = 0; i < n; i++) {
      const x = this.#ins[i];
      registerEffects(x, fx);
      const cls = x.opcode & 7;
      if (cls === 4 || cls === 7) dstOf[i] = x.dst;
      // The main program's exit value is the verdict, not something safety depends on.
      sens[i] = x.opcode === 0x95 && this.#subOf[i] === 0 ? 0 : fx[1];
      def[i] = fx[2];
      flow[i] = fx[0];
    }
    const need = new Uint16Array(n);
    for (let changed = true; changed;) {
      changed = false;
      for (let i = n - 1; i >= 0; i--) {
        let out = 0;
        for (const t of succ[i]) out |= need[t];
        let v = sens[i] | (out & ~def[i]);
        if (dstOf[i] >= 0 && (out >> dstOf[i]) & 1) v |= flow[i];
        v &= 0x7ff;
        if (v !== need[i]) {
          need[i] = v;
          changed = true;
        }
      }
    }
    this.#precise = need;
  }

  // ---------------------------------------------------------------- pass 2: abstract walk

  #walk(): void {
    const regs: Reg[] = new Array(11).fill(UNINIT);
    const inp = this.#input;
    regs[1] = ptr(inp.kind === "ctx" ? PTR_CTX : PTR_PACKET, 0, -1, 0);
    regs[2] = inp.kind === "ctx" ? constant(BigInt(inp.size)) : scalar(0n, BigInt(inp.size));
    regs[10] = ptr(PTR_STACK, 0, -1, 0);
    const start: State = {
      frames: [{ regs, stack: newStack(), returnTo: -1, subprog: 0 }],
      loopSeen: new Map(),
      nextId: 1,
    };
    const work: Work[] = [{ kind: "state", at: 0, st: start }];
    while (work.length > 0) {
      const w = work.pop()!;
      if (w.kind === "close") {
        this.#seen[w.at].set(w.key, true);
        continue;
      }
      this.#path(w.at, w.st, work);
    }
  }

  /** Follows one path until it ends, pushing the other sides of branches onto `work`. */
  #path(at: number, st: State, work: Work[]): void {
    let i = at;
    for (;;) {
      if (++this.#steps > this.#profile.maxVerifierSteps) {
        throw this.#err(
          i,
          `BPF program is too large. Processed ${this.#steps} insn (the ${this.#profile.name} profile's limit)`,
        );
      }
      if (this.#pruneAt[i]) {
        const key = fingerprint(st, this.#live[i], this.#precise[i]);
        if (this.#loopHeader[i]) {
          if (st.loopSeen.get(i) === key) {
            throw this.#err(i, `infinite loop detected at insn ${this.#p.pcs[i]}`);
          }
          st.loopSeen.set(i, key);
        }
        const seen = this.#seen[i].get(key);
        if (seen === true) return; // explored before from an identical state
        if (seen === false) throw this.#err(i, `infinite loop detected at insn ${this.#p.pcs[i]}`);
        this.#seen[i].set(key, false);
        work.push({ kind: "close", at: i, key });
      }
      const next = this.#step(i, st, work);
      if (next < 0) return;
      i = next;
    }
  }

  /** Executes instruction `i` abstractly; returns the next instruction or -1 at the end. */
  #step(i: number, st: State, work: Work[]): number {
    const x = this.#ins[i];
    const f = st.frames[st.frames.length - 1];
    const r = f.regs;
    const cls = x.opcode & 7;
    switch (cls) {
      case 4:
      case 7:
        this.#alu(i, x, r, cls === 7);
        return i + 1;
      case 5:
      case 6:
        return this.#jmp(i, x, st, work);
      case 0: {
        if (x.opcode === 0x18) {
          this.#writable(i, x.dst);
          r[x.dst] = this.#lddw(i, x);
          return i + 1;
        }
        // Legacy packet loads: read the input, clobber R1–R5, set R0.
        if ((x.opcode & 0xe0) === 0x40) this.#readScalar(i, r, x.src);
        r[0] = scalar(0n, [0xffffffffn, 0xffffn, 0xffn, U64][(x.opcode >> 3) & 3]);
        for (let k = 1; k <= 5; k++) r[k] = UNINIT;
        return i + 1;
      }
      case 1: {
        // ldx dst, [src + off]
        const size = [4, 2, 1, 8][(x.opcode >> 3) & 3];
        this.#writable(i, x.dst);
        const v = this.#access(i, st, x.src, x.offset, size, "read", null);
        const sx = (x.opcode & 0xe0) === 0x80;
        r[x.dst] = sx ? UNKNOWN : v;
        return i + 1;
      }
      case 2: {
        const size = [4, 2, 1, 8][(x.opcode >> 3) & 3];
        this.#access(i, st, x.dst, x.offset, size, "write", constant(BigInt(x.imm)));
        return i + 1;
      }
      default: {
        // STX: store or atomic.
        const size = [4, 2, 1, 8][(x.opcode >> 3) & 3];
        const v = this.#read(i, r, x.src);
        if ((x.opcode & 0xe0) === 0x60) {
          this.#access(i, st, x.dst, x.offset, size, "write", v);
          return i + 1;
        }
        if (v.t !== SCALAR) throw this.#err(i, `R${x.src} leaks addr into mem`);
        this.#access(i, st, x.dst, x.offset, size, "read", null);
        this.#access(i, st, x.dst, x.offset, size, "write", UNKNOWN);
        if (x.imm === 0xf1) { // cmpxchg: R0 compared and loaded
          this.#read(i, r, 0);
          r[0] = UNKNOWN;
        } else if (x.imm & 1) r[x.src] = UNKNOWN; // fetch variants load into src
        return i + 1;
      }
    }
  }

  #read(i: number, r: Reg[], k: number): Reg {
    if (r[k].t === NOT_INIT) throw this.#err(i, `R${k} !read_ok`);
    return r[k];
  }

  #readScalar(i: number, r: Reg[], k: number): Reg {
    const v = this.#read(i, r, k);
    if (v.t !== SCALAR) throw this.#err(i, `R${k} type=${TYPE_NAME[v.t]} expected=scalar`);
    return v;
  }

  #writable(i: number, k: number): void {
    if (k === 10) throw this.#err(i, "frame pointer is read only");
  }

  #lddw(i: number, x: Instruction): Reg {
    const lo = BigInt(x.imm >>> 0);
    const hi = BigInt((x.imm2 ?? 0) >>> 0);
    switch (x.src) {
      case 0:
        return constant((hi << 32n) | lo);
      case 1:
      case 5:
      case 2:
      case 6: {
        const m = x.imm;
        if (m < 0 || m >= this.#maps.length) {
          throw this.#err(i, `fd ${m} is not pointing to valid bpf_map`);
        }
        if (x.src === 1 || x.src === 5) return ptr(PTR_MAP, 0, m, 0);
        const off = x.imm2 ?? 0;
        if (this.#maps[m].type !== "array") {
          throw this.#err(
            i,
            `map value address of a ${this.#maps[m].type} map: only array maps allowed`,
          );
        }
        if (off < 0 || off >= this.#maps[m].valueSize) {
          throw this.#err(
            i,
            `invalid access to map value pointer, value_size=${this.#maps[m].valueSize} off=${off}`,
          );
        }
        return ptr(PTR_MAP_VALUE, off, m, 0);
      }
      default:
        throw this.#err(i, `unsupported ldimm64 source ${x.src}`);
    }
  }

  // ---------------------------------------------------------------- ALU

  #alu(i: number, x: Instruction, r: Reg[], is64: boolean): void {
    const op = x.opcode & 0xf0;
    const useX = (x.opcode & 8) !== 0;
    this.#writable(i, x.dst);
    if (op === 0xd0) { // byte swap
      const v = this.#readScalar(i, r, x.dst);
      r[x.dst] = isConst(v)
        ? constant(bswap(v.umin, x.imm, is64 || useX))
        : scalar(0n, x.imm === 64 ? U64 : (1n << BigInt(x.imm)) - 1n);
      return;
    }
    let src: Reg;
    if (op === 0xb0 && !useX) src = constant(is64 ? BigInt(x.imm) : BigInt(x.imm >>> 0));
    else if (useX) src = this.#read(i, r, x.src);
    else src = constant(is64 ? BigInt(x.imm) : BigInt(x.imm >>> 0));
    if (op === 0xb0) { // mov
      if (src.t !== SCALAR) {
        if (!is64) throw this.#err(i, `R${x.src} 32-bit pointer arithmetic prohibited`);
        if (x.offset !== 0) throw this.#err(i, `R${x.src} sign-extension of a pointer prohibited`);
        r[x.dst] = src;
        return;
      }
      r[x.dst] = movScalar(src, x.offset, is64);
      return;
    }
    if (op === 0x80) { // neg
      const v = this.#readScalar(i, r, x.dst);
      r[x.dst] = isConst(v) ? constant(trunc(-v.umin, is64)) : scalar(0n, is64 ? U64 : U32);
      return;
    }
    const dst = this.#read(i, r, x.dst);
    if ((op === 0x30 || op === 0x90) && !useX && x.imm === 0) {
      throw this.#err(i, "div by zero");
    }
    if (dst.t !== SCALAR || src.t !== SCALAR) {
      r[x.dst] = this.#ptrAlu(i, x, dst, src, op, is64);
      return;
    }
    r[x.dst] = scalarAlu(op, x.offset, dst, src, is64);
  }

  #ptrAlu(i: number, x: Instruction, dst: Reg, src: Reg, op: number, is64: boolean): Reg {
    const name = (t: number) => TYPE_NAME[t];
    if (!is64) throw this.#err(i, `R${x.dst} 32-bit pointer arithmetic prohibited`);
    if (dst.t === PTR_MAP_VALUE_OR_NULL || src.t === PTR_MAP_VALUE_OR_NULL) {
      throw this.#err(
        i,
        `R${x.dst} pointer arithmetic on map_value_or_null prohibited, null-check it first`,
      );
    }
    if (dst.t === PTR_MAP || src.t === PTR_MAP) {
      throw this.#err(i, `R${x.dst} pointer arithmetic on map_ptr prohibited`);
    }
    if (dst.t !== SCALAR && src.t !== SCALAR) {
      if (op === 0x10 && dst.t === src.t && (dst.t !== PTR_STACK || dst.id === src.id)) {
        return UNKNOWN; // pointer difference
      }
      throw this.#err(i, `R${x.dst} pointer ${op === 0x10 ? "-=" : "op"} pointer prohibited`);
    }
    if (op !== 0x00 && op !== 0x10) {
      const p = dst.t !== SCALAR ? dst : src;
      throw this.#err(i, `R${x.dst} ${ALU_NAME[op >> 4]} on pointer ${name(p.t)} prohibited`);
    }
    if (dst.t === SCALAR && op === 0x10) {
      throw this.#err(i, `R${x.dst} tried to subtract pointer from scalar`);
    }
    const p = dst.t !== SCALAR ? dst : src;
    const s = dst.t !== SCALAR ? src : dst;
    const sign = op === 0x10 ? -1 : 1;
    if (isConst(s)) {
      const k = toSigned(s.umin);
      const off = p.off + sign * Number(k);
      if (Math.abs(off) > 1 << 29) {
        throw this.#err(i, `R${x.dst} pointer offset ${off} out of range`);
      }
      return { ...p, off };
    }
    // Variable offset: must be bounded.
    if (s.umax > 1n << 29n) {
      throw this.#err(
        i,
        `R${x.dst} unbounded memory access, make sure to bounds check any such access`,
      );
    }
    const lo = Number(s.umin), hi = Number(s.umax);
    const vmin = sign > 0 ? p.vmin + lo : p.vmin - hi;
    const vmax = sign > 0 ? p.vmax + hi : p.vmax - lo;
    return { ...p, vmin, vmax };
  }

  // ---------------------------------------------------------------- memory

  /**
   * Checks an access of `size` bytes at `[R<k> + off]`; for reads returns the loaded value, for
   * writes stores `value` (a scalar or a spilled register).
   */
  #access(
    i: number,
    st: State,
    k: number,
    off: number,
    size: number,
    kind: "read" | "write",
    value: Reg | null,
  ): Reg {
    const f = st.frames[st.frames.length - 1];
    const p = this.#read(i, f.regs, k);
    const lo = p.off + off + p.vmin;
    const hi = p.off + off + p.vmax + size; // exclusive
    // The base register itself must point inside its region: the runtime resolves the region
    // from the base address before adding the instruction's offset.
    const base = p.off + p.vmin;
    switch (p.t) {
      case PTR_STACK: {
        const frame = st.frames[p.id];
        if (frame === undefined || p.id >= st.frames.length) {
          throw this.#err(i, `R${k} invalid mem access: stack of a function that has returned`);
        }
        if (lo < -this.#profile.stackSize || hi > 0) {
          throw this.#err(
            i,
            `invalid ${kind === "read" ? "read from" : "write to"} stack R${k} off=${
              p.off + off + (lo < -this.#profile.stackSize ? p.vmin : p.vmax)
            } size=${size}`,
          );
        }
        if (base < -this.#profile.stackSize) {
          throw this.#err(
            i,
            `R${k} invalid stack pointer off=${base}: below the ${this.#profile.stackSize}-byte stack`,
          );
        }
        const sub = frame.subprog;
        this.#subDepth[sub] = Math.max(this.#subDepth[sub], -lo, -base);
        frame.stack.depth = Math.max(frame.stack.depth, -lo);
        if (p.vmin !== p.vmax) {
          // Variable offset: reads need every byte in range written; writes forget spills.
          if (kind === "read") {
            for (let b = lo; b < hi; b++) {
              if (!frame.stack.bytes.has(b)) {
                throw this.#err(
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
        return this.#stackAccess(i, frame, k, lo, size, kind, value);
      }
      case PTR_CTX:
      case PTR_PACKET:
      case PTR_MAP_VALUE: {
        let limit: number;
        let what: string;
        if (p.t === PTR_MAP_VALUE) {
          limit = this.#maps[p.map].valueSize;
          what = `invalid access to map value, value_size=${limit} off=${lo} size=${size}`;
        } else if (p.t === PTR_CTX) {
          limit = this.#input.size;
          what = `invalid bpf_context access off=${lo} size=${size} (context size ${limit})`;
        } else {
          limit = this.#input.size;
          what = `invalid access to packet, off=${lo} size=${size}, max packet size ${limit}`;
        }
        if (lo < 0 || hi > limit) throw this.#err(i, what);
        if (base < 0) {
          throw this.#err(
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
        throw this.#err(i, `R${k} !read_ok`);
      default:
        throw this.#err(i, `R${k} invalid mem access '${TYPE_NAME[p.t]}'`);
    }
  }

  #stackAccess(
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
          throw this.#err(i, `invalid read from stack R${k} off=${at} size=${size}`);
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
      throw this.#err(i, `invalid size of register spill`);
    }
    return UNKNOWN;
  }

  // ---------------------------------------------------------------- jumps and calls

  #jmp(i: number, x: Instruction, st: State, work: Work[]): number {
    const f = st.frames[st.frames.length - 1];
    const r = f.regs;
    const op = x.opcode & 0xf0;
    if (x.opcode === 0x95) return this.#exit(i, st);
    if (op === 0x00) return this.#target(i, x.opcode === 0x06 ? x.imm : x.offset);
    if (op === 0x80) {
      if (x.opcode === 0x8d) {
        const v = this.#read(i, r, x.dst);
        if (!isConst(v)) throw this.#err(i, `R${x.dst} callx with an unknown target`);
        const id = Number(v.umin & U32);
        if (!this.#helpers?.has(id)) throw this.#err(i, `invalid func unknown#${id}`);
        return this.#helperCall(i, id, st);
      }
      if (x.src === 1) return this.#localCall(i, x, st);
      return this.#helperCall(i, x.imm >>> 0, st);
    }
    // Conditional jump.
    const is64 = (x.opcode & 7) === 5;
    const a = this.#read(i, r, x.dst);
    const b = (x.opcode & 8) ? this.#read(i, r, x.src) : constant(BigInt(x.imm));
    const target = this.#target(i, x.offset);
    const outcome = decide(op, a, b, is64);
    // Null checks of map values: `if rX == 0` / `if rX != 0`.
    if (
      a.t === PTR_MAP_VALUE_OR_NULL && isConst(b) && b.umin === 0n && (op === 0x10 || op === 0x50)
    ) {
      const nullSide = cloneState(st);
      markNull(nullSide, a.id, true);
      markNull(st, a.id, false);
      if (op === 0x10) { // jeq: taken when null
        work.push({ kind: "state", at: i + 1, st });
        work.push({ kind: "state", at: target, st: nullSide });
        return -1;
      }
      work.push({ kind: "state", at: i + 1, st: nullSide });
      return target;
    }
    if (a.t !== SCALAR || b.t !== SCALAR) {
      // Pointer comparisons: both sides possible, nothing learnt.
      if (a.t === PTR_MAP_VALUE_OR_NULL || b.t === PTR_MAP_VALUE_OR_NULL) {
        throw this.#err(
          i,
          `R${x.dst} comparison of map_value_or_null other than with 0 prohibited`,
        );
      }
      const other = cloneState(st);
      work.push({ kind: "state", at: target, st: other });
      return i + 1;
    }
    if (outcome === true) return target;
    if (outcome === false) return i + 1;
    // Both sides: refine ranges for unsigned comparisons with a constant.
    const taken = cloneState(st);
    refine(taken, x, op, is64, true);
    refine(st, x, op, is64, false);
    work.push({ kind: "state", at: target, st: taken });
    return i + 1;
  }

  #exit(i: number, st: State): number {
    const f = st.frames[st.frames.length - 1];
    const r0 = this.#read(i, f.regs, 0);
    if (f.returnTo < 0) return -1;
    st.frames.pop();
    const caller = st.frames[st.frames.length - 1];
    caller.regs[0] = r0.t === PTR_STACK && r0.id === st.frames.length ? UNKNOWN : r0;
    for (let k = 1; k <= 5; k++) caller.regs[k] = UNINIT;
    return f.returnTo;
  }

  #localCall(i: number, x: Instruction, st: State): number {
    const t = this.#target(i, x.imm);
    const caller = st.frames[st.frames.length - 1];
    if (st.frames.length >= this.#profile.maxCallDepth) {
      throw this.#err(i, `the call stack of ${st.frames.length + 1} frames is too deep`);
    }
    const regs: Reg[] = new Array(11).fill(UNINIT);
    for (let k = 1; k <= 5; k++) regs[k] = caller.regs[k];
    regs[10] = ptr(PTR_STACK, 0, -1, st.frames.length);
    st.frames.push({ regs, stack: newStack(), returnTo: i + 1, subprog: this.#subOf[t] });
    return t;
  }

  #helperCall(i: number, id: number, st: State): number {
    const f = st.frames[st.frames.length - 1];
    const r = f.regs;
    const name = this.#helpers?.name(id) ?? "";
    let ret: Reg = UNKNOWN;
    if (name === "map_lookup_elem" || name === "map_update_elem" || name === "map_delete_elem") {
      const m = this.#read(i, r, 1);
      if (m.t !== PTR_MAP) throw this.#err(i, `R1 type=${TYPE_NAME[m.t]} expected=map_ptr`);
      const map = this.#maps[m.map];
      this.#argMem(i, st, 2, map.keySize);
      if (name === "map_update_elem") {
        this.#argMem(i, st, 3, map.valueSize);
        this.#readScalar(i, r, 4);
      }
      if (name === "map_lookup_elem") {
        ret = ptr(PTR_MAP_VALUE_OR_NULL, 0, m.map, st.nextId++);
      }
    }
    r[0] = ret;
    for (let k = 1; k <= 5; k++) r[k] = UNINIT;
    return i + 1;
  }

  /** A helper argument pointing to `size` readable bytes. */
  #argMem(i: number, st: State, k: number, size: number): void {
    const r = st.frames[st.frames.length - 1].regs;
    const p = this.#read(i, r, k);
    if (p.t === SCALAR) throw this.#err(i, `R${k} type=scalar expected=fp, pkt, map_value`);
    this.#access(i, st, k, 0, size, "read", null);
  }
}

const ALU_NAME = [
  "add",
  "sub",
  "mul",
  "div",
  "or",
  "and",
  "lsh",
  "rsh",
  "neg",
  "mod",
  "xor",
  "mov",
  "arsh",
  "end",
];

function newStack(): Stack {
  return { bytes: new Map(), spills: new Map(), depth: 0 };
}

/** Copy-on-write for a frame's stack: the maps may be shared with a sibling state. */
function cloneStackOf(frame: Frame): Stack {
  const s = frame.stack as Stack & { shared?: boolean };
  if (!s.shared) return s;
  const copy: Stack = { bytes: new Map(s.bytes), spills: new Map(s.spills), depth: s.depth };
  frame.stack = copy;
  return copy;
}

function cloneState(st: State): State {
  const frames = st.frames.map((f) => {
    (f.stack as Stack & { shared?: boolean }).shared = true;
    return { regs: f.regs.slice(), stack: f.stack, returnTo: f.returnTo, subprog: f.subprog };
  });
  return { frames, loopSeen: new Map(st.loopSeen), nextId: st.nextId };
}

function markNull(st: State, id: number, isNull: boolean): void {
  const fix = (r: Reg): Reg =>
    r.t === PTR_MAP_VALUE_OR_NULL && r.id === id
      ? (isNull ? constant(0n) : { ...r, t: PTR_MAP_VALUE, id: 0 })
      : r;
  for (const f of st.frames) {
    for (let k = 0; k < f.regs.length; k++) f.regs[k] = fix(f.regs[k]);
    let changed = false;
    for (const v of f.stack.spills.values()) {
      if (v.t === PTR_MAP_VALUE_OR_NULL && v.id === id) changed = true;
    }
    if (changed) {
      const s = cloneStackOf(f);
      for (const [o, v] of s.spills) s.spills.set(o, fix(v));
    }
  }
}

function regKey(r: Reg): string {
  switch (r.t) {
    case NOT_INIT:
      return "_";
    case SCALAR:
      return r.umin === r.umax ? `${r.umin}` : `${r.umin}..${r.umax}`;
    default:
      return `${r.t}:${r.off}:${r.vmin}:${r.vmax}:${r.map}:${r.id}`;
  }
}

function fingerprint(st: State, live: number, precise: number): string {
  const parts: string[] = [];
  const top = st.frames.length - 1;
  for (let k = 0; k <= top; k++) {
    const f = st.frames[k];
    // Registers the rest of the path never reads do not tell states apart, nor do the values of
    // scalars that never reach a safety check (current frame only).
    const regs = k === top
      ? f.regs.map((r, n) =>
        !((live >> n) & 1) ? "_" : r.t === SCALAR && !((precise >> n) & 1) ? "s" : regKey(r)
      )
      : f.regs.map(regKey);
    parts.push(regs.join(","), String(f.returnTo));
    const bytes = [...f.stack.bytes.keys()].sort((a, b) => a - b);
    parts.push(bytes.join(","));
    const spills = [...f.stack.spills.entries()].sort((a, b) => a[0] - b[0]);
    parts.push(spills.map(([o, v]) => `${o}=${regKey(v)}`).join(","));
  }
  return parts.join("|");
}

// ---------------------------------------------------------------- scalar arithmetic

function trunc(v: bigint, is64: boolean): bigint {
  return is64 ? v & U64 : v & U32;
}

function toSigned(v: bigint): bigint {
  return v >= S64_MIN ? v - (1n << 64n) : v;
}

function signed(v: bigint, bits: bigint): bigint {
  const m = (1n << bits) - 1n;
  v &= m;
  return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
}

function movScalar(src: Reg, offset: number, is64: boolean): Reg {
  if (offset === 0) {
    if (is64) return src;
    return isConst(src) ? constant(src.umin & U32) : src.umax <= U32 ? src : scalar(0n, U32);
  }
  if (!isConst(src)) return scalar(0n, is64 ? U64 : U32);
  const v = signed(src.umin, BigInt(offset));
  return constant(trunc(v, is64));
}

function bswap(v: bigint, width: number, swap: boolean): bigint {
  const bytes = width / 8;
  const masked = v & ((1n << BigInt(width)) - 1n);
  if (!swap) return masked;
  let out = 0n;
  for (let b = 0; b < bytes; b++) out = (out << 8n) | ((masked >> BigInt(b * 8)) & 0xffn);
  return out;
}

function scalarAlu(op: number, offset: number, a: Reg, b: Reg, is64: boolean): Reg {
  const bits = is64 ? 64n : 32n;
  const mask = is64 ? U64 : U32;
  const full = scalar(0n, mask);
  if (isConst(a) && isConst(b)) {
    const x = a.umin & mask, y = b.umin & mask;
    let v: bigint;
    switch (op) {
      case 0x00:
        v = x + y;
        break;
      case 0x10:
        v = x - y;
        break;
      case 0x20:
        v = x * y;
        break;
      case 0x30:
        if (y === 0n) v = 0n;
        else if (offset === 1) v = signed(x, bits) / signed(y, bits);
        else v = x / y;
        break;
      case 0x90:
        if (y === 0n) v = x;
        else if (offset === 1) v = signed(x, bits) % signed(y, bits);
        else v = x % y;
        break;
      case 0x40:
        v = x | y;
        break;
      case 0x50:
        v = x & y;
        break;
      case 0xa0:
        v = x ^ y;
        break;
      case 0x60:
        v = x << (y & (bits - 1n));
        break;
      case 0x70:
        v = x >> (y & (bits - 1n));
        break;
      case 0xc0:
        v = signed(x, bits) >> (y & (bits - 1n));
        break;
      default:
        return full;
    }
    return constant(v & mask);
  }
  // Ranges.
  const amin = is64 || a.umax <= U32 ? a.umin : 0n, amax = is64 || a.umax <= U32 ? a.umax : U32;
  const bmin = is64 || b.umax <= U32 ? b.umin : 0n, bmax = is64 || b.umax <= U32 ? b.umax : U32;
  switch (op) {
    case 0x00:
      return amax + bmax <= mask ? scalar(amin + bmin, amax + bmax) : full;
    case 0x10:
      return amin >= bmax ? scalar(amin - bmax, amax - bmin) : full;
    case 0x20:
      return amax * bmax <= mask ? scalar(amin * bmin, amax * bmax) : full;
    case 0x30:
      if (offset === 0) return scalar(0n, amax);
      return full;
    case 0x90:
      if (offset === 0 && bmin > 0n) return scalar(0n, bmax - 1n < amax ? bmax - 1n : amax);
      if (offset === 0) return scalar(0n, amax);
      return full;
    case 0x50:
      return scalar(0n, amax < bmax ? amax : bmax);
    case 0x40:
    case 0xa0: {
      let top = 1n;
      const m = amax > bmax ? amax : bmax;
      while (top <= m) top <<= 1n;
      return scalar(0n, top - 1n);
    }
    case 0x60:
      if (isConst(b)) {
        const s = b.umin & (bits - 1n);
        return amax << s <= mask ? scalar(amin << s, amax << s) : full;
      }
      return full;
    case 0x70:
      if (isConst(b)) {
        const s = b.umin & (bits - 1n);
        return scalar(amin >> s, amax >> s);
      }
      return scalar(0n, amax);
    default:
      return full;
  }
}

/** Decides a conditional jump when the ranges allow it: true (taken), false, or null. */
/** Signed comparisons of values that are non-negative in the signed view are unsigned ones. */
const SIGNED_AS_UNSIGNED: Readonly<Record<number, number>> = {
  0x60: 0x20,
  0x70: 0x30,
  0xc0: 0xa0,
  0xd0: 0xb0,
};

function asUnsigned(op: number, a: Reg, b: Reg, is64: boolean): number {
  const u = SIGNED_AS_UNSIGNED[op];
  if (u === undefined) return op;
  const limit = is64 ? S64_MIN : 1n << 31n;
  return a.umax < limit && b.umax < limit ? u : op;
}

function decide(op: number, a: Reg, b: Reg, is64: boolean): boolean | null {
  if (a.t !== SCALAR || b.t !== SCALAR) return null;
  if (!isConst(a) || !isConst(b)) {
    // Ranges (unsigned, 64-bit, or 32-bit when both fit).
    if (!is64 && (a.umax > U32 || b.umax > U32)) return null;
    switch (asUnsigned(op, a, b, is64)) {
      case 0x10: // jeq
        return a.umax < b.umin || a.umin > b.umax ? false : null;
      case 0x50: // jne
        return a.umax < b.umin || a.umin > b.umax ? true : null;
      case 0x20: // jgt
        return a.umin > b.umax ? true : a.umax <= b.umin ? false : null;
      case 0x30: // jge
        return a.umin >= b.umax ? true : a.umax < b.umin ? false : null;
      case 0xa0: // jlt
        return a.umax < b.umin ? true : a.umin >= b.umax ? false : null;
      case 0xb0: // jle
        return a.umax <= b.umin ? true : a.umin > b.umax ? false : null;
      default:
        return null;
    }
  }
  const bits = is64 ? 64n : 32n;
  const mask = is64 ? U64 : U32;
  const x = a.umin & mask, y = b.umin & mask;
  const sx = signed(x, bits), sy = signed(y, bits);
  switch (op) {
    case 0x10:
      return x === y;
    case 0x20:
      return x > y;
    case 0x30:
      return x >= y;
    case 0x40:
      return (x & y) !== 0n;
    case 0x50:
      return x !== y;
    case 0x60:
      return sx > sy;
    case 0x70:
      return sx >= sy;
    case 0xa0:
      return x < y;
    case 0xb0:
      return x <= y;
    case 0xc0:
      return sx < sy;
    case 0xd0:
      return sx <= sy;
    default:
      return null;
  }
}

/** Narrows the compared register's range on one side of an unsigned comparison. */
function refine(st: State, x: Instruction, op: number, is64: boolean, taken: boolean): void {
  const r = st.frames[st.frames.length - 1].regs;
  const a = r[x.dst];
  const b = (x.opcode & 8) ? r[x.src] : constant(BigInt(x.imm));
  if (a.t !== SCALAR || b.t !== SCALAR || !isConst(b)) return;
  if (!is64 && a.umax > U32) return;
  const k = b.umin & (is64 ? U64 : U32);
  let lo = a.umin, hi = a.umax;
  op = asUnsigned(op, a, b, is64);
  // Normalise to "taken" semantics.
  let o = op;
  if (!taken) {
    o = ({ 0x10: 0x50, 0x50: 0x10, 0x20: 0xb0, 0xb0: 0x20, 0x30: 0xa0, 0xa0: 0x30 } as Record<
      number,
      number
    >)[op] ?? -1;
  }
  switch (o) {
    case 0x10:
      lo = k;
      hi = k;
      break;
    case 0x20:
      if (k + 1n > lo) lo = k + 1n;
      break;
    case 0x30:
      if (k > lo) lo = k;
      break;
    case 0xa0:
      if (k - 1n < hi) hi = k - 1n;
      break;
    case 0xb0:
      if (k < hi) hi = k;
      break;
    default:
      return;
  }
  if (lo > hi) return; // impossible side; keep the old range (the walk stays sound)
  r[x.dst] = scalar(lo, hi);
}
