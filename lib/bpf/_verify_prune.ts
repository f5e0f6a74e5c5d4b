/**
 * The verifier's explored states, as Linux's `is_state_visited` keeps them. At pruning points
 * (jump targets and loop heads) the walk stores a copy of its state (a checkpoint; copies share
 * their stacks, so this costs what changed). A checkpoint is open while paths from it are being
 * walked and done once every one of them was found safe. A new state that a done checkpoint at
 * the same instruction includes (`states_equal`/`regsafe`: every live register and stack slot
 * within the old one's ranges, type for type) is safe and its path stops there. A new state equal
 * to an open checkpoint at a loop head repeats itself: an infinite loop. Done checkpoints that
 * keep failing to prune are dropped, and inside a loop a checkpoint is stored only every so
 * often (as Linux does), so the memory kept is bounded.
 *
 * @module
 */
import { compareStacks } from "./_verify_stack.ts";
import { cloneState, type EditTokens, type Frame, type State } from "./_verify_state.ts";
import { IdMap, mix, regHash, regsEqual, regWithin } from "./_verify_values.ts";

/** A stored state and what pruning has made of it. */
export interface Checkpoint {
  /** The frames (registers copied, stacks shared). */
  readonly frames: Frame[];
  /** Its hash under the instruction's masks (loop heads only). */
  readonly hash: number;
  /** Whether every path from it was walked. */
  done: boolean;
  /** How often it pruned a path, and how often it failed to. */
  hits: number;
  misses: number;
}

/** The data-flow masks the comparison uses: registers live and precise per instruction. */
export interface PruneMasks {
  readonly live: Uint16Array;
  readonly precise: Uint16Array;
}

/** Fewer hits than this ratio of misses (plus a slack) drops a done checkpoint. */
const MISS_RATIO = 8;
const MISS_SLACK = 8;

/**
 * The open checkpoints of loop heads by (instruction, hash): chained hash buckets in typed
 * arrays. Checkpoints close in the reverse order they were stored (the walk closes them from a
 * stack), so the entry to remove is always the last one and the head of its chain.
 */
class OpenIndex {
  #heads = new Int32Array(1024).fill(-1);
  #hash = new Int32Array(1024);
  #next = new Int32Array(1024);
  #at = new Int32Array(1024);
  readonly #cps: Checkpoint[] = [];

  #bucket(i: number, h: number): number {
    return mix(h, i) & (this.#heads.length - 1);
  }

