/**
 * The matcher over a stream of text: bytes arrive in pieces of any size, are gathered in one
 * fixed buffer and scanned a chunk of whole lines at a time; line numbers and file offsets are
 * worked out only for hits. Lines longer than the buffer are scanned in windows cut at a
 * delimiter, so memory stays bounded whatever the input.
 *
 * @module
 */
import * as charClass from "./_char_class.ts";
import type { Matcher, MatchHit } from "./matcher.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { CHAR_CLASS } = charClass;

const NL = 0x0a;
const MIN_BUFFER = 1 << 16;
/** Below this much free room the buffer is scanned before reading more. */
const LOW_WATER = 1 << 14;
/**
 * How far back from the end of a full buffer without a newline a window looks for a place to
 * cut: longer than any indicator but a URL (a SHA-512 hash is 128 bytes, a name 253).
 */
const WINDOW_OVERLAP = 4096;

/** Called with each hit and the stream matcher, which tells where the hit is. */
export type StreamHitHandler = (hit: MatchHit, at: StreamMatcher) => void;

/** Options of {@linkcode StreamMatcher}. */
export interface StreamMatcherOptions {
  /**
   * The buffer's size in bytes (default 1 MiB, at least 64 KiB): a chunk of lines is scanned
   * at a time, and a line longer than this is scanned in windows.
   */
  bufferSize?: number;
  /** The file offset of the first byte written (default 0). */
  offset?: number;
  /** The line number of the first byte written (default 1). */
  line?: number;
}

/**
 * Feeds a stream of text through a {@linkcode Matcher}: write bytes in pieces of any size (or
 * read straight into {@linkcode StreamMatcher.space} and {@linkcode StreamMatcher.commit}), call
 * {@linkcode StreamMatcher.end} at the end. Hits are reported with the stream matcher itself,
 * whose {@linkcode StreamMatcher.lineOf} and {@linkcode StreamMatcher.offsetOf} give the hit's
 * line number and file offset (counted lazily: only up to hits, and once over each chunk).
 *
 * Memory is one buffer. A line longer than the buffer is scanned in windows: each cut at the
 * last whitespace (else the last delimiter) within 4 KiB (`WINDOW_OVERLAP`) of the
 * buffer's end, so no indicator but a URL longer than that is split; a window that had to be cut
 * inside a token skips the rest of that token.
 *
 * @example
 * ```ts
 * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
 * import { Matcher, StreamMatcher } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 *
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("evil.com", { threat: "c2" });
 * const db = Database.fromBytes(b.build());
 * const found: string[] = [];
 * const stream = new StreamMatcher(new Matcher(db), (hit, at) => {
 *   found.push(`line ${at.lineOf(hit.start)} offset ${at.offsetOf(hit.start)}`);
 * });
 * const enc = new TextEncoder();
 * for (const piece of ["GET / 200\nGET http://ev", "il.com/ 200\n", "evil.com"]) {
 *   stream.write(enc.encode(piece));
 * }
 * stream.end();
 * assert.deepEqual(found, ["line 2 offset 21", "line 3 offset 35"]);
 * assert.equal(stream.lines, 3);
 * ```
 */
export class StreamMatcher {
  #matcher: Matcher;
  #onHit: StreamHitHandler;
  #buf: Uint8Array;
  #words: Int32Array;
  #filled = 0;
  #base: number;
  #line: number;
  #countedTo = 0;
  #skipToken = false;
  #ended = false;
  #bytes = 0;
  #last = NL;
  #handler: (hit: MatchHit) => void;

  /**
   * Creates a stream matcher with an empty buffer.
   *
   * @param matcher The matcher (its database and kinds).
   * @param onHit Called with each hit.
   * @param options Buffer size and where the stream starts.
   */
  constructor(matcher: Matcher, onHit: StreamHitHandler, options: StreamMatcherOptions = {}) {
    this.#matcher = matcher;
    this.#onHit = onHit;
    const size = Math.max(MIN_BUFFER, options.bufferSize ?? 1 << 20) + 3 & ~3;
    this.#buf = new Uint8Array(size);
    this.#words = new Int32Array(this.#buf.buffer);
    this.#base = options.offset ?? 0;
    this.#line = options.line ?? 1;
    this.#handler = (hit) => this.#onHit(hit, this);
  }

  /** The buffer holding the chunk being scanned (hit offsets index it). */
  get bytes(): Uint8Array {
    return this.#buf;
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#bytes;
  }

  /**
   * Lines seen so far: newlines scanned, plus one for a last line without a newline once
   * {@linkcode StreamMatcher.end} has been called.
   */
  get lines(): number {
    return this.#line - 1;
  }

  /**
   * The free part of the buffer: read into it, then call {@linkcode StreamMatcher.commit} with
   * the number of bytes read. Valid until the next commit or write.
   */
  get space(): Uint8Array {
    return this.#buf.subarray(this.#filled);
  }

