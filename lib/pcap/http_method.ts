/**
 * The HTTP request methods of the IANA HTTP Method Registry that HTTP/1.x carries: RFC 9110's
 * (GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE), PATCH (RFC 5789), WebDAV's (RFC 4918
 * and its extensions RFC 3253 versioning, 3648 ordering, 3744 access control, 4437 redirect
 * references, 4791 CalDAV, 5323 search, 5842 binding), LINK/UNLINK (RFC 2068) and QUERY. `PRI`
 * (the HTTP/2 connection preface) is not an HTTP/1.x method. Methods are case-sensitive (RFC
 * 9110 §9.1): `get` is not `GET`. {@linkcode httpMessageKind} is the one test for an HTTP/1.x
 * message start, shared by the session table's guess, correlation, the framer and the DPI plugin.
 *
 * @module
 */

/** Every method, as registered. */
export const HTTP_METHODS: readonly string[] = [
  "ACL",
  "BASELINE-CONTROL",
  "BIND",
  "CHECKIN",
  "CHECKOUT",
  "CONNECT",
  "COPY",
  "DELETE",
  "GET",
  "HEAD",
  "LABEL",
  "LINK",
  "LOCK",
  "MERGE",
  "MKACTIVITY",
  "MKCALENDAR",
  "MKCOL",
  "MKREDIRECTREF",
  "MKWORKSPACE",
  "MOVE",
  "OPTIONS",
  "ORDERPATCH",
  "PATCH",
  "POST",
  "PROPFIND",
  "PROPPATCH",
  "PUT",
  "QUERY",
  "REBIND",
  "REPORT",
  "SEARCH",
  "TRACE",
  "UNBIND",
  "UNCHECKOUT",
  "UNLINK",
  "UNLOCK",
  "UPDATE",
  "UPDATEREDIRECTREF",
  "VERSION-CONTROL",
];

/** The longest method plus its space: bytes a request line must show before it is known. */
export const HTTP_METHOD_MAX_PREFIX: number =
  HTTP_METHODS.reduce((n, m) => Math.max(n, m.length), 0) +
  1;

const CH_SPACE = 0x20;
/** What a status line starts with. */
const HTTP_VERSION_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"
const STATUS_PREFIX_LEN = HTTP_VERSION_PREFIX.length;

/** The methods by their first byte, as byte arrays (no space). */
const BY_FIRST_BYTE: (Uint8Array[] | undefined)[] = (() => {
  const table: (Uint8Array[] | undefined)[] = new Array(256).fill(undefined);
  for (const m of HTTP_METHODS) {
    const bytes = Uint8Array.from(m, (c) => c.charCodeAt(0));
    (table[bytes[0]] ??= []).push(bytes);
  }
  return table;
})();

/**
 * The length of the registered method (without its space) that starts `bytes[offset…]` and is
 * followed by a space, or 0. Case-sensitive.
 *
 * @param bytes The buffer.
 * @param offset Where the request line starts.
 * @param length Bytes available from `offset`.
 * @returns The method's length, or 0.
 */
export function httpMethodLength(bytes: Uint8Array, offset: number, length: number): number {
  if (length < 2) return 0;
  const candidates = BY_FIRST_BYTE[bytes[offset]];
  if (candidates === undefined) return 0;
  for (let c = 0; c < candidates.length; c++) {
    const m = candidates[c];
    const n = m.length;
    if (length <= n || bytes[offset + n] !== CH_SPACE) continue;
    let i = 1;
    while (i < n && bytes[offset + i] === m[i]) i++;
    if (i === n) return n;
  }
  return 0;
}

/**
 * Tells whether bytes start like an HTTP/1.x request (`1`: a registered method and a space), a
 * response (`2`: `HTTP/`) or neither (`0`). Methods are case-sensitive, as HTTP says; a payload
 * starting with `H` may be either (`HEAD /` is a request).
 *
 * @param bytes The buffer.
 * @param offset Where the payload starts.
 * @param length The payload's length.
 * @returns 1, 2 or 0.
 */
export function httpMessageKind(bytes: Uint8Array, offset: number, length: number): 0 | 1 | 2 {
  if (length >= STATUS_PREFIX_LEN) {
    let i = 0;
    while (i < STATUS_PREFIX_LEN && bytes[offset + i] === HTTP_VERSION_PREFIX[i]) i++;
    if (i === STATUS_PREFIX_LEN) return 2;
  }
  return httpMethodLength(bytes, offset, length) > 0 ? 1 : 0;
}
