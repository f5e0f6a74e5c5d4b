import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodePacket,
  DecodeStatus,
  formatDst,
  formatSrc,
  Layer,
  LinkType,
  PacketView,
  TcpFlag,
} from "../../lib/pcap/mod.ts";
import { buildPacket, type PacketSpec } from "../../lib/testing/mod.ts";

function decode(bytes: Uint8Array, linktype: number = LinkType.ETHERNET, fcsLen = 0): PacketView {
  const v = new PacketView();
  v.setRecord(bytes, 0, bytes.length, bytes.length);
  v.linktype = linktype;
  v.fcsLen = fcsLen;
  decodePacket(v);
  return v;
}

const LINKS: [string, number, Partial<PacketSpec>][] = [
  ["Ethernet", LinkType.ETHERNET, {}],
  ["Ethernet + 802.1Q", LinkType.ETHERNET, { vlans: [100] }],
  ["Ethernet + 0x88a8 stacked", LinkType.ETHERNET, { vlans: [10, 20] }],
  ["Ethernet + 0x9100 stacked", LinkType.ETHERNET, { vlans: [30, 40], outerTpid: 0x9100 }],
  ["Linux SLL", LinkType.LINUX_SLL, {}],
  ["Linux SLL + VLAN", LinkType.LINUX_SLL, { vlans: [7] }],
  ["Linux SLL2", LinkType.LINUX_SLL2, {}],
  ["NULL little-endian", LinkType.NULL, {}],
  ["NULL big-endian", LinkType.NULL, { nullBigEndian: true }],
  ["LOOP", LinkType.LOOP, {}],
  ["RAW", LinkType.RAW, {}],
];

for (const [name, linktype, extra] of LINKS) {
  for (const family of ["4", "6"]) {
    if (linktype === LinkType.RAW && family === "6") continue;
    Deno.test(`decodePacket() decodes ${name} over IPv${family} to TCP ports and payload`, () => {
      const payload = new Uint8Array([1, 2, 3, 4, 5]);
      const src = family === "4" ? "192.0.2.1" : "2001:db8::1";
      const dst = family === "4" ? "198.51.100.2" : "2001:db8::2";
      const b = buildPacket({
        ...extra,
        linktype,
        src,
        dst,
        proto: "tcp",
        srcPort: 40000,
        dstPort: 443,
        payload,
        tcpFlags: TcpFlag.SYN | TcpFlag.ACK,
        seq: 0xfffffff0,
        ack: 7,
      });
      const v = decode(b, linktype);
      assert.equal(v.status, DecodeStatus.OK);
      assert.equal(v.ipVersion, Number(family));
      assert.equal(formatSrc(v), src);
      assert.equal(formatDst(v), dst);
      assert.equal(v.proto, 6);
      assert.equal(v.srcPort, 40000);
      assert.equal(v.dstPort, 443);
      assert.equal(v.tcpFlags, TcpFlag.SYN | TcpFlag.ACK);
      assert.equal(v.tcpSeq, 0xfffffff0);
      assert.equal(v.tcpAck, 7);
      assert.deepEqual([...v.payload()], [...payload]);
      const vl = extra.vlans ?? [];
      assert.equal(v.vlanCount, vl.length);
      if (vl.length > 0) assert.equal(v.vlanOuter, vl[0]);
      if (vl.length > 1) assert.equal(v.vlanInner, vl[1]);
      assert.equal((v.layers & Layer.VLAN) !== 0, vl.length > 0);
    });
  }
}

Deno.test("decodePacket() decodes raw IPv4 and IPv6 link types (228, 229) and RAW IPv6", () => {
  const v4 = decode(
    buildPacket({
      linktype: LinkType.IPV4,
      src: "10.0.0.1",
      dst: "10.0.0.2",
      srcPort: 1,
      dstPort: 2,
    }),
    LinkType.IPV4,
  );
  assert.equal(v4.dstPort, 2);
  const v6 = decode(
    buildPacket({ linktype: LinkType.IPV6, src: "::1", dst: "::2", srcPort: 1, dstPort: 3 }),
    LinkType.IPV6,
  );
  assert.equal(v6.dstPort, 3);
  const raw6 = decode(
    buildPacket({ linktype: LinkType.RAW, src: "::1", dst: "::2", srcPort: 1, dstPort: 4 }),
    LinkType.RAW,
  );
  assert.equal(raw6.ipVersion, 6);
  assert.equal(raw6.dstPort, 4);
});

