/**
 * The byte classes the extractor's scanner works with: one 256-entry table whose entries are bit
 * sets, so one load and one OR per byte accumulate what a token is made of.
 *
 * A byte with class 0 is a delimiter. Every other byte is a token byte: ASCII letters and digits,
 * `.`, `-`, `_`, `:` and every byte 0x80–0xFF (a UTF-8 sequence is checked later, only for the
 * tokens that contain one; see `_unicode.ts`).
 *
 * @module
 */

/** `0`–`9`. */
export const C_DIGIT = 1;
/** `a`–`f`, `A`–`F`. */
export const C_HEX_LETTER = 2;
/** The other ASCII letters, `g`–`z`, `G`–`Z`. */
export const C_LETTER = 4;
/** `.` */
export const C_DOT = 8;
/** `-` */
export const C_HYPHEN = 16;
/** `_` */
export const C_UNDERSCORE = 32;
/** `:` */
export const C_COLON = 64;
/** A byte 0x80–0xFF: part of a UTF-8 sequence, or garbage. */
export const C_HIGH = 128;

/** Letters and digits. */
export const C_ALNUM: number = C_DIGIT | C_HEX_LETTER | C_LETTER;
/** Hex digits. */
export const C_HEX: number = C_DIGIT | C_HEX_LETTER;
/** What a domain label may hold: letters, digits, `-` and non-ASCII characters. */
export const C_LABEL: number = C_ALNUM | C_HYPHEN | C_HIGH;

/** Byte values the parsers name. */
export const B_PERCENT = 0x25;
/** `.` */
export const B_DOT = 0x2e;
/** `/` */
export const B_SLASH = 0x2f;
/** `:` */
export const B_COLON = 0x3a;
/** `@` */
export const B_AT = 0x40;
/** `[` */
export const B_LBRACKET = 0x5b;
/** `]` */
export const B_RBRACKET = 0x5d;
/** `-` */
export const B_HYPHEN = 0x2d;
/** `0` */
export const B_ZERO = 0x30;
/** `x` */
export const B_X = 0x78;

/** The class of every byte value. */
export const CHAR_CLASS: Uint8Array = buildCharClass();

function buildCharClass(): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) t[c] = C_DIGIT;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = c <= 0x66 ? C_HEX_LETTER : C_LETTER;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = c <= 0x46 ? C_HEX_LETTER : C_LETTER;
  t[B_DOT] = C_DOT;
  t[B_HYPHEN] = C_HYPHEN;
  t[0x5f] = C_UNDERSCORE;
  t[B_COLON] = C_COLON;
  for (let c = 0x80; c <= 0xff; c++) t[c] = C_HIGH;
  return t;
}

/** The value of each hex digit, or 255 for any other byte. */
export const HEX_VALUE: Uint8Array = buildHexValue();

function buildHexValue(): Uint8Array {
  const t = new Uint8Array(256).fill(255);
  for (let c = 0; c < 10; c++) t[0x30 + c] = c;
  for (let c = 0; c < 6; c++) {
    t[0x61 + c] = 10 + c;
    t[0x41 + c] = 10 + c;
  }
  return t;
}
