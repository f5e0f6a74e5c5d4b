/**
 * tshark's field names for mxy's attributes, so `mxy pcap fields` takes the same `-e` list as
 * `tshark -T fields`.
 *
 * @module
 */

/**
 * tshark field names accepted as aliases of mxy attributes (so `mxy pcap fields` takes the same
 * `-e` list as `tshark -T fields`). Values keep mxy's forms: numbers in decimal (tshark prints
 * `dns.id` in hex), `ip.src` for IPv4 and IPv6 alike.
 *
 * @example
 * ```ts
 * import { ProtocolRegistry, TSHARK_ALIASES } from "@mxy/mxy/dpi";
 * import assert from "node:assert/strict";
 * assert.equal(TSHARK_ALIASES["dns.qry.name"], "dns.qname");
 * const r = new ProtocolRegistry();
 * r.register({ id: 7, name: "udp", classify: () => true, attributes: { src_port: () => 1 } });
 * assert.equal(r.resolve("udp.srcport").extract({} as never), 1);
 * ```
 */
export const TSHARK_ALIASES: Readonly<Record<string, string>> = {
  "frame.number": "meta.number",
  "frame.time_epoch": "meta.time",
  "frame.len": "meta.len",
  "frame.cap_len": "meta.caplen",
  "frame.interface_id": "meta.iface",
  "tcp.srcport": "tcp.src_port",
  "tcp.dstport": "tcp.dst_port",
  "tcp.seq_raw": "tcp.seq",
  "tcp.ack_raw": "tcp.ack",
  "tcp.window_size_value": "tcp.window",
  "udp.srcport": "udp.src_port",
  "udp.dstport": "udp.dst_port",
  "dns.flags.response": "dns.qr",
  "dns.flags.rcode": "dns.rcode",
  "dns.flags.opcode": "dns.opcode",
  "dns.qry.name": "dns.qname",
  "dns.qry.type": "dns.qtype",
  "dns.qry.class": "dns.qclass",
  "dns.count.queries": "dns.qdcount",
  "dns.count.answers": "dns.ancount",
  "http.request.method": "http.method",
  "http.request.uri": "http.uri",
  "http.request.version": "http.version",
  "http.response.code": "http.status",
  "tls.handshake.extensions_server_name": "tls.sni",
  "tls.handshake.extensions_alpn_str": "tls.alpn",
  "tls.handshake.type": "tls.handshake_type",
  "tls.record.content_type": "tls.content_type",
};
