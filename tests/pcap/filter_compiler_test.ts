import assert from "node:assert/strict";
import { compileCbpf, formatCbpfInstruction as formatCbpf } from "../../lib/bpf/mod.ts";
import { compileFilter, LinkType, PcapError } from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";

/** The program as text, one instruction a line (the form `tcpdump -d` prints, without numbers). */
function text(
  expression: string,
  linkType: number = LinkType.ETHERNET,
  littleEndian = true,
): string {
  return compileFilter(expression, { linkType, littleEndian }).map((i, pc) => formatCbpf(i, pc))
    .join("\n");
}

/** Whether the compiled filter keeps a packet (captured bytes, wire length). */
function keeps(
  expression: string,
  packet: Uint8Array,
  options: { linkType?: number; origlen?: number; caplen?: number } = {},
): boolean {
  const p = compileCbpf(compileFilter(expression, { linkType: options.linkType }));
  const data = packet.subarray(0, options.caplen ?? packet.length);
  return p.run(data, options.origlen ?? packet.length) !== 0;
}

const tcp = (src: string, dst: string, srcPort: number, dstPort: number, extra = {}) =>
  buildPacket({ src, dst, proto: "tcp", srcPort, dstPort, ...extra });
const udp = (src: string, dst: string, srcPort: number, dstPort: number, extra = {}) =>
  buildPacket({ src, dst, proto: "udp", srcPort, dstPort, ...extra });

Deno.test("compileFilter() writes libpcap's program for tcp port 80", () => {
  // What `tcpdump -d -y EN10MB 'tcp port 80'` prints, instruction for instruction.
  assert.equal(
    text("tcp port 80"),
    [
      "ldh [12]",
      "jeq #0x86dd jt 2 jf 8",
      "ldb [20]",
      "jeq #0x6 jt 4 jf 19",
      "ldh [54]",
      "jeq #0x50 jt 18 jf 6",
      "ldh [56]",
      "jeq #0x50 jt 18 jf 19",
      "jeq #0x800 jt 9 jf 19",
      "ldb [23]",
      "jeq #0x6 jt 11 jf 19",
      "ldh [20]",
      "jset #0x1fff jt 19 jf 13",
      "ldxb 4*([14]&0xf)",
      "ldh [x + 14]",
      "jeq #0x50 jt 18 jf 16",
      "ldh [x + 16]",
      "jeq #0x50 jt 18 jf 19",
      "ret #262144",
      "ret #0",
    ].join("\n"),
  );
});

Deno.test("compileFilter() tests each link type's own protocol field", () => {
  // BSD loopback: the family in the file's byte order; IPv6 is any of 30, 24 and 28.
  assert.equal(
    text("ip6", LinkType.NULL, true),
    "ld [0]\njeq #0x1e000000 jt 4 jf 2\njeq #0x18000000 jt 4 jf 3\njeq #0x1c000000 jt 4 jf 5\n" +
      "ret #262144\nret #0",
  );
  assert.equal(
    text("ip6", LinkType.NULL, false),
    "ld [0]\njeq #0x1e jt 4 jf 2\njeq #0x18 jt 4 jf 3\njeq #0x1c jt 4 jf 5\nret #262144\nret #0",
  );
  assert.equal(text("ip", LinkType.LOOP), "ld [0]\njeq #0x2 jt 2 jf 3\nret #262144\nret #0");
  assert.equal(
    text("ip", LinkType.RAW),
    "ldb [0]\nand #0xf0\njeq #0x40 jt 3 jf 4\nret #262144\nret #0",
  );
  assert.equal(text("ip", LinkType.IPV4), "ret #262144");
  assert.equal(text("ip6", LinkType.IPV4), "ret #0");
  assert.equal(
    text("arp", LinkType.LINUX_SLL),
    "ldh [14]\njeq #0x806 jt 2 jf 3\nret #262144\nret #0",
  );
  assert.equal(
    text("arp", LinkType.LINUX_SLL2),
    "ldh [0]\njeq #0x806 jt 2 jf 3\nret #262144\nret #0",
  );
  assert.equal(
    text("inbound", LinkType.LINUX_SLL),
    "ldh [0]\njeq #0x4 jt 3 jf 2\nret #262144\nret #0",
  );
  assert.equal(
    text("ifindex 2 and outbound", LinkType.LINUX_SLL2),
    "ld [4]\njeq #0x2 jt 2 jf 5\nldb [10]\njeq #0x4 jt 4 jf 5\nret #262144\nret #0",
  );
  // An unknown link type still has its bytes and lengths.
  assert.equal(
    text("link[0] = 1 and len > 20", 147),
    "ldb [0]\njeq #0x1 jt 2 jf 5\nld #pktlen\njgt #0x14 jt 4 jf 5\nret #262144\nret #0",
  );
});

