/**
 * `mxy pcap fields -e ATTR …`: one CSV row per packet with the chosen attributes, like
 * `tshark -T fields -E separator=, -E header=y`.
 *
 * @module
 */
import { type CommandSpec, defineCommand, type Invocation } from "../_command.ts";
import { type AttributeValue, createDefaultRegistry, DpiEngine } from "../../lib/dpi/mod.ts";
import { forEachPacketInFile } from "../../lib/runtime/mod.ts";
import { writeSync } from "../_io.ts";
import {
  CAPTURE_MODE_OPTION,
  captureMode,
  LOG_OPTIONS,
  makeLogger,
  OVERLAP_OPTION,
  overlapPolicy,
  reassemblyMemoryOption,
  warnIfCutShort,
} from "./_pcap_common.ts";
import { OutputBuffer } from "./_pcap_output.ts";
import { closest } from "../_suggest.ts";

const SPEC: CommandSpec = {
  name: "pcap fields",
  summary: "One CSV row per packet with chosen attributes (like tshark -T fields)",
  arguments: [{
    name: "FILE",
    variadic: true,
    description: "A pcap or pcapng capture, plain or .gz; - reads standard input",
  }],
  description: [
    "Prints one row per packet with the values of the chosen attributes, like tshark -T " +
    "fields -E separator=, -E header=y. A missing attribute is an empty field. Times " +
    "(meta.time) are exact to the nanosecond; numbers are decimal; booleans are 1 or 0.",
    "Attributes (--list shows them all): meta.time meta.len meta.number ip.src ip.dst ip.proto " +
    "tcp.src_port tcp.dst_port tcp.flags udp.src_port udp.dst_port dns.id dns.qname dns.rcode " +
    "dns.answers http.method http.uri http.host http.status tls.sni tls.alpn ... tshark's " +
    "names work too (frame.time_epoch, tcp.srcport, dns.qry.name, " +
    "tls.handshake.extensions_server_name ...), with mxy's value forms (decimal numbers).",
    "The TCP streams of DNS, HTTP and TLS are reassembled as tshark does: a message that spans " +
    "segments (HTTP headers after a large cookie, a TLS record, DNS over TCP) is read whole and " +
    "shown on the packet that completes it (HTTP: its last byte, the body included); the " +
    "segments before show none of its attributes; several messages completed by one packet " +
    "show their values comma-separated. Retransmissions are read once; out-of-order segments " +
    "wait for the bytes before them, within --max-reassembly-memory.",
  ],
  options: [
    {
      name: "field",
      short: "e",
      type: "string",
      value: "ATTR",
      required: true,
      repeatable: true,
      complete: "none",
      description: "An attribute to print",
    },
    {
      name: "print-option",
      short: "E",
      type: "string",
      value: "KEY=VALUE",
      repeatable: true,
      complete: "none",
      description: "A tshark-style output option: header=y|n, separator=C (or /t, /s), " +
        "quote=d|s|n (default: quote only when needed, as CSV does)",
    },
    {
      name: "only-matching",
      type: "boolean",
      description: "Print only packets where at least one attribute is present",
    },
    {
      name: "no-reassemble",
      type: "boolean",
      description: "Read each packet on its own (a message is read as far as the segment that " +
        "starts it goes; faster)",
    },
    reassemblyMemoryOption(
      "The most bytes held out of order in all; beyond it holes are skipped as gaps",
    ),
    OVERLAP_OPTION,
    {
      name: "list",
      type: "boolean",
      standalone: true,
      description: "List every attribute and exit",
    },
    CAPTURE_MODE_OPTION,
    ...LOG_OPTIONS,
  ],
  examples: [
    "mxy pcap fields -e meta.time -e ip.src -e dns.qname capture.pcapng",
    "mxy pcap fields -e tls.sni -E header=n -E separator=/t --only-matching capture.pcap",
    "mxy pcap fields --list",
  ],
  run,
};

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

async function run(inv: Invocation): Promise<number> {
  if (inv.flag("list")) {
    writeSync("stdout", createDefaultRegistry().attributeNames().join("\n") + "\n");
    return 0;
  }
  const log = makeLogger(inv);
  const mode = captureMode(inv);
  const fields = inv.list("field");
  let header = true, sep = ",", quote = "";
  for (const opt of inv.list("print-option")) {
    const eq = opt.indexOf("=");
    const key = opt.slice(0, eq), val = opt.slice(eq + 1);
    if (eq < 0) throw inv.usage(`-E takes KEY=VALUE, got "${opt}"`);
    if (key === "header") {
      if (val !== "y" && val !== "n") throw inv.usage(`-E header takes y or n, got "${val}"`);
      header = val === "y";
    } else if (key === "separator") {
      sep = val === "/t" ? "\t" : val === "/s" ? " " : val;
      if (sep.length !== 1) throw inv.usage(`-E separator takes one character, got "${val}"`);
    } else if (key === "quote") {
      if (!["d", "s", "n"].includes(val)) throw inv.usage(`-E quote takes d, s or n`);
      quote = val;
    } else {
      const guess = closest(key, ["header", "separator", "quote"]);
      throw inv.usage(
        `Unknown -E option "${key}"${guess ? ` (did you mean ${guess}?)` : ""}; use header, ` +
          "separator or quote",
      );
    }
  }
  const engine = new DpiEngine({
    reassemble: !inv.flag("no-reassemble"),
    reassembly: { maxMemory: inv.int("max-reassembly-memory")!, overlap: overlapPolicy(inv) },
  });
  const out = new OutputBuffer((b) => writeSync("stdout", b));
  // The header goes out with the first row (or at the end of a run that read every capture),
  // so a capture that cannot be read leaves nothing on standard output.
  let started = !header;
  const begin = () => {
    if (started) return;
    started = true;
    out.write(fields.join(sep) + "\n");
  };
  try {
    engine.subscribe(fields, (values) => {
      begin();
      let line = "";
      for (let i = 0; i < values.length; i++) {
        if (i) line += sep;
        line += formatValue(values[i], sep, quote);
      }
      out.write(line + "\n");
    }, { requireAny: inv.flag("only-matching") });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = fields.find((f) => message.includes(`"${f}"`));
    const guess = unknown === undefined
      ? undefined
      : closest(unknown, createDefaultRegistry().attributeNames());
    const short = message.replace(/; known: .*$/s, "");
    throw inv.usage(
      `${short}${guess ? ` (did you mean ${guess}?)` : ""}` +
        (short === message ? "" : "; --list shows every attribute"),
    );
  }
  let failed = 0;
  for (const file of inv.positionals) {
    try {
      const s = await forEachPacketInFile(file, (v) => engine.process(v), { mode });
      log.info("capture read", { file, packets: s.packets, mode: s.mode });
      warnIfCutShort(log, file, s);
    } catch (err) {
      out.flush();
      failed++;
      log.error(err instanceof Error ? err.message : String(err), { file, error: err });
    }
  }
  // Streams still open end now; what they complete has no packet to be shown on.
  const reassembly = engine.finish();
  if (failed === 0) begin();
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
      log.warn(
        `reassembly memory full: ${reassembly.forcedGaps} holes skipped as gaps (raise ` +
          "--max-reassembly-memory)",
        { code: "reassembly-memory-full", forcedGaps: reassembly.forcedGaps },
      );
    }
  }
  if (engine.protocolErrors > 0) {
    log.info("protocol parse errors", { count: engine.protocolErrors });
  }
  return failed > 0 ? 1 : 0;
}

/** The `pcap fields` subcommand. */
export const command = defineCommand(SPEC);
