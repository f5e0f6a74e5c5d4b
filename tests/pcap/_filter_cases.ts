/**
 * The filter oracle's material, shared by tests/pcap/filter_oracle_test.ts and
 * bench/filter_sweep.ts: captures for every link type mxy reads (the shared fixtures merged by
 * link type, plus packets made here for what the fixtures lack: BSD loopback with every IPv6
 * family in both byte orders, raw IP, Linux cooked v1/v2 with 802.2 frames, stacked VLANs,
 * MPLS, PPPoE, 802.3 LLC/SNAP, IP options and fragments, truncated packets), a generator of
 * random filter expressions over the addresses and ports the captures hold, and the two judges:
 * `tcpdump -r FILE -w - EXPR` and `filterCapture`. Every packet of a merged capture has its
 * index as its timestamp, so the kept packets are compared by index.
 *
 * @module
 */
import { filterCapture, forEachPacketInBytes, LinkType, PcapWriter } from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";

/** One packet of a merged capture: its bytes and its length on the wire. */
export interface CasePacket {
  data: Uint8Array;
  origlen: number;
}

/** A capture for the oracle: one link type (and byte order). */
export interface OracleCapture {
  /** Short name: `ethernet`, `null-be` … */
  name: string;
  linktype: number;
  littleEndian: boolean;
  packets: CasePacket[];
}

const u8 = (...parts: (number[] | Uint8Array)[]): Uint8Array => {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const be16 = (v: number) => [(v >> 8) & 255, v & 255];
const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const le32 = (v: number) => be32(v).reverse();

/** A network-layer packet (no link header) from the project's builder. */
function ip(spec: Parameters<typeof buildPacket>[0]): Uint8Array {
  return buildPacket({ ...spec, linktype: LinkType.RAW });
}

const MAC_A = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const MAC_BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const MAC_MCAST = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];

/** MAC addresses the made-up Ethernet packets use. */
export const CASE_MACS: readonly string[] = [
  "00:11:22:33:44:55",
  "02:00:5e:10:00:01",
  "ff:ff:ff:ff:ff:ff",
  "01:00:5e:00:00:fb",
  "0011.2233.4455",
  "00-11-22-33-44-55",
  "aa:bb:cc:dd:ee:ff",
];

function eth(dst: number[], src: number[], type: number, payload: Uint8Array): Uint8Array {
  return u8(dst, src, be16(type), payload);
}

function arp(op: number, sender: number[], target: number[]): Uint8Array {
  return u8(be16(1), be16(0x0800), [6, 4], be16(op), MAC_A, sender, [0, 0, 0, 0, 0, 0], target);
}