Deno.test("compileFilter() matches hosts, networks and directions", () => {
  const p = tcp("10.1.2.3", "192.168.7.9", 1234, 80);
  assert.ok(keeps("host 10.1.2.3", p));
  assert.ok(keeps("src host 10.1.2.3 and dst host 192.168.7.9", p));
  assert.ok(!keeps("dst host 10.1.2.3", p));
  assert.ok(keeps("host 10.1.2.3 or 1.1.1.1", p), "inherited qualifiers");
  assert.ok(!keeps("src host 1.1.1.1 or 10.1.2.4", p));
  assert.ok(keeps("net 10.0.0.0/8 and dst net 192.168.0.0 mask 255.255.0.0", p));
  assert.ok(keeps("net 10", p), "a short net number is a prefix");
  assert.ok(keeps("host 10.1", p), "a short dotted address is a prefix");
  assert.ok(keeps("src or dst net 192.168.7", p));
  assert.ok(!keeps("src and dst net 10.0.0.0/8", p));
  assert.ok(keeps("ip host 10.1.2.3 and not arp host 10.1.2.3", p));
  const v6 = tcp("2001:db8::1", "2001:db8:1::2", 1, 2);
  assert.ok(keeps("host 2001:db8::1 and dst net 2001:db8:1::/48", v6));
  assert.ok(keeps("ip6 net 2001:db8::/32", v6));
  assert.ok(!keeps("host 2001:db8::2", v6));
  assert.ok(keeps("ether src 00:06:07:08:09:0a and ether dst host 00:01:02:03:04:05", p));
  assert.ok(keeps("ether host 0006.0708.090a and ether host 00-01-02-03-04-05", p));
});

Deno.test("compileFilter() matches ports, port ranges and names", () => {
  const web = tcp("10.0.0.1", "10.0.0.2", 40000, 80);
  const dns = udp("10.0.0.1", "10.0.0.53", 5353, 53);
  assert.ok(keeps("port 80", web) && keeps("tcp port 80", web) && !keeps("udp port 80", web));
  assert.ok(keeps("dst port 80", web) && !keeps("src port 80", web));
  assert.ok(keeps("port http", web) && keeps("port domain", dns) && keeps("udp port domain", dns));
  assert.ok(keeps("port 8080 or 80", web), "inherited qualifiers");
  assert.ok(keeps("tcp port 80 and not 22", web));
  assert.ok(keeps("portrange 79-81", web) && keeps("portrange 81-79", web));
  assert.ok(keeps("src portrange 40000-40010 and dst portrange 1-1024", web));
  assert.ok(!keeps("portrange 6000-7000", dns));
  assert.ok(keeps("port 53", udp("2001:db8::1", "2001:db8::2", 53, 1)));
  // A port needs the first fragment: later fragments have no transport header.
  const frag = udp("10.0.0.1", "10.0.0.2", 53, 53, { fragment: { offset: 8, more: false } });
  assert.ok(!keeps("port 53", frag));
});

Deno.test("compileFilter() matches protocols, ip6 fragments included", () => {
  const v6tcp = tcp("2001:db8::1", "2001:db8::2", 1, 2);
  const v6frag = tcp("2001:db8::1", "2001:db8::2", 1, 2, { fragment: { offset: 0, more: true } });
  const v6hop = tcp("2001:db8::1", "2001:db8::2", 1, 2, { ipv6Ext: [0] });
  assert.ok(keeps("tcp", v6tcp) && keeps("ip6 proto 6", v6frag) && keeps("tcp", v6frag));
  assert.ok(!keeps("tcp", v6hop), "only one fragment header is looked through, as libpcap does");
  assert.ok(keeps("proto \\tcp and ip6", v6tcp));
  const icmp = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "icmp", icmpType: 8 });
  assert.ok(keeps("icmp and icmp[icmptype] = icmp-echo", icmp));
  assert.ok(keeps("ip proto 1 and not icmp6 and not udp", icmp));
  const icmp6 = buildPacket({ src: "::1", dst: "::2", proto: "icmpv6", icmpType: 128 });
  assert.ok(keeps("icmp6 and icmp6[icmp6type] = icmp6-echo", icmp6));
  assert.ok(keeps("ether proto 0x86dd and ether proto \\ip6", icmp6));
  assert.ok(keeps("sctp", buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: 132 })));
});

