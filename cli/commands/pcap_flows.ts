/**
 * `mxy pcap flows`: one record per session (conversation), in the manner of Zeek's conn.log.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, stringFlag, UsageError } from "../_command.ts";
import {
  CapturePipeline,
  csvHeader,
  FLOW_COLUMNS,
  type FlowPacket,
  formatFlow,
  type ReadSummary,
  SessionTable,
  type SessionTableHooks,
} from "../../lib/pcap/mod.ts";
import { createSessionHooks, DpiEngine, type FlowsTaskConfig } from "../../lib/dpi/mod.ts";
import { exit, writeSync } from "../_io.ts";
import {
  captureWorkers,
  onTerminate,
  openCaptureFile,
  openOutputFile,
  type OutputFile,
  trackFlowsInFile,
} from "../../lib/runtime/mod.ts";
import {
  internalNetworks,
  makeLogger,
  parseDurationNs,
  parseSizeBytes,
  THREADS_HELP,
  threadsFlag,
} from "./_pcap_common.ts";
import { OutputBuffer, writeStats } from "./_pcap_output.ts";
import { FLOW_INDICATOR_COLUMNS, IndicatorEnricher } from "../../lib/match/mod.ts";
import { openDb } from "./_pcap_db.ts";

const HELP = `Usage: mxy pcap flows FILE... [options]

Prints one record per session (bidirectional conversation keyed by the canonical 5-tuple), in
the manner of Zeek's conn.log: ts, uid, id.orig_h, id.orig_p, id.resp_h, id.resp_p, proto,
service, duration, orig_bytes, resp_bytes, conn_state, local_orig, local_resp (with --internal),
history, orig_pkts, orig_ip_bytes, resp_pkts, resp_ip_bytes, then mxy's path (protocol path, e.g. eth:ip:udp:dns), tcp_state (SYN,
established, FIN, RST), rtt (TCP handshake, first SYN to the ACK completing it, seconds),
duration_ns, rtt_ns, orig_data_bytes, resp_data_bytes and missed_bytes. Times are exact to the
nanosecond. Byte counts are transport payload bytes as captured (orig_bytes/resp_bytes), IP
bytes (*_ip_bytes), and for TCP the payload bytes counted once by following sequence numbers
(*_data_bytes: retransmissions and overlaps left out) and the bytes the capture missed
(missed_bytes: gaps the receiver acknowledged, segments cut by the snap length). The service comes from the protocol
registry (DNS, HTTP, TLS and registered plugins), and in JSON Lines the plugins' session
attributes follow (http.requests, dns.queries …). Sessions are written as they close (idle for
--idle) and the rest, oldest first, at the end.

Options:
  --format FORMAT      jsonl (default) or csv (with a header line)
  -o, --output FILE    write to FILE (put in place when done) instead of standard output
  --internal CIDR      an inside network (repeatable): fills local_orig/local_resp (no leading
                       zeros, no host bits set)
  --idle DURATION      close a session after this much capture time without packets
                       (default 300s; units ns, us, ms, s, m)
  --max-sessions N     most sessions open at once (default 1000000); the least recently
                       active is closed beyond it
  --no-dpi             name services by port and first bytes only, without the protocol
                       registry and its session hooks (faster)
  --no-reassemble      do not follow TCP sequence numbers (*_data_bytes and missed_bytes are
                       left out; faster)
  --max-reassembly-memory SIZE
                       most bytes of sequence bookkeeping held out of order (default 64M)
  --db DB              add what the database DB says about each flow: the first name seen on it
                       (name, name_source: its first DNS question, TLS server name or HTTP Host)
                       and, for the originator, the responder and the name, the entry matched
                       and its data (orig_db, resp_db, name_db: {entry, match, data}; JSON
                       text in CSV)
  --parent-domains     (db) a literal "evil.com" also matches the name "a.b.evil.com"
${THREADS_HELP}; packets are shared by flow, so every session is
                       the same as with one thread (uids included); --max-sessions and
                       --max-reassembly-memory hold per worker. SIGINT/SIGTERM stop the
                       reading; the sessions read so far are written, exit code 130/143.
                       With --db the flows are read on one thread
  --quiet              do not print statistics on standard error
  --log-level LEVEL    debug, info, warn (default), error or silent, for messages on stderr
  --log-format FORMAT  text (default) or json: messages and the final statistics as JSON lines
  -h, --help           show this help`;

const SPEC = {
  format: { type: "string" },
  output: { type: "string", short: "o" },
  idle: { type: "string" },
  internal: { type: "string", multiple: true },
  "max-sessions": { type: "string" },
  quiet: { type: "boolean" },
  threads: { type: "string" },
  "no-dpi": { type: "boolean" },
  "no-reassemble": { type: "boolean" },
  "max-reassembly-memory": { type: "string" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  db: { type: "string" },
  "parent-domains": { type: "boolean" },
} as const;

async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { spec: SPEC, help: HELP });
  const format = stringFlag(flags, "format", "jsonl");
  if (format !== "jsonl" && format !== "csv") {
    throw new UsageError(`--format takes jsonl or csv, got "${format}"`);
  }
  const log = makeLogger(flags);
  const internal = internalNetworks(flags).networks;
  const idleNs = parseDurationNs(stringFlag(flags, "idle", "300s"), "idle");
  const maxSessions = intFlag(flags, "max-sessions", 1_000_000);
  if (maxSessions < 1) {
    throw new UsageError(`--max-sessions must be at least 1, got ${maxSessions}`);
  }
  const files = flags.positionals;
  if (files.length === 0) {
    throw new UsageError("mxy pcap flows needs a capture FILE (or - for standard input)");
  }
  const dbPath = flags.values.db as string | undefined;
  if (flags.values["parent-domains"] === true && dbPath === undefined) {
    throw new UsageError("--parent-domains goes with --db");
  }
  const enricher = dbPath === undefined ? null : new IndicatorEnricher(await openDb(dbPath), {
    parentDomains: flags.values["parent-domains"] === true ? true : undefined,
  });
  let outFile: OutputFile | null = null;
  const outPath = flags.values.output as string | undefined;
  if (outPath !== undefined) outFile = openOutputFile(outPath);
  const out = new OutputBuffer(
    outFile ? (b) => outFile!.write(b) : (b) => writeSync("stdout", b),
  );
  if (format === "csv") {
    out.write(
      csvHeader(enricher === null ? FLOW_COLUMNS : [...FLOW_COLUMNS, ...FLOW_INDICATOR_COLUMNS]),
    );
  }
  const cutShort = (file: string, s: ReadSummary) => {
    if (s.truncated) {
      log.warn("capture cut short", {
        file,
        packets: s.truncated.packets,
        offset: s.truncated.offset,
        reason: s.truncated.reason,
      });
    }
  };
  // The end of a run: output flushed and put in place, warnings and statistics on stderr.
  const end = (stats: Record<string, number>) => {
    out.flush();
    outFile?.commit();
    if (stats.evicted > 0) {
      log.warn("session table full: least recently active sessions closed early", {
        code: "session-table-full",
        evicted: stats.evicted,
        maxSessions,
      });
    }
    if (flags.values.quiet !== true) writeStats(log, stats);
  };
  const maxReassemblyMemoryText = stringFlag(flags, "max-reassembly-memory", "64M");
  // With --db the flows are enriched on this thread (the workers have no database yet).
  const threads = enricher === null ? threadsFlag(flags) : 1;
  if (threads > 1) {
    const pipeline = new CapturePipeline({
      ...captureWorkers(threads),
      task: "flows",
      config: {
        idleTimeoutNs: idleNs,
        maxSessions,
        dpi: flags.values["no-dpi"] !== true,
        reassemble: flags.values["no-reassemble"] !== true,
        maxReassemblyMemory: parseSizeBytes(maxReassemblyMemoryText, "max-reassembly-memory"),
        format,
        internal: internalNetworks(flags).texts,
      } satisfies FlowsTaskConfig,
      onBytes: (bytes) => out.writeBytes(bytes),
    });
    let signal: string | null = null;
    let ending: Promise<void> | null = null;
    const finish = () => ending ??= pipeline.finish().then(end);
    const off = onTerminate((sig) => {
      signal = sig;
      // A read may wait on input that never comes (standard input): end here.
      finish().then(() => exit(sig === "SIGINT" ? 130 : 143), (err) => {
        writeSync("stderr", `mxy: ${err instanceof Error ? err.message : String(err)}\n`);
        exit(1);
      });
    });
    try {
      for (const file of files) {
        if (signal !== null) break;
        const f = await openCaptureFile(file);
        try {
          const s = await pipeline.run(f.source, { name: file, shouldStop: () => signal !== null });
          cutShort(file, s);
        } finally {
          f.close();
        }
      }
      await finish();
    } catch (err) {
      pipeline.close();
      outFile?.abort();
      throw err;
    } finally {
      off();
    }
    if (signal !== null) return signal === "SIGINT" ? 130 : 143;
    return 0;
  }
  let classify: ((p: FlowPacket) => string) | undefined; // default: guessService
  let hooks: SessionTableHooks | undefined;
  if (flags.values["no-dpi"] !== true) {
    const engine = new DpiEngine();
    classify = (p: FlowPacket) => (p.view ? engine.classify(p.view)?.name ?? "" : "");
    hooks = createSessionHooks(engine.registry);
  }
  const maxReassemblyMemory = parseSizeBytes(maxReassemblyMemoryText, "max-reassembly-memory");
  const table = new SessionTable({
    idleTimeoutNs: idleNs,
    maxSessions,
    classify,
    hooks: enricher === null ? hooks : enricher.flowHooks(hooks),
    reassemble: flags.values["no-reassemble"] !== true,
    maxReassemblyMemory,
    onClose: enricher === null
      ? (s) => out.write(formatFlow(s, format, { internal }))
      : (s) => out.write(enricher.formatFlow(s, format, { internal })),
  });
  let decodeErrors = 0;
  try {
    for (const file of files) {
      cutShort(file, await trackFlowsInFile(file, table, { onDecodeError: () => decodeErrors++ }));
    }
  } catch (err) {
    outFile?.abort();
    throw err;
  }
  end({ ...table.finish(), errors: decodeErrors });
  return 0;
}

/** `mxy pcap flows`. */
export const command: Command = {
  name: "flows",
  summary: "One record per session (Zeek conn.log style), JSON Lines or CSV",
  help: HELP,
  run,
};
