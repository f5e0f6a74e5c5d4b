/**
 * The text-indicator extractor: one pass over bytes that reports every IP address, domain, URL,
 * e-mail address, hash and cryptocurrency address as a `(kind, start, end)` span, allocating
 * nothing.
 *
 * How it works: a token (a run of letters, digits, `.`, `-`, `_`, `:` and non-ASCII bytes, as a
 * 256-entry class table says) needs a look only when it holds a `.` or `:` or an alphanumeric run
 * of 14 bytes or more. The scan reads the text as 32-bit words and tests each, without branching
 * per byte, for those; only the words that pass send the bytes around them to the tokenizer,
 * which finds the tokens there, OR-s their byte classes together and hands those that may hold
 * something to the recognisers (which look at the token's bytes and, for URLs and e-mail
 * addresses, at the bytes around it). The token boundaries of each kind are described on
 * {@linkcode Extractor}.
 *
 * @module
 */
import * as charClass from "./_char_class.ts";
import {
  BASE58_MAX,
  BASE58_MIN,
  BECH32_MAX,
  BECH32_MIN,
  isBase58Address,
  isBech32Address,
  isEthereumAddress,
} from "./_crypto_addresses.ts";
import { isDomain } from "./_domain.ts";
import { ExtraSuffixes } from "./_extra_suffixes.ts";
import { localPartStart } from "./_email.ts";
import * as ipv4 from "./_ipv4.ts";
import { isIpv6 } from "./_ipv6.ts";
import { utf8Class } from "./_unicode.ts";
import { isSchemeChar, UrlParser } from "./_url.ts";
import { ALL_SPAN_KINDS, SpanKind } from "./span_kind.ts";
import { WordView } from "./_word_view.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { IPV4_VALUE, isIpv4 } = ipv4;
const {
  B_AT,
  B_COLON,
  B_DOT,
  B_PERCENT,
  B_SLASH,
  B_X,
  B_ZERO,
  C_ALNUM,
  C_COLON,
  C_DIGIT,
  C_DOT,
  C_HEX,
  C_HEX_LETTER,
  C_HIGH,
  C_LETTER,
  C_UNDERSCORE,
  CHAR_CLASS,
  HEX_VALUE,
} = charClass;

/** Called with each span found: its kind and its range `[start, end)` in the scanned bytes. */
export type SpanHandler = (kind: SpanKind, start: number, end: number) => void;

/** Options of {@linkcode Extractor}. */
export interface ExtractorOptions {
  /** The kinds to report; default: every {@linkcode SpanKind}. */
  kinds?: readonly SpanKind[];
  /**
   * Last labels a domain may end in beyond the Public Suffix List's rules (`example`, `test`,
   * `internal`, `corp`): `evil.example` is then a domain (and `x@corp.internal` an e-mail
   * address). Default: none. A `Matcher` passes the ones its database's entries end in.
   */
  suffixes?: Iterable<string>;
}

/** Ranges shorter than this are tokenized byte by byte, without the 32-bit word view. */
const SHORT_RANGE = 64;

/** The shortest alphanumeric run any kind takes (a bech32 address). */
const MIN_RUN = BECH32_MIN;

const BIT_IPV4 = 1 << SpanKind.IPV4;
const BIT_IPV6 = 1 << SpanKind.IPV6;
const BIT_DOMAIN = 1 << SpanKind.DOMAIN;
const BIT_URL = 1 << SpanKind.URL;
const BIT_EMAIL = 1 << SpanKind.EMAIL;
const BIT_HASHES = (1 << SpanKind.MD5) | (1 << SpanKind.SHA1) | (1 << SpanKind.SHA256) |
  (1 << SpanKind.SHA512);
const BIT_BITCOIN = 1 << SpanKind.BITCOIN;
const BIT_ETHEREUM = 1 << SpanKind.ETHEREUM;
/** Kinds found in alphanumeric runs. */
const BIT_RUNS = BIT_HASHES | BIT_BITCOIN | BIT_ETHEREUM;
/** Kinds that need the domain check. */
const BIT_NAMES = BIT_DOMAIN | BIT_EMAIL;

const EMPTY = new Uint8Array(0);
const NO_OUT = new Int32Array(0);
const noop: SpanHandler = () => {};

