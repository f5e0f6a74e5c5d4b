import assert from "node:assert/strict";
import {
  decodePacket,
  formatDst,
  formatSrc,
  formatTime,
  LinkType,
  PacketView,
} from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";

function decoded(src: string, dst: string): PacketView {
  const bytes = buildPacket({ linktype: LinkType.RAW, src, dst });
  const v = new PacketView();
  v.setRecord(bytes, 0, bytes.length, bytes.length);
  v.linktype = LinkType.RAW;
  decodePacket(v);
  return v;
}

Deno.test("formatTime() prints nine exact decimals", () => {
  assert.equal(formatTime(1795316355, 0), "1795316355.000000000");
  assert.equal(formatTime(1795316355, 999999999), "1795316355.999999999");
  assert.equal(formatTime(0, 7), "0.000000007");
});

Deno.test("formatSrc() and formatDst() write addresses as the one IP module does (RFC 5952, ::ffff:a.b.c.d)", () => {
  const v4 = decoded("255.255.255.255", "0.0.0.0");
  assert.deepEqual([formatSrc(v4), formatDst(v4)], ["255.255.255.255", "0.0.0.0"]);
  const mapped = decoded("::ffff:1.2.3.4", "2001:0db8:0000:0000:0001:0000:0000:0001");
  assert.deepEqual([formatSrc(mapped), formatDst(mapped)], ["::ffff:1.2.3.4", "2001:db8::1:0:0:1"]);
  const none = new PacketView();
  assert.deepEqual([formatSrc(none), formatDst(none)], ["", ""]);
});
