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
import {
  B_AT,
  B_COLON,
  B_DOT,
  B_LBRACKET,
  B_PERCENT,
  B_RBRACKET,
  C_DIGIT,
  CHAR_CLASS,
} from "./_char_class.ts";
import { isDomain } from "./_domain.ts";
import { isIpv4 } from "./_ipv4.ts";
import { isIpv6 } from "./_ipv6.ts";
import { utf8Class } from "./_unicode.ts";
import { SpanKind } from "./span_kind.ts";

/** ASCII bytes that end a URL. */
const URL_STOP = new Uint8Array(128);
for (let c = 0; c <= 0x20; c++) URL_STOP[c] = 1;
for (const c of "\"'<>\\^`{|}\x7f") URL_STOP[c.charCodeAt(0)] = 1;
/** ASCII bytes dropped from the end of a URL. */
const URL_TRAIL = new Uint8Array(128);
for (const c of ".,;:!?*") URL_TRAIL[c.charCodeAt(0)] = 1;
/** ASCII bytes that end an authority (besides the URL's end). */
const AUTHORITY_END = new Uint8Array(128);
for (const c of "/?#") AUTHORITY_END[c.charCodeAt(0)] = 1;

/** Indexes into the result array of {@linkcode parseUrl}. */
export const URL_HOST_START = 0;
/** One past the host's last byte. */
export const URL_HOST_END = 1;
/** The host's {@linkcode SpanKind}: IPV4, IPV6 or DOMAIN. */
export const URL_HOST_KIND = 2;
/** One past the URL's last byte. */
export const URL_END = 3;
/** Where scanning resumes: after the host (after its `]` for IPv6). */
export const URL_RESUME = 4;

/** Tells whether a byte may be part of a scheme. */
export function isSchemeChar(c: number): boolean {
  return (CHAR_CLASS[c] & 7) !== 0 || c === 0x2b || c === 0x2d || c === B_DOT;
}

/**
 * Parses the part of a URL after `scheme://`.
 *
 * @param bytes The text.
 * @param start The first byte after `//`.
 * @param limit One past the last byte the URL may take.
 * @param result Receives the host, the URL's end and where to resume, at the `URL_*` indexes.
 * @returns `true` when the host is an address or a reportable domain and the port is digits.
 */
export function parseUrl(
  bytes: Uint8Array,
  start: number,
  limit: number,
  result: Int32Array,
): boolean {
  // the whole URL, then without trailing punctuation
  let end = start;
  let parens = 0; // "(" minus ")"
  let brackets = 0; // "[" minus "]"
  while (end < limit) {
    const c = bytes[end];
    if (c < 0x80) {
      if (URL_STOP[c] !== 0) break;
      if (c === 0x28) parens++;
      else if (c === 0x29) parens--;
      else if (c === B_LBRACKET) brackets++;
      else if (c === B_RBRACKET) brackets--;
      end++;
    } else {
      const n = utf8Class(bytes, end, limit);
      if (n < 0) break;
      end += n;
    }
  }
  while (end > start) {
    const c = bytes[end - 1];
    if (c < 0x80 && URL_TRAIL[c]) {
      end--;
    } else if (c === 0x29 && parens < 0) {
      parens++;
      end--;
    } else if (c === B_RBRACKET && brackets < 0) {
      brackets++;
      end--;
    } else {
      break;
    }
  }
  // the authority, and the last "@" in it
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
    if (isIpv4(bytes, hostStart, hostEnd)) kind = SpanKind.IPV4;
    else if (isDomain(bytes, hostStart, hostEnd)) kind = SpanKind.DOMAIN;
    else return false;
  }
  if (after < authorityEnd) {
    if (bytes[after] !== B_COLON) return false;
    for (let p = after + 1; p < authorityEnd; p++) {
      if ((CHAR_CLASS[bytes[p]] & C_DIGIT) === 0) return false;
    }
  }
  result[URL_HOST_START] = hostStart;
  result[URL_HOST_END] = hostEnd;
  result[URL_HOST_KIND] = kind;
  result[URL_END] = end;
  result[URL_RESUME] = after;
  return true;
}
