/**
 * HTTP/1.x message framing over one direction of a reassembled TCP stream (RFC 9112 §6): it
 * finds where each message starts, collects its start line and headers (which may span many
 * segments: large cookies), skips its body by `Content-Length` or chunked transfer coding
 * without keeping it, and reports the message when its last byte has come. Pipelined messages
 * follow one another; a response knows from the request side of its connection whether it has
 * a body (HEAD, 1xx, 204, 304) or turns the connection into a tunnel (CONNECT 2xx, 101). After
 * bytes it cannot read (a gap in the headers, garbage) it waits for a segment that starts a
 * message.
 *
 * @module
 */
import { asciiLower } from "../core/ascii.ts";
import { decimal, HttpHead, lineFeed, readHttpHead } from "./http_head.ts";
import { HTTP_METHOD_MAX_PREFIX, httpMessageKind } from "./http_method.ts";

/** A request or a response. */
export const HTTP_REQUEST = 1, HTTP_RESPONSE = 2;

// States.
/** Waiting for a segment that starts a message (after garbage or a gap). */
const S_SYNC = 0;
/** Collecting a message's start line and headers. */
const S_HEAD = 1;
/** Skipping a body of known length. */
const S_BODY = 2;
/** Reading a chunk-size line. */
const S_CHUNK_SIZE = 3;
/** Skipping a chunk's data. */
const S_CHUNK_DATA = 4;
/** Skipping the line end after a chunk's data. */
const S_CHUNK_END = 5;
/** Reading trailer lines after the last chunk, up to an empty line. */
const S_TRAILER = 6;
/** Skipping a body that ends when the connection closes. */
const S_CLOSE = 7;
/** The connection carries something else now (CONNECT, Upgrade): nothing more is read. */
const S_TUNNEL = 8;
/** A message ended: the next bytes must start the next one. */
const S_NEXT = 9;

// What a request asks that shapes its response.
const M_OTHER = 0, M_HEAD = 1, M_CONNECT = 2;

const CH_LF = 0x0a, CH_CR = 0x0d, CH_SPACE = 0x20, CH_TAB = 0x09;
const CH_SEMICOLON = 0x3b;
const EMPTY = new Uint8Array(0);
/** The longest chunk-size line kept (the size and its extensions). */
const MAX_CHUNK_LINE = 1024;
/** Status codes of responses without a body. */
const NO_CONTENT = 204, NOT_MODIFIED = 304;
const SWITCHING_PROTOCOLS = 101;

/** Options for {@linkcode HttpFramer}. */
export interface HttpFramerOptions {
  /** The longest start line and headers accepted (default 64 KiB); beyond, the message is lost. */
  maxHeaderBytes?: number;
}

/**
 * Frames the HTTP/1.x messages of one direction of a TCP stream. Give it the stream's bytes in
 * order with {@linkcode HttpFramer.data}, gaps with {@linkcode HttpFramer.gap} and the end with
 * {@linkcode HttpFramer.end}; it calls `onStart` at each message's first byte and `onMessage`
 * after its last. Link the two directions of a connection with `peer` so that responses know
 * their requests.
 */
export class HttpFramer {
  /** The other direction of the connection. */
  peer: HttpFramer | null = null;
  /** Called when a message's first byte arrives. */
  onStart: ((kind: number) => void) | null = null;
  /**
   * Called when a message has ended (its body skipped): `head[offset, offset + length)` holds
   * its start line and headers — in the bytes given to `data` when the whole message came in
   * one call, else in the framer's own buffer — valid during the call only.
   */
  onMessage: ((head: Uint8Array, offset: number, length: number, kind: number) => void) | null =
    null;
  /**
   * The start line and headers of the message being framed, read once (offsets from the head's
   * first byte): during `onMessage` they describe the head it is given.
   */
  readonly head: HttpHead = new HttpHead();
  /** The last message's kind ({@linkcode HTTP_REQUEST} or {@linkcode HTTP_RESPONSE}). */
  kind = 0;
  /** The last response's status code (0 for a request). */
  status = 0;
  /** The last message's body length as far as it went (skipped bytes, not kept). */
  bodyLength = 0;
  /** Messages complete. */
  messages = 0;
  /** Messages given up: a gap in their headers, headers too long, bytes that are not HTTP. */
  lost = 0;