/**
 * Whether a run of bytes from `0` up that covers two whole words (the pair test of the word
 * loop) may be {@linkcode MIN_RUN} long, judged from the words either side: the first pair of
 * such words in a run has at most three of its bytes before it (else the pair before would have
 * been the first), so it needs `MIN_RUN - 8` more after and before together. Bytes from 0x80 up
 * count as run bytes (never too few).
 *
 * @param before The word before the pair.
 * @param after The word after it.
 */
function longRunAround(before: number, after: number): boolean {
  // the high bit of each byte from 0x30 up, exactly (no carry crosses bytes)
  const b = (((before & 0x7f7f7f7f) + 0x50505050) | before) & 0x80808080;
  const a = (((after & 0x7f7f7f7f) + 0x50505050) | after) & 0x80808080;
  const gapBefore = ~b & 0x80808080;
  const gapAfter = ~a & 0x80808080;
  // run bytes at the end of `before` (its high bytes) and at the start of `after` (its low ones)
  const left = Math.clz32(gapBefore) >> 3;
  const right = gapAfter === 0 ? 4 : (31 - Math.clz32(gapAfter & -gapAfter)) >> 3;
  return left === 4 || right === 4 || left + right >= MIN_RUN - 8;
}

/** The hash kind of an all-hex run of each length, or 0. */
function hashKind(length: number): number {
  switch (length) {
    case 32:
      return SpanKind.MD5;
    case 40:
      return SpanKind.SHA1;
    case 64:
      return SpanKind.SHA256;
    case 128:
      return SpanKind.SHA512;
    default:
      return 0;
  }
}

/**
 * Finds indicators in text: IPv4 and IPv6 addresses, domain names on the Public Suffix List,
 * URLs, e-mail addresses, MD5/SHA-1/SHA-256/SHA-512 hashes, Bitcoin and Ethereum addresses. It
 * reports each as a `(kind, start, end)` span of the bytes given, through a callback
 * ({@linkcode Extractor.scan}) or into a caller-owned `Int32Array`
 * ({@linkcode Extractor.scanInto}), and allocates nothing while scanning.
 *
 * Any bytes are accepted: text that is not UTF-8 is scanned as bytes (an invalid byte is a
 * delimiter), NUL bytes and binary garbage are delimiters like any other, and the work is linear
 * in the length of the range, however long its lines.
 *
 * Token boundaries, kind by kind (a "delimiter" is any byte other than an ASCII letter or digit,
 * `.`, `-`, `_`, `:` or part of a non-ASCII word character; `%` and the two hex digits of a
 * percent-escape `%2F` count as one delimiter):
 *
 * - **IPv4**: a dotted quad (`0`–`255`, no leading zeros) that is a whole token, or a whole
 *   `:`-separated piece of one (`1.2.3.4:80`, `ip:1.2.3.4`), after dropping dots around it
 *   (`1.2.3.4.` ending a sentence). Not `1.2.3.4.5`, `v1.2.3.4`, `01.2.3.4`, `1.2.3.4_x`; not a
 *   product version after `word/` (`Chrome/120.0.0.0` in a User-Agent).
 * - **IPv6**: a whole token made of hex digits, `:` and `.` (dots in a dotted-quad tail only) in
 *   any RFC 4291 form, `::ffff:1.2.3.4` included, except the bare `::`; a trailing `.` or single
 *   `:` is dropped (`2001:db8::1: refused`). Brackets are delimiters (`[2001:db8::1]:443`); a zone
 *   id after `%` (`fe80::1%eth0`) is skipped and left out of the span.
 * - **Domain**: a whole token or `:`-piece, without leading and trailing dots, that is a host name
 *   (labels of 1–63 letters, digits, hyphens or non-ASCII characters, no hyphen first or last;
 *   at most 253 characters; no `_`) whose last labels are a suffix on the Public Suffix List
 *   (ICANN and private sections), with at least one label before it. A domain inside a longer
 *   dotted token that is not itself a domain is not reported (`evil.com.txt`, `foo_evil.com`), and
 *   a token just before an `@` is an e-mail local part, not a host.
 * - **URL**: `scheme://` + authority + path (see `_url.ts`): ends at whitespace, quotes, `<`, `>`
 *   and similar, without trailing punctuation; its host (a domain or an address, as above) is
 *   reported too, as its own kind. Scanning resumes after the host, so the path and query are
 *   scanned as text (`?u=evil.com` finds `evil.com`); the user info is not.
 * - **E-mail**: a local part (see `_email.ts`) + `@` + a domain as above that starts right after
 *   the `@`; its domain is reported too.
 * - **Hashes, Bitcoin, Ethereum**: a maximal run of ASCII letters and digits (so bounded by any
 *   non-alphanumeric byte, `-`, `_`, `.` and `:` included: `sha256:<hex>` finds the hash): 32,
 *   40, 64 or 128 hex digits (MD5, SHA-1, SHA-256, SHA-512; a 33-digit run is nothing); `1…`/`3…`
 *   Base58Check with a valid checksum, or `bc1…` bech32/bech32m with a valid checksum; `0x` + 40
 *   hex digits, EIP-55 checksum checked when the letters are of mixed case.
 *
 * Spans are reported in scanning order: by start, except that an e-mail address is reported when
 * its domain is reached (after anything found inside its local part), and a URL's or e-mail's own
 * span comes before its host's. An extractor is not reentrant: do not scan with it from inside its
 * own callback.
 *
 * @example
 * ```ts
 * import { Extractor, SpanKind, spanKindName } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 *
 * const line = new TextEncoder().encode(
 *   '203.0.113.9 - - "GET /?next=https://evil.com/x HTTP/1.1" 200 "gmail.com" bob@mail.com',
 * );
 * const found: string[] = [];
 * new Extractor().scan(line, (kind, start, end) => {
 *   found.push(`${spanKindName(kind)} ${new TextDecoder().decode(line.subarray(start, end))}`);
 * });
 * assert.deepEqual(found, [
 *   "ipv4 203.0.113.9",
 *   "url https://evil.com/x",
 *   "domain evil.com",
 *   "domain gmail.com",
 *   "email bob@mail.com",
 *   "domain mail.com",
 * ]);
 *
 * // only some kinds, into a typed array of (kind, start, end) triples
 * const ips = new Extractor({ kinds: [SpanKind.IPV4, SpanKind.IPV6] });
 * const out = new Int32Array(3 * 16);
 * assert.equal(ips.scanInto(line, out), 1);
 * assert.deepEqual([...out.subarray(0, 3)], [SpanKind.IPV4, 0, 11]);
 * ```
 */
