/**
 * `mxy pcap flows`: one record per session (conversation), in the manner of Zeek's conn.log.
 *
 * @module
 */
import {
  type CommandSpec,
  defineCommand,
  intFlag,
  type Invocation,
  stringFlag,
  UsageError,
} from "../_command.ts";
import {
  CapturePipeline,
  csvHeader,
  FLOW_COLUMNS,
  type FlowPacket,
  formatFlow,
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
  internalOption,
  isDamagedCapture,
  LOG_OPTIONS,
  makeLogger,
  noteDamagedCapture,
  parseDurationNs,
  parseSizeBytes,
  QUIET_OPTION,
  reassemblyMemoryOption,
  THREADS_OPTION,
  threadsOption,
  warnIfCutShort,
} from "./_pcap_common.ts";
import { OutputBuffer, writeStats } from "./_pcap_output.ts";
import { FLOW_INDICATOR_COLUMNS, IndicatorEnricher } from "../../lib/match/mod.ts";
import { MATCH_WORKER, openDb, sharedDatabase } from "./_pcap_db.ts";

const SPEC: CommandSpec = {
  name: "pcap flows",
  summary: "One record per session (Zeek conn.log style), JSON Lines or CSV",
  arguments: [{
    name: "FILE",
    variadic: true,
    description: "A pcap or pcapng capture, plain or .gz; - reads standard input",
  }],
  description: [
    "Prints one record per session (bidirectional conversation keyed by the canonical " +
    "5-tuple), in the manner of Zeek's conn.log: ts, uid, id.orig_h, id.orig_p, id.resp_h, " +
    "id.resp_p, proto, service, duration, orig_bytes, resp_bytes, conn_state, local_orig, " +
    "local_resp (with --internal), history, orig_pkts, orig_ip_bytes, resp_pkts, " +
    "resp_ip_bytes, then mxy's path (protocol path, e.g. eth:ip:udp:dns), tcp_state (SYN, " +
    "established, FIN, RST), rtt (TCP handshake, first SYN to the ACK completing it, seconds), " +
    "duration_ns, rtt_ns, orig_data_bytes, resp_data_bytes and missed_bytes. Times are exact " +
    "to the nanosecond.",
    "Byte counts are transport payload bytes as captured (orig_bytes/resp_bytes), IP bytes " +
    "(*_ip_bytes), and for TCP the payload bytes counted once by following sequence numbers " +
    "(*_data_bytes: retransmissions and overlaps left out) and the bytes the capture missed " +
    "(missed_bytes: gaps the receiver acknowledged, segments cut by the snap length). The " +
    "service comes from the protocol registry (DNS, HTTP, TLS and registered plugins), and in " +
    "JSON Lines the plugins' session attributes follow (http.requests, dns.queries ...). " +
    "Sessions are written as they close (idle for --idle) and the rest, oldest first, at the " +
    "end.",
  ],
  options: [
    {
      name: "format",
      type: "enum",
      choices: ["jsonl", "csv"],
      default: "jsonl",
      description: "Output format (csv with a header line)",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "FILE",
      description: "Write to FILE (put in place when done) instead of standard output",
    },
    internalOption(
      "An inside network: fills local_orig/local_resp (no leading zeros, no host bits set)",
    ),
    {
      name: "idle",
      type: "string",
      value: "DURATION",
      default: "300s",
      complete: "none",
      description: "Close a session after this much capture time without packets (units ns, " +
        "us, ms, s, m)",
    },
    {
      name: "max-sessions",
      type: "int",
      min: 1,
      default: 1_000_000,
      description: "The most sessions open at once; the least recently active is closed beyond it",
    },
    {
      name: "no-dpi",
      type: "boolean",
      description: "Name services by port and first bytes only, without the protocol registry " +
        "and its session hooks (faster)",
    },
    {
      name: "no-reassemble",
      type: "boolean",
      description: "Do not follow TCP sequence numbers (*_data_bytes and missed_bytes are left " +
        "out; faster)",
    },
    reassemblyMemoryOption("The most bytes of sequence bookkeeping held out of order"),
    {
      name: "db",
      type: "string",
      value: "DB",
      description: "Add what the database DB says about each flow: the first name seen on it " +
        "(name, name_source: its first DNS question, TLS server name or HTTP Host) and, for the " +
        "originator, the responder and the name, the entry matched and its data (orig_db, " +
        "resp_db, name_db: {entry, match, data}; JSON text in CSV)",
    },
    {
      name: "parent-domains",
      type: "boolean",
      description: 'With --db: a literal "evil.com" also matches the name "a.b.evil.com"',
    },
    {
      ...THREADS_OPTION,
      description: `${THREADS_OPTION.description}; packets are shared by flow, so every ` +
        "session is the same as with one thread (uids included); --max-sessions and " +
        "--max-reassembly-memory hold per worker; with --db each worker opens the database's bytes shared, not a copy. " +
        "With N above 1, SIGINT/SIGTERM stop the reading: the sessions read so far are " +
        "written, exit code 130/143",
    },
    QUIET_OPTION,
    ...LOG_OPTIONS,
  ],
  examples: [
    "mxy pcap flows capture.pcapng > conn.jsonl",
    "mxy pcap flows --format csv --internal 10.0.0.0/8 -o conn.csv day1.pcap.gz day2.pcap.gz",
    "mxy pcap flows capture.pcapng --db iocs.mxy --parent-domains",
  ],
  run,
};

