/**
 * The verifier's stack of one call frame: 8-byte slots (slot `s` holds the bytes at
 * `[-8(s+1), -8s)` below the frame top), each with the bytes written and the values spilled
 * into it, in a persistent 16-way trie shared between states. A state writes in place the nodes
 * it created since it was last copied (each node carries the edit token of its creator) and
 * copies only the path to a slot otherwise, so a copy of a state costs nothing and a walk stores
 * only what changed. Two stacks are compared by walking the nodes they do not share.
 *
 * @module
 */
import type { StackPrecision } from "./_verify_dataflow.ts";
import {
  IdMap,
  isOrNull,
  isUnknown,
  mix,
  type Reg,
  regHash,
  regsEqual,
  regWithin,
  SCALAR,
} from "./_verify_values.ts";

/** A value stored in bytes `[b, b + size)` of a slot: a spilled register or a narrower scalar. */
export interface Part {
  readonly b: number;
  readonly size: number;
  readonly reg: Reg;
}

/** One 8-byte slot: which bytes were written (bit i: byte i) and the values known in them. */
export interface Slot {
  readonly mask: number;
  /** Sorted by `b`, not overlapping; scalars that say nothing are left out. */
  readonly parts: readonly Part[];
  /** A hash of mask and parts. */
  readonly h: number;
  /** Whether a part is a maybe-null map value (whose lookup id pairs up when states are compared). */
  readonly nulls: boolean;
  /** The last memory audit that counted it. */
  mark: number;
}

interface Node {
  owner: number;
  kids: (Node | Slot | undefined)[];
  /** How many slots below have parts. */
  spills: number;
  /** How many slots below have maybe-null map values. */
  nulls: number;
  /** The last memory audit that counted it. */
  mark: number;
}

/** Bytes allocated for states, counted as they are made (between memory audits). */
export interface AllocMeter {
  bytes: number;
}

/** What writes a stack: the state's edit token and the walk's allocation meter. */
export interface StackOwner {
  edit: number;
  meter: AllocMeter;
}

/**
 * Estimated bytes of a trie node (the object and its array of 16), of a slot, of a slot's array
 * of values, and of each value (the part, and a register value with its bigints), as V8 lays
 * them out on 64-bit machines.
 */
const NODE_BYTES = 240;
const SLOT_BYTES = 64;
const PARTS_BYTES = 48;
const PART_BYTES = 184;

function slotBytes(slot: Slot): number {
  const n = slot.parts.length;
  return n === 0 ? SLOT_BYTES : SLOT_BYTES + PARTS_BYTES + n * PART_BYTES;
}

/** One frame's stack in one state (a small record; the trie under it is shared). */
export interface FrameStack {
  root: Node | undefined;
  levels: number;
  /** XOR of the hashes of the slots present. */
  hash: number;
  /** The deepest byte used (positive). */
  depth: number;
  /** Which bytes' values can matter (the frame's subprogram's; values elsewhere are ignored). */
  readonly prec: StackPrecision;
}

const NO_PARTS: readonly Part[] = Object.freeze([]);

/**
 * An empty stack.
 *
 * @param prec Which bytes' values can matter.
 * @returns The stack.
 */
export function newStack(prec: StackPrecision): FrameStack {
  return { root: undefined, levels: 0, hash: 0, depth: 0, prec };
}

/** A copy of the record (the trie is shared). */
export function copyStack(s: FrameStack): FrameStack {
  return { root: s.root, levels: s.levels, hash: s.hash, depth: s.depth, prec: s.prec };
}

/** The bytes of slot `s` whose values can matter. */
function preciseMask(fs: FrameStack, s: number): number {
  return fs.prec === null ? 0xff : fs.prec.get(s) ?? 0;
}

/** Whether a stored value counts when states are compared: a pointer, or bytes that can matter. */
function isPrecise(p: Part, pmask: number): boolean {
  return p.reg.t !== SCALAR || (byteMask(p.b, p.size) & pmask) !== 0;
}

/**
 * A slot of a stack.
 *
 * @param fs The stack it is for.
 * @param s Its index.
 * @param mask Bytes written.
 * @param parts Values known, sorted by byte.
 * @returns The slot.
 */
export function makeSlot(fs: FrameStack, s: number, mask: number, parts: readonly Part[]): Slot {
  // The hash leaves out values that cannot matter, as the comparisons do.
  const pmask = preciseMask(fs, s);
  let h = mix(0x51ab, mask);
  let nulls = false;
  for (const p of parts) {
    if (isPrecise(p, pmask)) h = mix(mix(mix(h, p.b), p.size), regHash(p.reg, true));
    if (isOrNull(p.reg.t)) nulls = true;
  }
  return { mask, parts: parts.length === 0 ? NO_PARTS : parts, h, nulls, mark: 0 };
}

