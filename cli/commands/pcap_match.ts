/**
 * `mxy pcap match DB CAPTURE…`: every packet of the captures looked up in an IOC database in one
 * pass — addresses, DNS names and answers, TLS SNI, HTTP Host and URL, plugin attributes — with
 * one record per hit; `--watch DIR` matches capture files as they arrive.
 *
 * @module
 */
import {
  type CommandSpec,
  defineCommand,
  type Invocation,
  stringFlag,
  UsageError,
} from "../_command.ts";
import {
  CAPTURE_ATTRIBUTES,
  CAPTURE_HIT_COLUMNS,
  type CaptureHit,
  type CaptureHitFormat,
  CaptureMatcher,
  type CaptureMatchStats,
  formatCaptureHit,
  matchCapture,
  matchStatsFromRecord,
  type MatchTaskConfig,
} from "../../lib/match/mod.ts";
import {
  CapturePipeline,
  type CaptureSource,
  csvHeader,
  type PacketSelector,
  type PacketView,
  PcapError,
  type ReadSummary,
} from "../../lib/pcap/mod.ts";
import { DpiError } from "../../lib/dpi/mod.ts";
import type { Database } from "../../lib/db/mod.ts";
import {
  captureWorkers,
  onTerminate,
  openCaptureFile,
  openOutputFile,
  type OutputFile,
  watchDirectory,
} from "../../lib/runtime/mod.ts";
import { exit, now, writeSync } from "../_io.ts";
import {
  CAPTURE_MODE_OPTION,
  captureMode,
  isDamagedCapture,
  LOG_OPTIONS,
  makeLogger,
  noteDamagedCapture,
  parseDurationNs,
  THREADS_OPTION,
  threadsOption,
  warnIfCutShort,
  WATCH_TIMING_OPTIONS,
} from "./_pcap_common.ts";
import { OutputBuffer, writeStats } from "./_pcap_output.ts";
import {
  MATCH_WORKER,
  openDb,
  packetSelector,
  pluginRegistry,
  sharedCheckedDatabase,
} from "./_pcap_db.ts";
import { REDIS_WORKER_OPTIONS } from "./_redis_options.ts";

