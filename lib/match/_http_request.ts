/**
 * The request target and Host header of an HTTP/1.x request head, found without allocating.
 *
 * @module
 */
import { httpMethodLength } from "../pcap/http_method.ts";
import { mayStartHttpMessage } from "../pcap/http_framer.ts";

const CH_SPACE = 0x20, CH_TAB = 0x09, CH_CR = 0x0d, CH_LF = 0x0a, CH_COLON = 0x3a;
const CASE_BIT = 0x20;
const H_LOWER = 0x68, O_LOWER = 0x6f, S_LOWER = 0x73, T_LOWER = 0x74;
/** The longest request head read (a head longer than this is given up). */
export const MAX_HTTP_HEAD = 65536;

/** {@linkcode HttpRequestReader.read}: not a request. */
export const REQUEST_NONE = 0;
/** A request whose head goes on past the bytes given. */
export const REQUEST_PARTIAL = 1;
/** A whole request head was read. */
export const REQUEST_READ = 2;

/** Reads request heads; the fields describe the last one read (-1: absent). */
export class HttpRequestReader {
  methodLength = 0;
  targetStart = -1;
  targetEnd = -1;
  hostStart = -1;
  hostEnd = -1;
  /** The byte after the blank line that ends the head. */
  headEnd = -1;

  /**
   * Reads the request head at the start of `buf[p, end)`.
   *
   * @returns {@linkcode REQUEST_NONE}, {@linkcode REQUEST_PARTIAL} (also for bytes too few to
   *   tell) or {@linkcode REQUEST_READ}.
   */
  read(buf: Uint8Array, p: number, end: number): number {
    const m = httpMethodLength(buf, p, end - p);
    if (m === 0) {
      // too few bytes to tell (a prefix of a method) may still start one
      return mayStartHttpMessage(buf, p, end - p) === undefined ? REQUEST_PARTIAL : REQUEST_NONE;
    }
    this.methodLength = m;
    this.hostStart = this.hostEnd = this.headEnd = -1;
    // the request line: METHOD SP target SP version
    let eol = p + m + 1;
    while (eol < end && buf[eol] !== CH_LF) eol++;
    if (eol >= end) return REQUEST_PARTIAL;
    const lineEnd = eol > p && buf[eol - 1] === CH_CR ? eol - 1 : eol;
    const t0 = p + m + 1;
    let t1 = t0;
    while (t1 < lineEnd && buf[t1] !== CH_SPACE) t1++;
    this.targetStart = t0;
    this.targetEnd = t1;
    // the header lines, to the blank line
    let q = eol + 1;
    while (q < end) {
      let e = q;
      while (e < end && buf[e] !== CH_LF) e++;
      if (e >= end) return REQUEST_PARTIAL;
      const le = e > q && buf[e - 1] === CH_CR ? e - 1 : e;
      if (le === q) {
        this.headEnd = e + 1;
        return REQUEST_READ;
      }
      if (
        le - q > 5 && buf[q + 4] === CH_COLON && (buf[q] | CASE_BIT) === H_LOWER &&
        (buf[q + 1] | CASE_BIT) === O_LOWER && (buf[q + 2] | CASE_BIT) === S_LOWER &&
        (buf[q + 3] | CASE_BIT) === T_LOWER && this.hostStart < 0
      ) {
        let vs = q + 5;
        while (vs < le && (buf[vs] === CH_SPACE || buf[vs] === CH_TAB)) vs++;
        let ve = le;
        while (ve > vs && (buf[ve - 1] === CH_SPACE || buf[ve - 1] === CH_TAB)) ve--;
        this.hostStart = vs;
        this.hostEnd = ve;
      }
      q = e + 1;
    }
    return REQUEST_PARTIAL;
  }
}