/** The IP packets every link type carries. */
function ipPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const tcp4 = (s: string, d: string, sp: number, dp: number, flags: number, extra = {}) =>
    ip({ src: s, dst: d, proto: "tcp", srcPort: sp, dstPort: dp, tcpFlags: flags, ...extra });
  out.push(
    tcp4("10.0.0.1", "10.0.0.80", 40000, 80, 0x02),
    tcp4("10.0.0.80", "10.0.0.1", 80, 40000, 0x12),
    tcp4("10.0.0.1", "10.0.0.80", 40000, 80, 0x18, {
      payload: new TextEncoder().encode("GET / HTTP/1.1\r\n"),
    }),
    tcp4("10.0.0.1", "192.168.1.7", 40001, 443, 0x11),
    tcp4("192.168.1.7", "10.0.0.1", 22, 40002, 0x04, { ipOptions: new Uint8Array([1, 1, 1, 0]) }),
    ip({ src: "10.0.0.1", dst: "10.0.0.53", proto: "udp", srcPort: 5353, dstPort: 53 }),
    ip({ src: "10.0.0.53", dst: "10.0.0.1", proto: "udp", srcPort: 53, dstPort: 5353 }),
    ip({ src: "10.0.0.2", dst: "255.255.255.255", proto: "udp", srcPort: 68, dstPort: 67 }),
    ip({ src: "10.0.0.2", dst: "224.0.0.251", proto: "udp", srcPort: 5353, dstPort: 5353 }),
    ip({ src: "10.0.0.1", dst: "10.0.0.9", proto: "icmp", icmpType: 8 }),
    ip({ src: "10.0.0.9", dst: "10.0.0.1", proto: "icmp", icmpType: 0 }),
    ip({ src: "10.0.0.9", dst: "10.0.0.1", proto: "icmp", icmpType: 3, icmpCode: 3 }),
    ip({
      src: "10.0.0.1",
      dst: "10.0.0.20",
      proto: "udp",
      srcPort: 6000,
      dstPort: 5000,
      fragment: { offset: 0, more: true, id: 7 },
      payload: new Uint8Array(24),
    }),
    ip({
      src: "10.0.0.1",
      dst: "10.0.0.20",
      proto: "udp",
      fragment: { offset: 32, more: false, id: 7 },
      payload: new Uint8Array(16),
    }),
    ip({ src: "10.0.0.1", dst: "10.0.0.30", proto: 132, payload: u8(be16(2905), be16(2905)) }),
    ip({ src: "10.0.0.1", dst: "224.0.0.1", proto: 2, payload: new Uint8Array(8) }),
    ip({ src: "10.0.0.1", dst: "10.0.0.31", proto: 50, payload: new Uint8Array(12) }),
    ip({ src: "10.0.0.1", dst: "10.0.0.31", proto: 47, payload: new Uint8Array(8) }),
    ip({ src: "10.0.0.1", dst: "224.0.0.13", proto: 103, payload: new Uint8Array(8) }),
    ip({ src: "10.0.0.1", dst: "224.0.0.18", proto: 112, payload: new Uint8Array(8) }),
    ip({ src: "::1", dst: "::1", proto: "tcp", srcPort: 40000, dstPort: 80, tcpFlags: 0x02 }),
    ip({ src: "2001:db8::1", dst: "2001:db8::53", proto: "udp", srcPort: 5353, dstPort: 53 }),
    ip({ src: "2001:db8::53", dst: "2001:db8::1", proto: "udp", srcPort: 53, dstPort: 5353 }),
    ip({ src: "fe80::1", dst: "ff02::1", proto: "icmpv6", icmpType: 135 }),
    ip({ src: "2001:db8::1", dst: "2001:db8::2", proto: "icmpv6", icmpType: 128 }),
    ip({
      src: "2001:db8::1",
      dst: "2001:db8::80",
      proto: "tcp",
      srcPort: 40003,
      dstPort: 80,
      tcpFlags: 0x18,
      fragment: { offset: 0, more: true, id: 9 },
    }),
    ip({
      src: "2001:db8::1",
      dst: "2001:db8::53",
      proto: "udp",
      srcPort: 5353,
      dstPort: 53,
      ipv6Ext: [0],
    }),
    ip({ src: "2001:db8::1", dst: "2001:db8::30", proto: 132, payload: u8(be16(9), be16(9)) }),
  );
  return out;
}

