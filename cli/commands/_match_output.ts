/**
 * The output buffer of `mxy match`: records are written as bytes into one reused buffer —
 * numbers as digits, ASCII spans of the scanned text copied as they are, entry and data texts
 * from the formatter's caches — and handed on when it is full. Whole strings (records from the
 * workers) are collected and joined, then encoded into the same buffer in order.
 *
 * @module
 */

const ENCODER = new TextEncoder();

/** Bytes held before they are handed on. */
const SIZE = 1 << 17;
/** Characters of strings held before they are encoded into the buffer. */
const STRING_CHARS = 1 << 16;
const B_0 = 0x30;
const B_DOT = 0x2e;
const B_SLASH = 0x2f;

/** A byte that may be copied as it is: into a JSON string, a CSV field, plain text. */
export const PLAIN_JSON = 1;
/** See {@linkcode PLAIN_JSON}. */
export const PLAIN_CSV = 2;
/** See {@linkcode PLAIN_JSON}. */
export const PLAIN_TEXT = 4;

/**
 * For each byte, which outputs take it unchanged: ASCII (the decoder would give the same
 * character) and, for JSON, not a control character, `"` or `\`; for CSV, not `"`, `,`, CR, LF
 * (the characters that make `csvField` quote the field).
 */
const PLAIN = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 0x80; c++) {
    let v = PLAIN_TEXT;
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) v |= PLAIN_JSON;
    if (c !== 0x22 && c !== 0x2c && c !== 0x0d && c !== 0x0a) v |= PLAIN_CSV;
    t[c] = v;
  }
  return t;
})();

/** Buffered output of records, as bytes. */
export class RecordWriter {
  #buf = new Uint8Array(SIZE);
  #pos = 0;
  /** Bytes handed on so far. */
  #handed = 0;
  #parts: string[] = [];
  #chars = 0;
  #sink: (bytes: Uint8Array) => void;

  /** @param sink Receives the bytes when the buffer is full or flushed (and may not keep them). */
  constructor(sink: (bytes: Uint8Array) => void) {
    this.#sink = sink;
  }

  /** Adds a string (collected; encoded in order with the bytes around it). */
  write(s: string): void {
    this.#parts.push(s);
    this.#chars += s.length;
    if (this.#chars >= STRING_CHARS) this.#encodeStrings();
  }

  /** Hands on everything written so far. */
  flush(): void {
    if (this.#chars !== 0 || this.#parts.length !== 0) this.#encodeStrings();
    if (this.#pos === 0) return;
    const n = this.#pos;
    this.#pos = 0;
    this.#handed += n;
    this.#sink(this.#buf.subarray(0, n));
  }

  /**
   * Bytes written so far, handed on or held — strings given to {@linkcode RecordWriter.write}
   * and not yet encoded excepted (a writer that is given only bytes and texts counts them all).
   */
  get position(): number {
    return this.#handed + this.#pos;
  }

  /** Encodes the collected strings into the buffer. */
  #encodeStrings(): void {
    const s = this.#parts.length === 1 ? this.#parts[0] : this.#parts.join("");
    this.#parts = [];
    this.#chars = 0;
    this.#string(s);
  }

  /** Room for `n` more bytes: hands on the buffer when they do not fit, grows it if need be. */
  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const pos = this.#pos;
    if (pos > 0) {
      this.#pos = 0;
      this.#handed += pos;
      this.#sink(this.#buf.subarray(0, pos));
    }
    if (n > this.#buf.length) this.#buf = new Uint8Array(n);
  }

  /** Encodes `s` at the end of the buffer. */
  #string(s: string): void {
    this.#room(s.length * 3);
    this.#pos += ENCODER.encodeInto(s, this.#buf.subarray(this.#pos)).written;
  }

  /**
   * Adds a string as UTF-8 (strings collected by {@linkcode write} first).
   *
   * @param s The text.
   */
  text(s: string): void {
    if (this.#chars !== 0) this.#encodeStrings();
    const n = s.length;
    this.#room(n);
    const buf = this.#buf;
    const pos = this.#pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.#string(s);
        return;
      }
      buf[pos + i] = c;
    }
    this.#pos = pos + n;
  }

