/**
 * Unicode simple case folding on code points and the UTF-8 encoding of JavaScript strings
 * without allocation, shared by the literal section, the glob matcher and the string query.
 *
 * Folding maps every code point of an equivalence class ("A", "a"; "Σ", "σ", "ς"; "K", "k",
 * KELVIN SIGN) to one member of it, following the simple (one code point to one code point)
 * mappings of Unicode's CaseFolding.txt as the JavaScript engine knows them. Tables are built
 * once, on first use.
 *
 * @module
 */

let bmpFold: Uint16Array | null = null;
let astralFrom: Int32Array = new Int32Array(0);
let astralTo: Int32Array = new Int32Array(0);
let changing: Int32Array = new Int32Array(0);

function single(s: string): number {
  const cp = s.codePointAt(0)!;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : -1;
}

function fold1(cp: number): number {
  // U+0130 and U+0131 have only Turkic (T) or full (F) foldings: no simple folding.
  if (cp === 0x130 || cp === 0x131) return cp;
  const s = String.fromCodePoint(cp);
  const up = single(s.toUpperCase());
  if (up >= 0 && up !== 0x130 && up !== 0x131) {
    const lo = single(String.fromCodePoint(up).toLowerCase());
    if (lo >= 0 && lo !== 0x131) return lo;
  }
  const lo = single(s.toLowerCase());
  return lo >= 0 && lo !== 0x131 ? lo : cp;
}

function foldFull(cp: number): number {
  let f = fold1(cp);
  for (let i = 0; i < 4; i++) {
    const g = fold1(f);
    if (g === f) break;
    f = g;
  }
  return f;
}

function ensureTables(): Uint16Array {
  if (bmpFold !== null) return bmpFold;
  const bmp = new Uint16Array(0x10000);
  const ch: number[] = [];
  for (let cp = 0; cp < 0x10000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) {
      bmp[cp] = cp;
      continue;
    }
    const f = cp < 0x41 ? cp : foldFull(cp);
    // A BMP character that folds outside the BMP does not exist in Unicode; keep it as is.
    bmp[cp] = f <= 0xffff ? f : cp;
    if (bmp[cp] !== cp) ch.push(cp);
  }
  const af: number[] = [];
  const at: number[] = [];
  for (let cp = 0x10000; cp < 0x20000; cp++) {
    const f = foldFull(cp);
    if (f !== cp) {
      af.push(cp);
      at.push(f);
      ch.push(cp);
    }
  }
  astralFrom = Int32Array.from(af);
  astralTo = Int32Array.from(at);
  changing = Int32Array.from(ch);
  bmpFold = bmp;
  return bmp;
}

/**
 * Folds one code point (simple case folding).
 *
 * @param cp The code point.
 * @returns The folded code point (the class representative).
 * @example
 * ```ts
 * import { foldCodePoint } from "./_case_fold.ts";
 * import assert from "node:assert/strict";
 * assert.equal(foldCodePoint(0x41), 0x61);
 * assert.equal(foldCodePoint(0x212a), 0x6b); // KELVIN SIGN folds with "k"
 * ```
 */
export function foldCodePoint(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  const bmp = bmpFold ?? ensureTables();
  if (cp <= 0xffff) return bmp[cp];
  let lo = 0, hi = astralFrom.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = astralFrom[mid];
    if (v === cp) return astralTo[mid];
    if (v < cp) lo = mid + 1;
    else hi = mid - 1;
  }
  return cp;
}

/**
 * The sorted list of code points whose folding differs from themselves.
 *
 * @returns The list (shared; do not modify).
 * @example
 * ```ts
 * import { foldChangingCodePoints } from "./_case_fold.ts";
 * import assert from "node:assert/strict";
 * assert.ok(foldChangingCodePoints().includes(0x41));
 * ```
 */
export function foldChangingCodePoints(): Int32Array {
  ensureTables();
  return changing;
}

/**
 * Folds a whole string (code point by code point).
 *
 * @param s The string.
 * @returns The folded string.
 * @example
 * ```ts
 * import { foldString } from "./_case_fold.ts";
 * import assert from "node:assert/strict";
 * assert.equal(foldString("ExAmple.COM"), "example.com");
 * ```
 */
export function foldString(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    out += String.fromCodePoint(foldCodePoint(cp));
  }
  return out;
}

/**
 * Encodes a string as UTF-8 (lone surrogates as their 3-byte form, as WTF-8 does, so that every
 * JavaScript string has exactly one encoding), optionally case-folded, into a caller-owned buffer.
 * Returns the byte length, or -1 when `out` is too small (the caller grows it: 3 bytes per UTF-16
 * unit always suffice).
 *
 * @param s The string.
 * @param out The buffer to write to.
 * @param fold Whether to case-fold each code point first.
 * @returns The number of bytes written, or -1 if `out` is too short.
 * @example
 * ```ts
 * import { encodeUtf8Into } from "./_case_fold.ts";
 * import assert from "node:assert/strict";
 * const buf = new Uint8Array(16);
 * assert.equal(encodeUtf8Into("Aé", buf, true), 3);
 * assert.deepEqual([...buf.subarray(0, 3)], [0x61, 0xc3, 0xa9]);
 * ```
 */
export function encodeUtf8Into(s: string, out: Uint8Array, fold: boolean): number {
  return encodeAt(s, out, 0, fold);
}

