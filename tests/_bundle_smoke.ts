/**
 * A smoke test of the runtime-neutral core, bundled and run under Node by tests/bundle_test.ts
 * (and imported under Deno). It imports only the package's entry points, uses no Deno API, and
 * prints one JSON line: `{ runtime, checks, failures }`.
 */
import { Database, DatabaseBuilder, MxyError, openDatabase, VERSION } from "../mod.ts";
import { formatIp, parseCidr } from "../lib/db/mod.ts";
import {
  decodePacket,
  forEachPacketInBytes,
  LinkType,
  PacketView,
  PcapWriter,
} from "../lib/pcap/mod.ts";
import { DpiEngine } from "../lib/dpi/mod.ts";
import { assemble, BpfInterpreter, BpfJit, decodeProgram, verifyProgram } from "../lib/bpf/mod.ts";
import { EtherClient, EtherServer, mxyDatabaseEngine } from "../lib/ether/mod.ts";
import { Extractor, SpanKind } from "../lib/match/mod.ts";
import { buildPacket } from "../lib/testing/mod.ts";
import {
  connectEther,
  forEachPacketInFile,
  mapFile,
  RuntimeError,
  serveEther,
  watchDirectory,
} from "../lib/runtime/mod.ts";
import { memoryPipe } from "./ether/_memory_pipe.ts";

/** What a smoke run found. */
export interface SmokeReport {
  /** `"node"` or `"deno"` (or whatever else runs it). */
  runtime: string;
  /** Checks made. */
  checks: number;
  /** Descriptions of the checks that failed. */
  failures: string[];
}