/** The Ethernet frames the fixtures lack: VLANs, MPLS, PPPoE, ARP, LLC, SNAP, odd types. */
function ethernetPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const ips = ipPackets();
  for (const p of ips) out.push(eth(MAC_A, MAC_B, (p[0] >> 4) === 6 ? 0x86dd : 0x0800, p));
  const [tcp4, , , , , udp4, , , , icmp4] = ips;
  const udp6 = ips[21];
  const vlan = (tpid: number, id: number, inner: Uint8Array) => u8(be16(tpid), be16(id), inner);
  const tagged = (tags: [number, number][], type: number, p: Uint8Array) => {
    let body = u8(be16(type), p);
    for (let i = tags.length - 1; i >= 0; i--) body = vlan(tags[i][0], tags[i][1], body);
    return u8(MAC_A, MAC_B, body);
  };
  out.push(
    eth(MAC_BCAST, MAC_A, 0x0806, arp(1, [10, 0, 0, 1], [10, 0, 0, 53])),
    eth(MAC_A, MAC_B, 0x0806, arp(2, [10, 0, 0, 53], [10, 0, 0, 1])),
    eth(MAC_BCAST, MAC_A, 0x8035, arp(3, [10, 0, 0, 1], [0, 0, 0, 0])),
    eth(MAC_MCAST, MAC_A, 0x0800, ips[8]),
    eth(MAC_BCAST, MAC_B, 0x0800, ips[7]),
    tagged([[0x8100, 100]], 0x0800, tcp4),
    tagged([[0x8100, 200]], 0x0800, udp4),
    tagged([[0x8100, 100]], 0x86dd, udp6),
    tagged([[0x88a8, 10], [0x8100, 20]], 0x0800, udp4),
    tagged([[0x9100, 30], [0x8100, 100]], 0x0800, tcp4),
    tagged([[0x8100, 100], [0x8100, 200]], 0x0800, icmp4),
    tagged([[0x8100, 0x123]], 0x0806, arp(1, [10, 0, 0, 1], [10, 0, 0, 2])),
    eth(MAC_A, MAC_B, 0x8847, u8(be32((16 << 12) | 0x100 | 64), tcp4)),
    eth(MAC_A, MAC_B, 0x8847, u8(be32((100 << 12) | 64), be32((200 << 12) | 0x100 | 64), udp6)),
    eth(MAC_A, MAC_B, 0x8847, u8(be32((5 << 12) | 0x100 | 64), udp4)),
    eth(MAC_A, MAC_B, 0x8864, u8([0x11, 0, 0, 3], be16(udp4.length + 2), be16(0x21), udp4)),
    eth(MAC_A, MAC_B, 0x8864, u8([0x11, 0, 0, 4], be16(udp6.length + 2), be16(0x57), udp6)),
    eth(MAC_BCAST, MAC_A, 0x8863, u8([0x11, 0x09, 0, 0, 0, 0])),
    eth(MAC_A, MAC_B, 38, u8([0x42, 0x42, 0x03], new Uint8Array(35))), // STP
    eth(MAC_A, MAC_B, 30, u8([0xfe, 0xfe, 0x03, 0x83, 27, 1, 0, 18], new Uint8Array(22))), // IS-IS
    eth(MAC_A, MAC_B, 30, u8([0xfe, 0xfe, 0x03, 0x82], new Uint8Array(26))), // ES-IS
    eth(MAC_A, MAC_B, 40, u8([0xe0, 0xe0, 0x03], new Uint8Array(37))), // IPX over 802.2
    eth(MAC_A, MAC_B, 40, u8([0xff, 0xff], new Uint8Array(38))), // raw 802.3 IPX
    eth(MAC_A, MAC_B, 40, u8([0xf0, 0xf0, 0x03], new Uint8Array(37))), // NetBEUI
    eth(MAC_A, MAC_B, 40, u8([0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b], new Uint8Array(32))),
    eth(MAC_A, MAC_B, 40, u8([0xaa, 0xaa, 0x03, 0, 0, 0, 0x81, 0x37], new Uint8Array(32))),
    eth(MAC_A, MAC_B, 40, u8([0xaa, 0xaa, 0x03, 0, 0, 0, 0x80, 0xf3], new Uint8Array(32))),
    eth(MAC_A, MAC_B, 40, u8([0x06, 0x06, 0x03], new Uint8Array(37))), // IP over 802.2
    eth(MAC_A, MAC_B, 0x809b, new Uint8Array(30)), // AppleTalk
    eth(MAC_A, MAC_B, 0x6003, new Uint8Array(30)), // DECnet
    eth(MAC_A, MAC_B, 0x88cc, new Uint8Array(30)), // LLDP
    eth(MAC_A, MAC_B, 0x9000, new Uint8Array(30)), // loopback
    eth(MAC_A, MAC_B, 0x8137, new Uint8Array(30)), // IPX Ethernet II
  );
  return out;
}

