/**
 * The verifier's first pass, the control-flow graph: every jump lands inside its subprogram and
 * not in the middle of an `lddw`, every instruction is reachable, every subprogram ends with
 * `exit` or a jump, loops (back edges) appear only when the profile allows bounded loops, calls
 * go to known helpers, the call graph has no cycle and is not too deep, and the program is not
 * longer than the profile allows.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { EBPF } from "./opcodes.ts";
import type { VerifyContext } from "./_verify_context.ts";

const { CLASS_MASK, CLASS_JMP, CLASS_JMP32, OP_MASK, JMP_JA, JMP_CALL } = EBPF;
const { LDDW, JA, JA32, CALL, EXIT, LDDW_SRC_IMM64, LDDW_SRC_VARIABLE, LDDW_SRC_CODE } = EBPF;
const { CALL_SRC_HELPER, CALL_SRC_LOCAL } = EBPF;

/** What the first pass learnt. */
export interface ControlFlow {
  /** Instruction → its subprogram's number. */
  subOf: Int32Array;
  /** Subprogram → its first instruction (subprogram 0 is the main program). */
  subStart: number[];
  /** Instruction → the instructions control can go to next inside its subprogram. */
  succ: number[][];
  /** 1 at instructions that a back edge jumps to. */
  loopHeader: Uint8Array;
  /** 1 at instructions where the walk remembers states (loop headers, branch targets). */
  pruneAt: Uint8Array;
  /** The deepest chain of frames (1 without local calls). */
  callDepth: number;
  /** Whether the program has loops (back edges). */
  hasLoops: boolean;
}

/**
 * Builds and checks the control-flow graph.
 *
 * @param ctx The program and options.
 * @returns The graph; throws a `verify` `BpfError` when a rule is broken.
 */
