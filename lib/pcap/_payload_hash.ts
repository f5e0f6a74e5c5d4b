/**
 * Payload hashing for packet correlation: a 53-bit non-cryptographic hash of a byte range,
 * returned as a safe integer so it can be compared and stored without allocation.
 *
 * @module
 */

/**
 * Hashes `len` bytes from `off` into a 53-bit integer: two independent 32-bit murmur3-style
 * lanes, the first kept whole and 21 bits of the second, so equal payloads give equal numbers
 * and different payloads collide with a probability of about 2^-53. No range checks.
 *
 * @param b The buffer.
 * @param off First byte.
 * @param len Number of bytes.
 * @returns A non-negative safe integer.
 */
export function hash53(b: Uint8Array, off: number, len: number): number {
  let h1 = 0x3c6ef372 ^ len;
  let h2 = 0x9e3779b9 ^ Math.imul(len, 0x85ebca6b);
  const end4 = off + (len & ~3);
  let i = off;
  for (; i < end4; i += 4) {
    const k = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    let k1 = Math.imul(k, 0xcc9e2d51);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, 0x1b873593);
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(k, 0x85ebca77);
    k2 = (k2 << 17) | (k2 >>> 15);
    h2 ^= Math.imul(k2, 0xc2b2ae3d);
    h2 = (h2 << 11) | (h2 >>> 21);
    h2 = (Math.imul(h2, 9) + 0x52dce729) | 0;
  }
  const rem = len & 3;
  if (rem !== 0) {
    let t = b[i];
    if (rem > 1) t |= b[i + 1] << 8;
    if (rem > 2) t |= b[i + 2] << 16;
    let k1 = Math.imul(t, 0xcc9e2d51);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, 0x1b873593);
    let k2 = Math.imul(t, 0x85ebca77);
    k2 = (k2 << 17) | (k2 >>> 15);
    h2 ^= Math.imul(k2, 0xc2b2ae3d);
  }
  h1 = fmix(h1 ^ len);
  h2 = fmix(h2 ^ (len * 31));
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
