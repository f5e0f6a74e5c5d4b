/**
 * The proof: for every packet of every capture in fixtures/pcap/loopback, the library (and
 * `mxy pcap fields`) gives the same timestamps, lengths, addresses, ports, DNS ids and names,
 * TLS SNI and HTTP Host as tshark's own output in the `.tshark.csv` beside each capture.
 */
import assert from "node:assert/strict";
import { forEachPacketInFile } from "../../lib/runtime/mod.ts";
import { fixture } from "../_fixtures.ts";
import { DpiEngine } from "../../lib/dpi/mod.ts";

const dir = fixture("pcap/loopback");

/** Splits one tshark CSV line (fields quoted with ", empty fields bare). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let j = i + 1, s = "";
      while (j < line.length) {
        if (line[j] === '"' && line[j + 1] === '"') {
          s += '"';
          j += 2;
        } else if (line[j] === '"') break;
        else s += line[j++];
      }
      out.push(s);
      i = j + 2;
    } else {
      const j = line.indexOf(",", i);
      const end = j < 0 ? line.length : j;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

function readOracle(path: string): Record<string, string>[] {
  const lines = Deno.readTextFileSync(path).split("\n").filter((l) => l.length > 0);
  const head = splitCsv(lines[0]);
  return lines.slice(1).map((l) => {
    const cells = splitCsv(l);
    const row: Record<string, string> = {};
    head.forEach((h, i) => row[h] = cells[i] ?? "");
    return row;
  });
}

const ATTRS = [
  "meta.number",
  "meta.time",
  "meta.len",
  "meta.caplen",
  "ip.version",
  "ip.src",
  "ip.dst",
  "ip.proto",
  "tcp.src_port",
  "tcp.dst_port",
  "tcp.len",
  "udp.src_port",
  "udp.dst_port",
  "dns.id",
  "dns.qr",
  "dns.qname",
  "tls.sni",
  "http.host",
] as const;

/** Our values turned into tshark's text forms, by tshark column. */
function ours(v: readonly (string | number | boolean | undefined)[]): Record<string, string> {
  const a: Record<string, string | number | boolean | undefined> = {};
  ATTRS.forEach((n, i) => a[n] = v[i]);
  const s = (x: unknown) => x === undefined ? "" : String(x);
  const v4 = a["ip.version"] === 4, v6 = a["ip.version"] === 6;
  return {
    "frame.number": s(a["meta.number"]),
    "frame.time_epoch": s(a["meta.time"]),
    "frame.len": s(a["meta.len"]),
    "frame.cap_len": s(a["meta.caplen"]),
    "ip.src": v4 ? s(a["ip.src"]) : "",
    "ip.dst": v4 ? s(a["ip.dst"]) : "",
    "ipv6.src": v6 ? s(a["ip.src"]) : "",
    "ipv6.dst": v6 ? s(a["ip.dst"]) : "",
    "ip.proto": v4 ? s(a["ip.proto"]) : "",
    "tcp.srcport": s(a["tcp.src_port"]),
    "tcp.dstport": s(a["tcp.dst_port"]),
    "tcp.len": s(a["tcp.len"]),
    "udp.srcport": s(a["udp.src_port"]),
    "udp.dstport": s(a["udp.dst_port"]),
    "dns.id": a["dns.id"] === undefined
      ? ""
      : "0x" + (a["dns.id"] as number).toString(16).padStart(4, "0"),
    "dns.flags.response": s(a["dns.qr"]),
    "dns.qry.name": s(a["dns.qname"]),
    "tls.handshake.extensions_server_name": s(a["tls.sni"]),
    "http.host": s(a["http.host"]),
  };
}

const COLUMNS = Object.keys(ours([]));

const captures = dir
  ? [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => !n.endsWith(".csv")).sort()
  : [];