async function run(inv: Invocation): Promise<number> {
  const flags = inv.legacyFlags();
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
    throw new UsageError("Missing FILE argument (a capture, or - for standard input)");
  }
  const dbPath = flags.values.db as string | undefined;
  if (flags.values["parent-domains"] === true && dbPath === undefined) {
    throw new UsageError("--parent-domains goes with --db");
  }
  const parentDomains = flags.values["parent-domains"] === true ? true : undefined;
  const enricher = dbPath === undefined ? null : new IndicatorEnricher(await openDb(dbPath), {
    parentDomains,
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
  // The end of a run: output flushed and put in place, warnings and statistics on stderr.
  let ended: Record<string, number> | null = null;
  // a damaged capture counts as one error in the statistics, with one thread or several
  let readErrors = 0;
  const end = (stats: Record<string, number>) => {
    stats.errors = (stats.errors ?? 0) + readErrors;
    ended = stats;
    out.flush();
    outFile?.commit();
    if (stats.evicted > 0) {
      log.warn(
        `session table full: ${stats.evicted} least recently active sessions closed early (raise --max-sessions)`,
        {
          code: "session-table-full",
          evicted: stats.evicted,
          maxSessions,
        },
      );
    }
    if (flags.values.quiet !== true) writeStats(log, stats);
  };
  const maxReassemblyMemoryText = stringFlag(flags, "max-reassembly-memory", "64M");
  const threads = threadsOption(inv);
  if (threads > 1) {
    const shared = dbPath === undefined ? undefined : await sharedDatabase(dbPath);
    const pipeline = new CapturePipeline({
      ...(shared === undefined
        ? captureWorkers(threads)
        : captureWorkers(threads, { module: MATCH_WORKER })),
      task: shared === undefined ? "flows" : "flows-db",
      config: {
        ...(shared === undefined ? {} : { db: shared, parentDomains }),
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
          warnIfCutShort(log, file, s);
        } finally {
          f.close();
        }
      }
      await finish();
    } catch (err) {
      if (!isDamagedCapture(err)) {
        pipeline.close();
        outFile?.abort();
        throw err;
      }
      // the flows of what was read are printed, as with one thread; then the error
      readErrors++;
      await finish().catch(() => outFile?.abort());
      const sessions = (ended as Record<string, number> | null)?.sessions ?? 0;
      noteDamagedCapture("pcap flows", err, `${sessions} flows reported`);
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
      const s = await trackFlowsInFile(file, table, { onDecodeError: () => decodeErrors++ });
      warnIfCutShort(log, file, s);
    }
  } catch (err) {
    if (!isDamagedCapture(err)) {
      outFile?.abort();
      throw err;
    }
    // the flows of what was read end at its last packet and are printed; then the error
    readErrors++;
    const stats = { ...table.finish(), errors: decodeErrors };
    end(stats);
    noteDamagedCapture("pcap flows", err, `${stats.sessions} flows reported`);
    throw err;
  }
  end({ ...table.finish(), errors: decodeErrors });
  return 0;
}

/** `mxy pcap flows`. */
export const command = defineCommand(SPEC);