/** Frames with their captured length cut short (the ends of headers and a few bytes in). */
function truncated(frames: readonly Uint8Array[], cuts: readonly number[]): CasePacket[] {
  const out: CasePacket[] = [];
  for (const f of frames) {
    for (const c of cuts) if (c < f.length) out.push({ data: f.slice(0, c), origlen: f.length });
  }
  return out;
}

function whole(frames: readonly Uint8Array[]): CasePacket[] {
  return frames.map((data) => ({ data, origlen: data.length }));
}

/** Linux cooked v1 header. */
function sll(pkttype: number, proto: number, p: Uint8Array): Uint8Array {
  return u8(be16(pkttype), be16(1), be16(6), MAC_A, [0, 0], be16(proto), p);
}

/** Linux cooked v2 header. */
function sll2(pkttype: number, proto: number, ifindex: number, p: Uint8Array): Uint8Array {
  return u8(be16(proto), [0, 0], be32(ifindex), be16(1), [pkttype, 6], MAC_A, [0, 0], p);
}

function cookedPayloads(): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  for (const p of ipPackets()) out.push([(p[0] >> 4) === 6 ? 0x86dd : 0x0800, p]);
  out.push(
    [0x0806, arp(1, [10, 0, 0, 1], [10, 0, 0, 53])],
    [0x8035, arp(3, [10, 0, 0, 1], [0, 0, 0, 0])],
    [0x0004, u8([0x42, 0x42, 0x03], new Uint8Array(35))],
    [0x0004, u8([0xfe, 0xfe, 0x03, 0x83, 27, 1, 0, 18], new Uint8Array(22))],
    [0x0004, u8([0xe0, 0xe0, 0x03], new Uint8Array(37))],
    [0x0004, u8([0xf0, 0xf0, 0x03], new Uint8Array(37))],
    [0x0004, u8([0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b], new Uint8Array(32))],
    [0x0001, new Uint8Array(30)],
    [0x8137, new Uint8Array(30)],
    [0x809b, new Uint8Array(30)],
    [0x88cc, new Uint8Array(30)],
  );
  return out;
}

/** Captures made here for the link types (and layouts) the shared fixtures lack. */
export function syntheticCaptures(): OracleCapture[] {
  const ips = ipPackets();
  const family = (p: Uint8Array) => (p[0] >> 4) === 6;
  const nullFrames = (le: boolean): Uint8Array[] => {
    const fam = le ? le32 : be32;
    const other = le ? be32 : le32;
    const out: Uint8Array[] = [];
    for (const [i, p] of ips.entries()) {
      const afs = family(p) ? [24, 28, 30, 10][i % 4] : 2;
      out.push(u8(fam(afs), p));
    }
    out.push(u8(other(2), ips[0]), u8(other(24), ips[20]), u8(fam(7), new Uint8Array(28)));
    return out;
  };
  const loop = ips.map((p, i) => u8(be32(family(p) ? [24, 28, 30, 10][i % 4] : 2), p));
  const raw = [...ips, u8([0x50], new Uint8Array(30)), u8([0x00], new Uint8Array(30))];
  const cooked = cookedPayloads();
  const sllFrames = cooked.map(([proto, p], i) => sll(i % 5 === 0 ? 4 : 0, proto, p));
  const sll2Frames = cooked.map(([proto, p], i) =>
    sll2(proto, 1 + (i % 3), i % 5 === 0 ? 4 : 0, p)
  );
  const eth = ethernetPackets();
  const cut = (
    frames: Uint8Array[],
    cuts: number[],
  ) => [...whole(frames), ...truncated(frames, cuts)];
  return [
    {
      name: "ethernet-made",
      linktype: LinkType.ETHERNET,
      littleEndian: true,
      packets: cut(eth, [13, 14, 18, 24, 33, 34, 40, 54, 60]),
    },
    {
      name: "null-le",
      linktype: LinkType.NULL,
      littleEndian: true,
      packets: cut(nullFrames(true), [2, 4, 14, 26, 30, 44]),
    },
    {
      name: "null-be",
      linktype: LinkType.NULL,
      littleEndian: false,
      packets: cut(nullFrames(false), [2, 4, 14, 26, 30, 44]),
    },
    { name: "loop", linktype: LinkType.LOOP, littleEndian: true, packets: cut(loop, [3, 24, 44]) },
    {
      name: "raw",
      linktype: LinkType.RAW,
      littleEndian: true,
      packets: cut(raw, [0, 10, 20, 24, 40, 42]),
    },
    {
      name: "ipv4",
      linktype: LinkType.IPV4,
      littleEndian: true,
      packets: cut(ips.filter((p) => !family(p)), [10, 20, 22]),
    },
    {
      name: "ipv6",
      linktype: LinkType.IPV6,
      littleEndian: true,
      packets: cut(ips.filter(family), [10, 40, 42]),
    },
    {
      name: "sll-made",
      linktype: LinkType.LINUX_SLL,
      littleEndian: true,
      packets: cut(sllFrames, [15, 16, 30, 36, 56]),
    },
    {
      name: "sll2-made",
      linktype: LinkType.LINUX_SLL2,
      littleEndian: true,
      packets: cut(sll2Frames, [10, 20, 34, 40, 60]),
    },
  ];
}