export class Extractor {
  #mask: number;
  #extra: ExtraSuffixes | null = null;
  #bytes: Uint8Array = EMPTY;
  #lo = 0;
  #hi = 0;
  #onSpan: SpanHandler = noop;
  #count = 0;
  #url = new UrlParser();
  #done = 0;
  #wordView = new WordView();
  #out: Int32Array = NO_OUT;
  #into: SpanHandler;

  /**
   * Creates an extractor.
   *
   * @param options Which kinds to report.
   * @throws {RangeError} When `kinds` names something that is not a {@linkcode SpanKind}.
   */
  constructor(options: ExtractorOptions = {}) {
    const kinds = options.kinds ?? ALL_SPAN_KINDS;
    let mask = 0;
    for (const k of kinds) {
      if (!ALL_SPAN_KINDS.includes(k)) {
        throw new RangeError(`Cannot extract kind ${k}: not a SpanKind`);
      }
      mask |= 1 << k;
    }
    this.#mask = mask;
    if (options.suffixes !== undefined) {
      const extra = new ExtraSuffixes(options.suffixes);
      if (extra.size > 0) this.#extra = this.#url.extra = extra;
    }
    this.#into = (kind, start, end) => {
      const at = 3 * (this.#count - 1);
      const out = this.#out;
      if (at + 3 <= out.length) {
        out[at] = kind;
        out[at + 1] = start;
        out[at + 2] = end;
      }
    };
  }