Deno.test("compileFilter() shifts offsets after vlan, and stacks tags", () => {
  const one = udp("10.0.0.1", "10.0.0.2", 1, 53, { vlans: [100] });
  const two = udp("10.0.0.1", "10.0.0.2", 1, 53, { vlans: [10, 20] });
  assert.ok(keeps("vlan and udp port 53", one) && keeps("vlan 100 and host 10.0.0.1", one));
  assert.ok(!keeps("vlan 200", one) && !keeps("udp", one), "without vlan, offsets are untagged");
  assert.ok(keeps("vlan 10 and vlan 20 and udp", two));
  assert.ok(!keeps("vlan 20 and vlan 10", two));
  const qinq = udp("10.0.0.1", "10.0.0.2", 1, 53, { vlans: [10, 20], outerTpid: 0x9100 });
  assert.ok(keeps("vlan 10 and vlan and ip", qinq));
});

Deno.test("compileFilter() measures len, less and greater on the wire", () => {
  const p = udp("10.0.0.1", "10.0.0.2", 1, 2, { payload: new Uint8Array(100) });
  assert.ok(keeps("greater 100", p, { caplen: 60 }));
  assert.ok(keeps("less 100", p, { caplen: 60, origlen: 60 }));
  assert.ok(keeps(`len = ${p.length} and length > 42`, p, { caplen: 60 }));
  assert.ok(!keeps("udp[50] = 0", p, { caplen: 60 }), "a load past the captured bytes rejects");
});