/**
 * The shared fixtures' packets, by link type (and byte order for `NULL`), with the synthetic
 * captures of the same kind appended: one capture per link type.
 *
 * @param files The fixture files (unreadable ones are skipped).
 */
export async function oracleCaptures(files: readonly string[]): Promise<OracleCapture[]> {
  const buckets = new Map<string, OracleCapture>();
  const bucket = (linktype: number, le: boolean, name: string) => {
    const key = `${linktype}:${linktype === LinkType.NULL ? le : true}`;
    let b = buckets.get(key);
    if (b === undefined) {
      b = { name, linktype, littleEndian: linktype === LinkType.NULL ? le : true, packets: [] };
      buckets.set(key, b);
    }
    return b;
  };
  for (const file of files) {
    const bytes = await Deno.readFile(file);
    try {
      forEachPacketInBytes(bytes, (v) => {
        const name = v.linktype === LinkType.NULL
          ? (v.littleEndian ? "null-le" : "null-be")
          : `lt${v.linktype}`;
        bucket(v.linktype, v.littleEndian, name).packets.push({
          data: v.buf.slice(v.dataOffset, v.dataOffset + v.caplen),
          origlen: v.origlen,
        });
      }, { decode: false });
    } catch {
      // damaged fixtures are the reader's business
    }
  }
  for (const s of syntheticCaptures()) {
    bucket(s.linktype, s.littleEndian, s.name).packets.push(...s.packets);
  }
  return [...buckets.values()];
}

/**
 * Writes a capture as classic pcap, each packet's timestamp its index (µs resolution).
 *
 * @param c The capture.
 * @returns The file's bytes.
 */
export function writeOracleCapture(c: OracleCapture): Uint8Array {
  const w = new PcapWriter({ linktype: c.linktype, littleEndian: c.littleEndian, snaplen: 65535 });
  c.packets.forEach((p, i) => w.writePacket(p.data, { tsSec: i, origlen: p.origlen }));
  return w.toBytes();
}

/** The indexes (timestamps) of a capture's packets; a string is tcpdump's error. */
export type Selection = number[] | string;

/**
 * The packets `tcpdump -r FILE -w - EXPR` keeps.
 *
 * @param path The capture file.
 * @param expression The filter.
 * @returns Their indexes, or tcpdump's error message.
 */
