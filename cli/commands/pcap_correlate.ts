/**
 * `mxy pcap correlate`: pairs requests with responses in captures and prints each pair with its
 * latency; `--watch DIR` processes capture files as they arrive.
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
import { type CorrelateTaskConfig, DpiEngine } from "../../lib/dpi/mod.ts";
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
  WATCH_TIMING_OPTIONS,
} from "./_pcap_common.ts";
import { OutputBuffer, writeStats } from "./_pcap_output.ts";
import { IndicatorEnricher, PAIR_INDICATOR_COLUMNS } from "../../lib/match/mod.ts";
import { MATCH_WORKER, openDb, sharedDatabase } from "./_pcap_db.ts";
import type { Logger } from "./_pcap_logger.ts";
import {
  CapturePipeline,
  CORRELATE_MODES,
  type CorrelateMode,
  Correlator,
  csvHeader,
  type FlowPacket,
  formatPair,
  formatUnmatched,
  type OutputFormat,
  PAIR_COLUMNS,
  PcapError,
  type ReadSummary,
} from "../../lib/pcap/mod.ts";
import { exit, writeSync } from "../_io.ts";
import {
  captureWorkers,
  correlateFile,
  onTerminate,
  openCaptureFile,
  openOutputFile,
  type OutputFile,
  watchDirectory,
} from "../../lib/runtime/mod.ts";

const SPEC: CommandSpec = {
  name: "pcap correlate",
  summary: "Pair requests with responses (payload, seed, dns, tcp-handshake, http) with latencies",
  arguments: [{
    name: "FILE",
    required: false,
    variadic: true,
    description: "A pcap or pcapng capture, plain or .gz; - reads standard input (none with " +
      "--watch)",
  }],
  description: [
    "Pairs each request packet with its response and prints both with the latency in " +
    "nanoseconds of capture time. With --watch DIR, processes the capture files that arrive in " +
    "DIR instead.",
  ],
  options: [
    {
      name: "pair",
      type: "enum",
      value: "STRATEGY",
      choices: CORRELATE_MODES,
      choicesInDescription: true,
      default: "payload",
      description: "How a response is found: payload, seed, dns, tcp-handshake or http, " +
        "described under Pairing below",
    },
    { name: "mode", type: "enum", hidden: true, aliasOf: { option: "pair" }, description: "" },
    {
      name: "window",
      type: "string",
      value: "DURATION",
      default: "5s",
      complete: "none",
      description: "How long a request waits for its response (units ns, us, ms, s, m; a bare " +
        "number is seconds)",
    },
    {
      name: "max-pending",
      type: "int",
      min: 1,
      default: 262_144,
      description: "The most packets waiting at once; the oldest is dropped",
    },
    reassemblyMemoryOption("With --pair http: the most bytes held out of order in all"),
    internalOption(
      "An inside network, e.g. 10.0.0.0/8 (no leading zeros, no host bits set)",
    ),
    {
      name: "dpi",
      type: "boolean",
      description: "Name protocols with the protocol registry (dns pairing then also finds DNS " +
        "off port 53); slower",
    },
    {
      name: "format",
      type: "enum",
      choices: ["text", "jsonl", "csv"],
      choicesInDescription: true,
      default: "text",
      description:
        'Output format. text: REQ:/RES:/LATENCY: lines (IPv6 as [addr]:port; http adds "(last ' +
        'byte: N ns, frame F)"); jsonl or csv: times as exact SECONDS.NANOSECONDS text, and ' +
        "http fills latency_last_ns and res_last_frame",
    },
    {
      name: "db",
      type: "string",
      value: "DB",
      description: "Say which side of each pair is a known indicator: the entry of the database " +
        "DB each address matched and its data (jsonl: req_src_db, req_dst_db, res_src_db, " +
        'res_dst_db as {entry, match, data}; csv: those columns as JSON text; text: a "DB: ' +
        'req_dst ADDR network NET {...}" line each)',
    },
    {
      name: "unmatched",
      type: "boolean",
      description: "Also print each packet that waited in vain (UNMATCHED (expired|evicted|end): " +
        "... in text; status column in jsonl/csv)",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "FILE",
      description: "Write to FILE (put in place when done) instead of standard output",
    },
    {
      name: "watch",
      type: "string",
      value: "DIR",
      complete: "directory",
      description: "Process the .pcap/.pcapng files in DIR, oldest first, and those that " +
        "arrive, each once it stopped growing; rename each to NAME.processed (NAME.failed when " +
        "it cannot be read). SIGINT/SIGTERM finish the current file, flush, print the " +
        "statistics and exit 0",
    },
    ...WATCH_TIMING_OPTIONS,
    {
      ...THREADS_OPTION,
      description: `${THREADS_OPTION.description}; packets are shared by flow (payload and ` +
        "seed pairing: by payload), so every pair is found as by one thread; --max-pending and " +
        "--max-reassembly-memory hold per worker; with --db each worker opens the database's bytes shared, not a copy. " +
        "With --watch: up to N files at once, each in a worker of its own (packets waiting at " +
        "the end of a file are then unmatched: with --threads 1 they may find their partner in " +
        "the next file), each file's records written as one block in the order the files were " +
        "picked up",
    },
    QUIET_OPTION,
    ...LOG_OPTIONS,
  ],
  sections: [{
    title: "Pairing",
    rows: [
      [
        "payload",
        "The same payload seen twice within the window, on any flow and protocol (UDP in, TCP " +
        "out through a relay); the first sighting is the request, or the inbound one when " +
        "--internal is given",
      ],
      [
        "seed",
        "The response has source and destination swapped and the same payload (TCP and UDP may " +
        "be exchanged)",
      ],
      ["dns", "Query and response by transaction id on the same flow"],
      ["tcp-handshake", "SYN to SYN/ACK"],
      [
        "http",
        "HTTP/1.x request to its response, read from the reassembled TCP streams (pipelined " +
        "requests in order; headers over several segments; bodies by Content-Length or " +
        "chunked): the latency to the response's first byte, and to its last, after the body",
      ],
    ],
  }, {
    title: "Statistics (standard error)",
    text: [
      "Packets read, decoded, matched, unmatched (expired, evicted or left at the end), " +
      "expired, evicted, errors, duplicates (repeats ignored while the first copy waited), " +
      "pending.",
    ],
  }],
  examples: [
    "mxy pcap correlate relay.pcapng --internal 127.0.0.10/32",
    "mxy pcap correlate --pair http --format jsonl web.pcap.gz",
    "mxy pcap correlate --watch /var/spool/captures --pair dns --format csv -o dns.csv",
  ],
  run,
};

function parseFormat(text: string, allowed: readonly string[]): OutputFormat {
  if (!allowed.includes(text)) {
    throw new UsageError(`--format takes ${allowed.join(", ")}, got "${text}"`);
  }
  return text as OutputFormat;
}

async function run(inv: Invocation): Promise<number> {
  const flags = inv.legacyFlags();
  const mode = stringFlag(flags, "pair", "payload");
  if (!(CORRELATE_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`--pair takes ${CORRELATE_MODES.join(", ")}, got "${mode}"`);
  }
  const format = parseFormat(stringFlag(flags, "format", "text"), ["text", "jsonl", "csv"]);
  const windowNs = parseDurationNs(stringFlag(flags, "window", "5s"), "window");
  const maxPending = intFlag(flags, "max-pending", 262_144);
  if (maxPending < 1) throw new UsageError(`--max-pending must be at least 1, got ${maxPending}`);
  const maxReassemblyMemory = parseSizeBytes(
    stringFlag(flags, "max-reassembly-memory", "64M"),
    "max-reassembly-memory",
  );
  const internal = internalNetworks(flags).texts;
  const watchDir = flags.values.watch as string | undefined;
  const files = flags.positionals;
  if (watchDir === undefined && files.length === 0) {
    throw new UsageError("Missing FILE argument (a capture, - for standard input, or --watch DIR)");
  }
  if (watchDir !== undefined && files.length > 0) {
    throw new UsageError("--watch takes no FILE arguments");
  }
  const pollMs = intFlag(flags, "poll-ms", 250);
  const stableMs = intFlag(flags, "stable-ms", 1000);

  const dbPath = flags.values.db as string | undefined;
  const enricher = dbPath === undefined ? null : new IndicatorEnricher(await openDb(dbPath));
  let outFile: OutputFile | null = null;
  const outPath = flags.values.output as string | undefined;
  if (outPath !== undefined) outFile = openOutputFile(outPath);
  const sink = outFile ? (b: Uint8Array) => outFile!.write(b) : (b: Uint8Array) => {
    writeSync("stdout", b);
  };
  const out = new OutputBuffer(sink);
  if (format === "csv") {
    out.write(
      csvHeader(enricher === null ? PAIR_COLUMNS : [...PAIR_COLUMNS, ...PAIR_INDICATOR_COLUMNS]),
    );
  }

  const threads = threadsOption(inv);
  if (threads > 1) {
    return await (watchDir === undefined ? runParallel : runWatchParallel)({
      threads,
      db: dbPath === undefined ? undefined : await sharedDatabase(dbPath),
      config: {
        mode: mode as CorrelateMode,
        windowNs,
        maxPending,
        maxReassemblyMemory,
        internal,
        format,
        unmatched: flags.values.unmatched === true,
        dpi: flags.values.dpi === true,
      },
      out,
      outFile,
      log: makeLogger(flags),
      quiet: flags.values.quiet === true,
      files,
      watchDir,
      pollMs,
      stableMs,
      once: flags.values.once === true,
    });
  }

  let correlator: Correlator;
  try {
    correlator = new Correlator({
      mode: mode as CorrelateMode,
      windowNs,
      maxPending,
      maxReassemblyMemory,
      internal,
      onMatch: enricher === null
        ? (pair) => out.write(formatPair(pair, format))
        : (pair) => out.write(enricher.formatPair(pair, format)),
      onUnmatched: flags.values.unmatched === true
        ? (packet, reason) =>
          out.write(formatUnmatched(packet, reason, { format, mode: mode as CorrelateMode }))
        : undefined,
    });
  } catch (err) {
    outFile?.abort();
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }

  const quiet = flags.values.quiet === true;
  let classify: ((p: FlowPacket) => string) | undefined;
  if (flags.values.dpi === true) {
    const engine = new DpiEngine();
    classify = (p) => (p.view ? engine.classify(p.view)?.name ?? "" : "");
  }
  const log = makeLogger(flags);
  let finished = false;
  // Ends the run once: pending packets count as unmatched, output is flushed and put in place,
  // statistics go to standard error.
  const finish = (failed = false) => {
    if (finished) return;
    finished = true;
    clearInterval(ticker);
    const stats = correlator.finish();
    // A run that failed leaves OUT as it was and prints no statistics: the error is the news.
    if (failed) return outFile?.abort();
    out.flush();
    outFile?.commit();
    if (stats.evicted > 0) {
      log.warn(
        `pending store full: ${stats.evicted} oldest packets dropped unmatched (raise ` +
          "--max-pending)",
        {
          code: "store-full",
          evicted: stats.evicted,
          maxPending,
        },
      );
    }
    if (!quiet) writeStats(log, { ...stats });
  };
  // Live input (standard input, a growing capture) should not sit in the buffer for long.
  const ticker = setInterval(() => out.flush(), 1000);
  const abort = new AbortController();
  const off = onTerminate((sig) => {
    abort.abort();
    if (watchDir === undefined) {
      // A read may wait on input that never comes (standard input): end here, between packets.
      finish();
      exit(sig === "SIGINT" ? 130 : 143);
    }
  });
  const cutShort = (file: string, s: ReadSummary) => warnIfCutShort(log, file, s);
  try {
    if (watchDir !== undefined) {
      // SIGINT/SIGTERM abort the watch: the current file is finished first.
      const summary = await watchDirectory(watchDir, {
        signal: abort.signal,
        pollMs,
        stableMs,
        once: flags.values.once === true,
        onFile: async (path) => {
          cutShort(path, await correlateFile(path, correlator, { classify }));
          out.flush();
        },
        onError: (path, err) => {
          correlator.stats.errors++;
          log.error(err instanceof Error ? err.message : String(err), {
            file: path,
            renamed: `${path}.failed`,
            error: err,
          });
        },
      });
      log.info("watch ended", {
        processed: summary.processed.length,
        failed: summary.failed.length,
      });
    } else {
      for (const file of files) {
        cutShort(file, await correlateFile(file, correlator, { classify }));
      }
    }
  } catch (err) {
    correlator.stats.errors++;
    if (!isDamagedCapture(err)) {
      finish(true);
      throw err;
    }
    // A damaged capture: what was read before the damage is printed, then the error.
    finish();
    noteDamagedCapture("pcap correlate", err, `${correlator.stats.matched} pairs reported`);
    throw err;
  } finally {
    off();
    finish();
  }
  return 0;
}

/** The workers of a parallel run: mxy's, or with --db those that open the database. */
function workersOf(r: ParallelRun, threads: number) {
  return r.db === undefined
    ? captureWorkers(threads)
    : captureWorkers(threads, { module: MATCH_WORKER });
}

