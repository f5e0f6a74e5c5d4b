/**
 * URL recognition over bytes, from the `//` after a scheme: `scheme://[userinfo@]host[:port]` and
 * whatever path, query and fragment follow.
 *
 * - The scheme is the longest run of letters, digits, `+`, `-` and `.` before `://`, from its
 *   first letter on (any RFC 3986 scheme: `http`, `https`, `ftp`, `svn+ssh`, …).
 * - The authority ends at the first `/`, `?`, `#` or end of the URL. The host follows the last
 *   `@` in it; it is a dotted-quad IPv4 address, a bracketed IPv6 address (`[2001:db8::1]`,
 *   zone `%25eth0` allowed and left out of the host span) or a domain the extractor reports (on
 *   the Public Suffix List; one trailing dot allowed and left out). A port is digits only. A URL
 *   whose host is none of these (`http://localhost/`, `file:///etc`) is no URL to the extractor.
 * - The URL ends before the first byte that cannot be in one: ASCII controls and space, `"`,
 *   `'`, `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`, `}`, a byte that is not valid UTF-8, and the
 *   non-ASCII delimiters of `_unicode.ts` (curly quotes, no-break space, …). Then trailing `.`,
 *   `,`, `;`, `:`, `!`, `?` and `*` are dropped, and a trailing `)` or `]` that closes nothing
 *   inside the URL (`(see http://evil.com/x)` gives `http://evil.com/x`).
 *
 * @module
 */
import * as charClass from "./_char_class.ts";
import { isDomain } from "./_domain.ts";
import type { ExtraSuffixes } from "./_extra_suffixes.ts";
import * as ipv4 from "./_ipv4.ts";
import { isIpv6 } from "./_ipv6.ts";
import { utf8Class } from "./_unicode.ts";
import { SpanKind } from "./span_kind.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { IPV4_VALUE, isIpv4 } = ipv4;
const { B_AT, B_COLON, B_DOT, B_LBRACKET, B_PERCENT, B_RBRACKET, C_ALNUM, C_DIGIT, CHAR_CLASS } =
  charClass;

/** What each byte is to the URL scanner. */
const U_PLAIN = 0;
/** Ends a URL. */
const U_STOP = 1;
/** `(` `)` `[` `]`: counted, to drop a closing one that closes nothing. */
const U_BRACKET = 2;
/** A byte ≥ 0x80: a UTF-8 sequence to check. */
const U_HIGH = 3;
const URL_CLASS = new Uint8Array(256);
for (let c = 0; c <= 0x20; c++) URL_CLASS[c] = U_STOP;
for (const c of "\"'<>\\^`{|}\x7f") URL_CLASS[c.charCodeAt(0)] = U_STOP;
for (const c of "()[]") URL_CLASS[c.charCodeAt(0)] = U_BRACKET;
for (let c = 0x80; c < 0x100; c++) URL_CLASS[c] = U_HIGH;
/** ASCII bytes dropped from the end of a URL. */
const URL_TRAIL = new Uint8Array(128);
for (const c of ".,;:!?*") URL_TRAIL[c.charCodeAt(0)] = 1;
/** ASCII bytes that end an authority (besides the URL's end). */
const AUTHORITY_END = new Uint8Array(128);
for (const c of "/?#") AUTHORITY_END[c.charCodeAt(0)] = 1;

/** Tells whether a byte may be part of a scheme. */
export function isSchemeChar(c: number): boolean {
  return (CHAR_CLASS[c] & C_ALNUM) !== 0 || c === 0x2b || c === 0x2d || c === B_DOT;
}

/** At most this many unbalanced `)` or `]` are dropped from the end of one URL. */
const MAX_CLOSERS_DROPPED = 64;

/**
 * Parses URLs, keeping what it learnt about the run of URL characters it last walked so that
 * many URLs in one long run (`http://a.com/http://a.com/…` on a line of megabytes) cost linear
 * time: each byte of a run is walked once to find its end, once more to count brackets up to
 * each URL's start. Call {@linkcode UrlParser.reset} before each new text.
 */
export class UrlParser {
  /** The host's first byte. */
  hostStart = 0;
  /** One past the host's last byte. */
  hostEnd = 0;
  /** The host's {@linkcode SpanKind}: IPV4, IPV6 or DOMAIN. */
  hostKind = 0;
  /** For an IPv4 host, its address as a 32-bit number. */
  hostIpv4 = 0;
  /** One past the URL's last byte. */
  end = 0;
  /** Last labels a host may end in beyond the Public Suffix List (see the extractor). */
  extra: ExtraSuffixes | null = null;
  /** Where scanning resumes: after the host (after its `]` for IPv6). */
  resume = 0;

  /** The last run of URL characters walked: `[runStart, runEnd)`, -1 for none. */
  #runStart = -1;
  #runEnd = -1;
  /** The run's end without trailing punctuation. */
  #runTrimmed = -1;
  /** `(` minus `)` and `[` minus `]` over the whole run. */
  #runParens = 0;
  #runBrackets = 0;
  /** The same counts over `[runStart, prefixAt)`. */
  #prefixAt = 0;
  #prefixParens = 0;
  #prefixBrackets = 0;

