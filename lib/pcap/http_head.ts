/**
 * One pass over an HTTP/1.x start line and header lines: where the start line's three parts
 * are, the values of the headers that frame the body (`Content-Length`, `Transfer-Encoding`)
 * and of those the DPI plugin reports (`Host`, `User-Agent`, `Content-Type`), and where the
 * head ends (after its empty line). The stream framer reads a message's head with it and the
 * DPI plugin takes the framer's reading of the message it hands over instead of reading the
 * head again; read packet by packet, the plugin reads a payload with it as far as it goes.
 *
 * @module
 */
import { asciiStartsWith } from "../core/ascii.ts";

const CH_LF = 0x0a, CH_CR = 0x0d, CH_SPACE = 0x20, CH_TAB = 0x09, CH_COLON = 0x3a;
/** ASCII letters' case bit, and the lower-case first letters of the headers read. */
const CASE_BIT = 0x20;
const CH_LOWER_C = 0x63, CH_LOWER_H = 0x68, CH_LOWER_T = 0x74, CH_LOWER_U = 0x75;
/** Header lines longer than this are searched natively (a call costs more than short loops). */
const SHORT_LINE = 256;

/**
 * What {@linkcode readHttpHead} found, as offsets from the head's first byte (-1: absent).
 * Header values are trimmed of spaces and tabs; of a header given twice the last one counts
 * (`Content-Length` twice with different values sets `badLength`).
 */
export class HttpHead {
  /** Offset just after the empty line that ends the head, or -1 when the bytes end before it. */
  end = -1;
  /** The end of the start line (before its CR LF). */
  lineEnd = 0;
  /** The start line's first space, or -1 when it has none. */
  sp1 = -1;
  /** The start line's second space, or `lineEnd` when it has none. */
  sp2 = 0;
  /** `Host` value. */
  hostStart = -1;
  hostEnd = -1;
  /** `User-Agent` value. */
  uaStart = -1;
  uaEnd = -1;
  /** `Content-Type` value. */
  ctStart = -1;
  ctEnd = -1;
  /** `Content-Length` value (text). */
  clStart = -1;
  clEnd = -1;
  /** `Content-Length` as a number, or -1 when absent. */
  contentLength = -1;
  /** Whether a `Content-Length` was not a decimal number, or two disagreed. */
  badLength = false;
  /** Whether the last `Transfer-Encoding` ends with the `chunked` coding. */
  chunked = false;
}

/**
 * Reads the start line and header lines of `bytes[offset, offset + length)` into `into`, up to
 * the empty line that ends them or to the end of the bytes (a last line without its line feed
 * is read as a whole line).
 *
 * @param bytes The buffer.
 * @param offset Where the start line starts.
 * @param length Bytes available.
 * @param into The record to fill.
 * @returns `into.end`: the head's length with its empty line, or -1 when it did not end.
 */
