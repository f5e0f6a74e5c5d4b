/**
 * Cryptocurrency address checks, run only on candidates the scanner found (an alphanumeric run of
 * the right length and first characters): Base58Check (Bitcoin P2PKH `1…` and P2SH `3…`),
 * bech32/bech32m segwit addresses (`bc1…`, BIP 173 and BIP 350) and EIP-55 mixed-case Ethereum
 * addresses. Scratch space is module-level: no allocation per call.
 *
 * @module
 */
import * as charClass from "./_char_class.ts";
import { keccak256Short } from "./_keccak.ts";
import { sha256Short } from "../core/sha256.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { B_X, B_ZERO, HEX_VALUE } = charClass;

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/** The value of each base58 digit, or 255. */
const BASE58_VALUE = new Uint8Array(256).fill(255);
for (let i = 0; i < BASE58.length; i++) BASE58_VALUE[BASE58.charCodeAt(i)] = i;
/** The value of each bech32 character (either case), or 255. */
const BECH32_VALUE = new Uint8Array(256).fill(255);
for (let i = 0; i < BECH32.length; i++) {
  BECH32_VALUE[BECH32.charCodeAt(i)] = i;
  BECH32_VALUE[BECH32.toUpperCase().charCodeAt(i)] = i;
}

/** Shortest Base58Check address text (a 25-byte payload). */
export const BASE58_MIN = 26;
/** Longest Base58Check address text. */
export const BASE58_MAX = 35;
/** Shortest segwit address: `bc1`, version, 2-byte program, checksum (BIP 173). */
export const BECH32_MIN = 14;
/** Longest segwit address: `bc1`, version, 40-byte program, checksum. */
export const BECH32_MAX = 74;

const payload = new Uint8Array(25);
const digest = new Uint8Array(32);

/**
 * Tells whether `bytes[start..end)` is a Base58Check Bitcoin address: version 0x00 (`1…`) or
 * 0x05 (`3…`), 20-byte hash, 4-byte checksum equal to the start of SHA-256(SHA-256(version and
 * hash)).
 *
 * @param bytes The text.
 * @param start First byte.
 * @param end One past the last byte.
 * @returns `true` when it decodes to 25 bytes with a valid checksum.
 */
export function isBase58Address(bytes: Uint8Array, start: number, end: number): boolean {
  const first = bytes[start];
  if (first !== 0x31 && first !== 0x33) return false;
  payload.fill(0);
  let zeros = 0;
  while (zeros < end - start && bytes[start + zeros] === 0x31) zeros++;
  for (let i = start; i < end; i++) {
    let carry = BASE58_VALUE[bytes[i]];
    if (carry === 255) return false;
    for (let j = 24; j >= 0; j--) {
      carry += payload[j] * 58;
      payload[j] = carry & 0xff;
      carry >>>= 8;
    }
    if (carry !== 0) return false; // more than 25 bytes
  }
  // each leading "1" stands for one leading zero byte, and only those do
  let leading = 0;
  while (leading < 25 && payload[leading] === 0) leading++;
  if (leading !== zeros) return false;
  if (payload[0] !== (first === 0x31 ? 0x00 : 0x05)) return false;
  sha256Short(payload, 0, 21, digest);
  sha256Short(digest, 0, 32, digest);
  return digest[0] === payload[21] && digest[1] === payload[22] &&
    digest[2] === payload[23] && digest[3] === payload[24];
}

function polymodStep(chk: number, value: number): number {
  const top = chk >>> 25;
  chk = ((chk & 0x1ffffff) << 5) ^ value;
  if (top & 1) chk ^= 0x3b6a57b2;
  if (top & 2) chk ^= 0x26508e6d;
  if (top & 4) chk ^= 0x1ea119fa;
  if (top & 8) chk ^= 0x3d4233dd;
  if (top & 16) chk ^= 0x2a1462b3;
  return chk;
}

/** The bech32 checksum constant. */
const BECH32_CONST = 1;
/** The bech32m checksum constant. */
const BECH32M_CONST = 0x2bc830a3;

/**
 * Tells whether `bytes[start..end)` is a mainnet segwit address: `bc1` (either case, not mixed),
 * witness version 0 with a 20- or 32-byte program and a bech32 checksum, or version 1–16 with a
 * 2- to 40-byte program and a bech32m checksum; padding bits zero and at most 4 of them.
 *
 * @param bytes The text.
 * @param start First byte.
 * @param end One past the last byte.
 * @returns `true` for a valid address.
 */
export function isBech32Address(bytes: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < BECH32_MIN || n > BECH32_MAX) return false;
  const b0 = bytes[start] | 0x20, b1 = bytes[start + 1] | 0x20;
  if (b0 !== 0x62 || b1 !== 0x63 || bytes[start + 2] !== 0x31) return false;
  let lower = false, upper = false;
  // the expanded human-readable part "bc": high bits, 0, low bits
  let chk = polymodStep(polymodStep(polymodStep(polymodStep(polymodStep(1, 3), 3), 0), 2), 3);
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c >= 0x61) lower = true;
    else if (c >= 0x41) upper = true;
    if (i < start + 3) continue;
    const value = BECH32_VALUE[c];
    if (value === 255) return false;
    chk = polymodStep(chk, value);
  }
  if (lower && upper) return false;
  const version = BECH32_VALUE[bytes[start + 3]];
  if (version > 16) return false;
  if (chk !== (version === 0 ? BECH32_CONST : BECH32M_CONST)) return false;
  const programValues = n - 3 - 1 - 6;
  const bits = programValues * 5;
  const programBytes = bits >> 3;
  const padding = bits & 7;
  if (padding > 4) return false;
  const lastProgramValue = BECH32_VALUE[bytes[end - 7]];
  if ((lastProgramValue & ((1 << padding) - 1)) !== 0) return false;
  if (programBytes < 2 || programBytes > 40) return false;
  return version !== 0 || programBytes === 20 || programBytes === 32;
}

const lowerHex = new Uint8Array(40);

/**
 * Tells whether `bytes[start..end)` is an Ethereum address: `0x` and 40 hex digits, either all
 * letters of one case or mixed case matching the EIP-55 checksum (a letter is upper case exactly
 * when the matching nibble of Keccak-256 of the lower-case hex is 8 or more).
 *
 * @param bytes The text.
 * @param start First byte.
 * @param end One past the last byte.
 * @returns `true` for a valid address.
 */
export function isEthereumAddress(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 42 || bytes[start] !== B_ZERO || bytes[start + 1] !== B_X) return false;
  let lower = false, upper = false;
  for (let i = 0; i < 40; i++) {
    const c = bytes[start + 2 + i];
    if (HEX_VALUE[c] === 255) return false;
    if (c >= 0x61) lower = true;
    else if (c >= 0x41) upper = true;
    lowerHex[i] = c | (c >= 0x41 ? 0x20 : 0);
  }
  if (!(lower && upper)) return true;
  keccak256Short(lowerHex, 0, 40, digest);
  for (let i = 0; i < 40; i++) {
    const c = bytes[start + 2 + i];
    if (c < 0x41) continue; // a digit
    const nibble = (i & 1) === 0 ? digest[i >> 1] >>> 4 : digest[i >> 1] & 15;
    if ((nibble >= 8) !== (c < 0x61)) return false;
  }
  return true;
}