  /**
   * The kinds this extractor reports, in numeric order.
   *
   * @example
   * ```ts
   * import { Extractor, SpanKind } from "@mxy/mxy/match";
   * import assert from "node:assert/strict";
   * const ex = new Extractor({ kinds: [SpanKind.URL, SpanKind.IPV4] });
   * assert.deepEqual(ex.kinds, [SpanKind.IPV4, SpanKind.URL]);
   * ```
   */
  get kinds(): SpanKind[] {
    return ALL_SPAN_KINDS.filter((k) => (this.#mask & (1 << k)) !== 0);
  }

  /**
   * Scans `bytes[start..end)` and calls `onSpan` with each indicator found. Offsets are indexes
   * into `bytes`. Nothing before `start` or from `end` on is read.
   *
   * @param bytes The text: one line or many, any bytes.
   * @param onSpan Called with `(kind, start, end)` of each span.
   * @param start First byte to scan (default 0).
   * @param end One past the last byte to scan (default `bytes.length`).
   * @returns How many spans were reported.
   * @throws {RangeError} When the range is outside `bytes`.
   * @example
   * ```ts
   * import { Extractor, SpanKind } from "@mxy/mxy/match";
   * import assert from "node:assert/strict";
   * const text = new TextEncoder().encode("x [2001:db8::1]:443 fe80::1%eth0 ::ffff:1.2.3.4 1.2.3.4.5");
   * const spans: number[][] = [];
   * new Extractor().scan(text, (kind, s, e) => spans.push([kind, s, e]));
   * assert.deepEqual(spans, [[SpanKind.IPV6, 3, 14], [SpanKind.IPV6, 20, 27], [SpanKind.IPV6, 33, 47]]);
   * ```
   */
  scan(bytes: Uint8Array, onSpan: SpanHandler, start = 0, end: number = bytes.length): number {
    if (!(start >= 0 && start <= end && end <= bytes.length)) {
      throw new RangeError(
        `Cannot scan range ${start}..${end}: the buffer holds ${bytes.length} bytes`,
      );
    }
    this.#bytes = bytes;
    this.#lo = start;
    this.#hi = end;
    this.#onSpan = onSpan;
    this.#count = 0;
    this.#done = start;
    this.#url.reset();
    try {
      this.#scanWords(bytes, start, end);
    } finally {
      this.#bytes = EMPTY;
      this.#onSpan = noop;
    }
    return this.#count;
  }

  /**
   * The skipping loop. A token needs a look only when it holds a `.` or `:` (every kind but the
   * alphanumeric ones needs one) or an alphanumeric run of {@linkcode MIN_RUN} bytes or more, and
   * such a run covers two whole aligned 32-bit words with no byte below `0`. So the loop reads the
   * text four bytes at a time and tests each word, without branching on its bytes, for a `.` or
   * `:` and for "no byte below 0x30"; only a word that has an anchor, or is the second of two such
   * words in a row, sends the bytes around it to {@linkcode Extractor.#window}, which finds and
   * analyses the tokens there. Everything before {@linkcode Extractor.#done} has been analysed.
   */
  #scanWords(bytes: Uint8Array, start: number, end: number): void {
    if (end - start < SHORT_RANGE) {
      // not worth a word view (nor its allocation, for a buffer not seen before)
      this.#window(start, end);
      return;
    }
    const base = bytes.byteOffset;
    const words = this.#wordView.of(bytes);
    // whole words inside the range, as indexes into `words`
    let w = (base + start + 3) >> 2;
    const wEnd = Math.min((base + end) >> 2, words.length);
    if (w >= wEnd) {
      this.#window(start, end);
      return;
    }
    this.#window(start, (w << 2) - base);
    const wFirst = w;
    let prevLow = 0x80;
    while (w < wEnd) {
      const x = words[w];
      const d = x ^ 0x2e2e2e2e;
      const c = x ^ 0x3a3a3a3a;
      const anchor = (((d - 0x01010101) & ~d) | ((c - 0x01010101) & ~c)) & 0x80808080;
      const low = (x - 0x30303030) & ~x & 0x80808080;
      if (
        anchor !== 0 ||
        ((low | prevLow) === 0 && (w - 2 < wFirst || w + 1 >= wEnd ||
          longRunAround(words[w - 2], words[w + 1])))
      ) {
        const p = (w << 2) - base;
        const next = (base + this.#window(anchor !== 0 ? p : p - 4, p + 4)) >> 2;
        if (next > w) {
          w = next;
          prevLow = 0x80;
          continue;
        }
      }
      prevLow = low;
      w++;
    }
    this.#window(Math.max((wEnd << 2) - base, this.#done), end);
  }

  /**
   * Analyses every token that has a byte in `[from, to)` and does not start before
   * {@linkcode Extractor.#done}, and moves `#done` past them.
   *
   * @returns The new `#done`.
   */
  #window(from: number, to: number): number {
    const bytes = this.#bytes;
    const hi = this.#hi;
    let done = this.#done;
    let q = from > done ? from : done;
    if (to > hi) to = hi;
    while (q < to) {
      if (CHAR_CLASS[bytes[q]] === 0) {
        q++;
        continue;
      }
      let s = q;
      while (s > done && CHAR_CLASS[bytes[s - 1]] !== 0) s--;
      // the two hex digits of a percent-escape belong to no token
      if (
        s > this.#lo && bytes[s - 1] === B_PERCENT && HEX_VALUE[bytes[s]] !== 255 &&
        s + 1 < hi && HEX_VALUE[bytes[s + 1]] !== 255
      ) s += 2;
      let e = s;
      let f = 0;
      while (e < hi) {
        const k = CHAR_CLASS[bytes[e]];
        if (k === 0) break;
        f |= k;
        e++;
      }
      let resume = e;
      if ((f & (C_COLON | C_HIGH)) !== 0) {
        resume = (f & C_HIGH) === 0 ? this.#token(s, e, f) : this.#unicodeToken(s, e);
      } else if (
        e - s >= MIN_RUN ||
        ((f & C_DOT) !== 0 && (e - s >= 7 || (f & (C_LETTER | C_HEX_LETTER)) !== 0))
      ) {
        // (a dotted token of digits only is an IPv4 address, 7 bytes at least)
        this.#piece(s, e, f);
      }
      done = resume > q ? resume : q + 1;
      q = done;
    }
    this.#done = done;
    return done;
  }

  /**
   * Scans like {@linkcode Extractor.scan} and writes the spans into `out` as `(kind, start, end)`
   * triples from index 0. When `out` is too short, the spans that do not fit are counted but
   * not written: compare the result with `out.length / 3` and scan again with a larger array (or
   * a smaller range).
   *
   * @param bytes The text.
   * @param out Receives `kind, start, end` for each span.
   * @param start First byte to scan (default 0).
   * @param end One past the last byte to scan (default `bytes.length`).
   * @returns How many spans were found (written or not).
   * @throws {RangeError} When the range is outside `bytes`.
   * @example
   * ```ts
   * import { Extractor, SpanKind } from "@mxy/mxy/match";
   * import assert from "node:assert/strict";
   * const text = new TextEncoder().encode("md5 d41d8cd98f00b204e9800998ecf8427e, not 0d41d8cd98f00b204e9800998ecf8427e");
   * const out = new Int32Array(30);
   * assert.equal(new Extractor().scanInto(text, out), 1);
   * assert.deepEqual([...out.subarray(0, 3)], [SpanKind.MD5, 4, 36]);
   * ```
   */
  scanInto(bytes: Uint8Array, out: Int32Array, start = 0, end: number = bytes.length): number {
    this.#out = out;
    try {
      return this.scan(bytes, this.#into, start, end);
    } finally {
      this.#out = NO_OUT;
    }
  }

  #emit(kind: number, start: number, end: number): void {
    this.#count++;
    this.#onSpan(kind as SpanKind, start, end);
  }

  /** Splits a token with non-ASCII bytes at its non-ASCII delimiters; returns where to resume. */
  #unicodeToken(start: number, end: number): number {
    const bytes = this.#bytes;
    let i = start;
    while (i < end) {
      // a sub-token: ASCII token bytes and non-ASCII word characters
      const s = i;
      let f = 0;
      let skip = 0;
      while (i < end) {
        const c = bytes[i];
        if (c < 0x80) {
          f |= CHAR_CLASS[c];
          i++;
        } else {
          const n = utf8Class(bytes, i, end);
          if (n < 0) {
            skip = -n;
            break;
          }
          f |= C_HIGH;
          i += n;
        }
      }
      if (i > s && ((f & (C_DOT | C_COLON)) !== 0 || i - s >= MIN_RUN)) {
        const resume = this.#token(s, i, f);
        if (resume > i) {
          if (resume >= end) return resume;
          i = resume;
          continue;
        }
      }
      i += skip;
    }
    return end;
  }

