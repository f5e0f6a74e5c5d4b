/**
 * The verifier's abstract machine state: call frames with their registers (small arrays of
 * immutable values) and stacks (persistent tries, `_verify_stack.ts`). Copying a state copies
 * the register arrays and gives both copies new edit tokens, so that neither writes the stack
 * nodes they now share.
 *
 * @module
 */
import { copyStack, type FrameStack, mapSpills, type StackOwner } from "./_verify_stack.ts";
import { constant, isOrNull, nonNull, type Reg } from "./_verify_values.ts";

/** One call frame: its registers, its stack, where it returns to and its subprogram. */
export interface Frame {
  regs: Reg[]; // R0..R10
  stack: FrameStack;
  returnTo: number; // instruction index to continue at after exit, -1 for the main frame
  subprog: number;
  /** A `bpf_loop` callback's frame: its R0 must be 0 or 1, the caller's R0 is the helper's. */
  callback?: CallbackCall;
}

/**
 * How a `bpf_loop` callback was entered, so that its exit can enter it again with what the last
 * run left in the caller's memory (Linux ≥ 6.7 verifies callbacks until their states converge).
 */
export interface CallbackCall {
  /** The callback's first instruction. */
  readonly target: number;
  /** R1 of every run: the index, below `nr_loops`'s largest value. */
  readonly index: Reg;
  /** R2 of every run: the context pointer (or 0). */
  readonly ctx: Reg;
  /** The frames at this run's entry (a copy): a later entry it includes adds nothing new. */
  readonly entry: Frame[];
}

/** The abstract state of one path. */
export interface State extends StackOwner {
  frames: Frame[];
  /** The next lookup id of a maybe-null map value. */
  nextId: number;
  /**
   * Ids of the references held (ring buffer records reserved, not yet submitted or discarded);
   * replaced, never changed in place, so that copies may share it.
   */
  refs: readonly number[];
  /** The `bpf_spin_lock` held (`"<map>:<pointer id>"`), or `null`. */
  lock: string | null;
}

/** Hands out edit tokens, unique within one walk. */
export class EditTokens {
  #next = 1;
  /** A new token. */
  next(): number {
    return this.#next++;
  }
}

/**
 * Estimated bytes of a state without its stack nodes (for the memory budget): the state or
 * checkpoint and its entry in the walk's lists, its frames, register arrays and stack records,
 * and a share of the register values.
 *
 * @param frames The number of frames.
 * @returns The bytes.
 */
export function stateBytes(frames: number): number {
  return 200 + frames * 760;
}

/**
 * A copy of a state (registers copied, stacks shared). Both get new edit tokens, so that
 * neither writes the stack nodes they now share.
 *
 * @param st The state.
 * @param tokens The walk's edit tokens.
 * @returns The copy.
 */
export function cloneState(st: State, tokens: EditTokens): State {
  const frames = st.frames.map((f) => ({
    regs: f.regs.slice(),
    stack: copyStack(f.stack),
    returnTo: f.returnTo,
    subprog: f.subprog,
    callback: f.callback,
  }));
  const copy: State = {
    frames,
    nextId: st.nextId,
    refs: st.refs,
    lock: st.lock,
    edit: tokens.next(),
    meter: st.meter,
  };
  st.edit = tokens.next();
  st.meter.bytes += stateBytes(frames.length);
  return copy;
}

/**
 * After a null check: the maybe-null map values of lookup `id` are null, or map values.
 *
 * @param st The state.
 * @param id The lookup id.
 * @param isNull The side of the check.
 */
export function markNull(st: State, id: number, isNull: boolean): void {
  if (isNull && st.refs.includes(id)) st.refs = st.refs.filter((x) => x !== id);
  const fix = (r: Reg): Reg =>
    isOrNull(r.t) && r.id === id ? (isNull ? constant(0n) : nonNull(r)) : r;
  for (const f of st.frames) {
    for (let k = 0; k < f.regs.length; k++) f.regs[k] = fix(f.regs[k]);
    mapSpills(st, f.stack, fix);
  }
}