/** What the parallel run needs of the parsed command line. */
interface ParallelRun {
  threads: number;
  /** With --db: the database's bytes, shared with the workers (task `correlate-db`). */
  db?: SharedArrayBuffer;
  config: CorrelateTaskConfig;
  out: OutputBuffer;
  outFile: OutputFile | null;
  log: Logger;
  quiet: boolean;
  files: string[];
  watchDir: string | undefined;
  pollMs: number;
  stableMs: number;
  once: boolean;
}

/**
 * `--threads N` above 1 (without `--watch`): the packets go through N workers (the pipeline of `@mxy/mxy/pcap`),
 * which print exactly what one correlator would. SIGINT/SIGTERM stop the reading; what was read
 * is finished, flushed and put in place.
 */
async function runParallel(r: ParallelRun): Promise<number> {
  const { out, outFile, log, config } = r;
  const mode = config.mode ?? "payload";
  let pipeline: CapturePipeline;
  try {
    pipeline = new CapturePipeline({
      ...workersOf(r, r.threads),
      task: r.db === undefined ? "correlate" : "correlate-db",
      config: r.db === undefined ? config : { ...config, db: r.db },
      shard: mode === "payload" || mode === "seed" ? "payload" : "flow",
      onBytes: (bytes) => out.writeBytes(bytes),
    });
  } catch (err) {
    outFile?.abort();
    throw err;
  }
  let signal: string | null = null;
  const abort = new AbortController();
  const ticker = setInterval(() => out.flush(), 1000);
  let errors = 0;
  let ending: Promise<void> | null = null;
  const end = () => ending ??= endRun();
  const off = onTerminate((sig) => {
    signal = sig;
    abort.abort();
    // A read may wait on input that never comes (standard input): what was read is in the
    // workers' hands already; finish it and end here.
    end().then(
      () => exit(sig === "SIGINT" ? 130 : 143),
      (err) => {
        writeSync("stderr", `mxy: ${err instanceof Error ? err.message : String(err)}\n`);
        exit(1);
      },
    );
  });
  let matched = 0;
  const endRun = async () => {
    const stats = await pipeline.finish();
    stats.errors += errors;
    matched = stats.matched;
    out.flush();
    outFile?.commit();
    if (stats.evicted > 0) {
      log.warn(
        `pending store full: ${stats.evicted} oldest packets dropped unmatched (raise ` +
          "--max-pending)",
        { code: "store-full", evicted: stats.evicted, maxPending: config.maxPending },
      );
    }
    if (!r.quiet) writeStats(log, stats);
  };
  const readFile = async (path: string) => {
    const file = await openCaptureFile(path);
    try {
      const s = await pipeline.run(file.source, {
        name: path,
        shouldStop: () => abort.signal.aborted,
      });
      warnIfCutShort(log, path, s);
    } finally {
      file.close();
    }
    out.flush();
  };
  try {
    for (const file of r.files) {
      if (abort.signal.aborted) break;
      await readFile(file);
    }
    await end();
  } catch (err) {
    if (err instanceof PcapError && err.code === "worker-failed") {
      pipeline.close();
      outFile?.abort();
    } else {
      // A damaged capture: what was read before the damage is printed, as with one thread.
      errors++;
      await end().catch(() => outFile?.abort());
      if (isDamagedCapture(err)) {
        noteDamagedCapture("pcap correlate", err, `${matched} pairs reported`);
      }
    }
    throw err;
  } finally {
    clearInterval(ticker);
    off();
  }
  if (signal !== null) return signal === "SIGINT" ? 130 : 143;
  return 0;
}

