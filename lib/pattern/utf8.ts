/**
 * UTF-8 encoding of JavaScript strings without allocation (optionally case-folded on the way),
 * and decoding back, as the literal and glob sections store text and the string query reads
 * it. Lone surrogates are written in their 3-byte form (as WTF-8 does), so that every
 * JavaScript string has exactly one encoding.
 *
 * @module
 */
import { foldCodePoint } from "./case_fold.ts";
import { asciiLower } from "../core/ascii.ts";

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
      if (fold) cp = asciiLower(cp);
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
 * Encodes a string to a new UTF-8 byte array with the same rules as {@linkcode encodeUtf8Into}
 * (for build time; allocates).
 *
 * @param s The string.
 * @param fold Whether to case-fold first.
 * @returns The bytes.
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