export function controlFlow(ctx: VerifyContext): ControlFlow {
  const { n, ins, profile, program: p } = ctx;
  if (n === 0) throw new BpfError("verify", "empty program: no instructions", { pc: 0 });
  if (p.slotCount > profile.maxInstructions) {
    throw new BpfError(
      "verify",
      `program of ${p.slotCount} instructions is too large for the ${profile.name} profile (max ${profile.maxInstructions})`,
      { pc: profile.maxInstructions },
    );
  }
  // Subprogram entries.
  const entries = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const x = ins[i];
    if (x.opcode === CALL && x.src === CALL_SRC_LOCAL) entries.add(ctx.target(i, x.imm));
    else if (x.opcode === CALL && x.src === CALL_SRC_HELPER) {
      if (!ctx.helpers?.has(x.imm >>> 0)) {
        throw ctx.err(i, `invalid func unknown#${x.imm >>> 0}`);
      }
    } else if (x.opcode === CALL) {
      throw ctx.err(i, `unsupported call to a BTF function ${x.imm}`);
    } else if (x.opcode === LDDW && x.src === LDDW_SRC_CODE) {
      entries.add(ctx.target(i, x.imm)); // a callback (bpf_loop): a subprogram
    } else if (x.opcode === LDDW && x.src !== LDDW_SRC_IMM64) {
      if (x.src === LDDW_SRC_VARIABLE) {
        throw ctx.err(i, `unsupported ldimm64 source ${x.src}`);
      }
      if (x.imm < 0 || x.imm >= ctx.maps.length) {
        throw ctx.err(i, `fd ${x.imm} is not pointing to valid bpf_map`);
      }
    } else if (x.opcode === JA || x.opcode === JA32) {
      // A chain of unconditional jumps that comes back to itself never ends.
      const visited = new Set<number>();
      let j = i;
      while (j < n && (ins[j].opcode === JA || ins[j].opcode === JA32) && !visited.has(j)) {
        visited.add(j);
        j = ctx.target(j, ins[j].opcode === JA32 ? ins[j].imm : ins[j].offset);
      }
      if (visited.has(j)) throw ctx.err(i, `infinite loop detected at insn ${p.pcs[i]}`);
    }
  }
  const subStart = [...entries].sort((a, b) => a - b);
  const subOf = new Int32Array(n);
  for (let s = 0; s < subStart.length; s++) {
    const end = s + 1 < subStart.length ? subStart[s + 1] : n;
    for (let i = subStart[s]; i < end; i++) subOf[i] = s;
    const op = ins[end - 1].opcode;
    if (op !== EXIT && op !== JA && op !== JA32) {
      throw ctx.err(end - 1, "last insn is not an exit or jmp");
    }
  }
  // Successors, in-subprogram jumps.
  const succ: number[][] = [];
  const calls: number[][] = subStart.map(() => []);
  for (let i = 0; i < n; i++) {
    const x = ins[i];
    const cls = x.opcode & CLASS_MASK;
    const out: number[] = [];
    if (cls === CLASS_JMP || cls === CLASS_JMP32) {
      const op = x.opcode & OP_MASK;
      if (x.opcode === EXIT) { /* no successor */ }
      else if (op === JMP_CALL) {
        if (x.src === CALL_SRC_LOCAL && x.opcode === CALL) {
          const t = ctx.target(i, x.imm);
          calls[subOf[i]].push(subOf[t]);
        }
        out.push(i + 1);
      } else {
        const t = ctx.target(i, x.opcode === JA32 ? x.imm : x.offset);
        if (subOf[t] !== subOf[i]) {
          throw ctx.err(i, `jump out of range from insn ${p.pcs[i]} to ${p.pcs[t]}`);
        }
        if (op !== JMP_JA) out.push(i + 1);
        out.push(t);
      }
    } else {
      if (x.opcode === LDDW && x.src === LDDW_SRC_CODE) {
        calls[subOf[i]].push(subOf[ctx.target(i, x.imm)]);
      }
      out.push(i + 1);
    }
    succ.push(out);
  }
  // Reachability and back edges: iterative DFS per subprogram.
  const loopHeader = new Uint8Array(n);
  let hasLoops = false;
  const color = new Uint8Array(n); // 0 white, 1 on stack, 2 done
  const reachedSub = new Uint8Array(subStart.length);
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
    const stack: [number, number][] = [[subStart[s], 0]];
    color[subStart[s]] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [i, k] = top;
      if (k < succ[i].length) {
        top[1]++;
        const t = succ[i][k];
        if (color[t] === 1) {
          if (!profile.boundedLoops) {
            throw ctx.err(i, `back-edge from insn ${p.pcs[i]} to ${p.pcs[t]}`);
          }
          hasLoops = true;
          loopHeader[t] = 1;
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
  const pruneAt = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (loopHeader[i]) pruneAt[i] = 1;
    if (color[i] === 0) throw ctx.err(i, `unreachable insn ${p.pcs[i]}`);
    const x = ins[i];
    const cls = x.opcode & CLASS_MASK;
    if (
      (cls === CLASS_JMP || cls === CLASS_JMP32) && (x.opcode & OP_MASK) !== JMP_CALL &&
      x.opcode !== EXIT
    ) {
      for (const t of succ[i]) pruneAt[t] = 1;
    }
  }
  // Call graph: no cycles, bounded depth.
  const depth = new Int32Array(subStart.length).fill(-1);
  const onPath = new Uint8Array(subStart.length);
  const depthOf = (s: number): number => {
    if (depth[s] >= 0) return depth[s];
    if (onPath[s]) {
      throw ctx.err(
        subStart[s],
        `recursive call to subprogram at insn ${p.pcs[subStart[s]]}`,
      );
    }
    onPath[s] = 1;
    let d = 1;
    for (const c of calls[s]) d = Math.max(d, 1 + depthOf(c));
    onPath[s] = 0;
    depth[s] = d;
    return d;
  };
  const callDepth = depthOf(0);
  if (callDepth > profile.maxCallDepth) {
    throw ctx.err(
      0,
      `the call stack of ${callDepth} frames is too deep for the ${profile.name} profile (max ${profile.maxCallDepth})`,
    );
  }
  return { subOf, subStart, succ, loopHeader, pruneAt, callDepth, hasLoops };
}
