/**
 * The capture matcher against tshark over the shared loopback captures (DNS over UDP and TCP,
 * IPv4 and IPv6, HTTP, TLS, Linux cooked captures): a database holds every address and name
 * tshark shows, so every lookup hits, and the hits say which frames carry which addresses and
 * names — they must be exactly tshark's.
 */
import assert from "node:assert/strict";
import { Database, DatabaseBuilder } from "../../lib/db/mod.ts";
import { CaptureMatcher, matchCapture } from "../../lib/match/mod.ts";
import { fixture, hasProgram, tsharkFields } from "../_fixtures.ts";

const FIELDS = [
  "frame.number",
  "ip.src",
  "ip.dst",
  "ipv6.src",
  "ipv6.dst",
  "dns.qry.name",
  "dns.resp.name",
  "dns.cname",
  "dns.a",
  "dns.aaaa",
  "tls.handshake.extensions_server_name",
  "http.host",
  "http.request.full_uri",
];

/** `http://Host:port/x` with scheme and host in lower case, as the matcher builds URLs. */
function lowerAuthority(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(url);
  return m ? m[1].toLowerCase() + m[2].toLowerCase() + m[3] : url;
}

/** A Host header's host: without the port, lower case. */
function hostOnly(host: string): string {
  const v6 = /^\[([^\]]*)\]/.exec(host);
  if (v6) return v6[1];
  return host.split(":").length === 2 ? host.split(":")[0].toLowerCase() : host.toLowerCase();
}

/** tshark's rows as the set of `frame attribute value` the matcher should report. */
function expectedHits(rows: string[][]): { hits: string[]; values: Set<string> } {
  const hits = new Set<string>();
  const values = new Set<string>();
  const add = (frame: string, attribute: string, value: string) => {
    if (value === "") return;
    hits.add(`${frame} ${attribute} ${value}`);
    values.add(
      `${attribute.startsWith("ip.") || attribute === "dns.answer_ip" ? "ip" : attribute} ${value}`,
    );
  };
  const list = (text: string) => (text === "" ? [] : text.split(","));
  for (const r of rows) {
    const [frame, src4, dst4, src6, dst6, qname, respName, cname, a, aaaa, sni, host, uri] = r;
    // tshark shows the addresses of a packet quoted in an ICMP error too: the first is the packet's
    add(frame, "ip.src", list(src4)[0] ?? list(src6)[0] ?? "");
    add(frame, "ip.dst", list(dst4)[0] ?? list(dst6)[0] ?? "");
    const qnames = list(qname).map((n) => n.toLowerCase());
    for (const n of qnames) add(frame, "dns.qname", n);
    for (const n of [...list(respName), ...list(cname)]) {
      const name = n.toLowerCase();
      if (name !== "<root>" && !qnames.includes(name)) add(frame, "dns.answer_name", name);
    }
    for (const ip of [...list(a), ...list(aaaa)]) add(frame, "dns.answer_ip", ip);
    for (const n of list(sni)) add(frame, "tls.sni", n.toLowerCase());
    for (const h of list(host)) add(frame, "http.host", hostOnly(h));
    for (const u of list(uri)) add(frame, "http.url", lowerAuthority(u));
  }
  return { hits: [...hits].sort(), values };
}

Deno.test("CaptureMatcher reports on every frame the addresses and names tshark shows there, and nothing else", async () => {
  const dir = fixture("pcap/loopback");
  if (dir === null || !hasProgram("tshark")) return;
  const captures = [...Deno.readDirSync(dir)]
    .map((e) => e.name)
    .filter((n) => /\.(pcap|pcapng)$/.test(n))
    .sort();
  assert.ok(captures.length >= 5);
  let checked = 0;
  for (const name of captures) {
    const path = `${dir}/${name}`;
    const rows = await tsharkFields(path, FIELDS, "|");
    const { hits: expected, values } = expectedHits(rows);
    // every value tshark shows is an entry, so every lookup of one hits
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    const entries = new Set<string>();
    for (const v of values) {
      const [kind, text] = v.split(" ");
      entries.add(
        kind === "ip" ? (text.includes(":") ? `${text}/128` : `${text}/32`) : `literal:${text}`,
      );
    }
    for (const e of entries) b.add(e, { e });
    const db = Database.fromBytes(b.build());
    const got = new Set<string>();
    const m = new CaptureMatcher(db, {
      onHit: (h) => got.add(`${h.frame} ${h.attribute} ${h.value}`),
    });
    await matchCapture(await Deno.readFile(path), m);
    m.finish();
    assert.deepEqual([...got].sort(), expected, name);
    checked += expected.length;
  }
  assert.ok(checked > 500, `only ${checked} hits compared`);
});
