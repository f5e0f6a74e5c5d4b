/**
 * `mxy pcap fields -e ATTR …`: one CSV row per packet with the chosen attributes, like
 * `tshark -T fields -E separator=, -E header=y`.
 *
 * @module
 */
import { type Command, parseFlags, stringFlag, UsageError } from "../_command.ts";
import { type AttributeValue, createDefaultRegistry, DpiEngine } from "../../lib/dpi/mod.ts";
import { forEachPacketInFile } from "../../lib/runtime/mod.ts";
import { writeSync } from "../_io.ts";
import { captureMode, makeLogger, overlapPolicy, parseSizeBytes } from "./_pcap_common.ts";
import { OutputBuffer } from "./_pcap_output.ts";

const HELP = `Usage: mxy pcap fields -e ATTR [-e ATTR ...] FILE... [options]

Prints one row per packet with the values of the chosen attributes, like
tshark -T fields -E separator=, -E header=y. A missing attribute is an empty field. Times
(meta.time) are exact to the nanosecond; numbers are decimal; booleans are 1 or 0.
FILE is a pcap or pcapng capture, plain or .gz; - reads standard input.

Attributes (--list shows them all): meta.time meta.len meta.number ip.src ip.dst ip.proto
tcp.src_port tcp.dst_port tcp.flags udp.src_port udp.dst_port dns.id dns.qname dns.rcode
dns.answers http.method http.uri http.host http.status tls.sni tls.alpn …
tshark's names work too (frame.time_epoch, tcp.srcport, dns.qry.name,
tls.handshake.extensions_server_name, …), with mxy's value forms (decimal numbers).

The TCP streams of DNS, HTTP and TLS are reassembled as tshark does: a message that spans
segments (HTTP headers after a large cookie, a TLS record, DNS over TCP) is read whole and shown
on the packet that completes it (HTTP: its last byte, the body included); the segments before
show none of its attributes; several messages completed by one packet show their values
comma-separated. Retransmissions are read once; out-of-order segments wait for the bytes before
them, within --max-reassembly-memory.

Options:
  -e, --field ATTR        an attribute to print (repeatable, at least one)
  -E KEY=VALUE            tshark-style output options: header=y|n, separator=C (or /t),
                          quote=d|s|n (default: quote only when needed, as CSV does)
  --only-matching         print only packets where at least one attribute is present
  --no-reassemble         read each packet on its own (a message is read as far as the segment
                          that starts it goes; faster)
  --max-reassembly-memory SIZE
                          most bytes held out of order in all (default 64M; K, M, G): beyond
                          it holes are skipped as gaps
  --overlap POLICY        first (default) or last: which copy of a byte sent twice with
                          different content is read
  --list                  list every attribute and exit
  --mode MODE             stream (default: read in chunks, bounded memory), read (whole file
                          into memory) or mmap (mapped; the file must not change meanwhile)
  --log-level LEVEL       debug, info, warn (default), error or silent
  --log-format FORMAT     text (default) or json, for messages on standard error
  -h, --help              show this help`;

