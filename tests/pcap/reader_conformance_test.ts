/**
 * Reader conformance on third-party captures: the gopacket pcapng generator suite in both byte
 * orders (compared with tshark, and big-endian against little-endian), dpkt's captures and
 * pcapfix's damaged ones.
 */
import assert from "node:assert/strict";
import { forEachPacketInFile } from "../../lib/runtime/mod.ts";
import { fixture, hasProgram, tsharkFields } from "../_fixtures.ts";
import {
  DecodeStatus,
  forEachPacketInBytes,
  formatTime,
  Layer,
  PcapError,
  type ReadSummary,
} from "../../lib/pcap/mod.ts";

const gp = fixture("pcap/third-party/gopacket");
const dpkt = fixture("pcap/third-party/dpkt");
const pcapfix = fixture("pcap/third-party/pcapfix");

interface Rec {
  time: string;
  caplen: number;
  len: number;
  iface: number;
  linktype: number;
}

async function readAll(path: string): Promise<{ recs: Rec[]; summary: ReadSummary }> {
  const recs: Rec[] = [];
  const summary = await forEachPacketInFile(path, (v) => {
    recs.push({
      time: formatTime(v.tsSec, v.tsNsec),
      caplen: v.caplen,
      len: v.origlen,
      iface: v.iface,
      linktype: v.linktype,
    });
  });
  return { recs, summary };
}

/** Packets per gopacket test (custom blocks are skipped, so tshark's "data" rows are not counted). */
const GOPACKET_PACKETS: Record<string, number> = {
  test001: 4,
  test002: 0,
  test003: 0,
  test004: 4,
  test005: 4,
  test006: 5,
  test007: 1,
  test008: 4,
  test009: 2,
  test010: 4,
  test011: 4,
  test012: 4,
  test013: 0,
  test014: 0,
  test015: 0,
  test016: 4,
  test017: 0,
  test018: 4,
  test100: 5,
  test101: 4,
  test102: 5,
  test200: 0,
  test201: 4,
  test202: 8,
  test902: 1,
};

Deno.test({
  name: "forEachPacketInFile() reads the gopacket pcapng suite identically in both byte orders",
  ignore: gp === null,
  async fn() {
    for (const [test, packets] of Object.entries(GOPACKET_PACKETS)) {
      const le = await readAll(`${gp}/le/${test}.pcapng`);
      const be = await readAll(`${gp}/be/${test}.pcapng`);
      assert.equal(le.summary.packets, packets, `${test} le`);
      assert.deepEqual(be.recs, le.recs, `${test} be vs le`);
      assert.equal(be.summary.sections, le.summary.sections);
      assert.equal(le.summary.truncated, null);
    }
  },
});

Deno.test({
  name:
    "forEachPacketInFile() gives tshark's timestamps, lengths and interfaces on the gopacket suite",
  ignore: gp === null || !hasProgram("tshark"),
  async fn() {
    // the tests with several interfaces, sections, SPBs, custom blocks and odd resolutions
    const tests = [
      "test006",
      "test008",
      "test010",
      "test016",
      "test018",
      "test102",
      "test202",
      "test902",
    ];
    for (const test of tests) {
      const path = `${gp}/le/${test}.pcapng`;
      const rows = (await tsharkFields(path, [
        "frame.time_epoch",
        "frame.cap_len",
        "frame.len",
        "frame.interface_id",
      ]))
        // tshark shows custom blocks as "data" records without an interface: mxy skips them
        .filter((r) => r[3] !== "");
      const { recs } = await readAll(path);
      assert.equal(recs.length, rows.length, test);
      recs.forEach((r, i) => {
        const [time, caplen, len, iface] = rows[i];
        // simple packet blocks carry no timestamp: tshark prints none, mxy gives 0
        assert.equal(r.time, time === "" ? "0.000000000" : time, `${test} #${i + 1} time`);
        assert.equal(String(r.caplen), caplen, `${test} #${i + 1} caplen`);
        assert.equal(String(r.len), len, `${test} #${i + 1} len`);
        assert.equal(String(r.iface), iface, `${test} #${i + 1} iface`);
      });
    }
  },
});

Deno.test({
  name: "forEachPacketInFile() reads binary if_tsresol and if_tsoffset exactly (test902, test008)",
  ignore: gp === null,
  async fn() {
    const t902 = await readAll(`${gp}/le/test902.pcapng`);
    assert.equal(t902.recs[0].time, "1519128000.195312500");
    assert.equal(t902.summary.interfaces[0].tsresol, "2^-8");
    const t008 = await readAll(`${gp}/be/test008.pcapng`);
    assert.equal(t008.recs[0].time, "1340954.905298858");
  },
});

Deno.test({
  name: "forEachPacketInFile() reads several sections with their own interfaces (test200–test202)",
  ignore: gp === null,
  async fn() {
    const { recs, summary } = await readAll(`${gp}/le/test202.pcapng`);
    assert.equal(summary.sections, 3);
    assert.deepEqual(summary.linktypes, [1, 0]);
    assert.ok(recs.some((r) => r.linktype === 0));
    assert.ok(summary.skippedBlocks > 0);
  },
});