  /**
   * Takes `n` bytes read into {@linkcode StreamMatcher.space}, scanning when the buffer is
   * nearly full.
   *
   * @param n How many bytes were read.
   * @throws {RangeError} When `n` is more than the free space, or after `end()`.
   */
  commit(n: number): void {
    if (this.#ended) throw new RangeError("Cannot write to a stream matcher after end()");
    if (!(n >= 0 && this.#filled + n <= this.#buf.length)) {
      throw new RangeError(`Cannot commit ${n} bytes: ${this.#buf.length - this.#filled} free`);
    }
    this.#filled += n;
    this.#bytes += n;
    if (n > 0) this.#last = this.#buf[this.#filled - 1];
    if (this.#buf.length - this.#filled < LOW_WATER) this.#process(false);
  }

  /**
   * Copies bytes in and scans whatever whole lines are ready.
   *
   * @param chunk The next bytes of the stream.
   */
  write(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const room = this.#buf.length - this.#filled;
      const n = Math.min(room, chunk.length - at);
      this.#buf.set(chunk.subarray(at, at + n), this.#filled);
      at += n;
      this.commit(n);
    }
  }

  /**
   * Scans every whole line written so far now, rather than when the buffer fills: for input
   * that arrives slowly (a followed file, a pipe), so hits are reported as their lines end.
   */
  flush(): void {
    if (this.#ended || this.#filled === 0) return;
    if (this.#buf.lastIndexOf(NL, this.#filled - 1) >= 0) this.#process(false);
  }

  /** Scans what is left (a last line without a newline included). */
  end(): void {
    if (this.#ended) return;
    this.#process(true);
    this.#ended = true;
  }

  /**
   * The line number (from 1) of a position in {@linkcode StreamMatcher.bytes}, during a hit
   * callback: counts newlines from the last position asked, so asking in increasing order
   * costs one pass over the chunk.
   *
   * @param pos A position in the current chunk.
   * @returns The line number.
   */
  lineOf(pos: number): number {
    const c = this.#countedTo;
    if (pos >= c) this.#line += this.#newlines(c, pos);
    else this.#line -= this.#newlines(pos, c);
    this.#countedTo = pos;
    return this.#line;
  }

  /** The number of newlines in `[from, to)` of the buffer, four bytes at a time. */
  #newlines(from: number, to: number): number {
    const buf = this.#buf;
    let n = 0;
    let i = from;
    const head = Math.min(to, (from + 3) & ~3);
    for (; i < head; i++) if (buf[i] === NL) n++;
    const words = this.#words;
    const wEnd = to >> 2;
    let w = i >> 2;
    while (w < wEnd) {
      // per byte lane, the newlines of up to 254 words, added without a branch, two words a
      // step (a quarter less time than one)
      const stop = Math.min(wEnd, w + 254);
      let lanes = 0;
      for (; w + 1 < stop; w += 2) {
        const x = words[w] ^ 0x0a0a0a0a;
        const y = words[w + 1] ^ 0x0a0a0a0a;
        // the high bit of each byte of ~t is set exactly when that byte of x is zero
        const t = ((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x;
        const u = ((y & 0x7f7f7f7f) + 0x7f7f7f7f) | y;
        lanes = (lanes + ((~t >>> 7) & 0x01010101) + ((~u >>> 7) & 0x01010101)) | 0;
      }
      if (w < stop) {
        const x = words[w++] ^ 0x0a0a0a0a;
        const t = ((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x;
        lanes = (lanes + ((~t >>> 7) & 0x01010101)) | 0;
      }
      n += (lanes & 0xff) + ((lanes >>> 8) & 0xff) + ((lanes >>> 16) & 0xff) + (lanes >>> 24);
    }
    for (i = Math.max(i, wEnd << 2); i < to; i++) if (buf[i] === NL) n++;
    return n;
  }

  /**
   * The offset in the whole stream of a position in {@linkcode StreamMatcher.bytes}.
   *
   * @param pos A position in the current chunk.
   * @returns The stream offset.
   */
  offsetOf(pos: number): number {
    return this.#base + pos;
  }

  /**
   * The bounds of the line holding a position, within the current chunk (a line longer than the
   * buffer is cut to the window): `[start, end)` without the newline.
   *
   * @param pos A position in the current chunk.
   * @returns The line's start and end in {@linkcode StreamMatcher.bytes}.
   */
  lineRange(pos: number): [number, number] {
    const buf = this.#buf;
    const start = pos === 0 ? 0 : buf.lastIndexOf(NL, pos - 1) + 1;
    let end = buf.indexOf(NL, pos);
    if (end < 0 || end > this.#filled) end = this.#filled;
    if (end > start && buf[end - 1] === 0x0d) end--;
    return [start, end];
  }

  #process(final: boolean): void {
    const buf = this.#buf;
    const filled = this.#filled;
    let limit = filled;
    let cutInToken = false;
    if (!final) {
      const nl = buf.lastIndexOf(NL, filled - 1);
      if (nl >= 0) limit = nl + 1;
      else if (filled < buf.length - LOW_WATER) return;
      else {
        // a line longer than the buffer: cut a window at whitespace, else at a delimiter
        const from = filled - WINDOW_OVERLAP;
        let cut = -1;
        for (let i = filled - 1; i >= from; i--) {
          const c = buf[i];
          if (c === 0x20 || c === 0x09 || c === 0x0d) {
            cut = i + 1;
            break;
          }
        }
        if (cut < 0) {
          for (let i = filled - 1; i >= from; i--) {
            if (CHAR_CLASS[buf[i]] === 0 && buf[i] < 0x80) {
              cut = i + 1;
              break;
            }
          }
        }
        if (cut < 0) {
          cut = filled;
          cutInToken = true;
        }
        limit = cut;
      }
    }
    let start = 0;
    if (this.#skipToken) {
      while (start < limit && (CHAR_CLASS[buf[start]] !== 0 || buf[start] >= 0x80)) start++;
      this.#skipToken = false;
    }
    this.#countedTo = 0;
    this.#matcher.scan(buf, this.#handler, start, limit);
    // count the rest of the chunk's newlines, then move the partial line to the front
    this.lineOf(limit);
    if (final && this.#last !== NL) this.#line++;
    if (limit < filled) buf.copyWithin(0, limit, filled);
    this.#filled = filled - limit;
    this.#base += limit;
    this.#countedTo = 0;
    this.#skipToken = cutInToken;
  }
}