function slotHash(s: number, slot: Slot | undefined): number {
  return slot === undefined ? 0 : mix(slot.h, s);
}

/**
 * The slot at index `s`.
 *
 * @param fs The stack.
 * @param s The slot index.
 * @returns The slot, or undefined when nothing was written there.
 */
export function getSlot(fs: FrameStack, s: number): Slot | undefined {
  let node = fs.root;
  if (node === undefined || (fs.levels < 8 && s >>> (4 * fs.levels) !== 0)) return undefined;
  for (let lvl = fs.levels; lvl > 1; lvl--) {
    node = node.kids[(s >>> (4 * (lvl - 1))) & 15] as Node | undefined;
    if (node === undefined) return undefined;
  }
  return node.kids[s & 15] as Slot | undefined;
}

function newNode(o: StackOwner): Node {
  o.meter.bytes += NODE_BYTES;
  return { owner: o.edit, kids: new Array(16).fill(undefined), spills: 0, nulls: 0, mark: 0 };
}

function own(o: StackOwner, n: Node): Node {
  if (n.owner === o.edit) return n;
  o.meter.bytes += NODE_BYTES;
  return { owner: o.edit, kids: n.kids.slice(), spills: n.spills, nulls: n.nulls, mark: 0 };
}

const path: Node[] = [];

/**
 * Stores a slot (copying the nodes on its path that the state does not own).
 *
 * @param o The writing state.
 * @param fs Its stack.
 * @param s The slot index.
 * @param slot The new slot.
 */
export function setSlot(o: StackOwner, fs: FrameStack, s: number, slot: Slot): void {
  while (fs.levels === 0 || (fs.levels < 8 && s >>> (4 * fs.levels) !== 0)) {
    const top = newNode(o);
    if (fs.root !== undefined) {
      top.kids[0] = fs.root;
      top.spills = fs.root.spills;
      top.nulls = fs.root.nulls;
    }
    fs.root = top;
    fs.levels++;
  }
  let node = own(o, fs.root!);
  fs.root = node;
  path.length = 0;
  path.push(node);
  for (let lvl = fs.levels; lvl > 1; lvl--) {
    const k = (s >>> (4 * (lvl - 1))) & 15;
    const child = node.kids[k] as Node | undefined;
    const next = child === undefined ? newNode(o) : own(o, child);
    node.kids[k] = next;
    node = next;
    path.push(node);
  }
  const old = node.kids[s & 15] as Slot | undefined;
  node.kids[s & 15] = slot;
  o.meter.bytes += slotBytes(slot);
  const delta = (slot.parts.length > 0 ? 1 : 0) -
    (old !== undefined && old.parts.length > 0 ? 1 : 0);
  if (delta !== 0) { for (const n of path) n.spills += delta; }
  const nd = (slot.nulls ? 1 : 0) - (old?.nulls ? 1 : 0);
  if (nd !== 0) { for (const n of path) n.nulls += nd; }
  fs.hash ^= slotHash(s, old) ^ slotHash(s, slot);
}

/**
 * The bytes of a stack's nodes and slots not counted yet in memory audit `epoch` (each is
 * counted once however many states share it).
 *
 * @param fs The stack.
 * @param epoch The audit.
 * @returns The bytes.
 */
export function uncountedBytes(fs: FrameStack, epoch: number): number {
  let bytes = 0;
  const visit = (n: Node, lvl: number) => {
    if (n.mark === epoch) return;
    n.mark = epoch;
    bytes += NODE_BYTES;
    for (let k = 0; k < 16; k++) {
      const c = n.kids[k];
      if (c === undefined) continue;
      if (lvl > 1) visit(c as Node, lvl - 1);
      else if ((c as Slot).mark !== epoch) {
        (c as Slot).mark = epoch;
        bytes += slotBytes(c as Slot);
      }
    }
  };
  if (fs.root !== undefined) visit(fs.root, fs.levels);
  return bytes;
}

/**
 * The indexes of the slots that hold values (parts), in ascending order.
 *
 * @param fs The stack.
 * @param nullsOnly Only the slots holding maybe-null map values.
 * @returns The slot indexes.
 */
