/**
 * The JIT's code generator: lays a prepared program out as JavaScript. Basic blocks become
 * `case` labels of a dispatcher `switch` inside a loop labelled `D`; simple loops become native
 * `for(;;)` loops (labelled `R<slot>`) that check the instruction budget once per pass when they
 * can, preceded by a speculative version on small 32-bit numbers (`_jit_fast_loop.ts`, in a
 * block labelled `F<slot>`) that leaves to them, or to plain blocks for the rest of a pass, where
 * its assumptions stop holding; and the code is cut into several functions ("chunks") when it
 * grows past the size V8 still optimizes, a jump into another chunk going back through a small
 * driver.
 *
 * @module
 */
import { MEM_REGION, STACK_REGION } from "./memory.ts";
import { EBPF } from "./opcodes.ts";
import type { Machine } from "./_machine.ts";
import { blockLength, findBlocks, forwardTargets } from "./_jit_blocks.ts";
import { InstructionEmitter, SPILL } from "./_jit_emit.ts";
import { fastLoop } from "./_jit_fast_loop.ts";

const { LDDW, JA, JA32, EXIT, CALL, CALLX } = EBPF;

/** Most instructions copied on a way back from a fast loop's exit to its head. */
const MAX_WAY_BACK = 40;

/**
 * The run state a chunk hands to the next one, in the generated code's `ST` array: the
 * instruction count and the call depth (registers go through the machine).
 */
const RUN_COUNT = 0, RUN_DEPTH = 1;

/** The generated code and, for each slot, the chunk whose `switch` has its `case`. */
export interface GeneratedCode {
  /** The body of a function of `rt` (the runtime) that returns the run function. */
  source: string;
  /** For each slot with a `case` label, its chunk; -1 elsewhere. */
  chunkOf: Int32Array;
}

/**
 * Generates the source of the run function and the chunk of each labelled slot.
 *
 * @param m The prepared program.
 * @param chunkChars The largest chunk, in characters.
 * @param portable For an ahead-of-time artifact: `lddw` values of maps read from the machine at
 *   run time, and the chunk table embedded in the code.
 * @returns The code.
 */
