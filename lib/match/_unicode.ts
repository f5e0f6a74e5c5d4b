/**
 * What a non-ASCII character is to the scanner: part of a word (a letter of an internationalised
 * domain label, say) or a delimiter. Decoding is strict UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF); a byte that does not start a valid sequence is a one-byte delimiter,
 * so text that is not UTF-8 is still scanned, byte by byte.
 *
 * Delimiters, an approximation of Unicode's punctuation, space and symbol categories by blocks:
 * U+0080–U+00BF (C1 controls, no-break space, Latin-1 punctuation and signs), U+00D7 `×`, U+00F7
 * `÷`, U+2000–U+2BFF (general punctuation, spaces, quotes, arrows, mathematical and technical
 * symbols, box drawing, shapes, dingbats), U+2E00–U+2E7F (supplemental punctuation), U+3000–U+303F
 * (CJK punctuation, the ideographic space and full stop), U+E000–U+F8FF (private use), U+FE00–U+FE6F
 * (variation selectors, vertical and small forms), the fullwidth ASCII punctuation in
 * U+FF00–U+FF65, U+FEFF and U+FFF0–U+FFFF (byte-order mark, specials, U+FFFD), and
 * U+1F000–U+1FAFF (emoji and other pictographs). Every other character is a word character.
 *
 * @module
 */

/** Tells whether a code point (≥ U+0080) is a delimiter; see the module doc. */
export function isDelimiterCodePoint(cp: number): boolean {
  if (cp < 0xc0) return true;
  if (cp < 0x2000) return cp === 0xd7 || cp === 0xf7;
  if (cp < 0x2c00) return true;
  if (cp < 0x3000) return cp >= 0x2e00 && cp < 0x2e80;
  if (cp < 0x3040) return true;
  if (cp < 0xe000) return false;
  if (cp < 0xf900) return true;
  if (cp < 0xfe00) return false;
  if (cp < 0xfe70) return true;
  if (cp < 0xff00) return cp === 0xfeff;
  if (cp < 0xff66) {
    // fullwidth punctuation; fullwidth digits and letters are word characters
    return cp <= 0xff0f || (cp >= 0xff1a && cp <= 0xff20) || (cp >= 0xff3b && cp <= 0xff40) ||
      cp >= 0xff5b;
  }
  if (cp < 0xfff0) return false;
  if (cp < 0x10000) return true;
  return cp >= 0x1f000 && cp < 0x1fb00;
}

/**
 * Classifies the non-ASCII byte sequence at `bytes[i]` (which must be ≥ 0x80).
 *
 * @param bytes The text.
 * @param i Where the sequence starts.
 * @param end One past the last byte that may be read.
 * @returns The sequence's length (2–4) when it is a valid UTF-8 word character; minus the number
 * of bytes to skip (-1 for a byte that starts no valid sequence, minus the length for a
 * delimiter character) otherwise.
 */
export function utf8Class(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i];
  let n: number, cp: number, min: number, max: number;
  if (b0 < 0xc2) return -1;
  if (b0 < 0xe0) {
    n = 2;
    cp = b0 & 0x1f;
    min = 0x80;
    max = 0xbf;
  } else if (b0 < 0xf0) {
    n = 3;
    cp = b0 & 0x0f;
    min = b0 === 0xe0 ? 0xa0 : 0x80;
    max = b0 === 0xed ? 0x9f : 0xbf;
  } else if (b0 < 0xf5) {
    n = 4;
    cp = b0 & 0x07;
    min = b0 === 0xf0 ? 0x90 : 0x80;
    max = b0 === 0xf4 ? 0x8f : 0xbf;
  } else {
    return -1;
  }
  if (i + n > end) return -1;
  const b1 = bytes[i + 1];
  if (b1 < min || b1 > max) return -1;
  cp = (cp << 6) | (b1 & 0x3f);
  for (let k = 2; k < n; k++) {
    const b = bytes[i + k];
    if ((b & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  return isDelimiterCodePoint(cp) ? -n : n;
}