  /** Adds an open checkpoint of loop head `i` with hash `h`. */
  add(i: number, h: number, cp: Checkpoint): void {
    const n = this.#cps.length;
    if (n === this.#hash.length) this.#grow();
    const b = this.#bucket(i, h);
    this.#hash[n] = h;
    this.#at[n] = i;
    this.#next[n] = this.#heads[b];
    this.#heads[b] = n;
    this.#cps.push(cp);
  }

  /** Removes `cp` if it is the last checkpoint added (else it was never added). */
  remove(cp: Checkpoint): void {
    const n = this.#cps.length - 1;
    if (n < 0 || this.#cps[n] !== cp) return;
    this.#heads[this.#bucket(this.#at[n], this.#hash[n])] = this.#next[n];
    this.#cps.pop();
  }

  /**
   * The first entry of loop head `i` with hash `h` from entry `e` on (from the chain's head when
   * `e` is -1), or -1.
   */
  find(i: number, h: number, e: number): number {
    e = e < 0 ? this.#heads[this.#bucket(i, h)] : this.#next[e];
    while (e >= 0 && (this.#hash[e] !== h || this.#at[e] !== i)) e = this.#next[e];
    return e;
  }

  /** The checkpoint of entry `e`. */
  checkpoint(e: number): Checkpoint {
    return this.#cps[e];
  }

  #grow(): void {
    const size = this.#hash.length * 2;
    const grown = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.#hash = grown(this.#hash);
    this.#next = grown(this.#next);
    this.#at = grown(this.#at);
    this.#heads = new Int32Array(size).fill(-1);
    for (let e = 0; e < this.#cps.length; e++) {
      const b = this.#bucket(this.#at[e], this.#hash[e]);
      this.#next[e] = this.#heads[b];
      this.#heads[b] = e;
    }
  }
}

/** The checkpoints of one walk, per instruction. */
export class PruneTable {
  readonly #masks: PruneMasks;
  readonly #loops = new OpenIndex();
  readonly #done: (Checkpoint[] | undefined)[];
  readonly #open: Int32Array;
  readonly #ids = new IdMap();

  /**
   * An empty table.
   *
   * @param n The number of instructions.
   * @param masks Live and precise registers per instruction.
   */
  constructor(n: number, masks: PruneMasks) {
    this.#masks = masks;
    this.#done = new Array(n);
    this.#open = new Int32Array(n);
  }

  /**
   * Whether instruction `i` has an open checkpoint (the walk is inside a loop through it).
   *
   * @param i The instruction.
   * @returns Whether one is open.
   */
  hasOpen(i: number): boolean {
    return this.#open[i] > 0;
  }

  /**
   * A hash of a state under instruction `i`'s masks.
   *
   * @param i The instruction.
   * @param st The state.
   * @returns The hash.
   */
  hash(i: number, st: State): number {
    const { live, precise } = this.#masks;
    const top = st.frames.length - 1;
    let h = top;
    for (let k = 0; k <= top; k++) {
      const f = st.frames[k];
      h = mix(mix(h, f.returnTo), f.stack.hash);
      // The current frame continues at i; a caller where its callee returns to.
      const at = k === top ? i : st.frames[k + 1].returnTo;
      const lv = live[at], pr = precise[at];
      for (let n = k === top ? 0 : 6; n <= 9; n++) {
        if ((lv >> n) & 1) h = mix(h, regHash(f.regs[n], ((pr >> n) & 1) === 1));
      }
    }
    return h;
  }

  /**
   * Whether a state repeats an open checkpoint of loop head `i`.
   *
   * @param i The loop head.
   * @param st The state.
   * @param h Its hash.
   * @returns Whether it does.
   */
  repeats(i: number, st: State, h: number): boolean {
    const loops = this.#loops;
    for (let e = loops.find(i, h, -1); e >= 0; e = loops.find(i, h, e)) {
      if (this.#compare(i, loops.checkpoint(e).frames, st, false)) return true;
    }
    return false;
  }

  /**
   * Whether a stored state includes another at instruction `i` (`states_equal` with ranges).
   *
   * @param i The instruction.
   * @param old The stored state's frames.
   * @param st The new state.
   * @returns Whether `old` includes `st`.
   */
  includes(i: number, old: Frame[], st: State): boolean {
    return this.#compare(i, old, st, true);
  }

  /**
   * Whether a done checkpoint of instruction `i` includes the state (then its path is safe).
   * Checkpoints that keep missing are dropped.
   *
   * @param i The instruction.
   * @param st The state.
   * @returns Whether one does.
   */
  covered(i: number, st: State): boolean {
    const list = this.#done[i];
    if (list === undefined) return false;
    for (let k = 0; k < list.length; k++) {
      const cp = list[k];
      if (this.#compare(i, cp.frames, st, true)) {
        cp.hits++;
        return true;
      }
      if (++cp.misses > cp.hits * MISS_RATIO + MISS_SLACK) {
        list[k] = list[list.length - 1];
        list.pop();
        k--;
      }
    }
    return false;
  }

  /**
   * Stores a checkpoint of a state at instruction `i` (open until {@linkcode close}).
   *
   * @param i The instruction.
   * @param st The state (its edit token changes: the checkpoint now shares its stack).
   * @param tokens The walk's edit tokens.
   * @param h At a loop head, the state's {@linkcode hash} (the checkpoint is indexed by it);
   *   else null.
   * @returns The checkpoint.
   */
  store(i: number, st: State, tokens: EditTokens, h: number | null): Checkpoint {
    const copy = cloneState(st, tokens);
    const cp: Checkpoint = {
      frames: copy.frames,
      hash: h ?? 0,
      done: false,
      hits: 0,
      misses: 0,
    };
    if (h !== null) this.#loops.add(i, h, cp);
    this.#open[i]++;
    return cp;
  }

  /**
   * Calls `fn` with the frames of every done checkpoint kept (open ones are on the walk's work
   * list), for a memory audit.
   *
   * @param fn The callback.
   */
  forEachDone(fn: (frames: Frame[]) => void): void {
    for (const list of this.#done) if (list !== undefined) { for (const cp of list) fn(cp.frames); }
  }

  /**
   * Marks a checkpoint done: every path from it was found safe.
   *
   * @param i Its instruction.
   * @param cp The checkpoint.
   */
  close(i: number, cp: Checkpoint): void {
    cp.done = true;
    this.#open[i]--;
    this.#loops.remove(cp);
    (this.#done[i] ??= []).push(cp);
  }

  #compare(i: number, old: Frame[], st: State, within: boolean): boolean {
    const cur = st.frames;
    if (old.length !== cur.length) return false;
    const { live, precise } = this.#masks;
    const ids = this.#ids;
    ids.reset();
    const top = cur.length - 1;
    for (let k = 0; k <= top; k++) {
      const a = old[k], b = cur[k];
      if (a.returnTo !== b.returnTo || a.subprog !== b.subprog) return false;
      // The current frame continues at i; a caller where its callee returns to, with R6-R9 kept.
      const at = k === top ? i : cur[k + 1].returnTo;
      const lv = live[at], pr = precise[at];
      for (let n = k === top ? 0 : 6; n <= 9; n++) {
        if (((lv >> n) & 1) === 0) continue;
        const p = ((pr >> n) & 1) === 1;
        const ok = within
          ? regWithin(a.regs[n], b.regs[n], p, ids)
          : regsEqual(a.regs[n], b.regs[n], p, ids);
        if (!ok) return false;
      }
    }
    for (let k = 0; k <= top; k++) {
      if (!compareStacks(old[k].stack, cur[k].stack, within, ids)) return false;
    }
    return true;
  }
}