  /**
   * Adds `s` when every character of it is one that `plain` ({@linkcode PLAIN_JSON} …) takes
   * unchanged, between two `quote` bytes when `quote` is not 0.
   *
   * @param s The text.
   * @param plain Which output.
   * @param quote The quote byte, or 0.
   * @returns Whether it was added (else nothing was).
   */
  plainText(s: string, plain: number, quote: number): boolean {
    if (this.#chars !== 0) this.#encodeStrings();
    const n = s.length;
    this.#room(n + 2);
    const buf = this.#buf;
    let pos = this.#pos;
    if (quote !== 0) buf[pos++] = quote;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80 || (PLAIN[c] & plain) === 0) return false;
      buf[pos++] = c;
    }
    if (quote !== 0) buf[pos++] = quote;
    this.#pos = pos;
    return true;
  }

  /**
   * Adds `bytes[start, end)` when every byte is one that `plain` takes unchanged, between two
   * `quote` bytes when `quote` is not 0.
   *
   * @param bytes The bytes.
   * @param start First byte.
   * @param end One past the last byte.
   * @param plain Which output ({@linkcode PLAIN_JSON} …).
   * @param quote The quote byte, or 0.
   * @returns Whether they were added (else nothing was).
   */
  plainBytes(bytes: Uint8Array, start: number, end: number, plain: number, quote: number): boolean {
    if (this.#chars !== 0) this.#encodeStrings();
    this.#room(end - start + 2);
    const buf = this.#buf;
    let pos = this.#pos;
    if (quote !== 0) buf[pos++] = quote;
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if ((PLAIN[c] & plain) === 0) return false;
      buf[pos++] = c;
    }
    if (quote !== 0) buf[pos++] = quote;
    this.#pos = pos;
    return true;
  }

  /**
   * Adds bytes.
   *
   * @param bytes The bytes.
   */
  bytes(bytes: Uint8Array): void {
    this.slice(bytes, 0, bytes.length);
  }

  /**
   * Adds `bytes[start..end)`.
   *
   * @param bytes The bytes.
   * @param start The first.
   * @param end One past the last.
   */
  slice(bytes: Uint8Array, start: number, end: number): void {
    if (this.#chars !== 0) this.#encodeStrings();
    const n = end - start;
    this.#room(n);
    const buf = this.#buf;
    const pos = this.#pos;
    if (n > 64) buf.set(bytes.subarray(start, end), pos);
    else for (let i = 0; i < n; i++) buf[pos + i] = bytes[start + i];
    this.#pos = pos + n;
  }

  /**
   * Adds one byte.
   *
   * @param b The byte.
   */
  byte(b: number): void {
    if (this.#chars !== 0) this.#encodeStrings();
    this.#room(1);
    this.#buf[this.#pos++] = b;
  }

  /**
   * Adds a number as `String(n)` spells it (digits for a safe non-negative integer).
   *
   * @param n The number.
   */
  number(n: number): void {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) {
      this.text(String(n));
      return;
    }
    if (this.#chars !== 0) this.#encodeStrings();
    this.#room(16);
    this.#pos = writeDigits(this.#buf, this.#pos, n);
  }

  /**
   * Adds an IPv4 network as `formatNetwork` spells it: the dotted quad of the masked address,
   * `/`, the prefix length, between two `quote` bytes when `quote` is not 0.
   *
   * @param address The address (unsigned or signed 32-bit).
   * @param prefixLength The prefix length, 0 to 32.
   * @param quote The quote byte, or 0.
   */
  ipv4Network(address: number, prefixLength: number, quote: number): void {
    if (this.#chars !== 0) this.#encodeStrings();
    this.#room(22);
    const v = prefixLength === 0 ? 0 : address & (-1 << (32 - prefixLength));
    const buf = this.#buf;
    let pos = this.#pos;
    if (quote !== 0) buf[pos++] = quote;
    pos = writeDigits(buf, pos, v >>> 24);
    buf[pos++] = B_DOT;
    pos = writeDigits(buf, pos, (v >>> 16) & 255);
    buf[pos++] = B_DOT;
    pos = writeDigits(buf, pos, (v >>> 8) & 255);
    buf[pos++] = B_DOT;
    pos = writeDigits(buf, pos, v & 255);
    buf[pos++] = B_SLASH;
    pos = writeDigits(buf, pos, prefixLength);
    if (quote !== 0) buf[pos++] = quote;
    this.#pos = pos;
  }
}

/**
 * Writes the decimal digits of a safe non-negative integer at `pos`.
 *
 * @returns The position after them.
 */
function writeDigits(buf: Uint8Array, pos: number, n: number): number {
  if (n < 10) {
    buf[pos] = B_0 + n;
    return pos + 1;
  }
  let digits = 1;
  if (n <= 0x7fffffff) {
    for (let v = n; v >= 10; v = (v / 10) | 0) digits++;
    let at = pos + digits;
    let v = n;
    do {
      const q = (v / 10) | 0;
      buf[--at] = B_0 + (v - q * 10);
      v = q;
    } while (v > 0);
    return pos + digits;
  }
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
  let at = pos + digits;
  let v = n;
  do {
    const q = Math.floor(v / 10);
    buf[--at] = B_0 + (v - q * 10);
    v = q;
  } while (v > 0);
  return pos + digits;
}

/**
 * The UTF-8 bytes of a string.
 *
 * @param s The text.
 * @returns Its bytes.
 */
export function utf8(s: string): Uint8Array {
  return ENCODER.encode(s);
}

/**
 * The records of a range scanned for the main thread (by a worker, or by the main thread while it
 * waits): their bytes after the line number, end to end, and where each ends — sent whole (the
 * buffer transferred, not copied), not as a string per record.
 */
export class RangeRecords {
  #chunks: Uint8Array[] = [];
  #size = 0;
  /** Where each record ends in the bytes. */
  readonly ends: number[] = [];
  /** The writer the formatter writes into. */
  readonly writer: RecordWriter = new RecordWriter((b) => {
    this.#chunks.push(b.slice());
    this.#size += b.length;
  });

  /** Marks the end of a record. */
  end(): void {
    this.ends.push(this.writer.position);
  }

  /** The bytes of every record, end to end. */
  bytes(): Uint8Array {
    this.writer.flush();
    if (this.#chunks.length === 1) return this.#chunks[0];
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/**
 * The records of one entry after another (`mxy match --from-redis`), through one writer whose
 * buffer is reused: {@linkcode EntryOutput.take} hands out an entry's records as bytes of their
 * own (they stay valid while later entries are written) and starts the next entry.
 */
export class EntryOutput {
  #chunks: Uint8Array[] = [];
  #size = 0;
  /** Records written since the last {@linkcode EntryOutput.take}. */
  count = 0;
  /** The writer the formatter writes into. */
  readonly writer: RecordWriter = new RecordWriter((b) => {
    this.#chunks.push(b.slice());
    this.#size += b.length;
  });

  /**
   * The records written since the last call, end to end, and the start of the next entry's.
   *
   * @returns Their bytes.
   */
  take(): Uint8Array {
    this.writer.flush();
    this.count = 0;
    if (this.#chunks.length === 0) return new Uint8Array(0);
    const chunks = this.#chunks;
    let out: Uint8Array;
    if (chunks.length === 1) out = chunks[0];
    else {
      out = new Uint8Array(this.#size);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
    }
    this.#chunks = [];
    this.#size = 0;
    return out;
  }

  /** Drops what was written since the last {@linkcode EntryOutput.take} (an entry that failed). */
  clear(): void {
    this.writer.flush();
    this.#chunks = [];
    this.#size = 0;
    this.count = 0;
  }
}