const SPEC: CommandSpec = {
  name: "pcap match",
  summary: "Look up every packet's addresses, DNS names, SNI, HTTP Host and URL in a database",
  arguments: [
    { name: "DB", description: "A .mxy file or any MaxMind DB" },
    {
      name: "CAPTURE",
      required: false,
      variadic: true,
      description: "A .pcap or .pcapng file, .gz compressed, or - for standard input (none " +
        "with --watch)",
    },
  ],
  description: [
    "Looks up every packet of the captures in the database DB, decoding each packet once, and " +
    "prints one record per hit: the frame number, the capture time (SECONDS.NANOSECONDS and " +
    "integer ns), the 5-tuple, the attribute that matched, its value, how it matched (network, " +
    "literal, glob or parent-domain), the entry and its data.",
    'Names are looked up in lower case as "mxy match" looks up domains: a literal entry, else ' +
    "the most specific glob, else (with --parent-domains) the nearest parent domain. A " +
    "ClientHello, request head or DNS message split over TCP segments is read on the packet " +
    "that completes it; a retransmitted one is not read twice.",
  ],
  options: [
    {
      name: "format",
      type: "enum",
      choices: ["jsonl", "csv", "text"],
      default: "jsonl",
      description: "Output format (csv with a header line)",
    },
    {
      name: "first-per-flow",
      type: "boolean",
      description: "Report each indicator once per session (bidirectional 5-tuple), when the " +
        'session ends, with its uid (as "pcap flows" prints it), the session\'s packets and IP ' +
        "bytes, the packets that carried it and the last one",
    },
    {
      name: "idle",
      type: "string",
      value: "DURATION",
      defaultText: "300s",
      complete: "none",
      description: "With --first-per-flow: a session ends after this much capture time " +
        "without packets",
    },
    {
      name: "attributes",
      type: "string",
      value: "LIST",
      repeatable: true,
      complete: "none",
      description: "The attributes to look up, comma-separated (default: all, listed under " +
        'Attributes below); a leading "-" switches one off (--attributes=-http.url)',
    },
    {
      name: "match-attr",
      type: "string",
      value: "NAME",
      repeatable: true,
      complete: "none",
      description: "Also look up a protocol plugin's attribute (e.g. http.user_agent, or an " +
        "attribute of a --plugin)",
    },
    {
      name: "plugin",
      type: "string",
      value: "MODULE",
      repeatable: true,
      description: "A JavaScript/TypeScript module whose default export is a protocol plugin " +
        "(or an array of them) to register",
    },
    {
      name: "parent-domains",
      type: "boolean",
      description: 'A literal "evil.com" also matches "a.b.evil.com" (the default when the ' +
        "database was built with --parent-domains)",
    },
    { name: "no-parent-domains", type: "boolean", description: "Only the names themselves" },
    {
      name: "filter",
      type: "string",
      value: "EXPR",
      description: "Look only at the packets a pcap-filter expression selects ('udp port 53 or " +
        "tcp port 443'), compiled by mxy for each link type and run on each packet before it " +
        'is decoded; or the path of a classic program ("tcpdump -ddd" output) or of an eBPF ' +
        "object",
    },
    {
      name: "bpf",
      type: "string",
      value: "FILE",
      description: 'Look only at the packets an eBPF program selects: an object from "clang ' +
        '-O2 -target bpf -c" (or assembler text or bytecode), verified before any packet is ' +
        "read and run on each packet (R1 = its bytes, R2 = its length, at most 65535 bytes); a " +
        "non-zero R0 selects it",
    },
    {
      name: "program",
      type: "string",
      value: "NAME",
      complete: "none",
      description: "With --bpf: the program of an object that has several",
    },
    {
      name: "jit",
      type: "boolean",
      description: "With --bpf: run the program in the eBPF JIT (the default)",
    },
    {
      name: "interpreter",
      type: "boolean",
      description: "With --bpf: run the program in the eBPF interpreter instead of the JIT",
    },
    {
      name: "stats",
      type: "boolean",
      description: "Print packets, packets looked at, lookups and hits per attribute, cache " +
        "hits and packets/s on standard error",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "FILE",
      description: "Write to FILE (put in place when done) instead of standard output",
    },
    CAPTURE_MODE_OPTION,
    {
      name: "watch",
      type: "string",
      value: "DIR",
      complete: "directory",
      description: "Match the .pcap/.pcapng files in DIR, oldest first, and those that arrive, " +
        "each once it stopped growing; rename each to NAME.processed (NAME.failed when it " +
        "cannot be read). SIGINT/SIGTERM finish the current file, flush, print the statistics " +
        "and exit 0",
    },
    ...WATCH_TIMING_OPTIONS,
    {
      ...THREADS_OPTION,
      description: `${THREADS_OPTION.description}; packets are shared by flow, so split and ` +
        "retransmitted messages and --first-per-flow sessions (uids included) are those of one " +
        "thread while capture time does not go back by more than --idle; each worker holds the " +
        "database's bytes shared, not a copy. Not with --plugin " +
        "or --from-redis",
    },
    ...LOG_OPTIONS,
    ...REDIS_WORKER_OPTIONS,
    {
      name: "to-redis",
      type: "string",
      value: "URL",
      complete: "none",
      standalone: true,
      description: "Announce the CAPTUREs (their absolute paths) on the stream at URL",
    },
    {
      name: "batch",
      type: "string",
      value: "N",
      complete: "none",
      description: "Captures read at a time (default 1)",
    },
    {
      name: "max-backlog",
      type: "string",
      value: "N",
      complete: "none",
      description:
        "The producer waits while the stream holds N captures not yet done (default 4096)",
    },
  ],
  sections: [{
    title: "Redis Streams (docs/MATCH.md, docs/SCALING.md)",
    text: [
      "mxy pcap match DB --from-redis URL --stream NAME --group NAME: a worker of a consumer " +
      "group. It matches the capture each entry names (field path, on storage every worker " +
      'reads), writes one JSON record per hit with the entry id ("id"), the hit\'s number in the ' +
      'entry ("hit"), the database version ("db") and the file ("file"), and acknowledges the ' +
      "entry after. The other options are as for mxy match.",
      "mxy pcap match --to-redis URL --stream NAME CAPTURE...: announces the CAPTUREs.",
    ],
  }, {
    title: "Attributes",
    rows: [
      ["ip.src, ip.dst", "The packet's addresses, in the networks of the search tree"],
      ["dns.qname", "Each question's name (queries and responses)"],
      [
        "dns.answer_name",
        "Names of answer records other than the question's (owners, CNAME targets)",
      ],
      ["dns.answer_ip", "A and AAAA answers"],
      ["tls.sni", "The server name of a ClientHello"],
      ["http.host", "A request's Host header, without its port"],
      ["http.url", "http:// + Host + the request target (scheme and host in lower case)"],
    ],
  }, {
    title: "Exit status",
    rows: [
      ["0", "Anything matched (always 0 with --watch)"],
      ["1", "Nothing did, or a failure"],
      ["2", "Usage error"],
    ],
  }],
  examples: [
    "mxy pcap match iocs.mxy capture.pcapng",
    "mxy pcap match iocs.mxy --filter 'udp port 53 or tcp port 443' --format text big.pcap.gz",
    "mxy pcap match iocs.mxy --bpf only_dns.o --first-per-flow capture.pcap",
    "mxy pcap match iocs.mxy --watch /var/spool/captures --stats",
  ],
  run,
};

