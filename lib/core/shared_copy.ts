/**
 * A typed array copied into a `SharedArrayBuffer`: the tables one thread built, for other threads
 * to view without building them again (`Database.shareChecks`, the Public Suffix List's table).
 *
 * @module
 */

/** Any typed array this package shares. */
export type SharedTypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array;

/**
 * A copy of `a` in shared memory (the same kind of array).
 *
 * @param a The array.
 * @returns The copy.
 */
export function sharedCopy<T extends SharedTypedArray>(a: T): T {
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const c = new Ctor(new SharedArrayBuffer(a.byteLength));
  (c as Uint8Array).set(a as Uint8Array);
  return c;
}