  /** Analyses the token `[s, e)` with byte classes `f`; returns where scanning resumes. */
  #token(s: number, e: number, f: number): number {
    if ((f & C_COLON) === 0) {
      this.#piece(s, e, f);
      return e;
    }
    const bytes = this.#bytes;
    const mask = this.#mask;
    if (
      (mask & BIT_URL) !== 0 && bytes[e - 1] === B_COLON && e + 2 < this.#hi &&
      bytes[e] === B_SLASH && bytes[e + 1] === B_SLASH
    ) {
      const resume = this.#urlAt(s, e);
      if (resume >= 0) return resume;
    }
    if ((mask & BIT_IPV6) !== 0 && (f & ~(C_HEX | C_COLON | C_DOT)) === 0) {
      let ee = e;
      while (ee > s && bytes[ee - 1] === B_DOT) ee--;
      if (ee - s > 2 && bytes[ee - 1] === B_COLON && bytes[ee - 2] !== B_COLON) ee--;
      if (isIpv6(bytes, s, ee)) {
        this.#emit(SpanKind.IPV6, s, ee);
        if (ee === e && e < this.#hi && bytes[e] === B_PERCENT) return this.#skipZone(e + 1);
        return e;
      }
    }
    // (a token without a dot shorter than any run has no piece that holds anything: the time
    // of a log's timestamp, `2024:00:00:00`)
    if ((f & C_DOT) !== 0 || e - s >= MIN_RUN) this.#pieces(s, e);
    return e;
  }

