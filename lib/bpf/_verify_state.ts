/**
 * The verifier's abstract machine state: call frames with their registers and stacks (bytes
 * written and registers spilled, shared copy-on-write between the two sides of a branch), and
 * fingerprints that recognise a state seen before.
 *
 * @module
 */
import {
  constant,
  NOT_INIT,
  PTR_MAP_VALUE,
  PTR_MAP_VALUE_OR_NULL,
  type Reg,
  SCALAR,
} from "./_verify_values.ts";

/** Stack of one frame: initialised bytes and spilled registers, by offset from the frame top. */
export interface Stack {
  bytes: Map<number, true>;
  spills: Map<number, Reg>;
  depth: number; // deepest byte used (positive)
}

/** One call frame: its registers, its stack, where it returns to and its subprogram. */
export interface Frame {
  regs: Reg[]; // R0..R10
  stack: Stack;
  returnTo: number; // instruction index to continue at after exit, -1 for the main frame
  subprog: number;
}

/** The abstract state of one path: its call frames, loop fingerprints and next lookup id. */
export interface State {
  frames: Frame[];
  loopSeen: Map<number, string>; // loop header → last fingerprint on this path
  nextId: number;
}

/**
 * The walk's work list: a state to follow from an instruction, or a marker that closes a
 * remembered state once everything reachable from it was explored.
 */
export type Work = { kind: "state"; at: number; st: State } | {
  kind: "close";
  at: number;
  key: string;
};

/** An empty stack. */
export function newStack(): Stack {
  return { bytes: new Map(), spills: new Map(), depth: 0 };
}

/** Copy-on-write for a frame's stack: the maps may be shared with a sibling state. */
export function cloneStackOf(frame: Frame): Stack {
  const s = frame.stack as Stack & { shared?: boolean };
  if (!s.shared) return s;
  const copy: Stack = { bytes: new Map(s.bytes), spills: new Map(s.spills), depth: s.depth };
  frame.stack = copy;
  return copy;
}

/** A copy of a state for the other side of a branch (stacks are shared until written). */
export function cloneState(st: State): State {
  const frames = st.frames.map((f) => {
    (f.stack as Stack & { shared?: boolean }).shared = true;
    return { regs: f.regs.slice(), stack: f.stack, returnTo: f.returnTo, subprog: f.subprog };
  });
  return { frames, loopSeen: new Map(st.loopSeen), nextId: st.nextId };
}

/** After a null check: the maybe-null map value of lookup `id` is null, or a map value. */
export function markNull(st: State, id: number, isNull: boolean): void {
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

/** A register as text, for fingerprints. */
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

/**
 * A state as text, to recognise states seen before: registers not live are left out, and
 * scalars that are not precise are only "some scalar".
 */
export function fingerprint(st: State, live: number, precise: number): string {
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