function spilledSlots(fs: FrameStack, nullsOnly = false): number[] {
  const out: number[] = [];
  const visit = (n: Node, lvl: number, base: number) => {
    if ((nullsOnly ? n.nulls : n.spills) === 0) return;
    for (let k = 0; k < 16; k++) {
      const c = n.kids[k];
      if (c === undefined) continue;
      if (lvl === 1) {
        const slot = c as Slot;
        if (nullsOnly ? slot.nulls : slot.parts.length > 0) out.push(base + k);
      } else visit(c as Node, lvl - 1, (base + k) * 16);
    }
  };
  if (fs.root !== undefined) visit(fs.root, fs.levels, 0);
  return out;
}

/**
 * Every slot of a stack with its values forgotten (the bytes stay written): what a helper that
 * may write anywhere in it leaves.
 *
 * @param o The writing state.
 * @param fs The stack.
 */
export function clobberStack(o: StackOwner, fs: FrameStack): void {
  for (const s of spilledSlots(fs)) {
    const old = getSlot(fs, s)!;
    setSlot(o, fs, s, makeSlot(fs, s, old.mask, NO_PARTS));
  }
}

/**
 * The parts of a slot after bytes `[b, b + size)` are written with `value` (`null`: unknown),
 * the parts they overlap dropped.
 */
export function writeParts(
  old: Slot | undefined,
  b: number,
  size: number,
  value: Reg | null,
): Part[] {
  const out: Part[] = [];
  let placed = value === null || saysNothing(value, size);
  for (const p of old?.parts ?? NO_PARTS) {
    if (p.b + p.size <= b || p.b >= b + size) {
      if (!placed && p.b > b) {
        out.push({ b, size, reg: value! });
        placed = true;
      }
      out.push(p);
    }
  }
  if (!placed) out.push({ b, size, reg: value! });
  return out.slice(); // exactly as long as it is (a grown array keeps room for 16 more)
}

/** Whether a value stored in `size` bytes tells nothing beyond "written" (so it is not kept). */
function saysNothing(r: Reg, size: number): boolean {
  if (r.t !== SCALAR) return false;
  if (size >= 8) return isUnknown(r);
  return r.umin === 0n && r.umax === (1n << BigInt(size * 8)) - 1n;
}

/** Bits `[b, b + size)` of a byte mask. */
export function byteMask(b: number, size: number): number {
  return ((1 << size) - 1) << b;
}

/** The part that covers bytes `[b, b + size)` of a slot exactly, if any. */
export function partAt(slot: Slot, b: number, size: number): Part | undefined {
  for (const p of slot.parts) if (p.b === b && p.size === size) return p;
  return undefined;
}

/** The part that contains bytes `[b, b + size)` of a slot, if any. */
export function partCovering(slot: Slot, b: number, size: number): Part | undefined {
  for (const p of slot.parts) if (p.b <= b && p.b + p.size >= b + size) return p;
  return undefined;
}

/**
 * Replaces the values spilled anywhere in a stack (`fix` returns its argument to keep one).
 *
 * @param o The writing state.
 * @param fs The stack.
 * @param fix The replacement.
 */
export function mapAllSpills(o: StackOwner, fs: FrameStack, fix: (r: Reg) => Reg): void {
  for (const s of spilledSlots(fs)) {
    const old = getSlot(fs, s)!;
    let changed = false;
    const parts = old.parts.map((p) => {
      const reg = fix(p.reg);
      if (reg === p.reg) return p;
      changed = true;
      return { b: p.b, size: p.size, reg };
    });
    if (changed) setSlot(o, fs, s, makeSlot(fs, s, old.mask, parts));
  }
}

/** Replaces the values of spilled maybe-null map values of one lookup. */
export function mapSpills(o: StackOwner, fs: FrameStack, fix: (r: Reg) => Reg): void {
  for (const s of spilledSlots(fs, true)) {
    const old = getSlot(fs, s)!;
    let changed = false;
    const parts = old.parts.map((p) => {
      if (!isOrNull(p.reg.t)) return p;
      const reg = fix(p.reg);
      if (reg === p.reg) return p;
      changed = true;
      return { b: p.b, size: p.size, reg };
    });
    if (changed) setSlot(o, fs, s, makeSlot(fs, s, old.mask, parts));
  }
}

/**
 * Widens a stack against an earlier one (Linux's `widen_imprecise_scalars`, here for every
 * scalar): a number that an earlier state of the same loop knew, and that this one knows outside
 * it, becomes unknown, so that a loop that changes it on every pass reaches a state the walk has
 * seen. Pointers and bytes written are kept.
 *
 * @param o The writing state.
 * @param cur The stack to widen.
 * @param old The earlier stack.
 */