  /** Forgets the last run (the text changed). */
  reset(): void {
    this.#runStart = -1;
    this.#runEnd = -1;
  }

  /** Walks the run of URL characters from `start`, counting brackets. */
  #walk(bytes: Uint8Array, start: number, limit: number): void {
    let end = start;
    let parens = 0;
    let brackets = 0;
    while (end < limit) {
      const c = bytes[end];
      const u = URL_CLASS[c];
      if (u === U_PLAIN) {
        end++;
      } else if (u === U_STOP) {
        break;
      } else if (u === U_BRACKET) {
        if (c === 0x28) parens++;
        else if (c === 0x29) parens--;
        else if (c === B_LBRACKET) brackets++;
        else brackets--;
        end++;
      } else {
        const n = utf8Class(bytes, end, limit);
        if (n < 0) break;
        end += n;
      }
    }
    let trimmed = end;
    while (trimmed > start && bytes[trimmed - 1] < 0x80 && URL_TRAIL[bytes[trimmed - 1]]) trimmed--;
    this.#runStart = start;
    this.#runEnd = end;
    this.#runTrimmed = trimmed;
    this.#runParens = parens;
    this.#runBrackets = brackets;
    this.#prefixAt = start;
    this.#prefixParens = 0;
    this.#prefixBrackets = 0;
  }

  /**
   * Parses the part of a URL after `scheme://`. Within one text, calls must come in increasing
   * order of `start`.
   *
   * @param bytes The text.
   * @param start The first byte after `//`.
   * @param limit One past the last byte the URL may take.
   * @returns `true` when the host is an address or a reportable domain and the port is digits;
   * the fields then hold the host, the URL's end and where to resume.
   */
  parse(bytes: Uint8Array, start: number, limit: number): boolean {
    if (!(start >= this.#runStart && start < this.#runEnd && start >= this.#prefixAt)) {
      this.#walk(bytes, start, limit);
    }
    // brackets over [start, runEnd): the run's, less those before start
    let at = this.#prefixAt;
    let pp = this.#prefixParens;
    let pb = this.#prefixBrackets;
    for (; at < start; at++) {
      const c = bytes[at];
      if (c === 0x28) pp++;
      else if (c === 0x29) pp--;
      else if (c === B_LBRACKET) pb++;
      else if (c === B_RBRACKET) pb--;
    }
    this.#prefixAt = at;
    this.#prefixParens = pp;
    this.#prefixBrackets = pb;
    let parens = this.#runParens - pp;
    let brackets = this.#runBrackets - pb;
    // the URL without trailing punctuation, nor a `)` or `]` that closes nothing
    let end = this.#runTrimmed > start ? this.#runTrimmed : start;
    for (let dropped = 0; end > start && dropped < MAX_CLOSERS_DROPPED; dropped++) {
      const c = bytes[end - 1];
      if (c === 0x29 && parens < 0) parens++;
      else if (c === B_RBRACKET && brackets < 0) brackets++;
      else break;
      end--;
      while (end > start && bytes[end - 1] < 0x80 && URL_TRAIL[bytes[end - 1]]) end--;
    }
    return this.#authority(bytes, start, end);
  }

  /** Parses the authority of the URL `[start, end)` and fills the fields. */
  #authority(bytes: Uint8Array, start: number, end: number): boolean {
    let authorityEnd = start;
    let at = -1;
    while (authorityEnd < end) {
      const c = bytes[authorityEnd];
      if (c < 0x80 && AUTHORITY_END[c]) break;
      if (c === B_AT) at = authorityEnd;
      authorityEnd++;
    }
    const h = at >= 0 ? at + 1 : start;
    if (h >= authorityEnd) return false;
    let hostStart: number, hostEnd: number, kind: number, after: number;
    if (bytes[h] === B_LBRACKET) {
      let j = h + 1;
      while (j < authorityEnd && bytes[j] !== B_RBRACKET && bytes[j] !== B_PERCENT) j++;
      hostStart = h + 1;
      hostEnd = j;
      while (j < authorityEnd && bytes[j] !== B_RBRACKET) j++;
      if (j === authorityEnd || !isIpv6(bytes, hostStart, hostEnd)) return false;
      kind = SpanKind.IPV6;
      after = j + 1;
    } else {
      let j = h;
      while (j < authorityEnd && bytes[j] !== B_COLON) j++;
      after = j;
      hostStart = h;
      hostEnd = j > h && bytes[j - 1] === B_DOT ? j - 1 : j;
      if (isIpv4(bytes, hostStart, hostEnd)) {
        kind = SpanKind.IPV4;
        this.hostIpv4 = IPV4_VALUE[0];
      } else if (isDomain(bytes, hostStart, hostEnd, this.extra)) kind = SpanKind.DOMAIN;
      else return false;
    }
    if (after < authorityEnd) {
      if (bytes[after] !== B_COLON) return false;
      for (let p = after + 1; p < authorityEnd; p++) {
        if ((CHAR_CLASS[bytes[p]] & C_DIGIT) === 0) return false;
      }
    }
    this.hostStart = hostStart;
    this.hostEnd = hostEnd;
    this.hostKind = kind;
    this.end = end;
    this.resume = after;
    return true;
  }
}