Deno.test({
  name: "forEachPacketInFile() stops test901 with a BadVersion error after its first packet",
  ignore: gp === null,
  async fn() {
    for (const order of ["le", "be"]) {
      let n = 0;
      await assert.rejects(
        forEachPacketInFile(`${gp}/${order}/test901.pcapng`, () => {
          n++;
        }),
        (e: unknown) =>
          e instanceof PcapError && e.code === "bad-version" && e.packets === 1 &&
          /version 2\.0/.test(e.message),
      );
      assert.equal(n, 1);
    }
  },
});

Deno.test({
  name: "forEachPacketInFile() decodes gopacket's LINKTYPE_NULL IPv6 capture",
  ignore: gp === null,
  async fn() {
    let v6 = 0, total = 0;
    await forEachPacketInFile(`${gp}/pcap/test_loopback.pcap`, (v) => {
      total++;
      if (v.ipVersion === 6 && v.proto === 6 && v.status === DecodeStatus.OK) v6++;
    });
    assert.equal(total, 24);
    assert.equal(v6, 24);
  },
});

Deno.test({
  name: "forEachPacketInFile() reports where dpkt's truncated DNS captures stop",
  ignore: dpkt === null,
  async fn() {
    const a = await readAll(`${dpkt}/truncated_dns_2.pcap`);
    assert.equal(a.summary.packets, 1);
    assert.deepEqual(
      a.summary.truncated && {
        offset: a.summary.truncated.offset,
        packets: a.summary.truncated.packets,
      },
      { offset: 240, packets: 1 },
    );
    const b = await readAll(`${dpkt}/truncated_dns.pcap`);
    assert.equal(b.summary.packets, 1);
    await assert.rejects(
      forEachPacketInFile(`${dpkt}/truncated_dns_2.pcap`, () => {}, { strict: true }),
      (e: unknown) => e instanceof PcapError && e.code === "truncated-record" && e.offset === 240,
    );
  },
});

Deno.test({
  name: "forEachPacketInFile() reads dpkt's captures with the packet counts tshark reports",
  ignore: dpkt === null,
  async fn() {
    const counts: Record<string, number> = {
      "dns_icmp.pcap": 32,
      "http.pcap": 43,
      "nb6-http.pcap": 62,
    };
    for (const [f, n] of Object.entries(counts)) {
      const { summary } = await readAll(`${dpkt}/${f}`);
      assert.equal(summary.packets, n, f);
    }
    // PPPoE sessions carry IP: tshark counts 46 pppoes frames, 16 of them DNS over UDP
    let pppoe = 0, dns = 0;
    await forEachPacketInFile(`${dpkt}/nb6-http.pcap`, (v) => {
      if (v.layers & Layer.PPPOE && v.status === DecodeStatus.OK) pppoe++;
      if (v.layers & Layer.PPPOE && v.proto === 17 && (v.srcPort === 53 || v.dstPort === 53)) dns++;
    });
    assert.equal(pppoe, 46);
    assert.equal(dns, 16);
  },
});

Deno.test({
  name: "forEachPacketInFile() handles pcapfix's damaged captures with a report or a typed error",
  ignore: pcapfix === null,
  async fn() {
    const ok = await readAll(`${pcapfix}/test.pcap`);
    assert.ok(ok.summary.packets > 0);
    const damaged = await readAll(`${pcapfix}/test_damaged.pcap`);
    assert.ok(damaged.summary.truncated !== null);
    assert.equal(damaged.summary.truncated!.packets, damaged.summary.packets);
    await assert.rejects(
      forEachPacketInFile(`${pcapfix}/test_without_pcap_header.pcap`, () => {}),
      (e: unknown) => e instanceof PcapError && e.code === "bad-magic" && e.offset === 0,
    );
    const small = await readAll(`${pcapfix}/test_2018.pcap`);
    assert.equal(small.summary.packets, 1);
  },
});

Deno.test({
  name:
    "every capture under fixtures/pcap is read or rejected with a PcapError, never anything else",
  ignore: gp === null,
  fn() {
    const root = gp!.replace(/\/third-party\/gopacket$/, "");
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of Deno.readDirSync(d)) {
        if (e.isDirectory) walk(`${d}/${e.name}`);
        else if (/\.pcap(ng)?$/.test(e.name)) files.push(`${d}/${e.name}`);
      }
    };
    walk(root);
    assert.ok(files.length >= 70);
    for (const f of files) {
      const bytes = Deno.readFileSync(f);
      try {
        const s = forEachPacketInBytes(bytes, () => {});
        assert.ok(s.packets >= 0);
      } catch (e) {
        assert.ok(e instanceof PcapError, `${f}: ${e}`);
      }
    }
  },
});