Deno.test("compileFilter() keeps libpcap's grammar: precedence, % and ^, named values", () => {
  const web = tcp("10.0.0.1", "10.0.0.2", 40000, 80, { tcpFlags: 0x02 });
  // and/or have the same precedence, from the left: (udp or tcp) and port 22.
  assert.ok(!keeps("udp or tcp and port 22", web));
  assert.ok(keeps("udp or (tcp and port 80)", web));
  assert.ok(keeps("! udp && (tcp || arp)", web));
  assert.ok(
    keeps(
      "tcp[tcpflags] & tcp-syn != 0 and tcp[13] == 2 and tcp[tcpflags] & (tcp-ack|tcp-fin) = 0",
      web,
    ),
  );
  assert.ok(keeps("ip[9] = 06 and ip[9] = 0x6 and ip[8] = 0100", web), "octal and hex numbers");
  // `%` takes everything after it: ip[0] % 3 + 1 is ip[0] % (3 + 1).
  assert.match(text("ip[0] % 3 + 1 = 2"), /mod #0x4/);
  assert.ok(keeps("ip[0] % 3 + 1 = 1", web)); // 0x45 % 4 = 1
  assert.ok(keeps("ip[0] ^ 0x40 + 1 = 4", web)); // 0x45 ^ (0x40 + 1)
  // gen_arth keeps only the left operand's protocol tests.
  assert.doesNotMatch(text("tcp[0] + udp[0] = 1"), /#0x11/);
  // Arithmetic folds like libpcap's optimizer: no load left for ip[100].
  assert.doesNotMatch(text("ip[100] * 0 = 0"), /\[114\]/);
  assert.ok(keeps("ip[100] * 0 = 0", web));
  assert.ok(keeps("-ip[8] = 0xffffffc0", web)); // TTL 64
  assert.ok(keeps("ip[ip[0] & 0xf] = 1 and len - 14 = ip[2:2]", web)); // ip[5]: the id's low byte
  assert.ok(keeps("", web) && keeps("  ", web), "an empty expression keeps everything");
  assert.equal(text("", LinkType.ETHERNET), "ret #262144");
  assert.equal(compileFilter("ip", { snaplen: 96, linkType: LinkType.IPV4 })[0].k, 96);
});

Deno.test("compileFilter() uses ja for branches longer than 255 instructions", () => {
  const hosts = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  const program = compileFilter(`(host ${hosts.join(" or ")}) and udp`);
  assert.ok(program.some((i) => i.code === 0x05), "a ja trampoline");
  const p = compileCbpf(program);
  assert.notEqual(p.run(udp("10.0.1.43", "10.9.9.9", 1, 2)), 0);
  assert.notEqual(p.run(udp("10.9.9.9", "10.0.0.7", 1, 2)), 0);
  assert.equal(p.run(udp("10.0.1.44", "10.9.9.9", 1, 2)), 0);
  assert.equal(p.run(tcp("10.0.0.5", "10.9.9.9", 1, 2)), 0);
});

/** Asserts the expression is refused with `code` at 1-based `column`, message matching `re`. */
function refused(expression: string, code: string, column: number, re: RegExp, linkType = 1) {
  assert.throws(
    () => compileFilter(expression, { linkType }),
    (e: unknown) => {
      assert.ok(e instanceof PcapError, String(e));
      assert.equal(e.code, code, `${expression}: ${e.message}`);
      assert.equal(e.column, column, `${expression}: ${e.message}`);
      assert.match(e.message, re);
      assert.match(e.message, new RegExp(`column ${column}:`));
      return true;
    },
  );
}

Deno.test("compileFilter() points errors at the column of the bad token", () => {
  refused("tcp prot 80", "filter-syntax", 5, /found "prot"/);
  refused("host 10.0.0.1 and", "filter-syntax", 18, /end of expression/);
  refused("ip[0] @ 1", "filter-syntax", 7, /unexpected character "@"/);
  refused("port 80 or (443", "filter-syntax", 16, /"\)"/);
  refused("ether host 1:2:3", "filter-syntax", 12, /bogus ethernet address/);
  refused("len > 099", "filter-syntax", 7, /non-octal/);
  refused("ip[0] > 0x100000000", "filter-syntax", 9, /overflows 32 bits/);
  refused("10.0.0.1", "filter-syntax", 1, /a filter primitive/);
  refused("tcp and 80", "bad-filter-expression", 9, /syntax error/);
  refused("geneve", "filter-syntax", 1, /Geneve filtering\) is not supported/);
  refused("ip protochain 6", "bad-filter-expression", 15, /protochain is not supported/);
  refused("protochain 6", "bad-filter-expression", 12, /protochain is not supported/);
  refused("port 70000", "bad-filter-expression", 6, /illegal port number 70000/);
  refused("ip6 host 10.0.0.1", "bad-filter-expression", 10, /'ip6' modifier applied to ip host/);
  refused("tcp host 10.0.0.1", "bad-filter-expression", 10, /'tcp' modifier applied to host/);
  refused("port 10.0.0.1", "bad-filter-expression", 6, /'port' modifier applied to IP address/);
  refused("host 10.0.0.0/8", "bad-filter-expression", 6, /Mask syntax for networks only/);
  refused("net 10.0.0.1/8", "bad-filter-expression", 5, /non-network bits/);
  refused("host localhost", "bad-filter-expression", 6, /host names are not resolved/);
  refused("port nosuchservice", "bad-filter-expression", 6, /unknown port/);
  refused("udp port http", "bad-filter-expression", 10, /port 'http' is tcp/);
  refused("vlan 5000", "bad-filter-expression", 1, /VLAN tag 5000 greater than maximum 4095/);
  refused("ip and vlan", "bad-filter-expression", 8, /no VLAN support for raw/, LinkType.RAW);
  refused("ether broadcast", "bad-filter-expression", 1, /not a broadcast link/, LinkType.NULL);
  refused("inbound", "bad-filter-expression", 1, /inbound\/outbound not supported/);
  refused("tcp[0:3] = 1", "bad-filter-expression", 1, /data size must be 1, 2, or 4/);
  refused("ip[0] / 0 = 1", "bad-filter-expression", 1, /division by zero/);
  refused("ip[0] << 40 = 1", "bad-filter-expression", 1, /shift by more than 31 bits/);
  refused("ether proto \\nosuch", "bad-filter-expression", 13, /unknown ether proto/);
  refused("ah[0] = 1", "bad-filter-expression", 1, /unsupported index operation/);
});