const SPEC = {
  field: { type: "string", short: "e", multiple: true },
  E: { type: "string", short: "E", multiple: true },
  "only-matching": { type: "boolean" },
  "no-reassemble": { type: "boolean" },
  "max-reassembly-memory": { type: "string" },
  overlap: { type: "string" },
  list: { type: "boolean" },
  mode: { type: "string" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
} as const;

function formatValue(v: AttributeValue, sep: string, quote: string): string {
  if (v === undefined) return "";
  const s = typeof v === "boolean" ? (v ? "1" : "0") : String(v);
  if (quote === "d") return `"${s.replaceAll('"', '""')}"`;
  if (quote === "s") return `'${s.replaceAll("'", "''")}'`;
  if (quote === "n") return s;
  if (s.includes(sep) || s.includes('"') || s.includes("\n") || s.includes("\r")) {
    return `"${s.replaceAll('"', '""')}"`;
  }
  return s;
}

async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { spec: SPEC, help: HELP });
  if (flags.values.list) {
    writeSync("stdout", createDefaultRegistry().attributeNames().join("\n") + "\n");
    return 0;
  }
  const log = makeLogger(flags);
  const mode = captureMode(flags);
  const fields = (flags.values.field as string[] | undefined) ?? [];
  if (fields.length === 0) throw new UsageError("mxy pcap fields needs at least one -e ATTR");
  let header = true, sep = ",", quote = "";
  for (const opt of (flags.values.E as string[] | undefined) ?? []) {
    const eq = opt.indexOf("=");
    const key = opt.slice(0, eq), val = opt.slice(eq + 1);
    if (eq < 0) throw new UsageError(`-E takes KEY=VALUE, got "${opt}"`);
    if (key === "header") {
      if (val !== "y" && val !== "n") throw new UsageError(`-E header takes y or n, got "${val}"`);
      header = val === "y";
    } else if (key === "separator") {
      sep = val === "/t" ? "\t" : val === "/s" ? " " : val;
      if (sep.length !== 1) throw new UsageError(`-E separator takes one character, got "${val}"`);
    } else if (key === "quote") {
      if (!["d", "s", "n"].includes(val)) throw new UsageError(`-E quote takes d, s or n`);
      quote = val;
    } else throw new UsageError(`Unknown -E option "${key}"; use header, separator or quote`);
  }
  if (flags.positionals.length === 0) {
    throw new UsageError("mxy pcap fields needs a capture FILE (or - for standard input)");
  }
  const maxMemory = parseSizeBytes(
    stringFlag(flags, "max-reassembly-memory", "64M"),
    "max-reassembly-memory",
  );
  const engine = new DpiEngine({
    reassemble: flags.values["no-reassemble"] !== true,
    reassembly: { maxMemory, overlap: overlapPolicy(flags) },
  });
  const out = new OutputBuffer((b) => writeSync("stdout", b));
  try {
    engine.subscribe(fields, (values) => {
      let line = "";
      for (let i = 0; i < values.length; i++) {
        if (i) line += sep;
        line += formatValue(values[i], sep, quote);
      }
      out.write(line + "\n");
    }, { requireAny: flags.values["only-matching"] === true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (header) out.write(fields.join(sep) + "\n");
  let failed = 0;
  for (const file of flags.positionals) {
    try {
      const s = await forEachPacketInFile(file, (v) => engine.process(v), { mode });
      log.info("capture read", { file, packets: s.packets, mode: s.mode });
      if (s.truncated) {
        log.warn(
          `Capture cut short after ${s.truncated.packets} packets at byte offset ${s.truncated.offset}`,
          { file, reason: s.truncated.reason },
        );
      }
    } catch (err) {
      out.flush();
      failed++;
      log.error(err instanceof Error ? err.message : String(err), { file, error: err });
    }
  }
  // Streams still open end now; what they complete has no packet to be shown on.
  const reassembly = engine.finish();
  out.flush();
  if (reassembly !== null) {
    log.info("reassembly", {
      segments: reassembly.segments,
      connections: reassembly.connections,
      messages: engine.messages,
      retransmitted: reassembly.retransmitted,
      missed: reassembly.missed,
      peakBufferedBytes: reassembly.peakBufferedBytes,
    });
    if (reassembly.forcedGaps > 0) {
      log.warn("reassembly memory full: holes skipped as gaps (raise --max-reassembly-memory)", {
        forcedGaps: reassembly.forcedGaps,
      });
    }
  }
  if (engine.protocolErrors > 0) {
    log.info("protocol parse errors", { count: engine.protocolErrors });
  }
  return failed > 0 ? 1 : 0;
}

/** The `pcap fields` subcommand. */
export const command: Command = {
  name: "fields",
  summary: "One CSV row per packet with chosen attributes (like tshark -T fields)",
  help: HELP,
  run,
};