/**
 * `--watch` with `--threads N` above 1: up to N arriving files at a time, each correlated in a
 * worker of its own (pending packets do not carry over from file to file, as they do with one
 * thread), each file's records written as one block once it is done, in the order the files
 * were picked up, and each file renamed when done. SIGINT/SIGTERM finish the files under way.
 */
async function runWatchParallel(r: ParallelRun): Promise<number> {
  const { out, outFile, log, config } = r;
  const mode = config.mode ?? "payload";
  const shard = mode === "payload" || mode === "seed" ? "payload" : "flow";
  const abort = new AbortController();
  const off = onTerminate(() => abort.abort());
  const ticker = setInterval(() => out.flush(), 1000);
  const total: Record<string, number> = {
    packets: 0,
    decoded: 0,
    matched: 0,
    unmatched: 0,
    expired: 0,
    evicted: 0,
    errors: 0,
    duplicates: 0,
    pending: 0,
  };
  let fatal: unknown = null;
  // Each file's records go out after those of the files picked up before it.
  let written: Promise<void> = Promise.resolve();
  const readFile = (path: string): Promise<void> => {
    const parts: Uint8Array[] = [];
    const turn = written;
    const work = (async () => {
      const pipeline = new CapturePipeline({
        ...workersOf(r, 1),
        task: r.db === undefined ? "correlate" : "correlate-db",
        config: r.db === undefined ? config : { ...config, db: r.db },
        shard,
        onBytes: (bytes) => void parts.push(bytes.slice()),
      });
      try {
        const file = await openCaptureFile(path);
        try {
          const s = await pipeline.run(file.source, { name: path });
          warnIfCutShort(log, path, s);
        } finally {
          file.close();
        }
        return await pipeline.finish();
      } finally {
        pipeline.close();
      }
    })();
    const done = (async () => {
      let stats: Record<string, number> | null = null, failure: unknown = null;
      try {
        stats = await work;
      } catch (err) {
        failure = err;
      }
      await turn;
      // What was found before a damaged part is written, as with one thread.
      for (const bytes of parts) out.writeBytes(bytes);
      out.flush();
      if (failure !== null) throw failure;
      for (const [k, v] of Object.entries(stats!)) total[k] = (total[k] ?? 0) + v;
    })();
    written = done.catch(() => {});
    return done;
  };
  try {
    const summary = await watchDirectory(r.watchDir!, {
      signal: abort.signal,
      pollMs: r.pollMs,
      stableMs: r.stableMs,
      once: r.once,
      concurrency: r.threads,
      onFile: readFile,
      onError: (path, err) => {
        if (err instanceof PcapError && err.code === "worker-failed") {
          fatal ??= err;
          abort.abort();
          return;
        }
        total.errors++;
        log.error(err instanceof Error ? err.message : String(err), {
          file: path,
          renamed: `${path}.failed`,
          error: err,
        });
      },
    });
    await written;
    if (fatal !== null) throw fatal;
    out.flush();
    outFile?.commit();
    if (total.evicted > 0) {
      log.warn(
        `pending store full: ${total.evicted} oldest packets dropped unmatched (raise ` +
          "--max-pending)",
        { code: "store-full", evicted: total.evicted, maxPending: config.maxPending },
      );
    }
    log.info("watch ended", {
      processed: summary.processed.length,
      failed: summary.failed.length,
    });
    if (!r.quiet) writeStats(log, total);
  } catch (err) {
    outFile?.abort();
    throw err;
  } finally {
    clearInterval(ticker);
    off();
  }
  return 0;
}

/** `mxy pcap correlate`. */
export const command = defineCommand(SPEC);
