/**
 * Growing the builder's typed-array columns.
 *
 * @module
 */

/**
 * A copy of `a` in a new array of `size` elements (the rest zero).
 *
 * @param a The array.
 * @param size The new length (at least `a.length`).
 * @returns The grown copy, of the same type.
 */
export function grown<T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(
  a: T,
  size: number,
): T {
  const next = new (a.constructor as new (length: number) => T)(size);
  next.set(a);
  return next;
}
