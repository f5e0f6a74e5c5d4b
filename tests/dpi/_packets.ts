/** Helpers shared by the dpi tests: build a decoded view from a packet spec. */
import { DpiEngine, type DpiEngineOptions } from "../../lib/dpi/mod.ts";
import { decodePacket, forEachPacketInBytes, PacketView, PcapWriter } from "../../lib/pcap/mod.ts";
import { buildPacket, type PacketSpec } from "../../lib/testing/mod.ts";

/** Builds, decodes and returns a fresh view. */
export function viewOf(spec: PacketSpec): PacketView {
  const b = buildPacket(spec);
  const v = new PacketView();
  v.setRecord(b, 0, b.length, b.length);
  v.linktype = spec.linktype ?? 1;
  decodePacket(v);
  return v;
}

/** Encodes a DNS name as labels. */
export function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const l of name.split(".")) out.push(l.length, ...[...l].map((c) => c.charCodeAt(0)));
  out.push(0);
  return out;
}

/** A DNS message: header, one question, and optional A answers pointing back at the question name. */
export function dnsMessage(
  id: number,
  name: string,
  options: { response?: boolean; rcode?: number; answers?: number[][] } = {},
): Uint8Array {
  const an = options.answers ?? [];
  const h = [
    id >> 8,
    id & 255,
    options.response ? 0x81 : 0x01,
    (options.response ? 0x80 : 0) | (options.rcode ?? 0),
    0,
    1,
    0,
    an.length,
    0,
    0,
    0,
    0,
  ];
  const q = [...dnsName(name), 0, 1, 0, 1];
  const rr: number[] = [];
  for (const a of an) rr.push(0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, ...a);
  return new Uint8Array([...h, ...q, ...rr]);
}

/** A TLS ClientHello record with SNI and ALPN. */
export function clientHello(sni: string, alpn: string[], keyShareBytes = 0): Uint8Array {
  const ext: number[] = [];
  if (keyShareBytes > 0) {
    // A big key_share before the server name (browsers shuffle their extensions): one share
    // of group X25519MLKEM768 (0x11ec), keyShareBytes long.
    const share = [0x11, 0xec, keyShareBytes >> 8, keyShareBytes & 255];
    for (let i = 0; i < keyShareBytes; i++) share.push((i * 7) & 255);
    const list = [share.length >> 8, share.length & 255, ...share];
    ext.push(0, 51, list.length >> 8, list.length & 255, ...list);
  }
  const name = [...sni].map((c) => c.charCodeAt(0));
  const sniList = [0, name.length >> 8, name.length & 255, ...name];
  const sniExt = [sniList.length >> 8, sniList.length & 255, ...sniList];
  ext.push(0, 0, sniExt.length >> 8, sniExt.length & 255, ...sniExt);
  const protos: number[] = [];
  for (const p of alpn) protos.push(p.length, ...[...p].map((c) => c.charCodeAt(0)));
  const alpnExt = [protos.length >> 8, protos.length & 255, ...protos];
  ext.push(0, 16, alpnExt.length >> 8, alpnExt.length & 255, ...alpnExt);
  ext.push(0, 43, 0, 5, 4, 0x03, 0x04, 0x03, 0x03); // supported_versions: TLS 1.3, 1.2
  const body = [
    3,
    3,
    ...new Array(32).fill(7),
    0, // session id
    0,
    2,
    0x13,
    0x01, // one cipher suite
    1,
    0, // compression: null
    ext.length >> 8,
    ext.length & 255,
    ...ext,
  ];
  const hs = [1, 0, body.length >> 8, body.length & 255, ...body];
  return new Uint8Array([0x16, 3, 1, hs.length >> 8, hs.length & 255, ...hs]);
}

/** Writes packets (one per second from `firstSec`) to a temporary pcap; returns path and bytes. */
export async function tempCapture(
  packets: PacketSpec[],
  firstSec = 1_700_000_000,
): Promise<{ path: string; bytes: Uint8Array }> {
  const w = new PcapWriter({ nanos: true });
  packets.forEach((p, i) => w.writePacket(buildPacket(p), { tsSec: firstSec + i }));
  const bytes = w.toBytes();
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  await Deno.writeFile(path, bytes);
  return { path, bytes };
}

/**
 * Runs a DPI engine over a capture and returns one row per packet: the frame number, then each
 * attribute as text (empty when absent), as `tshark -T fields` prints them.
 */
export function engineRows(
  bytes: Uint8Array,
  attributes: string[],
  options: DpiEngineOptions = {},
): string[][] {
  const engine = new DpiEngine(options);
  const rows: string[][] = [];
  engine.subscribe(attributes, (values, v) => {
    rows.push([String(v.number), ...values.map((x) => (x === undefined ? "" : String(x)))]);
  });
  forEachPacketInBytes(bytes, (v) => engine.process(v));
  return rows;
}

/**
 * `tshark -T fields` with preferences (`-o name:value`), e.g. the out-of-order reassembly that
 * tshark leaves off by default. One row per packet, fields split at `;`.
 */
export async function tsharkRows(
  path: string,
  fields: string[],
  prefs: string[] = ["tcp.reassemble_out_of_order:TRUE"],
): Promise<string[][]> {
  const out = await new Deno.Command("tshark", {
    args: [
      "-r",
      path,
      ...prefs.flatMap((p) => ["-o", p]),
      "-T",
      "fields",
      "-E",
      "separator=;",
      ...fields.flatMap((f) => ["-e", f]),
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "").map((l) =>
    l.split(";")
  );
}