  /** Analyses each `:`-separated piece of `[s, e)`. */
  #pieces(s: number, e: number): void {
    const bytes = this.#bytes;
    let p = s;
    let f = 0;
    for (let q = s; q < e; q++) {
      const k = CHAR_CLASS[bytes[q]];
      if (k === C_COLON) {
        // (a piece without a dot and shorter than any run holds nothing: `2024:10:00:00`)
        if ((f & C_DOT) !== 0 || q - p >= MIN_RUN) this.#piece(p, q, f);
        p = q + 1;
        f = 0;
      } else {
        f |= k;
      }
    }
    if ((f & C_DOT) !== 0 || e - p >= MIN_RUN) this.#piece(p, e, f);
  }

  /** Analyses a token or piece `[s, e)` without colons, with byte classes `f`. */
  #piece(s: number, e: number, f: number): void {
    const bytes = this.#bytes;
    const mask = this.#mask;
    if ((f & C_DOT) !== 0 && !(e < this.#hi && bytes[e] === B_AT)) {
      let ds = s;
      let de = e;
      while (ds < de && bytes[ds] === B_DOT) ds++;
      while (de > ds && bytes[de - 1] === B_DOT) de--;
      if ((f & ~(C_DIGIT | C_DOT)) === 0) {
        if ((mask & BIT_IPV4) !== 0 && !this.#productVersion(ds) && isIpv4(bytes, ds, de)) {
          // (IPV4_VALUE holds the address: isIpv4 just left it there)
          this.#emit(SpanKind.IPV4, ds, de);
        }
      } else if (
        (f & C_UNDERSCORE) === 0 && (mask & BIT_NAMES) !== 0 && isDomain(bytes, ds, de, this.#extra)
      ) {
        if (ds === s && s > this.#lo && bytes[s - 1] === B_AT && (mask & BIT_EMAIL) !== 0) {
          const local = localPartStart(bytes, s - 1, this.#lo);
          if (local >= 0) this.#emit(SpanKind.EMAIL, local, de);
        }
        if ((mask & BIT_DOMAIN) !== 0) this.#emit(SpanKind.DOMAIN, ds, de);
      }
    }
    if (e - s >= MIN_RUN && (mask & BIT_RUNS) !== 0) this.#runs(s, e);
  }

  /** A dotted quad right after `word/` is a product version (`Chrome/120.0.0.0`). */
  #productVersion(s: number): boolean {
    return s - 2 >= this.#lo && this.#bytes[s - 1] === B_SLASH &&
      (CHAR_CLASS[this.#bytes[s - 2]] & C_ALNUM) !== 0;
  }

  /** Looks for hashes and cryptocurrency addresses in the alphanumeric runs of `[s, e)`. */
  #runs(s: number, e: number): void {
    const bytes = this.#bytes;
    let i = s;
    // (a run needs MIN_RUN bytes: none starts in the last MIN_RUN - 1)
    while (e - i >= MIN_RUN) {
      while (i < e && (CHAR_CLASS[bytes[i]] & C_ALNUM) === 0) i++;
      const rs = i;
      let f = 0;
      while (i < e) {
        const k = CHAR_CLASS[bytes[i]];
        if ((k & C_ALNUM) === 0) break;
        f |= k;
        i++;
      }
      if (i - rs >= MIN_RUN) this.#run(rs, i, f);
    }
  }

  /** Classifies the maximal alphanumeric run `[s, e)` with byte classes `f`. */
  #run(s: number, e: number, f: number): void {
    const bytes = this.#bytes;
    const mask = this.#mask;
    const n = e - s;
    if ((f & C_LETTER) === 0) {
      const kind = hashKind(n);
      if (kind !== 0 && (mask & (1 << kind)) !== 0) this.#emit(kind, s, e);
    }
    const first = bytes[s];
    if ((mask & BIT_ETHEREUM) !== 0 && n === 42 && first === B_ZERO && bytes[s + 1] === B_X) {
      if (isEthereumAddress(bytes, s, e)) this.#emit(SpanKind.ETHEREUM, s, e);
    } else if ((mask & BIT_BITCOIN) !== 0) {
      if ((first === 0x31 || first === 0x33) && n >= BASE58_MIN && n <= BASE58_MAX) {
        if (isBase58Address(bytes, s, e)) this.#emit(SpanKind.BITCOIN, s, e);
      } else if ((first | 0x20) === 0x62 && n >= BECH32_MIN && n <= BECH32_MAX) {
        if (isBech32Address(bytes, s, e)) this.#emit(SpanKind.BITCOIN, s, e);
      }
    }
  }

  /**
   * A URL whose `scheme:` ends the token `[s, e)` (`bytes[e]` is the first `/` of `//`): reports
   * it and its host and returns where scanning resumes, or returns -1 when it is no URL.
   */
  #urlAt(s: number, e: number): number {
    const bytes = this.#bytes;
    const colon = e - 1;
    let schemeStart = colon;
    while (schemeStart > this.#lo && isSchemeChar(bytes[schemeStart - 1])) schemeStart--;
    while (
      schemeStart < colon && (CHAR_CLASS[bytes[schemeStart]] & (C_LETTER | C_HEX_LETTER)) === 0
    ) {
      schemeStart++;
    }
    if (schemeStart === colon) return -1;
    const url = this.#url;
    if (!url.parse(bytes, e + 2, this.#hi)) return -1;
    if (schemeStart > s) this.#pieces(s, schemeStart);
    this.#emit(SpanKind.URL, schemeStart, url.end);
    const kind = url.hostKind;
    if ((this.#mask & (1 << kind)) !== 0) {
      // the host's address for the matcher (isIpv4 has run on other text since)
      if (kind === SpanKind.IPV4) IPV4_VALUE[0] = url.hostIpv4;
      this.#emit(kind, url.hostStart, url.hostEnd);
    }
    return url.resume;
  }

  /** Skips an IPv6 zone id (RFC 6874 characters and percent-escapes) starting at `i`. */
  #skipZone(i: number): number {
    const bytes = this.#bytes;
    const hi = this.#hi;
    while (i < hi) {
      const c = bytes[i];
      const k = CHAR_CLASS[c];
      if ((k & (C_ALNUM | C_DOT | C_UNDERSCORE)) !== 0 || c === 0x2d || c === 0x7e) i++;
      else if (
        c === B_PERCENT && i + 2 < hi && HEX_VALUE[bytes[i + 1]] !== 255 &&
        HEX_VALUE[bytes[i + 2]] !== 255
      ) i += 3;
      else break;
    }
    return i;
  }
}
