/**
 * Dotted-quad IPv4 recognition over bytes: exactly four decimal parts 0–255 separated by `.`, no
 * leading zeros (`01.2.3.4` is refused, as lib/core/ip.ts refuses it: some parsers read it as
 * octal), nothing else in the range.
 *
 * @module
 */
import * as charClass from "./_char_class.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { B_DOT } = charClass;

/**
 * The address of the last text {@linkcode isIpv4} accepted, as a 32-bit number; and, while the
 * extractor reports an IPv4 span, the address of that span (the extractor writes it just before
 * reporting, so that the matcher need not parse the text again).
 */
export const IPV4_VALUE = new Int32Array(1);

/**
 * Tells whether `bytes[start..end)` is exactly a dotted-quad IPv4 address (when it is, its
 * number is left in {@linkcode IPV4_VALUE}).
 *
 * @param bytes The text.
 * @param start First byte.
 * @param end One past the last byte.
 * @returns `true` for `1.2.3.4`, `false` for `1.2.3`, `1.2.3.4.5`, `01.2.3.4`, `256.1.1.1`.
 */
export function isIpv4(bytes: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  if (len < 7 || len > 15) return false;
  let parts = 0;
  let address = 0;
  let i = start;
  while (true) {
    const first = bytes[i] - 0x30;
    if (first >>> 0 > 9) return false;
    let value = first;
    let digits = 1;
    i++;
    while (i < end) {
      const d = bytes[i] - 0x30;
      if (d >>> 0 > 9) break;
      value = value * 10 + d;
      digits++;
      i++;
    }
    if (digits > 3 || value > 255 || (first === 0 && digits > 1)) return false;
    parts++;
    address = (address << 8) | value;
    if (i === end) {
      if (parts !== 4) return false;
      IPV4_VALUE[0] = address;
      return true;
    }
    if (bytes[i] !== B_DOT || parts === 4) return false;
    i++;
    if (i === end) return false;
  }
}