Deno.test("decodePacket() skips IPv4 options and reads TCP options (MSS, window scale, SACK, timestamps)", () => {
  const tcpOptions = new Uint8Array([
    2,
    4,
    0x05,
    0xb4,
    1,
    3,
    3,
    7,
    4,
    2,
    8,
    10,
    0,
    0,
    0,
    9,
    0,
    0,
    0,
    8,
  ]);
  const ipOptions = new Uint8Array([1, 1, 1, 0]); // NOPs and end of list
  const v = decode(
    buildPacket({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "tcp",
      srcPort: 5,
      dstPort: 6,
      tcpOptions,
      ipOptions,
      tcpFlags: TcpFlag.SYN,
    }),
  );
  assert.equal(v.ipHeaderLength, 24);
  assert.equal(v.tcpHeaderLength, 40);
  assert.equal(v.tcpMss, 1460);
  assert.equal(v.tcpWscale, 7);
  assert.equal(v.tcpSackPermitted, true);
  assert.equal(v.tcpTsVal, 9);
  assert.equal(v.tcpTsEcr, 8);
  assert.equal(v.payloadLength, 0);
});

Deno.test("decodePacket() flags IPv4 fragments and reads no ports from later fragments", () => {
  const first = decode(
    buildPacket({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      srcPort: 1,
      dstPort: 53,
      payload: new Uint8Array(16),
      fragment: { offset: 0, more: true, id: 77 },
    }),
  );
  assert.equal(first.fragment, true);
  assert.equal(first.moreFragments, true);
  assert.equal(first.dstPort, 53);
  assert.equal(first.ipId, 77);
  assert.ok(first.layers & Layer.FRAGMENT);
  const later = decode(
    buildPacket({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      payload: new Uint8Array(16),
      fragment: { offset: 24, more: false, id: 77 },
    }),
  );
  assert.equal(later.fragment, true);
  assert.equal(later.fragOffset, 24);
  assert.equal(later.srcPort, -1);
  assert.equal(later.payloadLength, 16);
});

Deno.test("decodePacket() walks IPv6 extension headers to the transport, including fragments", () => {
  const v = decode(
    buildPacket({
      src: "2001:db8::1",
      dst: "2001:db8::2",
      srcPort: 9,
      dstPort: 53,
      ipv6Ext: [0, 60, 43],
      payload: new Uint8Array([1, 2]),
    }),
  );
  assert.equal(v.status, DecodeStatus.OK);
  assert.equal(v.proto, 17);
  assert.equal(v.ipHeaderLength, 40 + 24);
  assert.equal(v.dstPort, 53);
  assert.equal(v.payloadLength, 2);
  const f = decode(
    buildPacket({
      src: "2001:db8::1",
      dst: "2001:db8::2",
      srcPort: 9,
      dstPort: 53,
      fragment: { offset: 0, more: true, id: 5 },
    }),
  );
  assert.equal(f.fragment, true);
  assert.equal(f.proto, 17);
  assert.equal(f.dstPort, 53);
  const g = decode(
    buildPacket({
      src: "2001:db8::1",
      dst: "2001:db8::2",
      payload: new Uint8Array(8),
      fragment: { offset: 16, more: false },
    }),
  );
  assert.equal(g.fragOffset, 16);
  assert.equal(g.srcPort, -1);
});

Deno.test("decodePacket() decodes ICMP and ICMPv6 type and code", () => {
  const a = decode(
    buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "icmp", icmpType: 3, icmpCode: 1 }),
  );
  assert.equal(a.icmpType, 3);
  assert.equal(a.icmpCode, 1);
  assert.ok(a.layers & Layer.ICMP);
  const b = decode(buildPacket({ src: "::1", dst: "::2", proto: "icmpv6", icmpType: 135 }));
  assert.equal(b.icmpType, 135);
  assert.ok(b.layers & Layer.ICMPV6);
});

Deno.test("decodePacket() strips the frame check sequence given by the capture's FCS bits", () => {
  const pkt = buildPacket({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    srcPort: 1,
    dstPort: 2,
    payload: new Uint8Array([9]),
  });
  const withFcs = new Uint8Array(pkt.length + 4);
  withFcs.set(pkt);
  withFcs.set([0xde, 0xad, 0xbe, 0xef], pkt.length);
  const v = decode(withFcs, LinkType.ETHERNET, 4);
  assert.equal(v.payloadLength, 1);
});