export function readHttpHead(
  bytes: Uint8Array,
  offset: number,
  length: number,
  into: HttpHead,
): number {
  const end = offset + length;
  let stop = end - offset > SHORT_LINE ? offset + SHORT_LINE : end;
  let eol = offset;
  while (eol < stop && bytes[eol] !== CH_LF) eol++;
  if (eol === stop && stop !== end) eol = longLineEnd(bytes, stop, end);
  let lineEnd = eol > offset && bytes[eol - 1] === CH_CR ? eol - 1 : eol;
  into.lineEnd = lineEnd - offset;
  let sp = offset;
  while (sp < lineEnd && bytes[sp] !== CH_SPACE) sp++;
  if (sp < lineEnd) {
    into.sp1 = sp - offset;
    sp++;
    while (sp < lineEnd && bytes[sp] !== CH_SPACE) sp++;
    into.sp2 = sp - offset;
  } else {
    into.sp1 = -1;
    into.sp2 = lineEnd - offset;
  }
  // (A value's end is read only when its start is set.)
  into.hostStart =
    into.uaStart =
    into.ctStart =
    into.clStart =
    into.contentLength =
      -1;
  into.badLength = into.chunked = false;
  into.end = -1;
  let p = eol + 1;
  while (p < end) {
    stop = end - p > SHORT_LINE ? p + SHORT_LINE : end;
    eol = p;
    while (eol < stop && bytes[eol] !== CH_LF) eol++;
    if (eol === stop && stop !== end) eol = longLineEnd(bytes, stop, end);
    lineEnd = eol > p && bytes[eol - 1] === CH_CR ? eol - 1 : eol;
    if (lineEnd === p) {
      // The empty line: the head ends after it (a last CR without its LF does not end it).
      if (eol < end) into.end = eol + 1 - offset;
      break;
    }
    // A header is one of those read when the line's first colon follows its name (the names
    // hold no colon): other lines are passed over by their first letter.
    const first = bytes[p] | CASE_BIT;
    if (first === CH_LOWER_H) {
      if (isHeader(bytes, p, lineEnd, "host")) {
        const vs = valueStart(bytes, p + 5, lineEnd);
        into.hostStart = vs - offset;
        into.hostEnd = valueEnd(bytes, vs, lineEnd) - offset;
      }
    } else if (first === CH_LOWER_C) {
      if (isHeader(bytes, p, lineEnd, "content-type")) {
        const vs = valueStart(bytes, p + 13, lineEnd);
        into.ctStart = vs - offset;
        into.ctEnd = valueEnd(bytes, vs, lineEnd) - offset;
      } else if (isHeader(bytes, p, lineEnd, "content-length")) {
        const vs = valueStart(bytes, p + 15, lineEnd);
        const ve = valueEnd(bytes, vs, lineEnd);
        into.clStart = vs - offset;
        into.clEnd = ve - offset;
        const value = decimal(bytes, vs, ve);
        if (value < 0 || (into.contentLength >= 0 && value !== into.contentLength)) {
          into.badLength = true;
        } else into.contentLength = value;
      }
    } else if (first === CH_LOWER_U) {
      if (isHeader(bytes, p, lineEnd, "user-agent")) {
        const vs = valueStart(bytes, p + 11, lineEnd);
        into.uaStart = vs - offset;
        into.uaEnd = valueEnd(bytes, vs, lineEnd) - offset;
      }
    } else if (first === CH_LOWER_T) {
      if (isHeader(bytes, p, lineEnd, "transfer-encoding")) {
        const v = valueStart(bytes, p + 18, lineEnd);
        const ve = valueEnd(bytes, v, lineEnd);
        // Chunked when it is the last transfer coding.
        into.chunked = ve - v >= 7 && asciiStartsWith(bytes, ve - 7, "chunked") &&
          (ve - v === 7 || bytes[ve - 8] === CH_SPACE || bytes[ve - 8] === 0x2c);
      }
    }
    p = eol + 1;
  }
  return into.end;
}

/**
 * Whether the header line `buf[p, lineEnd)` is named `lower` (ignoring ASCII case): the name is
 * followed by the line's first colon.
 */
function isHeader(buf: Uint8Array, p: number, lineEnd: number, lower: string): boolean {
  const n = lower.length;
  return p + n < lineEnd && buf[p + n] === CH_COLON && asciiStartsWith(buf, p, lower);
}

function valueStart(b: Uint8Array, v: number, lineEnd: number): number {
  while (v < lineEnd && (b[v] === CH_SPACE || b[v] === CH_TAB)) v++;
  return v;
}

function valueEnd(b: Uint8Array, vs: number, lineEnd: number): number {
  let ve = lineEnd;
  while (ve > vs && (b[ve - 1] === CH_SPACE || b[ve - 1] === CH_TAB)) ve--;
  return ve;
}

/** The end of a long line (its line feed, or `to`), searched natively from `from`. */
function longLineEnd(b: Uint8Array, from: number, to: number): number {
  const i = b.indexOf(CH_LF, from);
  return i >= 0 && i < to ? i : to;
}

/**
 * Index of the first line feed in `b[from, to)`, or -1: a byte loop over the first bytes (most
 * lines are short), then the native search over what is left of a long line (large cookies).
 *
 * @param b The buffer.
 * @param from Where to start.
 * @param to Where to stop.
 * @returns The index, or -1.
 */
export function lineFeed(b: Uint8Array, from: number, to: number): number {
  const stop = Math.min(to, from + SHORT_LINE);
  for (let i = from; i < stop; i++) if (b[i] === CH_LF) return i;
  if (stop === to) return -1;
  const lf = b.indexOf(CH_LF, stop);
  return lf >= 0 && lf < to ? lf : -1;
}

/**
 * A decimal number in `b[from, to)`, or -1 when it is not one (or too large).
 *
 * @param b The buffer.
 * @param from The first digit.
 * @param to After the last.
 * @returns The number, or -1.
 */
export function decimal(b: Uint8Array, from: number, to: number): number {
  if (from >= to || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
