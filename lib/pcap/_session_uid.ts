/**
 * A session's uid (`FlowSession.uid`): `C`, six base-62 digits of its key hash mixed with its
 * creation number, five of the creation number. As text for a session, or written in place as
 * ASCII bytes (the parallel pipeline's reader fills the placeholder workers leave in flow records,
 * once per record, without a session object or a string).
 *
 * @module
 */

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** The digits' ASCII codes. */
const B62_CODES = Uint8Array.from(B62, (c) => c.charCodeAt(0));
/** Bytes of a uid. */
export const UID_BYTES = 12;
const HASH_DIGITS = 6;
const SEQ_DIGITS = 5;
const LETTER_C = 0x43;

function base62(n: number, width: number): string {
  let s = "";
  for (let i = 0; i < width; i++) {
    s = B62[n % 62] + s;
    n = Math.floor(n / 62);
  }
  return s;
}

/** The first number a uid's digits show: the key hash mixed with the creation number. */
function mixed(keyHash: number, seq: number): number {
  return (keyHash ^ Math.imul(seq, 0x9e3779b1)) >>> 0;
}

/**
 * The uid of the session with key hash `keyHash` created `seq`-th.
 *
 * @param keyHash The session's key hash.
 * @param seq Its creation number.
 * @returns The uid (12 ASCII characters).
 */
export function sessionUid(keyHash: number, seq: number): string {
  return "C" + base62(mixed(keyHash, seq), HASH_DIGITS) + base62(seq, SEQ_DIGITS);
}

/**
 * Writes {@linkcode sessionUid}`(keyHash, seq)` as ASCII into `into` at `at` (12 bytes).
 *
 * @param into Where to write.
 * @param at The first byte.
 * @param keyHash The session's key hash.
 * @param seq Its creation number.
 */
export function writeSessionUid(into: Uint8Array, at: number, keyHash: number, seq: number): void {
  into[at] = LETTER_C;
  let n = mixed(keyHash, seq);
  for (let i = HASH_DIGITS; i >= 1; i--) {
    into[at + i] = B62_CODES[n % 62];
    n = Math.floor(n / 62);
  }
  n = seq;
  for (let i = HASH_DIGITS + SEQ_DIGITS; i > HASH_DIGITS; i--) {
    into[at + i] = B62_CODES[n % 62];
    n = Math.floor(n / 62);
  }
}