export function widenScalars(o: StackOwner, cur: FrameStack, old: FrameStack): void {
  const ids = new IdMap();
  for (const s of spilledSlots(cur)) {
    const slot = getSlot(cur, s)!;
    const before = getSlot(old, s);
    if (before === undefined) continue;
    const parts: Part[] = [];
    for (const p of slot.parts) {
      const q = p.reg.t === SCALAR ? partAt(before, p.b, p.size) : undefined;
      if (q === undefined || q.reg.t !== SCALAR || regWithin(q.reg, p.reg, true, ids)) {
        parts.push(p);
      }
    }
    if (parts.length !== slot.parts.length) setSlot(o, cur, s, makeSlot(cur, s, slot.mask, parts));
  }
}

function slotsEqual(a: Slot, b: Slot, ids: IdMap, pmask: number): boolean {
  if (a.mask !== b.mask) return false;
  const pa = a.parts, pb = b.parts;
  let x = 0, y = 0;
  for (;;) {
    while (x < pa.length && !isPrecise(pa[x], pmask)) x++;
    while (y < pb.length && !isPrecise(pb[y], pmask)) y++;
    if (x === pa.length || y === pb.length) return x === pa.length && y === pb.length;
    const p = pa[x++], q = pb[y++];
    if (p.b !== q.b || p.size !== q.size || !regsEqual(p.reg, q.reg, true, ids)) return false;
  }
}

function slotWithin(old: Slot, cur: Slot, ids: IdMap, pmask: number): boolean {
  if ((old.mask & ~cur.mask) !== 0) return false;
  for (const p of old.parts) {
    if (!isPrecise(p, pmask)) continue;
    const q = partAt(cur, p.b, p.size);
    if (q === undefined || !regWithin(p.reg, q.reg, true, ids)) return false;
  }
  // A pointer where the explored state had a number (or bytes) is not included, even where no
  // load reaches a check: what may be done with a pointer differs.
  for (const q of cur.parts) {
    if (q.reg.t === SCALAR) continue;
    const p = partAt(old, q.b, q.size);
    if (p === undefined || p.reg.t === SCALAR) return false;
  }
  return true;
}

function walk(
  a: Node | Slot | undefined,
  b: Node | Slot | undefined,
  lvl: number,
  base: number,
  within: boolean,
  ids: IdMap,
  prec: StackPrecision,
): boolean {
  if (a === b) {
    // Shared, so equal; but the lookup ids of maybe-null values in it must still pair up.
    if (a === undefined) return true;
    if (lvl === 0) {
      if (!(a as Slot).nulls) return true;
    } else if ((a as Node).nulls === 0) return true;
  }
  if (a === undefined) return within;
  if (b === undefined) return false;
  if (lvl === 0) {
    const pmask = prec === null ? 0xff : prec.get(base) ?? 0;
    return within
      ? slotWithin(a as Slot, b as Slot, ids, pmask)
      : slotsEqual(a as Slot, b as Slot, ids, pmask);
  }
  const ka = (a as Node).kids, kb = (b as Node).kids;
  for (let k = 0; k < 16; k++) {
    if (!walk(ka[k], kb[k], lvl - 1, base * 16 + k, within, ids, prec)) return false;
  }
  return true;
}

/**
 * Compares two stacks: exactly, or whether `cur` is within `old` (every byte `old` wrote is
 * written in `cur`, every value `old` knows is known in `cur` at least as precisely).
 *
 * @param old The first (explored) stack.
 * @param cur The second (new) stack.
 * @param within Inclusion (else equality).
 * @param ids The pairing of lookup ids.
 * @returns Whether they compare.
 */
export function compareStacks(
  old: FrameStack,
  cur: FrameStack,
  within: boolean,
  ids: IdMap,
): boolean {
  if (!within && old.hash !== cur.hash) return false;
  let a = old.root, la = old.levels;
  let b = cur.root, lb = cur.levels;
  // Bring both tries to the same height: the taller one's extra levels hold slots the other lacks.
  while (la > lb) {
    const n = a as Node;
    for (let k = 1; k < 16; k++) if (n.kids[k] !== undefined) return false;
    a = n.kids[0] as Node | undefined;
    la--;
    if (a === undefined) return within || b === undefined;
  }
  while (lb > la) {
    const n = b as Node;
    if (!within) { for (let k = 1; k < 16; k++) if (n.kids[k] !== undefined) return false; }
    b = n.kids[0] as Node | undefined;
    lb--;
    if (b === undefined) return a === undefined;
  }
  return walk(a, b, la, 0, within, ids, cur.prec);
}