export function generateCode(m: Machine, chunkChars: number, portable = false): GeneratedCode {
  const n = m.slots;
  const { opc } = m;
  const { leader, regionEnd, hasCalls } = findBlocks(m);
  const emitter = new InstructionEmitter(m, hasCalls, portable);
  const next = (q: number) => q + (opc[q] === LDDW ? 2 : 1);
  const check = (pc: number, len: number) =>
    `if((cnt+=${len})>${m.budget}){m.lastCount=cnt-${len};throw budget(${pc});}`;
  // Units of code in program order: a loop region or a plain basic block, each with the slots
  // that get a `case` label in it.
  const units: { text: string; labels: number[] }[] = [];
  const plainBlock = (from: number): { text: string; next: number } => {
    emitter.startBlock();
    let text = `case ${from}:${check(from, blockLength(m, leader, from))}`;
    let q = from;
    do {
      text += emitter.emit(q);
      q = next(q);
    } while (q < n && !leader[q] && regionEnd[q] < 0);
    return { text, next: q };
  };
  // The code of the blocks from `t` (outside the loop at `head`) that fall or jump straight
  // back to `head`, ending in `continue F<head>` — or null when they go anywhere else first
  // (another loop, a call, the end) or are long.
  const wayBack = (t: number, head: number): string | null => {
    if (t <= regionEnd[head]) return null;
    let text = "", count = 0, q = t;
    const seen = new Set<number>();
    for (;;) {
      if (q === head) return `${text}continue F${head};`;
      if (q >= n || regionEnd[q] >= 0 || seen.has(q)) return null;
      seen.add(q);
      emitter.startBlock();
      const len = blockLength(m, leader, q);
      count += len;
      if (count > MAX_WAY_BACK) return null;
      text += check(q, len);
      let r = q;
      for (;;) {
        const op = opc[r];
        const last = next(r) >= n || leader[next(r)] || regionEnd[next(r)] >= 0;
        if (last && (op === JA || op === JA32)) {
          q = r + 1 + (op === JA ? m.off[r] : m.imm[r]);
          break;
        }
        if (op === EXIT || op === CALL || op === CALLX) return null;
        text += emitter.emit(r);
        r = next(r);
        if (last) {
          q = r;
          break;
        }
      }
    }
  };
  let pc = 0;
  while (pc < n) {
    if (regionEnd[pc] >= 0) {
      // A simple loop: one pass executes at most `total` instructions, so when the budget
      // cannot run out during this pass, the pass runs without per-block budget checks.
      const end = regionEnd[pc];
      let total = 0;
      for (let q = pc; q <= end; q = next(q)) total++;
      const targets = forwardTargets(m, pc, end);
      const pass = (checked: boolean): string => {
        let text = "";
        for (let i = targets.length - 1; i >= 0; i--) text += `J${targets[i]}:{`;
        for (let q = pc; q <= end; q = next(q)) {
          if (targets.includes(q)) text += "}";
          if (q === pc || leader[q]) {
            emitter.startBlock();
            const len = blockLength(m, leader, q);
            text += checked ? check(q, len) : `cnt+=${len};`;
          }
          text += emitter.emit(q);
        }
        return text;
      };
      emitter.loopHeader = pc;
      emitter.loopTargets = new Set(targets);
      let text = `case ${pc}:R${pc}:for(;;){if(cnt+${total}<=${m.budget}){${pass(false)}}else{${
        pass(true)
      }}break;}`;
      // Too big for V8 to optimize: one checked pass only.
      if (text.length > chunkChars) text = `case ${pc}:R${pc}:for(;;){${pass(true)}break;}`;
      emitter.loopHeader = -1;
      emitter.loopTargets = new Set();
      if (text.length <= chunkChars) {
        // A speculative version first (`_jit_fast_loop.ts`), when it fits.
        const fast = fastLoop(m, emitter, leader, pc, end);
        if (fast !== null) {
          const labels = [pc];
          // An exit whose blocks lead straight back to this loop (an outer loop's pass) runs
          // a copy of them and enters the loop again without the dispatcher.
          const head = pc;
          let fastText = fast.text.replace(
            /\{([^{}]*?)pc=(\d+);continue D;\}/g,
            (all, pre, t) => {
              const way = wayBack(Number(t), head);
              return way === null ? all : `{${pre}${way}}`;
            },
          );
          // The copies must not cost the fast version its place in the chunk.
          if (fastText.length + text.length > chunkChars) fastText = fast.text;
          let withFast = `case ${pc}:F${pc}:for(;;){${fastText}break;}` +
            text.slice(`case ${pc}:`.length);
          if (fast.bails.length > 0) {
            // Where the fast version leaves in the middle of a pass: the rest of the pass as
            // plain blocks (split at each such slot), then the head again.
            withFast += `pc=${end + 1};continue D;`;
            const cut = leader.slice();
            for (const q of fast.bails) cut[q] = 1;
            for (let q = fast.bails[0]; q <= end;) {
              emitter.startBlock();
              let t = `case ${q}:${check(q, blockLength(m, cut, q))}`;
              labels.push(q);
              let r = q;
              do {
                t += emitter.emit(r);
                r = next(r);
              } while (r <= end && !cut[r]);
              withFast += t;
              q = r;
            }
          }
          if (withFast.length <= chunkChars) {
            units.push({ text: withFast, labels });
            pc = end + 1;
            continue;
          }
        }
        units.push({ text, labels: [pc] });
        pc = end + 1;
        continue;
      }
      // Still too big: emit the loop as plain blocks (back-edges go through the dispatcher).
      for (let q = pc; q <= end;) {
        const b = plainBlock(q);
        units.push({ text: b.text, labels: [q] });
        q = b.next;
      }
      pc = end + 1;
      continue;
    }
    const b = plainBlock(pc);
    units.push({ text: b.text, labels: [pc] });
    pc = b.next;
  }
  units.push({ text: `case ${n}:m.lastCount=cnt;throw fellOff(${n});`, labels: [n] });
  // Chunks: V8 does not optimize very large functions, so the code is split into functions of
  // at most about `chunkChars` characters. A jump to a slot of another chunk leaves through
  // `default`: registers, count and call depth go back to the machine and the driver calls
  // the chunk that has the slot.
  const chunks: string[][] = [[]];
  let size = 0;
  const chunkOf = new Int32Array(n + 1).fill(-1);
  for (const u of units) {
    if (size > 0 && size + u.text.length > chunkChars) {
      // Falling off the end of a chunk continues at this unit, in the next chunk.
      chunks[chunks.length - 1].push(`pc=${u.labels[0]};`);
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1].push(u.text);
    size += u.text.length;
    for (const l of u.labels) chunkOf[l] = chunks.length - 1;
  }
  const regs = Array.from({ length: 11 }, (_, r) => `l${r}=L[${r}],h${r}=H[${r}]`).join(",");
  // The instruction count stays a small integer (V8 keeps it in a machine register) unless the
  // budget is so large that it could pass 2^31.
  const intCount = m.budget + n < 0x7fffffff;
  const count = `ST[${RUN_COUNT}]`, depth = `ST[${RUN_DEPTH}]`;
  const fns = chunks.map((texts, i) =>
    `function c${i}(pc){
let ${regs};
let cnt=${count}${intCount ? "|0" : ""},depth=${depth}|0,o=0,g=0,t=0;
const SV=V[${STACK_REGION}],SL=N[${STACK_REGION}],MV=V[${MEM_REGION}],ML=N[${MEM_REGION}];
D:for(;;){switch(pc){
${texts.join("\n")}
default:${SPILL}${count}=cnt;${depth}=depth;return pc;
}}}`
  );
  const reset = `${count}=0;${depth}=0;`;
  // Inlined array maps, by the slot of the lddw of their handle: fd (-1: not inlinable), the
  // region of element 0, elements with numbered regions (0: none), value size, values.
  let inlineMaps = "";
  for (const p of emitter.inlineMaps) {
    inlineMaps += `\nconst I${p}=(rt.IM&&rt.IM[${p}])||{fd:-1,base:0,n:0,size:0,view:null},` +
      `I${p}F=I${p}.fd,I${p}B=I${p}.base,I${p}N=I${p}.n,I${p}S=I${p}.size,I${p}V=I${p}.view;`;
  }
  // Portable code (an ahead-of-time artifact) carries its own table of chunks.
  let chunkTable = "";
  if (portable && chunks.length > 1) {
    const pairs: number[] = [];
    for (let pc = 0; pc <= n; pc++) if (chunkOf[pc] >= 0) pairs.push(pc, chunkOf[pc]);
    chunkTable = `chunkOf=new Int32Array(${n + 1}).fill(-1);{const P=[${pairs.join(",")}];` +
      `for(let i=0;i<P.length;i+=2)chunkOf[P[i]]=P[i+1];}`;
  }
  const source = `"use strict";
const {m,HI,mul64,udiv64,sdiv64,umod64,smod64,lsh64,rsh64,arsh64,bswap32,memoryFault,atomicOp,
legacyLoad,callHelper,callx,budget,callDepth,stackOut,fellOff,slowLoad,slowStore}=rt;
let {chunkOf}=rt;${chunkTable}
const L=m.lo,H=m.hi,V=m.memory.views,N=m.memory.lengths,W=m.memory.writable,F=m.frames;
const ST=new Float64Array(2);${inlineMaps}
${fns.join("\n")}
const C=[${chunks.map((_, i) => `c${i}`).join(",")}];
${
    chunks.length === 1
      ? `return function run(){${reset}const r=c0(0);if(r>=0)throw fellOff(r);};`
      : `return function run(){${reset}let pc=0;for(;;){const k=chunkOf[pc];if(k<0)throw fellOff(pc);pc=C[k](pc);if(pc<0)return;}};`
  }`;
  return { source, chunkOf };
}
