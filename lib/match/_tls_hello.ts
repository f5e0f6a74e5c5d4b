/**
 * The server name (SNI) of a TLS ClientHello, found without allocating: the record header, the
 * handshake header, then the hello's fields up to the server_name extension.
 *
 * @module
 */

/** Bytes of a TLS record header: content type, version, length. */
const RECORD_HEADER_LEN = 5;
/** Bytes of a handshake header: type and 24-bit length. */
const HANDSHAKE_HEADER_LEN = 4;
const CONTENT_HANDSHAKE = 0x16;
const VERSION_MAJOR = 3, MAX_VERSION_MINOR = 4;
const CLIENT_HELLO = 1;
/** A hello's legacy version and its 32-byte random. */
const VERSION_AND_RANDOM_LEN = 34;
const EXT_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;
/** The longest TLS record: 2^14 bytes of plaintext plus 2048 of expansion, and the header. */
export const MAX_TLS_RECORD = RECORD_HEADER_LEN + 16384 + 2048;

/** {@linkcode ClientHelloReader.read}: not a ClientHello record. */
export const HELLO_NONE = 0;
/** The record starts a ClientHello but goes on past the bytes given (`need` bytes in all). */
export const HELLO_PARTIAL = 1;
/** A whole ClientHello record was read (`sniStart` is -1 when it names no server). */
export const HELLO_READ = 2;

/**
 * Whether `buf[p, p + n)` starts a TLS handshake record holding a ClientHello, and how long the
 * record is (0 when it is not one).
 */
export function clientHelloRecordLength(buf: Uint8Array, p: number, n: number): number {
  if (n < RECORD_HEADER_LEN + HANDSHAKE_HEADER_LEN + 2) return 0;
  if (
    buf[p] !== CONTENT_HANDSHAKE || buf[p + 1] !== VERSION_MAJOR ||
    buf[p + 2] > MAX_VERSION_MINOR || buf[p + 5] !== CLIENT_HELLO ||
    buf[p + 9] !== VERSION_MAJOR
  ) return 0;
  const recordLength = (buf[p + 3] << 8) | buf[p + 4];
  const helloLength = (buf[p + 6] << 16) | (buf[p + 7] << 8) | buf[p + 8];
  // The hello fills its record, or goes on in the next records; it is never shorter.
  if (recordLength < HANDSHAKE_HEADER_LEN + VERSION_AND_RANDOM_LEN) return 0;
  if (HANDSHAKE_HEADER_LEN + helloLength < recordLength) return 0;
  return RECORD_HEADER_LEN + recordLength;
}

/**
 * Whether `buf[p, p + n)`, too short to tell, may be the start of a ClientHello record: each
 * byte present is what one would be.
 */
export function mayStartClientHello(buf: Uint8Array, p: number, n: number): boolean {
  if (n <= 0 || n >= RECORD_HEADER_LEN + HANDSHAKE_HEADER_LEN + 2) return false;
  return buf[p] === CONTENT_HANDSHAKE && (n < 2 || buf[p + 1] === VERSION_MAJOR) &&
    (n < 3 || buf[p + 2] <= MAX_VERSION_MINOR) && (n < 6 || buf[p + 5] === CLIENT_HELLO);
}

/** Reads ClientHellos; `sniStart`/`sniEnd` give the server name of the last one read. */
export class ClientHelloReader {
  sniStart = -1;
  sniEnd = -1;
  /** With {@linkcode HELLO_PARTIAL}: the record's length (0 while too few bytes tell it). */
  need = 0;

  /**
   * Reads the record at the start of `buf[p, end)`.
   *
   * @returns {@linkcode HELLO_NONE}, {@linkcode HELLO_PARTIAL} or {@linkcode HELLO_READ}.
   */
  read(buf: Uint8Array, p: number, end: number): number {
    this.sniStart = this.sniEnd = -1;
    const total = clientHelloRecordLength(buf, p, end - p);
    if (total === 0) {
      if (!mayStartClientHello(buf, p, end - p)) return HELLO_NONE;
      this.need = 0; // too few bytes to tell
      return HELLO_PARTIAL;
    }
    if (end - p < total) {
      this.need = total;
      return HELLO_PARTIAL;
    }
    end = p + total;
    let q = p + RECORD_HEADER_LEN + HANDSHAKE_HEADER_LEN + VERSION_AND_RANDOM_LEN;
    if (q >= end) return HELLO_READ;
    q += 1 + buf[q]; // session id
    if (q + 2 > end) return HELLO_READ;
    q += 2 + ((buf[q] << 8) | buf[q + 1]); // cipher suites
    if (q + 1 > end) return HELLO_READ;
    q += 1 + buf[q]; // compression methods
    if (q + 2 > end) return HELLO_READ; // no extensions
    const extEnd = Math.min(end, q + 2 + ((buf[q] << 8) | buf[q + 1]));
    q += 2;
    while (q + 4 <= extEnd) {
      const type = (buf[q] << 8) | buf[q + 1], len = (buf[q + 2] << 8) | buf[q + 3];
      const d = q + 4;
      if (d + len > extEnd) break;
      if (type === EXT_SERVER_NAME && len >= 5) {
        // server_name list: total(2), then entries of type(1) = 0 host_name, length(2), name
        let r = d + 2;
        const listEnd = Math.min(d + 2 + ((buf[d] << 8) | buf[d + 1]), d + len);
        while (r + 3 <= listEnd) {
          const nameLength = (buf[r + 1] << 8) | buf[r + 2];
          if (buf[r] === NAME_TYPE_HOST && r + 3 + nameLength <= listEnd) {
            this.sniStart = r + 3;
            this.sniEnd = r + 3 + nameLength;
            return HELLO_READ;
          }
          r += 3 + nameLength;
        }
        return HELLO_READ;
      }
      q = d + len;
    }
    return HELLO_READ;
  }
}
