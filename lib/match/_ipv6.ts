/**
 * IPv6 recognition over bytes, in every RFC 4291 text form: eight groups of one to four hex digits,
 * one `::` standing for one or more zero groups, and a dotted-quad tail counting as two groups
 * (`::ffff:1.2.3.4`, `64:ff9b::192.0.2.1`). The bare unspecified address `::` is refused: it says
 * nothing about a host, and `::` shows up in text as punctuation.
 *
 * @module
 */
import * as charClass from "./_char_class.ts";
import { isIpv4 } from "./_ipv4.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { B_COLON, B_DOT, HEX_VALUE } = charClass;

/**
 * Tells whether `bytes[start..end)` is exactly an IPv6 address (without zone id or brackets).
 *
 * @param bytes The text.
 * @param start First byte.
 * @param end One past the last byte.
 * @returns `true` for `2001:db8::1`, `::1`, `::ffff:1.2.3.4`; `false` for `::`, `1:2:3`,
 * `1::2::3`, `12345::1`.
 */
export function isIpv6(bytes: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  if (len < 3 || len > 45) return false;
  if (len < 15 && !hasDoubleColon(bytes, start, end)) {
    // eight groups take 15 bytes at least: shorter needs a `::` (not so `2024:00:00:00`)
    return false;
  }
  let i = start;
  let groups = 0;
  let compressed = false;
  if (bytes[i] === B_COLON) {
    if (bytes[i + 1] !== B_COLON) return false;
    compressed = true;
    i += 2;
    if (i === end) return false; // "::" alone
  }
  while (true) {
    const groupStart = i;
    while (i < end && i - groupStart < 5 && HEX_VALUE[bytes[i]] !== 255) i++;
    const digits = i - groupStart;
    if (digits === 0) return false;
    if (i < end && bytes[i] === B_DOT) {
      // a dotted-quad tail ends the address and stands for two groups
      if (!isIpv4(bytes, groupStart, end)) return false;
      groups += 2;
      break;
    }
    if (digits > 4) return false;
    groups++;
    if (i === end) break;
    if (bytes[i] !== B_COLON || groups >= 8) return false;
    i++;
    if (i < end && bytes[i] === B_COLON) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false;
    }
  }
  return compressed ? groups <= 7 : groups === 8;
}

/** Whether `bytes[start..end)` holds `::`. */
function hasDoubleColon(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start + 1; i < end; i++) {
    if (bytes[i] === B_COLON && bytes[i - 1] === B_COLON) return true;
  }
  return false;
}
