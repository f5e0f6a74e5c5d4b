/**
 * The entry texts of hits, kept by what identifies the entry: a network by its masked address
 * and prefix length, a literal or glob by its entry number. Every hit of a log on the same
 * network or entry gets the same string without formatting it again. Bounded: a fixed number of
 * slots, each holding the last entry that fell in it, and texts longer than
 * {@linkcode MAX_CHARS} are not kept.
 *
 * @module
 */
import type { Database } from "../db/database.ts";
import { formatNetwork } from "../core/ip.ts";

/** Slots of each table (a power of two). */
const SLOTS = 4096;
const SLOT_SHIFT = 20; // 32 - log2(SLOTS)
/** Texts longer than this are made for every hit (the tables hold at most 2 × 4096 × 1024). */
const MAX_CHARS = 1024;
const GOLDEN = 0x9e3779b1;
const MIX = 0x27d4eb2d;
const V6_KEY = 17; // 16 address bytes and the prefix length
const B_A = 0x41;
const B_Z = 0x5a;
const B_HIGH = 0x80;
/** Spans up to this long are made from their bytes without the decoder. */
const SHORT = 64;

const DECODER = new TextDecoder();

/**
 * Text of `bytes[start, end)` as UTF-8 (invalid sequences as U+FFFD), A–Z in lower case.
 *
 * @param bytes The bytes.
 * @param start First byte.
 * @param end One past the last byte.
 * @returns The text.
 */
export function lowerText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i] >= B_HIGH) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      let upper = false;
      for (let i = start; i < end; i++) {
        const c = bytes[i];
        if (c >= B_A && c <= B_Z) {
          upper = true;
          break;
        }
      }
      const s = String.fromCharCode.apply(
        null,
        bytes.subarray(start, end) as unknown as number[],
      );
      return upper ? s.toLowerCase() : s;
    }
  }
  return DECODER.decode(bytes.subarray(start, end)).replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** The bounded tables of one matcher's entry texts. */
export class EntryTexts {
  #db: Database;
  /** IPv4 networks (masked address × 64 + prefix) and string entries (−1 − entry × 2 − kind). */
  #keys = new Float64Array(SLOTS).fill(NaN);
  #texts: string[] = new Array<string>(SLOTS).fill("");
  /** IPv6 networks: the masked address and prefix length of each slot; prefix 255: empty. */
  #v6Keys = new Uint8Array(SLOTS * V6_KEY).fill(255);
  #v6Texts: string[] = new Array<string>(SLOTS).fill("");
  #scratch = new Uint8Array(16);

  /** @param db The database the entries are in. */
  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * The text of a network of the search tree.
   *
   * @param address The address looked up (4 or 16 bytes used, by `version`).
   * @param version 4 or 6.
   * @param prefixLength The network's prefix length.
   * @returns The network in CIDR notation.
   */
  network(address: Uint8Array, version: 4 | 6, prefixLength: number): string {
    if (version === 4) {
      const v = (address[0] << 24) | (address[1] << 16) | (address[2] << 8) | address[3];
      const masked = prefixLength === 0 ? 0 : (v & (-1 << (32 - prefixLength))) >>> 0;
      const key = masked * 64 + prefixLength;
      const slot = Math.imul(masked ^ Math.imul(prefixLength, MIX), GOLDEN) >>> SLOT_SHIFT;
      if (this.#keys[slot] === key) return this.#texts[slot];
      const text = formatNetwork(address.subarray(0, 4), prefixLength);
      this.#keys[slot] = key;
      this.#texts[slot] = text;
      return text;
    }
    const m = this.#scratch;
    let h = Math.imul(prefixLength, MIX);
    for (let i = 0; i < 16; i++) {
      const keep = prefixLength - i * 8;
      const b = keep >= 8 ? address[i] : keep <= 0 ? 0 : address[i] & (0xff << (8 - keep));
      m[i] = b;
      h = Math.imul(h ^ b, GOLDEN);
    }
    const slot = Math.imul(h, GOLDEN) >>> SLOT_SHIFT;
    const keys = this.#v6Keys;
    const at = slot * V6_KEY;
    let same = keys[at + 16] === prefixLength;
    for (let i = 0; same && i < 16; i++) same = keys[at + i] === m[i];
    if (same) return this.#v6Texts[slot];
    const text = formatNetwork(address.subarray(0, 16), prefixLength);
    keys.set(m, at);
    keys[at + 16] = prefixLength;
    this.#v6Texts[slot] = text;
    return text;
  }

  /**
   * The text of a literal or glob entry.
   *
   * @param kind The entry's kind code (`MATCH_LITERAL` or `MATCH_GLOB`).
   * @param entry The entry's number.
   * @returns The literal or the glob as written.
   */
  string(kind: number, entry: number): string {
    if ((kind & ~1) !== 0) return this.#db.stringEntry(kind, entry); // not a string entry kind
    const key = -1 - entry * 2 - kind;
    const slot = Math.imul(entry ^ Math.imul(kind + 1, MIX), GOLDEN) >>> SLOT_SHIFT;
    if (this.#keys[slot] === key) return this.#texts[slot];
    const text = this.#db.stringEntry(kind, entry);
    if (text.length <= MAX_CHARS) {
      this.#keys[slot] = key;
      this.#texts[slot] = text;
    }
    return text;
  }
}
