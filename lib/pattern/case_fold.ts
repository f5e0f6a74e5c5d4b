/**
 * Unicode simple case folding of code points and strings, for case-insensitive literals and
 * globs.
 *
 * Folding maps every code point of an equivalence class ("A", "a"; "Σ", "σ", "ς"; "K", "k",
 * KELVIN SIGN) to one member of it, following the simple (one code point to one code point)
 * mappings of Unicode's CaseFolding.txt as the JavaScript engine knows them. Tables are built
 * once, on first use.
 *
 * @module
 */
import { asciiLower } from "../core/ascii.ts";

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
 */
export function foldCodePoint(cp: number): number {
  if (cp < 0x80) return asciiLower(cp);
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
 * Decodes a string into code points (optionally case-folded) in a caller-owned buffer. Returns
 * the number of code points, or -1 when `out` is too small (one slot per UTF-16 unit suffices).
 *
 * @param s The string.
 * @param out The buffer to write to.
 * @param fold Whether to case-fold each code point.
 * @returns The number of code points, or -1 if `out` is too short.
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
