/**
 * Keccak-256 (the original Keccak padding, as Ethereum uses it, not SHA3-256) of a short message
 * (under 136 bytes: one block), for EIP-55 address checksums. 64-bit lanes are kept as pairs of
 * 32-bit halves in module-level typed arrays: no allocation per call.
 *
 * @module
 */

/** The rate of Keccak-256 in bytes. */
const RATE = 136;

/** Round constants, low and high halves. */
const RC_LO = new Int32Array([
  0x00000001,
  0x00008082,
  0x0000808a,
  0x80008000,
  0x0000808b,
  0x80000001,
  0x80008081,
  0x00008009,
  0x0000008a,
  0x00000088,
  0x80008009,
  0x8000000a,
  0x8000808b,
  0x0000008b,
  0x00008089,
  0x00008003,
  0x00008002,
  0x00000080,
  0x0000800a,
  0x8000000a,
  0x80008081,
  0x00008080,
  0x80000001,
  0x80008008,
]);
const RC_HI = new Int32Array([
  0x00000000,
  0x00000000,
  0x80000000,
  0x80000000,
  0x00000000,
  0x00000000,
  0x80000000,
  0x80000000,
  0x00000000,
  0x00000000,
  0x00000000,
  0x00000000,
  0x00000000,
  0x80000000,
  0x80000000,
  0x80000000,
  0x80000000,
  0x80000000,
  0x00000000,
  0x80000000,
  0x80000000,
  0x80000000,
  0x00000000,
  0x80000000,
]);
/** Rotation of lane x + 5y. */
const ROT = new Uint8Array([
  0,
  1,
  62,
  28,
  27,
  36,
  44,
  6,
  55,
  20,
  3,
  10,
  43,
  25,
  39,
  41,
  45,
  15,
  21,
  8,
  18,
  2,
  61,
  56,
  14,
]);
/** Where lane x + 5y goes in the π step: y + 5((2x + 3y) mod 5). */
const PI = new Uint8Array(25);
for (let x = 0; x < 5; x++) {
  for (let y = 0; y < 5; y++) PI[x + 5 * y] = y + 5 * ((2 * x + 3 * y) % 5);
}

const lo = new Int32Array(25);
const hi = new Int32Array(25);
const bLo = new Int32Array(25);
const bHi = new Int32Array(25);
const cLo = new Int32Array(5);
const cHi = new Int32Array(5);

/** The longest message {@linkcode keccak256Short} takes. */
export const KECCAK_SHORT_MAX = RATE - 1;

function permute(): void {
  for (let round = 0; round < 24; round++) {
    // θ
    for (let x = 0; x < 5; x++) {
      cLo[x] = lo[x] ^ lo[x + 5] ^ lo[x + 10] ^ lo[x + 15] ^ lo[x + 20];
      cHi[x] = hi[x] ^ hi[x + 5] ^ hi[x + 10] ^ hi[x + 15] ^ hi[x + 20];
    }
    for (let x = 0; x < 5; x++) {
      const l1 = cLo[(x + 1) % 5], h1 = cHi[(x + 1) % 5];
      const dLo = cLo[(x + 4) % 5] ^ ((l1 << 1) | (h1 >>> 31));
      const dHi = cHi[(x + 4) % 5] ^ ((h1 << 1) | (l1 >>> 31));
      for (let y = 0; y < 25; y += 5) {
        lo[x + y] ^= dLo;
        hi[x + y] ^= dHi;
      }
    }
    // ρ and π
    for (let i = 0; i < 25; i++) {
      const r = ROT[i], l = lo[i], h = hi[i], to = PI[i];
      if (r === 0) {
        bLo[to] = l;
        bHi[to] = h;
      } else if (r < 32) {
        bLo[to] = (l << r) | (h >>> (32 - r));
        bHi[to] = (h << r) | (l >>> (32 - r));
      } else if (r === 32) {
        bLo[to] = h;
        bHi[to] = l;
      } else {
        const s = r - 32;
        bLo[to] = (h << s) | (l >>> (32 - s));
        bHi[to] = (l << s) | (h >>> (32 - s));
      }
    }
    // χ
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) {
        const x1 = y + (x + 1) % 5, x2 = y + (x + 2) % 5;
        lo[y + x] = bLo[y + x] ^ (~bLo[x1] & bLo[x2]);
        hi[y + x] = bHi[y + x] ^ (~bHi[x1] & bHi[x2]);
      }
    }
    // ι
    lo[0] ^= RC_LO[round];
    hi[0] ^= RC_HI[round];
  }
}

function absorbByte(at: number, value: number): void {
  const lane = at >> 3, shift = 8 * (at & 3);
  if ((at & 4) === 0) lo[lane] ^= value << shift;
  else hi[lane] ^= value << shift;
}

/**
 * Writes Keccak-256(`input[start..end)`) to `out[0..32)`. The message must be at most
 * {@linkcode KECCAK_SHORT_MAX} bytes.
 *
 * @param input The message bytes.
 * @param start First byte.
 * @param end One past the last byte.
 * @param out Receives the 32-byte digest.
 */
export function keccak256Short(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
): void {
  lo.fill(0);
  hi.fill(0);
  const n = end - start;
  for (let i = 0; i < n; i++) absorbByte(i, input[start + i]);
  absorbByte(n, 0x01);
  absorbByte(RATE - 1, 0x80);
  permute();
  for (let i = 0; i < 32; i++) {
    const lane = i >> 3, shift = 8 * (i & 3);
    out[i] = ((i & 4) === 0 ? lo[lane] : hi[lane]) >>> shift;
  }
}
