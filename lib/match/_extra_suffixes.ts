/**
 * Top-level labels the extractor accepts as domain endings beyond the Public Suffix List: the
 * reserved and private ones that threat feeds use (`.example`, `.test`, `.internal`, `.corp`,
 * `.lan`) and whatever the database being matched holds. `evil.example` is a domain to a matcher
 * whose database has an entry ending in `.example`; to the list alone it is not.
 *
 * A small open-addressing hash set of lower-case labels over bytes, allocation-free to query.
 *
 * @module
 */
import { asciiLower } from "../core/ascii.ts";
import * as charClass from "./_char_class.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { B_DOT } = charClass;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** A set of last labels (`example`, `corp`), compared without ASCII case. */
export class ExtraSuffixes {
  #keys: Uint8Array[] = [];
  #hashes: number[] = [];
  #slots: Int32Array;
  #mask: number;

  /**
   * @param labels The labels, without dots (those with a dot or empty are ignored).
   */
  constructor(labels: Iterable<string>) {
    const enc = new TextEncoder();
    const unique = new Set<string>();
    for (const l of labels) {
      if (l.length > 0 && !l.includes(".")) unique.add(l.toLowerCase());
    }
    let size = 8;
    while (size < unique.size * 2) size <<= 1;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    for (const l of unique) {
      const key = enc.encode(l);
      const h = hashOf(key, 0, key.length);
      let slot = h & this.#mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#keys.push(key);
      this.#hashes.push(h);
      this.#slots[slot] = this.#keys.length;
    }
  }

  /** How many labels the set holds. */
  get size(): number {
    return this.#keys.length;
  }

  /**
   * Tells whether the last label of the name `bytes[start..end)` is in the set and at least one
   * label comes before it.
   */
  matches(bytes: Uint8Array, start: number, end: number): boolean {
    if (this.#keys.length === 0) return false;
    let dot = end - 1;
    while (dot > start && bytes[dot] !== B_DOT) dot--;
    if (dot <= start || dot === end - 1) return false;
    const h = hashOf(bytes, dot + 1, end);
    const len = end - dot - 1;
    for (let slot = h & this.#mask;; slot = (slot + 1) & this.#mask) {
      const e = this.#slots[slot] - 1;
      if (e < 0) return false;
      if (this.#hashes[e] !== h) continue;
      const key = this.#keys[e];
      if (key.length !== len) continue;
      let i = 0;
      while (i < len && key[i] === asciiLower(bytes[dot + 1 + i])) i++;
      if (i === len) return true;
    }
  }
}

/** FNV-1a over ASCII-lower-cased bytes. */
function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ asciiLower(bytes[i]), FNV_PRIME);
  return h;
}
