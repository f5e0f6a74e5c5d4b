/**
 * Text for what a packet view holds: exact timestamps and IP addresses, in the forms tshark
 * prints (`frame.time_epoch`, RFC 5952 IPv6 with `::ffff:1.2.3.4` for IPv4-mapped addresses).
 * Addresses are written by the one IP module, `lib/core/ip.ts`.
 *
 * @module
 */
import { formatIpv4, formatIpv6 } from "../core/ip.ts";
import type { PacketView } from "./packet_view.ts";

/**
 * Formats a time given as whole seconds and nanoseconds as `seconds.nnnnnnnnn` (always nine
 * decimals), the form of tshark's `frame.time_epoch`. Exact: no floating point is involved.
 *
 * @param sec Whole seconds (a view's `tsSec`).
 * @param nsec Nanoseconds within the second (a view's `tsNsec`).
 * @returns The text.
 * @example
 * ```ts
 * import { formatTime } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * assert.equal(formatTime(1700000000, 1234), "1700000000.000001234");
 * assert.equal(formatTime(5, 120000000), "5.120000000");
 * ```
 */
export function formatTime(sec: number, nsec: number): string {
  const frac = String(nsec);
  return `${sec}.${"000000000".slice(frac.length)}${frac}`;
}

/**
 * Formats a decoded view's source address (IPv4 or IPv6), or `""` when the packet has no IP
 * layer.
 *
 * @param view The decoded packet.
 * @returns The address text.
 * @example
 * ```ts
 * import { decodePacket, formatSrc, LinkType, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const bytes = buildPacket({ linktype: LinkType.RAW, src: "::ffff:10.0.0.1", dst: "::1" });
 * const v = new PacketView();
 * v.setRecord(bytes, 0, bytes.length, bytes.length);
 * v.linktype = LinkType.RAW;
 * decodePacket(v);
 * assert.equal(formatSrc(v), "::ffff:10.0.0.1");
 * ```
 */
export function formatSrc(view: PacketView): string {
  if (view.ipVersion === 4) return formatIpv4(view.ip4Src);
  if (view.ipVersion === 6) return formatIpv6(view.buf, view.ipSrcOffset);
  return "";
}

/**
 * Formats a decoded view's destination address (IPv4 or IPv6), or `""` when the packet has no
 * IP layer.
 *
 * @param view The decoded packet.
 * @returns The address text.
 * @example
 * ```ts
 * import { decodePacket, formatDst, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const bytes = buildPacket({ src: "10.0.0.1", dst: "192.168.0.1" });
 * const v = new PacketView();
 * v.setRecord(bytes, 0, bytes.length, bytes.length);
 * decodePacket(v);
 * assert.equal(formatDst(v), "192.168.0.1");
 * ```
 */
export function formatDst(view: PacketView): string {
  if (view.ipVersion === 4) return formatIpv4(view.ip4Dst);
  if (view.ipVersion === 6) return formatIpv6(view.buf, view.ipDstOffset);
  return "";
}