Deno.test("decodePacket() reports truncated and malformed headers without throwing", () => {
  const full = buildPacket({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: "tcp",
    srcPort: 1,
    dstPort: 2,
  });
  assert.equal(decode(full.subarray(0, 10)).status, DecodeStatus.TRUNCATED);
  assert.equal(decode(full.subarray(0, 14 + 12)).status, DecodeStatus.TRUNCATED);
  assert.equal(decode(full.subarray(0, 14 + 20 + 10)).status, DecodeStatus.TRUNCATED);
  const bad = full.slice();
  bad[14] = 0x42; // IHL 2
  assert.equal(decode(bad).status, DecodeStatus.MALFORMED);
  const arp = full.slice();
  arp[12] = 0x08;
  arp[13] = 0x06;
  assert.equal(decode(arp).status, DecodeStatus.NOT_IP);
  assert.equal(decode(full, 9999).status, DecodeStatus.UNSUPPORTED_LINK);
});

Deno.test("decodePacket() never throws and keeps offsets inside the capture on random bytes", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom(0, 1, 101, 108, 113, 228, 229, 276),
      (bytes, linktype) => {
        const v = decode(bytes, linktype);
        assert.ok(v.status >= DecodeStatus.OK && v.status <= DecodeStatus.MALFORMED);
        if (v.payloadOffset >= 0) {
          assert.ok(v.payloadOffset + v.payloadLength <= bytes.length);
          assert.ok(v.payloadLength >= 0);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("decodePacket() reuses one view: fields of a previous packet never leak", () => {
  const v = new PacketView();
  const tcp = buildPacket({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: "tcp",
    srcPort: 1,
    dstPort: 2,
  });
  const icmp = buildPacket({ src: "10.0.0.3", dst: "10.0.0.4", proto: "icmp" });
  v.setRecord(tcp, 0, tcp.length, tcp.length);
  decodePacket(v);
  v.setRecord(icmp, 0, icmp.length, icmp.length);
  decodePacket(v);
  assert.equal(v.srcPort, -1);
  assert.equal(v.tcpFlags, 0);
  assert.equal(formatSrc(v), "10.0.0.3");
});

async function collectionsDuringProbe(mode: string): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--trace-gc,--expose-gc,--no-concurrent-recompilation",
      new URL("./_alloc_probe.ts", import.meta.url).pathname,
      mode,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  const forced = lines.map((l, i) => / testing[;,]/.test(l) ? i : -1).filter((i) => i >= 0);
  assert.equal(forced.length, 2, "probe did not run");
  return lines.slice(forced[0] + 1, forced[1]).filter((l) => /Scavenge|Mark-Compact/.test(l))
    .length;
}

Deno.test("reading and decoding a million packets allocates nothing per packet (no garbage collection)", async () => {
  // the probe's allocating variant (one small object per packet) shows the check can fail
  assert.ok(await collectionsDuringProbe("allocate") > 0);
  assert.equal(await collectionsDuringProbe("decode"), 0);
});

Deno.test("decodePacket() decodes IPv4 and IPv6 inside PPPoE sessions", () => {
  for (const [src, ppp] of [["10.9.8.7", 0x0021], ["2001:db8::7", 0x0057]] as const) {
    const ip = buildPacket({ linktype: LinkType.RAW, src, dst: src, srcPort: 5, dstPort: 53 });
    const frame = new Uint8Array(14 + 8 + ip.length);
    frame[12] = 0x88;
    frame[13] = 0x64;
    frame.set([
      0x11,
      0,
      0x12,
      0x34,
      (ip.length + 2) >> 8,
      (ip.length + 2) & 255,
      ppp >> 8,
      ppp & 255,
    ], 14);
    frame.set(ip, 22);
    const v = decode(frame);
    assert.equal(v.status, DecodeStatus.OK);
    assert.ok(v.layers & Layer.PPPOE);
    assert.equal(formatSrc(v), src);
    assert.equal(v.dstPort, 53);
    const lcp = frame.slice();
    lcp[20] = 0xc0;
    lcp[21] = 0x21;
    assert.equal(decode(lcp).status, DecodeStatus.NOT_IP);
  }
});