for (const name of captures) {
  Deno.test({
    name:
      `forEachPacketInFile() and the dpi engine match tshark on every packet of loopback/${name}`,
    ignore: dir === null,
    async fn() {
      const oracle = readOracle(`${dir}/${name}.tshark.csv`);
      const rows: Record<string, string>[] = [];
      const engine = new DpiEngine();
      engine.subscribe([...ATTRS], (values) => rows.push(ours(values)));
      const summary = await forEachPacketInFile(`${dir}/${name}`, (v) => engine.process(v));
      assert.equal(summary.packets, oracle.length);
      assert.equal(summary.truncated, null);
      let compared = 0;
      for (let i = 0; i < oracle.length; i++) {
        for (const col of COLUMNS) {
          assert.equal(rows[i][col], oracle[i][col], `${name} packet ${i + 1} ${col}`);
          compared++;
        }
      }
      assert.ok(compared >= oracle.length * COLUMNS.length);
    },
  });
}

Deno.test({
  name: "mxy pcap fields prints tshark's addresses, ports, DNS names and times for mixed.pcapng",
  ignore: dir === null,
  async fn() {
    const oracle = readOracle(`${dir}/mixed.pcapng.tshark.csv`);
    // run the real command line in a child process and read its standard output
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../cli/main.ts", import.meta.url).pathname,
        "pcap",
        "fields",
        "-e",
        "meta.time",
        "-e",
        "ip.src",
        "-e",
        "udp.src_port",
        "-e",
        "dns.qname",
        "-e",
        "tls.sni",
        "-e",
        "http.host",
        `${dir}/mixed.pcapng`,
      ],
      stdout: "piped",
    });
    const out = await cmd.output();
    assert.equal(out.code, 0);
    const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
    assert.equal(lines[0], "meta.time,ip.src,udp.src_port,dns.qname,tls.sni,http.host");
    assert.equal(lines.length, oracle.length + 1);
    for (let i = 0; i < oracle.length; i++) {
      const c = lines[i + 1].split(",");
      const o = oracle[i];
      assert.equal(c[0], o["frame.time_epoch"], `row ${i + 1}`);
      assert.equal(c[1], o["ip.src"] || o["ipv6.src"], `row ${i + 1}`);
      assert.equal(c[2], o["udp.srcport"], `row ${i + 1}`);
      assert.equal(c[3], o["dns.qry.name"], `row ${i + 1}`);
      assert.equal(c[4], o["tls.handshake.extensions_server_name"], `row ${i + 1}`);
      assert.equal(c[5], o["http.host"], `row ${i + 1}`);
    }
  },
});

/** tshark field names mxy accepts as aliases and prints in the same form as tshark. */
const TSHARK_FIELDS = [
  "frame.number",
  "frame.time_epoch",
  "frame.len",
  "frame.cap_len",
  "ipv6.src",
  "ipv6.dst",
  "tcp.srcport",
  "tcp.dstport",
  "tcp.len",
  "udp.srcport",
  "udp.dstport",
  "dns.flags.response",
  "dns.qry.name",
  "tls.handshake.extensions_server_name",
  "http.host",
];

for (const name of captures) {
  Deno.test({
    name: `mxy pcap fields with tshark's field names prints tshark's lines for loopback/${name}`,
    ignore: dir === null,
    async fn() {
      const oracle = readOracle(`${dir}/${name}.tshark.csv`);
      const args = [
        "run",
        "-A",
        new URL("../../cli/main.ts", import.meta.url).pathname,
        "pcap",
        "fields",
      ];
      for (const f of TSHARK_FIELDS) args.push("-e", f);
      args.push("-E", "quote=d", "-E", "header=n", `${dir}/${name}`);
      const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped" }).output();
      assert.equal(out.code, 0);
      const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
      const expected = oracle.map((row) =>
        TSHARK_FIELDS.map((f) => row[f] === "" ? "" : `"${row[f]}"`).join(",")
      );
      assert.equal(lines.length, expected.length);
      lines.forEach((l, i) => assert.equal(l, expected[i], `${name} line ${i + 1}`));
    },
  });
}