/** Runs every check; never throws. */
export async function runSmoke(): Promise<SmokeReport> {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
  const report: SmokeReport = {
    runtime: g.Deno ? "deno" : g.process?.versions?.node ? "node" : "other",
    checks: 0,
    failures: [],
  };
  const check = (ok: boolean, what: string) => {
    report.checks++;
    if (!ok) report.failures.push(what);
  };
  const attempt = async (what: string, fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      report.checks++;
      report.failures.push(`${what}: ${err instanceof Error ? err.stack : String(err)}`);
    }
  };

  await attempt("database", () => {
    const builder = new DatabaseBuilder();
    builder.add("192.0.2.0/24", { threat: "botnet" });
    builder.add("2001:db8::/32", { threat: "doc" });
    builder.add("evil.example", { threat: "phishing" });
    builder.add("*.bad.example", { threat: "glob" });
    const db = Database.fromBytes(builder.build());
    const ip = db.lookup("192.0.2.9");
    check(ip?.kind === "ip" && ip.network === "192.0.2.0/24", "IPv4 lookup");
    const mapped = db.lookup("::ffff:192.0.2.9");
    check(mapped?.kind === "ip" && mapped.network === "::ffff:192.0.2.0/120", "mapped lookup");
    check(db.lookup("2001:db8::1")?.kind === "ip", "IPv6 lookup");
    check(db.lookup("evil.example")?.kind === "string", "literal lookup");
    check(db.lookup("x.bad.example")?.kind === "string", "glob lookup");
    check(db.lookup("good.example") === null, "miss");
    db.close();
    let closed = "";
    try {
      db.lookup("192.0.2.9");
    } catch (err) {
      closed = err instanceof Error ? err.name : String(err);
    }
    check(closed !== "", "a closed database throws");
  });

  await attempt("version", () => check(/^\d+\.\d+\.\d+/.test(VERSION), "VERSION"));

  await attempt("ip", () => {
    const n = parseCidr("::ffff:192.0.2.0/120");
    check(formatIp(n.bytes) === "::ffff:192.0.2.0", "mapped IPv6 is written with a dotted tail");
  });

  await attempt("pcap and dpi", () => {
    const w = new PcapWriter({ linktype: LinkType.ETHERNET, nanos: true });
    const packet = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5, dstPort: 53 });
    w.writePacket(packet, { tsSec: 1700000000, tsNsec: 5 });
    w.writePacket(packet, { tsSec: 1700000001, tsNsec: 6 });
    const engine = new DpiEngine();
    const rows: unknown[][] = [];
    engine.subscribe(["ip.src", "udp.dst_port"], (values) => rows.push([...values]));
    const summary = forEachPacketInBytes(w.toBytes(), (v) => {
      engine.process(v);
    });
    check(summary.packets === 2, "two packets read");
    check(JSON.stringify(rows) === JSON.stringify([["10.0.0.1", 53], ["10.0.0.1", 53]]), "dpi");
    const v = new PacketView();
    v.setRecord(packet, 0, packet.length, packet.length);
    decodePacket(v);
    check(v.dstPort === 53, "decodePacket");
  });

  await attempt("bpf", () => {
    const program = decodeProgram(assemble("ldxb %r0, [%r1]\nadd %r0, 5\nexit"));
    verifyProgram(program, { input: { kind: "mem", size: 1 } } as never);
    check(new BpfInterpreter(program).run(new Uint8Array([37])) === 42n, "interpreter");
    // the JIT generates JavaScript with new Function, which every runtime here allows
    check(new BpfJit(program).run(new Uint8Array([37])) === 42n, "JIT");
  });

  await attempt("ether", async () => {
    const builder = new DatabaseBuilder();
    builder.add("10.0.0.0/8", { tag: "ten" });
    const server = new EtherServer({ engine: mxyDatabaseEngine });
    const [clientEnd, serverEnd] = memoryPipe();
    const served = server.serveConnection(serverEnd);
    const client = await EtherClient.open(clientEnd, { address: "memory" });
    check(client.capabilities?.software === `mxy/${VERSION}`, "negotiated");
    const block = await client.alloc(16);
    await block.write(new TextEncoder().encode("hello"));
    const back = await block.read(5);
    check(new TextDecoder().decode(back) === "hello", "remote memory round trip");
    client.close();
    await served;
    await server.close();
  });

  await attempt("match", () => {
    const line = new TextEncoder().encode("from 203.0.113.9 to https://evil.com/x gmail.com");
    const kinds: number[] = [];
    new Extractor().scan(line, (kind) => {
      kinds.push(kind);
    });
    check(kinds.includes(SpanKind.IPV4), "IPv4 extracted");
    check(kinds.includes(SpanKind.URL), "URL extracted");
  });

  await attempt("deno adapters outside Deno", async () => {
    if (report.runtime === "deno") return;
    try {
      await openDatabase("/nonexistent.mxy");
      check(false, "openDatabase() outside Deno must throw");
    } catch (err) {
      check(err instanceof MxyError, `openDatabase() throws an MxyError, got ${String(err)}`);
      check((err as MxyError).code === "unsupported-runtime", "code unsupported-runtime");
      check(!(err instanceof ReferenceError), "not a ReferenceError");
    }
    const adapters: [string, () => Promise<unknown>][] = [
      ["forEachPacketInFile", () => forEachPacketInFile("/x.pcap", () => {})],
      ["mapFile", () => mapFile("/x")],
      ["serveEther", () => serveEther({ port: 0 })],
      ["connectEther", () => connectEther("127.0.0.1", { port: 1 })],
      ["watchDirectory", () => watchDirectory("/x", { onFile: () => {} })],
    ];
    for (const [name, call] of adapters) {
      try {
        await call();
        check(false, `${name}() outside Deno must throw`);
      } catch (err) {
        check(
          err instanceof RuntimeError && err.code === "unsupported-runtime",
          `${name}() throws RuntimeError unsupported-runtime, got ${String(err)}`,
        );
      }
    }
  });

  return report;
}

if (!(globalThis as { Deno?: unknown }).Deno) {
  console.log(JSON.stringify(await runSmoke()));
}
