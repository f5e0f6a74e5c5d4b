/**
 * The last value of an attribute that matched nothing, as its raw bytes in the packet: the
 * capture matcher compares the next value with it before reading it into a lookup key, so that
 * a name that comes again — the question of a DNS response after its query, the Host of the
 * requests of a connection, the server name of a resumed session — costs one comparison, not
 * a fold, a hash and a lookup. Equal raw bytes make the same key, so the answer is the same:
 * only misses are kept (a hit is looked up and reported as always).
 *
 * @module
 */

/** The longest value kept (a DNS name is at most 255 bytes on the wire). */
const MAX_RAW = 256;

/** One attribute's last miss. Allocates nothing after construction. */
export class LastMiss {
  /** The raw bytes. */
  readonly raw = new Uint8Array(MAX_RAW);
  /** How many (0: nothing kept). */
  length = 0;
  /** The key the value made (DNS names: for the matcher's list of the names of a message). */
  readonly key = new Uint8Array(MAX_RAW);
  /** The key's length. */
  keyLength = 0;
  /** The key's hash. */
  hash = 0;

  /** Whether `buf[start, end)` is the value kept. */
  same(buf: Uint8Array, start: number, end: number): boolean {
    const n = this.length;
    if (n === 0 || end - start !== n) return false;
    const raw = this.raw;
    for (let i = 0; i < n; i++) if (buf[start + i] !== raw[i]) return false;
    return true;
  }

  /** Whether the bytes at `buf[start …]`, before `end`, begin with the value kept. */
  startsAt(buf: Uint8Array, start: number, end: number): boolean {
    const n = this.length;
    if (n === 0 || start + n > end) return false;
    const raw = this.raw;
    for (let i = 0; i < n; i++) if (buf[start + i] !== raw[i]) return false;
    return true;
  }

  /** Keeps `buf[start, end)` (nothing when it is longer than the longest kept). */
  keep(buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0 || n > MAX_RAW) {
      this.length = 0;
      return;
    }
    const raw = this.raw;
    for (let i = 0; i < n; i++) raw[i] = buf[start + i];
    this.length = n;
  }

  /** Keeps the key the value made, `key[0, n)`, and its hash (after {@linkcode keep}). */
  keepKey(key: Uint8Array, n: number, hash: number): void {
    if (n > MAX_RAW) {
      this.length = 0;
      return;
    }
    const k = this.key;
    for (let i = 0; i < n; i++) k[i] = key[i];
    this.keyLength = n;
    this.hash = hash;
  }

  /** Forgets the value. */
  clear(): void {
    this.length = 0;
  }
}