/** Reads `--attributes` values (with `-name` switching one off) into the built-ins to use. */
function parseAttributes(values: string[]): string[] {
  const words = values.flatMap((v) => v.split(",")).map((w) => w.trim()).filter((w) => w);
  const on: string[] = [], off: string[] = [];
  for (const w of words) {
    const name = w.replace(/^-/, "");
    if (name !== "all" && name !== "none" && !CAPTURE_ATTRIBUTES.includes(name)) {
      throw new UsageError(
        `--attributes: unknown attribute "${name}" (attributes: ${
          CAPTURE_ATTRIBUTES.join(", ")
        }, all, none; plugin attributes go with --match-attr)`,
      );
    }
    (w.startsWith("-") ? off : on).push(name);
  }
  const base = on.length === 0 || on.includes("all")
    ? [...CAPTURE_ATTRIBUTES]
    : on.filter((a) => a !== "none");
  return base.filter((a) => !off.includes(a) && !(off.includes("all")));
}

function intOption(flags: { values: Record<string, unknown> }, name: string, fallback: number) {
  const v = flags.values[name];
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !/^\d+$/.test(v)) {
    throw new UsageError(`--${name} takes a whole number, got "${String(v)}"`);
  }
  return Number(v);
}

/** Final statistics as `name: value` lines (per attribute flattened to `lookups.ip.src`). */
function statsRecord(s: CaptureMatchStats, seconds: number): Record<string, number> {
  const out: Record<string, number> = {
    packets: s.packets,
    selected: s.selected,
    hits: s.hits,
  };
  for (const [k, v] of Object.entries(s.lookups)) out[`lookups.${k}`] = v;
  for (const [k, v] of Object.entries(s.hitsByAttribute)) out[`hits.${k}`] = v;
  out.cached = s.cached;
  out.malformed = s.malformed;
  out.incomplete = s.incomplete;
  out.retransmitted = s.retransmitted;
  if (s.selectFaults > 0) out.select_faults = s.selectFaults;
  out.seconds = Math.round(seconds * 1000) / 1000;
  out.packets_per_second = seconds > 0 ? Math.round(s.packets / seconds) : 0;
  return out;
}