function encodeAt(s: string, out: Uint8Array, start: number, fold: boolean): number {
  const n = s.length;
  const cap = out.length;
  let j = start;
  for (let i = 0; i < n; i++) {
    let cp = s.charCodeAt(i);
    if (cp < 0x80) {
      if (j >= cap) return -1;
      if (fold && cp >= 0x41 && cp <= 0x5a) cp += 32;
      out[j++] = cp;
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (fold) cp = foldCodePoint(cp);
    if (j + 4 > cap) return -1;
    j = utf8Put(cp, out, j);
  }
  return j - start;
}

/**
 * Writes one code point as UTF-8 at `out[j]` (lone surrogates in their 3-byte form, as the
 * encoder does); the caller makes room for 4 bytes.
 *
 * @param cp The code point.
 * @param out The output buffer.
 * @param j Where to write.
 * @returns The position after the written bytes.
 * @example
 * ```ts
 * import { utf8Put } from "./_case_fold.ts";
 * import assert from "node:assert/strict";
 * const out = new Uint8Array(4);
 * assert.equal(utf8Put(0xe9, out, 0), 2);
 * assert.deepEqual([...out.subarray(0, 2)], [0xc3, 0xa9]);
 * ```
 */
export function utf8Put(cp: number, out: Uint8Array, j: number): number {
  if (cp < 0x80) {
    out[j++] = cp;
  } else if (cp < 0x800) {
    out[j++] = 0xc0 | (cp >> 6);
    out[j++] = 0x80 | (cp & 63);
  } else if (cp < 0x10000) {
    out[j++] = 0xe0 | (cp >> 12);
    out[j++] = 0x80 | ((cp >> 6) & 63);
    out[j++] = 0x80 | (cp & 63);
  } else {
    out[j++] = 0xf0 | (cp >> 18);
    out[j++] = 0x80 | ((cp >> 12) & 63);
    out[j++] = 0x80 | ((cp >> 6) & 63);
    out[j++] = 0x80 | (cp & 63);
  }
  return j;
}

/**
 * Decodes a string into code points (optionally case-folded) in a caller-owned buffer. Returns
 * the number of code points, or -1 when `out` is too small (one slot per UTF-16 unit suffices).
 *
 * @param s The string.
 * @param out The buffer to write to.
 * @param fold Whether to case-fold each code point.
 * @returns The number of code points, or -1 if `out` is too short.
 * @example
 * ```ts
 * import { codePointsInto } from "./_case_fold.ts";
 * import assert from "node:assert/strict";
 * const buf = new Int32Array(8);
 * assert.equal(codePointsInto("A😀", buf, true), 2);
 * assert.deepEqual([...buf.subarray(0, 2)], [0x61, 0x1f600]);
 * ```
 */
export function codePointsInto(s: string, out: Int32Array, fold: boolean): number {
  const n = s.length;
  if (out.length < n) return -1;
  let j = 0;
  for (let i = 0; i < n; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    out[j++] = fold ? foldCodePoint(cp) : cp;
  }
  return j;
}

/**
 * Encodes a string to a new UTF-8 byte array with the same rules as {@linkcode encodeUtf8Into}
 * (for build time; allocates).
 *
 * @param s The string.
 * @param fold Whether to case-fold first.
 * @returns The bytes.
 * @example
 * ```ts
 * import { encodeUtf8 } from "./_case_fold.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...encodeUtf8("Hi", false)], [0x48, 0x69]);
 * ```
 */
export function encodeUtf8(s: string, fold: boolean): Uint8Array {
  const buf = new Uint8Array(s.length * 3 + 4);
  const n = encodeUtf8Into(s, buf, fold);
  return buf.slice(0, n);
}

/**
 * Decodes UTF-8 bytes written by {@linkcode encodeUtf8Into} back to a string (lone surrogates
 * included).
 *
 * @param bytes The bytes.
 * @returns The string.
 * @example
 * ```ts
 * import { decodeUtf8, encodeUtf8 } from "./_case_fold.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decodeUtf8(encodeUtf8("a\uD800b", false)), "a\uD800b");
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    let cp: number;
    if (b < 0x80) {
      cp = b;
      i += 1;
    } else if (b < 0xe0) {
      cp = ((b & 31) << 6) | (bytes[i + 1] & 63);
      i += 2;
    } else if (b < 0xf0) {
      cp = ((b & 15) << 12) | ((bytes[i + 1] & 63) << 6) | (bytes[i + 2] & 63);
      i += 3;
    } else {
      cp = ((b & 7) << 18) | ((bytes[i + 1] & 63) << 12) | ((bytes[i + 2] & 63) << 6) |
        (bytes[i + 3] & 63);
      i += 4;
    }
    out += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
  }
  return out;
}

/**
 * A growable buffer of UTF-8 text for build time: strings are appended (encoded as
 * {@linkcode encodeUtf8Into} does) without a typed array per string.
 *
 * @example
 * ```ts
 * import { Utf8Buffer } from "./_case_fold.ts";
 * import assert from "node:assert/strict";
 * const b = new Utf8Buffer();
 * assert.equal(b.append("ab", false), 0);
 * assert.equal(b.append("É", true), 2);
 * assert.deepEqual([...b.bytes()], [0x61, 0x62, 0xc3, 0xa9]);
 * ```
 */
export class Utf8Buffer {
  #buf: Uint8Array = new Uint8Array(1024);
  #len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /**
   * Appends a string.
   *
   * @param s The string.
   * @param fold Whether to case-fold it.
   * @returns The offset where it starts.
   */
  append(s: string, fold: boolean): number {
    const need = this.#len + s.length * 3 + 4;
    if (need > this.#buf.length) {
      const nb = new Uint8Array(Math.max(need, this.#buf.length * 2));
      nb.set(this.#buf.subarray(0, this.#len));
      this.#buf = nb;
    }
    const at = this.#len;
    this.#len += encodeAt(s, this.#buf, at, fold);
    return at;
  }

  /**
   * The bytes written (a view, valid until the next append).
   *
   * @returns The bytes.
   */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}