export async function tcpdumpSelect(path: string, expression: string): Promise<Selection> {
  const r = await new Deno.Command("tcpdump", {
    args: ["-r", path, "-w", "-", "--", expression],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    return new TextDecoder().decode(r.stderr).trim().split("\n").pop() ?? "tcpdump failed";
  }
  const out: number[] = [];
  forEachPacketInBytes(r.stdout, (v) => void out.push(v.tsSec), { decode: false });
  return out;
}

/**
 * The packets `filterCapture` keeps.
 *
 * @param bytes The capture.
 * @param expression The filter.
 * @param engine The engine.
 * @returns Their indexes, or the compile error's message.
 */
export async function mxySelect(
  bytes: Uint8Array,
  expression: string,
  engine: "classic" | "ebpf" = "classic",
): Promise<Selection> {
  let r;
  try {
    r = await filterCapture(bytes, expression, { engine, jit: engine === "ebpf" });
  } catch (e) {
    return (e as Error).message;
  }
  const out: number[] = [];
  forEachPacketInBytes(r.bytes, (v) => void out.push(v.tsSec), { decode: false });
  return out;
}

/**
 * Whether two selections agree. tcpdump refusing an expression its optimizer proves matches
 * nothing ("expression rejects all packets") agrees with keeping nothing.
 *
 * @param want tcpdump's selection.
 * @param got mxy's.
 * @returns `null` when they agree, else what differs.
 */
export function disagreement(want: Selection, got: Selection): string | null {
  if (typeof want === "string") {
    if (/rejects all packets/.test(want) && (typeof got === "string" || got.length === 0)) {
      return null;
    }
    return typeof got === "string" ? null : `tcpdump refused (${want}) but mxy kept ${got.length}`;
  }
  if (typeof got === "string") return `mxy refused (${got}) but tcpdump kept ${want.length}`;
  if (want.length === got.length && want.every((v, i) => v === got[i])) return null;
  const extra = got.filter((i) => !want.includes(i));
  const missing = want.filter((i) => !got.includes(i));
  return `tcpdump kept ${want.length}, mxy ${got.length} (mxy only: ${
    extra.slice(0, 8).join(",")
  }; tcpdump only: ${missing.slice(0, 8).join(",")})`;
}

// ---- expressions ----

/** A small deterministic random number generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Addresses, ports and MACs to write expressions with (present in the captures and not). */
export interface ValuePool {
  v4: string[];
  v6: string[];
  ports: number[];
  macs: string[];
}

/**
 * The values the captures hold, plus some they do not.
 *
 * @param captures The captures.
 * @returns The pool.
 */
export function valuePool(captures: readonly OracleCapture[]): ValuePool {
  const v4 = new Set(["192.0.2.99", "10.0.0.1", "127.0.0.1"]);
  const v6 = new Set(["2001:db8::99", "::1", "2001:db8::1"]);
  const ports = new Set([9999, 80, 53]);
  for (const c of captures) {
    if (c.linktype !== LinkType.ETHERNET) continue;
    for (const p of c.packets.slice(0, 400)) {
      const d = p.data;
      const type = d.length >= 14 ? (d[12] << 8) | d[13] : 0;
      if (type === 0x0800 && d.length >= 34) {
        v4.add(`${d[26]}.${d[27]}.${d[28]}.${d[29]}`);
        const hl = (d[14] & 15) * 4;
        if ((d[23] === 6 || d[23] === 17) && d.length >= 14 + hl + 4) {
          ports.add((d[14 + hl] << 8) | d[15 + hl]);
          ports.add((d[16 + hl] << 8) | d[17 + hl]);
        }
      }
    }
  }
  return {
    v4: [...v4].slice(0, 14),
    v6: [...v6, "fe80::1", "ff02::1", "2001:db8::53"],
    ports: [...ports].filter((p) => p < 20000 || p === 40000).slice(0, 14),
    macs: [...CASE_MACS],
  };
}

/**
 * Random filter expressions: primitives of every kind (with qualifiers, inherited qualifiers,
 * arithmetic and header bytes) combined with `and`, `or`, `not` and parentheses.
 *
 * @param seed The random seed.
 * @param count How many.
 * @param pool The values to use.
 * @returns The expressions.
 */
export function generateExpressions(seed: number, count: number, pool: ValuePool): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const n = (max: number) => Math.floor(r() * max);
  const v4 = () => pick(pool.v4);
  const v6 = () => pick(pool.v6);
  const port = () => String(pick(pool.ports));
  const net4 = () => {
    const a = v4().split(".").map(Number);
    const len = pick([8, 16, 24, 32, 0]);
    const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const ip = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) & m;
    const dotted = [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join(".");
    return r() < 0.2 && len === 24
      ? `${dotted} mask 255.255.255.0`
      : r() < 0.15 && len % 8 === 0 && len > 0
      ? dotted.split(".").slice(0, len / 8).join(".")
      : `${dotted}/${len}`;
  };
  const dir = () => pick(["", "", "src ", "dst ", "src or dst ", "src and dst "]);
  const l4 = () => pick(["", "", "tcp ", "udp ", "sctp "]);
  const prims: (() => string)[] = [
    () => `${dir()}host ${v4()}`,
    () => `${pick(["", "ip ", "arp ", "rarp "])}${dir()}host ${v4()}`,
    () => `${pick(["", "ip6 "])}${dir()}host ${v6()}`,
    () => `host ${v4()} or ${v4()}`,
    () => `${dir()}net ${net4()}`,
    () =>
      `${pick(["", "ip6 "])}net ${pick(["2001:db8::/32", "fe80::/10", "::/0", "2001:db8::/64"])}`,
    () => `${l4()}${dir()}port ${port()}`,
    () => `${l4()}port ${port()} or ${port()}`,
    () => `${l4()}port ${port()} and not ${port()}`,
    () => `${dir()}host ${v4()} and (${v4()} or ${v4()})`,
    () => `${l4()}port ${port()} and (${port()} or not ${port()})`,
    () => `not ${dir()}net ${net4()} or ${net4().split(" ")[0].split("/")[0]}`,
    () => `(host ${v4()}) and ${v4()}`,
    () =>
      `${l4()}${dir()}portrange ${pick(["1-1024", "50-60", "5000-6000", "40000-40010", "53-53"])}`,
    () => `port ${pick(["domain", "http", "https", "ssh", "ntp", "bootps"])}`,
    () => `${pick(["udp", "tcp"])} port ${pick(["domain", "http", "ntp"])}`,
    () => `${pick(["ether ", "ether src ", "ether dst "])}${pick(["", "host "])}${pick(pool.macs)}`,
    () =>
      pick([
        "ether broadcast",
        "ether multicast",
        "broadcast",
        "multicast",
        "ip multicast",
        "ip6 multicast",
        "ip broadcast",
      ]),
    () =>
      pick([
        "ip",
        "ip6",
        "arp",
        "rarp",
        "tcp",
        "udp",
        "icmp",
        "icmp6",
        "sctp",
        "igmp",
        "pim",
        "vrrp",
        "esp",
        "ah",
      ]),
    () =>
      pick([
        "stp",
        "ipx",
        "iso",
        "isis",
        "esis",
        "clnp",
        "atalk",
        "aarp",
        "decnet",
        "netbeui",
        "l1",
        "lat",
      ]),
    () =>
      `${pick(["", "ip ", "ip6 "])}proto ${
        pick(["1", "6", "17", "58", "132", "47", "\\tcp", "\\udp", "\\icmp", "\\gre"])
      }`,
    () =>
      `ether proto ${
        pick([
          "0x800",
          "0x86dd",
          "\\arp",
          "\\ip",
          "\\ip6",
          "\\rarp",
          "0x88cc",
          "0x42",
          "\\ipx",
          "\\atalk",
          "\\iso",
          "\\stp",
          "0x9000",
          "6",
        ])
      }`,
    () =>
      pick(["vlan", "vlan 100", "vlan 200", "vlan 20", "vlan and vlan", "vlan 100 and vlan 200"]),
    () => pick(["mpls", "mpls 16", "mpls 100 and mpls 200", "pppoes", "pppoes 3", "pppoed"]),
    () =>
      `${pick(["len", "length"])} ${pick([">", "<", ">=", "<=", "=", "!="])} ${
        pick([60, 64, 100, 200, 1500, 42, 78])
      }`,
    () => `${pick(["less", "greater"])} ${pick([60, 64, 100, 200, 1500, 42])}`,
    () =>
      pick([
        "tcp[13] & 2 != 0",
        "tcp[tcpflags] & tcp-syn != 0",
        "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
        "tcp[tcpflags] & (tcp-fin|tcp-rst) != 0",
        "ip[0] & 0xf > 5",
        "ip[0] & 0xf != 5",
        "ip[8] < 64",
        "ip[9] = 17",
        "ip[6:2] & 0x1fff != 0",
        "udp[4:2] > 20",
        "udp[0:2] = 53 or udp[2:2] = 53",
        "icmp[icmptype] = icmp-echo",
        "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
        "icmp[icmpcode] = 3",
        "icmp6[icmp6type] = icmp6-echo",
        "icmp6[icmp6type] = icmp6-neighborsolicit",
        "ip6[6] = 17",
        "ip6[40] = 17",
        "ether[12:2] = 0x800",
        "ether[0] & 1 = 1",
        "link[12:2] > 1500",
        "arp[7] = 1",
        "ip[2:2] - ((ip[0] & 0xf) << 2) > 40",
        "tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420",
        "ip[9] % 5 = 1",
        "ip[0] ^ 0x45 = 0",
        "len - 14 > ip[2:2]",
        "ip[1 + 1:2] > 100",
        "ip[ip[0] & 0xf] > 0",
        "ip[0] * 0 = 0",
        "tcp[0:2] * 0 + 1 = 1",
        "udp[8:4] >> 24 = 0x12",
        "-ip[8] < 0xffffff00",
        "ip[16:4] & 0xff000000 = 0x0a000000",
        "ip6[24:4] = 0xff020000",
        "sctp[0:2] = 2905",
        "tcp[2:2] >= 80 and tcp[2:2] <= 443",
        "ip[12:4] = ip[16:4]",
        "ip[3] > ip[2]",
        "tcp[0:2] > udp[2:2]",
        "ip[9] = ip6[6]",
        "ip[9] / (ip[8] - 64) > 0",
        "ip[9] % (ip[1] & 3) = 0",
        "1 << ip[1] > 0",
        "0xffffffff >> (ip[9] + 20) = 0",
        "tcp[1000] = 0",
        "ip[0] - 100 > 0",
        "udp[4:2] - 8 = len - 42",
        "(ip[2:2] + 14) * 2 / 2 = len",
        "ether[6:4] & 0xffff0000 = 0x00060000",
        "ip6[0:4] & 0xf0000000 = 0x60000000 and ip6[4:2] > 8",
        "arp[6:2] = 2 or rarp[6:2] = 3",
        "icmp[0] = 8 and icmp[8:4] = 0",
      ]),
    () =>
      `${pick(["ip ", "ip6 ", ""])}proto ${
        pick(["\\ipv6-icmp", "\\sctp", "\\ospf", "\\ah", "255"])
      }`,
    () => pick(["inbound", "outbound", "ifindex 1", "ifindex 2"]),
    () => pick(["byte 12 = 8", "byte 0 < 10", "byte 23 > 5", "byte 13 = 0"]),
    () => `llc${pick(["", " i", " s", " u", " ui", " rr", " rnr", " xid", " test", " frmr"])}`,
  ];
  const primitive = () => pick(prims)();
  const expr = (depth: number): string => {
    const x = r();
    if (depth > 0 && x < 0.45) {
      const op = pick(["and", "or", "and", "&&", "||"]);
      const l = expr(depth - 1), rr = expr(depth - 1);
      const s = `${l} ${op} ${rr}`;
      return r() < 0.4 ? `(${s})` : s;
    }
    if (x < 0.55) {
      const inner = expr(depth - 1);
      return r() < 0.5 ? `not ${inner}` : `not (${inner})`;
    }
    return primitive();
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(expr(n(3) + 1));
  return out;
}