async function run(inv: Invocation): Promise<number> {
  const flags = inv.legacyFlags();
  const given = (name: string) => inv.has(name);
  const toRedis = flags.values["to-redis"] as string | undefined;
  if (toRedis !== undefined) {
    // the producer: CAPTUREs only, no database
    const { announceCaptures } = await import("./_pcap_match_redis.ts");
    return await announceCaptures(flags, toRedis, given);
  }
  const fromRedis = flags.values["from-redis"] as string | undefined;
  const format = stringFlag(flags, "format", "jsonl");
  if (format !== "jsonl" && format !== "csv" && format !== "text") {
    throw new UsageError(`--format takes jsonl, csv or text, got "${format}"`);
  }
  const [dbPath, ...files] = flags.positionals;
  if (dbPath === undefined) throw new UsageError("Missing DB argument");
  const watchDir = flags.values.watch as string | undefined;
  if (watchDir === undefined && files.length === 0 && fromRedis === undefined) {
    throw new UsageError(
      "Missing CAPTURE argument (a capture, - for standard input, or --watch DIR)",
    );
  }
  if (watchDir !== undefined && files.length > 0) {
    throw new UsageError("--watch takes no CAPTURE arguments");
  }
  if (flags.values.jit === true && flags.values.interpreter === true) {
    throw new UsageError("--jit and --interpreter do not go together");
  }
  if (flags.values["parent-domains"] === true && flags.values["no-parent-domains"] === true) {
    throw new UsageError("--parent-domains and --no-parent-domains do not go together");
  }
  const parentDomains = flags.values["parent-domains"] === true
    ? true
    : flags.values["no-parent-domains"] === true
    ? false
    : undefined;
  const attributes = parseAttributes((flags.values.attributes as string[] | undefined) ?? []);
  const pluginAttributes = (flags.values["match-attr"] as string[] | undefined) ?? [];
  if (attributes.length === 0 && pluginAttributes.length === 0) {
    throw new UsageError("--attributes leaves nothing to look up");
  }
  const firstPerFlow = flags.values["first-per-flow"] === true;
  const idleNs = parseDurationNs(stringFlag(flags, "idle", "300s"), "idle");
  if (flags.values.idle !== undefined && !firstPerFlow) {
    throw new UsageError("--idle goes with --first-per-flow");
  }
  const mode = captureMode(flags);
  const pollMs = intOption(flags, "poll-ms", 250);
  const stableMs = intOption(flags, "stable-ms", 1000);
  const log = makeLogger(flags);
  const threads = threadsOption(inv);
  if (threads > 1 && flags.values.plugin !== undefined) {
    throw new UsageError(
      "--plugin goes with --threads 1 (plugins are loaded on the main thread only)",
    );
  }
  if (threads > 1 && fromRedis !== undefined) {
    throw new UsageError("--threads goes without --from-redis (run more workers instead)");
  }

  // Everything that can be refused is checked before any packet is read: the database, the
  // plugins and their attributes, the filter or the BPF program (the verifier's verdict).
  const db = await openDb(dbPath);
  const registry = await pluginRegistry((flags.values.plugin as string[] | undefined) ?? []);
  const select = await packetSelector(
    flags.values.filter as string | undefined,
    flags.values.bpf as string | undefined,
    {
      program: flags.values.program as string | undefined,
      jit: flags.values.interpreter !== true,
      engineFlag: flags.values.jit === true || flags.values.interpreter === true,
    },
  );

  // The matcher the options ask for, over a database version, reporting to onHit.
  const make = (version: Database, onHit: (hit: CaptureHit) => void) =>
    new CaptureMatcher(version, {
      attributes,
      pluginAttributes,
      registry,
      parentDomains,
      select,
      firstPerFlow,
      idleTimeoutNs: idleNs,
      onHit,
    });

  if (fromRedis !== undefined) {
    // a worker of a consumer group: a matcher per capture announced on the stream
    const { matchCapturesFromStream } = await import("./_pcap_match_redis.ts");
    try {
      make(db, () => {});
    } catch (err) {
      if (err instanceof DpiError && err.code === "unknown-attribute") {
        throw new UsageError(`--match-attr: ${err.message}`);
      }
      throw err;
    }
    return await matchCapturesFromStream(flags, fromRedis, { given, makeMatcher: make });
  }

  let outFile: OutputFile | null = null;
  const outPath = flags.values.output as string | undefined;
  if (outPath !== undefined) outFile = openOutputFile(outPath);
  const out = new OutputBuffer(
    outFile ? (b) => outFile!.write(b) : (b) => writeSync("stdout", b),
  );
  if (format === "csv") out.write(csvHeader(CAPTURE_HIT_COLUMNS));
  const hitFormat = format as CaptureHitFormat;
  let engine: MatchEngine;
  try {
    // A plugin attribute no plugin provides is refused here, not in a worker.
    if (threads > 1 && pluginAttributes.length > 0) new CaptureMatcher(db, { pluginAttributes });
    engine = threads > 1
      ? await parallelEngine(
        threads,
        dbPath,
        {
          db: new SharedArrayBuffer(0),
          attributes,
          pluginAttributes,
          parentDomains,
          firstPerFlow,
          idleTimeoutNs: idleNs,
          format: hitFormat,
        },
        select,
        out,
      )
      : singleEngine(make(db, (hit) => out.write(formatCaptureHit(hit, hitFormat))));
  } catch (err) {
    outFile?.abort();
    if (err instanceof DpiError && err.code === "unknown-attribute") {
      throw new UsageError(`--match-attr: ${err.message}`);
    }
    throw err;
  }

  const started = now();
  let finishing: Promise<void> | null = null;
  let stats: CaptureMatchStats | null = null;
  // Ends the run once: sessions still open are reported, output is flushed and put in place,
  // statistics go to standard error.
  // On a damaged capture too: what was read is kept, and the error follows.
  const finish = () =>
    finishing ??= (async () => {
      clearInterval(ticker);
      stats = await engine.finish();
      out.flush();
      outFile?.commit();
      if (flags.values.stats === true) {
        writeStats(log, statsRecord(stats, (now() - started) / 1000));
      }
    })();
  // Live input (standard input, a capture being read) should not sit in the buffer for long.
  const ticker = setInterval(() => out.flush(), 1000);
  const abort = new AbortController();
  const off = onTerminate((sig) => {
    abort.abort();
    if (watchDir === undefined) {
      // A read may wait on input that never comes (standard input): end here, between packets.
      finish().then(() => exit(sig === "SIGINT" ? 130 : 143), (err) => {
        writeSync("stderr", `mxy: ${err instanceof Error ? err.message : String(err)}\n`);
        exit(1);
      });
    }
  });
  const cutShort = (file: string, s: ReadSummary) => warnIfCutShort(log, file, s);
  const matchFile = async (path: string) => {
    const file = await openCaptureFile(path, { mode: watchDir === undefined ? mode : "stream" });
    try {
      cutShort(path, await engine.run(file.source, path, abort.signal));
    } finally {
      file.close();
    }
    out.flush();
  };
  let failed: unknown = null;
  try {
    if (watchDir !== undefined) {
      // SIGINT/SIGTERM abort the watch: the current file is finished first.
      const summary = await watchDirectory(watchDir, {
        signal: abort.signal,
        pollMs,
        stableMs,
        once: flags.values.once === true,
        onFile: matchFile,
        onError: (path, err) => {
          if (err instanceof PcapError && err.code === "worker-failed") {
            failed ??= err;
            abort.abort();
            return;
          }
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
      for (const file of files) await matchFile(file);
    }
  } catch (err) {
    failed = err;
  } finally {
    off();
  }
  if (failed instanceof PcapError && failed.code === "worker-failed") {
    // A worker died: nothing more can be finished; what was written stays unpublished.
    clearInterval(ticker);
    engine.close();
    outFile?.abort();
    throw failed;
  }
  await finish();
  if (failed !== null) {
    // The hits of what was read were written above; say how far the reading got, then the
    // error (with the byte offset) follows.
    if (isDamagedCapture(failed)) {
      const s = stats as CaptureMatchStats | null;
      noteDamagedCapture("pcap match", failed, `${s?.hits ?? 0} hits reported`);
    }
    throw failed;
  }
  if (watchDir !== undefined) return 0;
  return (stats as CaptureMatchStats | null)!.hits > 0 ? 0 : 1;
}

/** How the captures are matched: on this thread, or through the workers of a pipeline. */
interface MatchEngine {
  run(source: CaptureSource, name: string, signal: AbortSignal): Promise<ReadSummary>;
  finish(): Promise<CaptureMatchStats>;
  close(): void;
}

function singleEngine(matcher: CaptureMatcher): MatchEngine {
  return {
    run: (source, name, signal) => matchCapture(source, matcher, { read: { name }, signal }),
    finish: () => Promise.resolve(matcher.finish()),
    close: () => {},
  };
}

/**
 * `--threads N` above 1: the packets go through N workers by flow, each matching with its own
 * `CaptureMatcher` over the database's bytes shared with them; the selector runs here, once per
 * packet, and the records come out in the order of one thread.
 */
async function parallelEngine(
  threads: number,
  dbPath: string,
  config: MatchTaskConfig,
  select: PacketSelector | undefined,
  out: OutputBuffer,
): Promise<MatchEngine> {
  const shared = await sharedCheckedDatabase(dbPath);
  const pipeline = new CapturePipeline({
    ...captureWorkers(threads, { module: MATCH_WORKER }),
    task: "match",
    config: { ...config, ...shared },
    shard: "flow",
    onBytes: (bytes) => out.writeBytes(bytes),
  });
  let unselected = 0;
  const selectHere = select === undefined ? undefined : (v: PacketView) => {
    if (select.select(v)) return true;
    unselected++;
    return false;
  };
  return {
    run: (source, name, signal) =>
      pipeline.run(source, { name, select: selectHere, shouldStop: () => signal.aborted }),
    finish: async () => {
      const s = matchStatsFromRecord(await pipeline.finish());
      s.packets += unselected;
      s.selectFaults = select?.faults ?? 0;
      return s;
    },
    close: () => pipeline.close(),
  };
}

/** `mxy pcap match`. */
export const command = defineCommand(SPEC);