  #state = S_SYNC;
  #max: number;
  /** The framer's own head buffer (made when a message's head or body spans `data` calls). */
  #own: Uint8Array = EMPTY;
  /** Bytes of head collected in `#own` while the headers are not complete. */
  #headLength = 0;
  /** The complete head: `#hb[#ho, #ho + #hl)`, in the caller's bytes or in `#own`. */
  #hb: Uint8Array = EMPTY;
  #ho = 0;
  #hl = 0;
  /** Whether the header line being read is empty so far (a CR at most). */
  #lineEmpty = false;
  /** Whether the message's kind is known and `onStart` was called. */
  #started = false;
  /** The kind `onStart` was called with. */
  #startKind = 0;
  /** Body or chunk bytes still to skip. */
  #remaining = 0;
  #line: Uint8Array = EMPTY;
  #lineLength = 0;
  /** What this direction's requests ask, oldest first, until their responses come. */
  #asked: number[] | null = null;

  /**
   * @param options {@linkcode HttpFramerOptions}.
   */
  constructor(options: HttpFramerOptions = {}) {
    this.#max = options.maxHeaderBytes ?? 64 * 1024;
  }

  /**
   * Takes the stream's next bytes, `bytes[offset, offset + length)` (a segment, or what a
   * segment made due).
   *
   * @param bytes The buffer.
   * @param offset Where the bytes start.
   * @param length How many.
   */
  data(bytes: Uint8Array, offset: number, length: number): void {
    const p = offset;
    const end = offset + length;
    if (this.#state === S_SYNC) {
      // Only a segment start may start a message after bytes that could not be read.
      const kind = httpMessageKind(bytes, p, length);
      if (kind === 0 && mayStartHttpMessage(bytes, p, length) === false) return;
      this.#begin(kind);
    }
    this.#consume(bytes, p, end);
    // A message whose head lies in the caller's bytes and whose body goes on: keep the head.
    if (this.#hb === bytes && this.#hl > 0 && this.#state !== S_HEAD) this.#keepHead();
  }

  #consume(bytes: Uint8Array, p: number, end: number): void {
    while (p < end) {
      switch (this.#state) {
        case S_HEAD:
          p = this.#headBytes(bytes, p, end);
          break;
        case S_BODY:
        case S_CHUNK_DATA: {
          const n = Math.min(this.#remaining, end - p);
          this.#remaining -= n;
          this.bodyLength += n;
          p += n;
          if (this.#remaining === 0) {
            if (this.#state === S_BODY) this.#done();
            else this.#state = S_CHUNK_END;
          }
          break;
        }
        case S_CHUNK_SIZE:
        case S_TRAILER:
        case S_CHUNK_END:
          p = this.#lineBytes(bytes, p, end);
          break;
        case S_CLOSE:
          this.bodyLength += end - p;
          p = end;
          break;
        case S_TUNNEL:
          return;
        default: {
          // S_NEXT: the next message must start right here.
          const kind = httpMessageKind(bytes, p, end - p);
          if (kind === 0 && mayStartHttpMessage(bytes, p, end - p) === false) {
            this.lost++;
            this.#state = S_SYNC;
            return;
          }
          this.#begin(kind);
        }
      }
    }
  }

  /**
   * Takes a gap: `length` bytes of the stream were never seen. A gap inside a body of known
   * length is skipped like the body; anywhere else the message is lost and the framer waits for
   * a segment that starts a message.
   *
   * @param length The gap's length.
   */
  gap(length: number): void {
    const st = this.#state;
    if ((st === S_BODY || st === S_CHUNK_DATA) && length <= this.#remaining) {
      this.#remaining -= length;
      this.bodyLength += length;
      if (this.#remaining === 0) {
        if (st === S_BODY) this.#done();
        else this.#state = S_CHUNK_END;
      }
      return;
    }
    if (st === S_CLOSE) {
      this.bodyLength += length;
      return;
    }
    if (st === S_TUNNEL) return;
    if (st !== S_SYNC && st !== S_NEXT) this.lost++;
    this.#state = S_SYNC;
    this.#headLength = 0;
  }

  /** Ends the stream: a body that lasts until the connection closes is complete now. */
  end(): void {
    const st = this.#state;
    if (st === S_CLOSE) this.#done();
    else if (st !== S_SYNC && st !== S_NEXT && st !== S_TUNNEL) this.lost++;
    this.#state = S_SYNC;
  }

  /**
   * Makes the framer as new (for reuse by another stream), keeping its buffers.
   */
  reset(): void {
    this.peer = null;
    this.kind =
      this.status =
      this.bodyLength =
      this.messages =
      this.lost =
        0;
    this.#state = S_SYNC;
    this.#headLength =
      this.#hl =
      this.#remaining =
      this.#lineLength =
        0;
    if (this.#asked !== null) this.#asked.length = 0;
  }

  /**
   * Records requests this direction sent before the framer took over (none of them `HEAD` or
   * `CONNECT`) whose responses have not come: the other direction's responses take them first.
   *
   * @param count How many.
   */
  expectResponses(count: number): void {
    const asked = (this.#asked ??= []);
    for (let i = 0; i < count; i++) asked.push(M_OTHER);
  }

  /** A message starts (`kind`: what its first bytes show, 0 while they are too few to tell). */
  #begin(kind: number): void {
    this.#state = S_HEAD;
    this.#headLength = this.#hl = 0;
    this.#lineEmpty = false;
    this.#started = false;
    this.bodyLength = 0;
    this.kind = 0;
    this.status = 0;
    if (kind !== 0) {
      this.#started = true;
      this.#startKind = kind;
      if (this.onStart !== null) this.onStart(kind);
    }
  }

  /** Collects header bytes; on the blank line that ends them, decides how the body is framed. */
  #headBytes(bytes: Uint8Array, p: number, end: number): number {
    const head = this.head;
    if (this.#headLength === 0) {
      // A head that starts in these bytes and ends in them (the common case) is read in one
      // pass where it lies: its end, its start line and the headers that matter.
      const n = readHttpHead(bytes, p, end - p, head);
      if (n >= 0) {
        if (n > this.#max) {
          this.#giveUp();
          return end;
        }
        this.#hb = bytes;
        this.#ho = p;
        this.#hl = n;
        return this.#headComplete(end, p + n);
      }
    }
    // Up to the end of the bytes or the headers' end (an empty line), whichever is first: jump
    // from line end to line end.
    let i = end, done = false;
    let lineStart = p, empty = this.#lineEmpty;
    for (;;) {
      const lf = lineFeed(bytes, lineStart, end);
      if (lf < 0) {
        // The line goes on in the next bytes: still empty only if it holds at most a CR.
        const n = end - lineStart;
        this.#lineEmpty = empty && (n === 0 || (n === 1 && bytes[lineStart] === CH_CR));
        break;
      }
      const n = lf - lineStart;
      if (empty && (n === 0 || (n === 1 && bytes[lineStart] === CH_CR))) {
        i = lf + 1;
        done = true;
        break;
      }
      lineStart = lf + 1;
      empty = true;
    }
    const n = i - p;
    if (this.#headLength + n > this.#max) {
      this.#giveUp();
      return end;
    }
    this.#append(bytes, p, n);
    this.#hb = this.#own;
    this.#ho = 0;
    this.#hl = this.#headLength;
    if (done) readHttpHead(this.#own, 0, this.#headLength, head);
    return this.#headComplete(end, done ? i : -1);
  }

  /**
   * After head bytes were taken: tells `onStart` the message's kind once it shows, and frames
   * the body when the head is complete (`doneAt`: where it ended in the bytes, or -1).
   */
  #headComplete(end: number, doneAt: number): number {
    const done = doneAt >= 0;
    if (!this.#started) {
      const kind = httpMessageKind(this.#hb, this.#ho, this.#hl);
      if (kind !== 0) {
        this.#started = true;
        this.#startKind = kind;
        if (this.onStart !== null) this.onStart(kind);
      } else if (this.#hl >= HTTP_METHOD_MAX_PREFIX || done) {
        this.#giveUp();
        return end;
      }
    }
    if (!done) return end;
    this.#headLength = 0;
    this.#headersDone();
    return doneAt;
  }

  #append(bytes: Uint8Array, p: number, n: number): void {
    if (this.#headLength + n > this.#own.length) {
      let size = Math.max(this.#own.length * 2, 512);
      while (size < this.#headLength + n) size *= 2;
      const grown = new Uint8Array(Math.min(size, Math.max(this.#max, this.#headLength + n)));
      grown.set(this.#own.subarray(0, this.#headLength));
      this.#own = grown;
    }
    this.#own.set(bytes.subarray(p, p + n), this.#headLength);
    this.#headLength += n;
  }

  /** Copies a complete head out of the caller's bytes, which are valid only during `data`. */
  #keepHead(): void {
    const n = this.#hl;
    const from = this.#hb, at = this.#ho;
    this.#headLength = 0;
    this.#append(from, at, n);
    this.#headLength = 0;
    this.#hb = this.#own;
    this.#ho = 0;
  }

  /** The start line and headers are complete (read into `head`): how is the body framed? */
  #headersDone(): void {
    const h = this.#hb, o = this.#ho, n = o + this.#hl;
    // The kind the head started with (`#headBytes` gives up on heads that start no message).
    const kind = this.#startKind;
    this.kind = kind;
    const head = this.head;
    const contentLength = head.contentLength, chunked = head.chunked;
    const badLength = head.badLength;
    if (kind === HTTP_REQUEST) {
      // (A registered method is followed by a space: `HEAD ` and `CONNECT ` are those two.)
      const asked = same(h, o, n, HEAD) ? M_HEAD : same(h, o, n, CONNECT) ? M_CONNECT : M_OTHER;
      (this.#asked ??= []).push(asked);
      if (chunked) this.#chunked();
      else if (badLength) this.#giveUp();
      else if (contentLength > 0) this.#body(contentLength);
      else this.#done();
      return;
    }
    const status = statusCode(h, o, n);
    this.status = status;
    if (status >= 100 && status < 200) {
      // Interim: no body, and the request still waits for its final response.
      if (status === SWITCHING_PROTOCOLS) {
        this.#takeAsked();
        this.#emit();
        this.#state = S_TUNNEL;
        return;
      }
      this.#emit();
      this.#next();
      return;
    }
    const asked = this.#takeAsked();
    if (asked === M_HEAD || status === NO_CONTENT || status === NOT_MODIFIED) this.#done();
    else if (asked === M_CONNECT && status >= 200 && status < 300) {
      this.#emit();
      this.#state = S_TUNNEL;
    } else if (chunked) this.#chunked();
    else if (badLength) this.#giveUp();
    else if (contentLength > 0) this.#body(contentLength);
    else if (contentLength === 0) this.#done();
    else this.#state = S_CLOSE;
  }

  /** The oldest request of the other direction still waiting for its response. */
  #takeAsked(): number {
    const peer = this.peer;
    if (peer === null) return M_OTHER;
    const asked = peer.#asked;
    return asked !== null && asked.length > 0 ? asked.shift()! : M_OTHER;
  }

  #body(length: number): void {
    this.#state = S_BODY;
    this.#remaining = length;
  }

  #chunked(): void {
    this.#state = S_CHUNK_SIZE;
    this.#lineLength = 0;
  }

  /** The message cannot be read: wait for a segment that starts one. */
  #giveUp(): void {
    this.lost++;
    this.#state = S_SYNC;
    this.#headLength = this.#hl = 0;
  }

  /** Reads chunk-size, chunk-end and trailer lines. */
  #lineBytes(bytes: Uint8Array, p: number, end: number): number {
    const lf = indexOf(bytes, CH_LF, p, end);
    const stop = lf < 0 ? end : lf + 1;
    if (this.#state === S_CHUNK_SIZE || this.#state === S_TRAILER) {
      const n = Math.min(stop - p, MAX_CHUNK_LINE - this.#lineLength);
      if (n > 0) {
        if (this.#lineLength + n > this.#line.length) {
          const grown = new Uint8Array(this.#line.length === 0 ? 64 : MAX_CHUNK_LINE);
          grown.set(this.#line.subarray(0, this.#lineLength));
          this.#line = grown;
        }
        this.#line.set(bytes.subarray(p, p + n), this.#lineLength);
        this.#lineLength += n;
      }
    }
    if (lf < 0) return end;
    const line = this.#line, len = this.#lineLength;
    this.#lineLength = 0;
    switch (this.#state) {
      case S_CHUNK_END:
        this.#state = S_CHUNK_SIZE;
        break;
      case S_CHUNK_SIZE: {
        const size = chunkSize(line, len);
        if (size < 0) this.#giveUp();
        else if (size === 0) this.#state = S_TRAILER;
        else {
          this.#state = S_CHUNK_DATA;
          this.#remaining = size;
        }
        break;
      }
      default: {
        // A trailer line; an empty one ends the message.
        const empty = len === 1 || (len === 2 && line[0] === CH_CR);
        if (empty) this.#done();
      }
    }
    return stop;
  }

  /** The message is complete: report it and expect the next one right after it. */
  #done(): void {
    this.#emit();
    this.#next();
  }

  #emit(): void {
    this.messages++;
    if (this.onMessage !== null) this.onMessage(this.#hb, this.#ho, this.#hl, this.kind);
  }

  /** The next bytes must start a message (checked in `data`). */
  #next(): void {
    this.#state = S_NEXT;
    this.#headLength = this.#hl = 0;
  }
}

/**
 * The messages {@linkcode readWholeHttpMessages} found: for message `i`, its first byte
 * `starts[i]`, the length of its start line and headers `lengths[i]`, its kind `kinds[i]` and
 * its head's reading `heads[i]`. The arrays are reused (only the first `count` entries count).
 */
export class WholeHttpMessages {
  /** Messages found. */
  count = 0;
  /** Requests among them (none is `HEAD` or `CONNECT`). */
  requests = 0;
  /** Final responses among them (status 200 or more: each answers a request). */
  finals = 0;
  readonly starts: number[] = [];
  readonly lengths: number[] = [];
  readonly kinds: number[] = [];
  readonly heads: HttpHead[] = [];
}

/**
 * Whether `bytes[offset, offset + length)`, given to a new {@linkcode HttpFramer} whose other
 * direction asked only requests that are not `HEAD` or `CONNECT`, is whole messages only that
 * leave the framer expecting the next message with nothing kept: each a request that is not
 * `HEAD` or `CONNECT` or a response that is not `101`, without chunked coding, whose body (by
 * `Content-Length`) ends inside the bytes, the last ending where they end. Then `out` holds
 * them, as the framer would hand them over.
 *
 * @param bytes The buffer.
 * @param offset Where the bytes start.
 * @param length How many.
 * @param out Where the messages go.
 * @param maxHeaderBytes The framer's `maxHeaderBytes` (default 64 KiB).
 * @returns `true` when the bytes are such messages.
 */
export function readWholeHttpMessages(
  bytes: Uint8Array,
  offset: number,
  length: number,
  out: WholeHttpMessages,
  maxHeaderBytes: number = 64 * 1024,
): boolean {
  const end = offset + length;
  let p = offset, count = 0, requests = 0, finals = 0;
  out.count = 0;
  while (p < end) {
    const kind = httpMessageKind(bytes, p, end - p);
    if (kind === 0) return false;
    if (count === out.heads.length) out.heads.push(new HttpHead());
    const head = out.heads[count];
    const n = readHttpHead(bytes, p, end - p, head);
    if (n < 0 || n > maxHeaderBytes) return false;
    let body = 0;
    if (kind === HTTP_REQUEST) {
      if (same(bytes, p, p + n, HEAD) || same(bytes, p, p + n, CONNECT)) return false;
      if (head.chunked || head.badLength) return false;
      if (head.contentLength > 0) body = head.contentLength;
      requests++;
    } else {
      const status = statusCode(bytes, p, p + n);
      if (status >= 100 && status < 200) {
        if (status === SWITCHING_PROTOCOLS) return false;
      } else {
        finals++;
        if (status !== NO_CONTENT && status !== NOT_MODIFIED) {
          if (head.chunked || head.badLength || head.contentLength < 0) return false;
          body = head.contentLength;
        }
      }
    }
    if (body > end - p - n) return false;
    out.starts[count] = p;
    out.lengths[count] = n;
    out.kinds[count] = kind;
    count++;
    p += n + body;
  }
  out.count = count;
  out.requests = requests;
  out.finals = finals;
  return count > 0;
}

/**
 * Whether `bytes[p, p + n)` starts an HTTP/1.x message: `true`, `false`, or `undefined` when the
 * bytes are too few to tell (a prefix of `HTTP/` or of a method).
 *
 * @param bytes The buffer.
 * @param p Where the bytes start.
 * @param n How many.
 * @returns Whether a message starts there, or `undefined`.
 */
export function mayStartHttpMessage(bytes: Uint8Array, p: number, n: number): boolean | undefined {
  if (httpMessageKind(bytes, p, n) !== 0) return true;
  if (n >= HTTP_METHOD_MAX_PREFIX || n === 0) return false;
  // Upper-case letters, '-' and '/' only.
  for (let i = p; i < p + n; i++) {
    const c = bytes[i];
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x2f)) return false;
  }
  return undefined;
}

/** `HEAD ` and `CONNECT ` (with their spaces). */
const HEAD = Uint8Array.of(0x48, 0x45, 0x41, 0x44, 0x20);
const CONNECT = Uint8Array.of(0x43, 0x4f, 0x4e, 0x4e, 0x45, 0x43, 0x54, 0x20);

/** Whether `h[o, n)` starts with `token`, byte for byte (methods are case-sensitive). */
function same(h: Uint8Array, o: number, n: number, token: Uint8Array): boolean {
  if (n - o < token.length) return false;
  for (let i = 0; i < token.length; i++) if (h[o + i] !== token[i]) return false;
  return true;
}

function indexOf(b: Uint8Array, byte: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (b[i] === byte) return i;
  return -1;
}

/** The status code of a status line in `h[o, n)` (`HTTP/1.1 200 OK`), or 0. */
function statusCode(h: Uint8Array, o: number, n: number): number {
  const sp = indexOf(h, CH_SPACE, o, n);
  if (sp < 0 || sp + 4 > n) return 0;
  const code = decimal(h, sp + 1, sp + 4);
  return code < 0 ? 0 : code;
}

/** A chunk-size line's size (hex digits before `;` or the line end), or -1. */
function chunkSize(line: Uint8Array, len: number): number {
  let n = 0, digits = 0;
  for (let i = 0; i < len; i++) {
    const c = asciiLower(line[i]);
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c === CH_SEMICOLON || c === CH_CR || c === CH_LF || c === CH_SPACE || c === CH_TAB) {
      break;
    } else return -1;
    if (++digits > 12) return -1;
    n = n * 16 + d;
  }
  return digits === 0 ? -1 : n;
}
