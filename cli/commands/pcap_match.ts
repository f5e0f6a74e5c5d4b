/**
 * `mxy pcap match DB CAPTURE…`: every packet of the captures looked up in an IOC database in one
 * pass — addresses, DNS names and answers, TLS SNI, HTTP Host and URL, plugin attributes — with
 * one record per hit; `--watch DIR` matches capture files as they arrive.
 *
 * @module
 */
import { type Command, parseFlags, stringFlag, UsageError } from "../_command.ts";
import {
  CAPTURE_ATTRIBUTES,
  CAPTURE_HIT_COLUMNS,
  type CaptureHitFormat,
  CaptureMatcher,
  type CaptureMatchStats,
  formatCaptureHit,
  matchCapture,
} from "../../lib/match/mod.ts";
import { csvHeader, PcapError, type ReadSummary } from "../../lib/pcap/mod.ts";
import { DpiError } from "../../lib/dpi/mod.ts";
import {
  onTerminate,
  openCaptureFile,
  openOutputFile,
  type OutputFile,
  watchDirectory,
} from "../../lib/runtime/mod.ts";
import { exit, now, writeSync } from "../_io.ts";
import { captureMode, makeLogger, parseDurationNs } from "./_pcap_common.ts";
import { OutputBuffer, writeStats } from "./_pcap_output.ts";
import { openDb, packetSelector, pluginRegistry } from "./_pcap_db.ts";

const HELP = `Usage: mxy pcap match DB CAPTURE... [options]
       mxy pcap match DB --watch DIR [options]

Looks up every packet of the captures in the database DB, decoding each packet once, and prints
one record per hit: the frame number, the capture time (SECONDS.NANOSECONDS and integer ns), the
5-tuple, the attribute that matched, its value, how it matched (network, literal, glob or
parent-domain), the entry and its data. CAPTURE may be a .pcap or .pcapng file, .gz
compressed, or - for standard input.

Attributes looked up (see --attributes):
  ip.src, ip.dst      the packet's addresses, in the networks of the search tree (longest prefix)
  dns.qname           each question's name (queries and responses)
  dns.answer_name     names of answer records other than the question's (owners, CNAME targets)
  dns.answer_ip       A and AAAA answers
  tls.sni             the server name of a ClientHello
  http.host           a request's Host header, without its port
  http.url            http:// + Host + the request target (scheme and host in lower case)
Names are looked up in lower case as "mxy match" looks up domains: a literal entry, else the most
specific glob, else (with --parent-domains) the nearest parent domain. A ClientHello, request
head or DNS message split over TCP segments is read on the packet that completes it; a
retransmitted one is not read twice.

Exit status: 0 when anything matched (always 0 with --watch), 1 when nothing did or on a failure,
2 on a usage error.

Options:
  --format FORMAT      jsonl (default), csv (with a header line) or text
  --first-per-flow     report each indicator once per session (bidirectional 5-tuple), when the
                       session ends, with its uid (as "pcap flows" prints it), the session's
                       packets and IP bytes, the packets that carried it and the last one
  --idle DURATION      (first-per-flow) a session ends after this much capture time without
                       packets (default 300s)
  --attributes LIST    the attributes to look up, comma-separated (default: all of the above);
                       a leading "-" switches one off (--attributes=-http.url)
  --match-attr NAME    also look up a protocol plugin's attribute (e.g. http.user_agent, or an
                       attribute of a --plugin); repeatable
  --plugin MODULE      a JavaScript/TypeScript module whose default export is a protocol plugin
                       (or an array of them) to register; repeatable
  --parent-domains     a literal "evil.com" also matches "a.b.evil.com" (the default when the
                       database was built with --parent-domains)
  --no-parent-domains  only the names themselves
  --filter EXPR        look only at the packets a pcap-filter expression selects ('udp port 53
                       or tcp port 443'), compiled by mxy for each link type and run on each
                       packet before it is decoded; or the path of a classic program
                       ("tcpdump -ddd" output) or of an eBPF object
  --bpf FILE           look only at the packets an eBPF program selects: an object from
                       "clang -O2 -target bpf -c" (or assembler text or bytecode), verified
                       before any packet is read and run on each packet (R1 = its bytes,
                       R2 = its length, at most 65535 bytes); a non-zero R0 selects it
  --program NAME       (bpf) the program of an object that has several
  --jit                (bpf) run the program in the eBPF JIT
  --stats              print packets, packets looked at, lookups and hits per attribute,
                       cache hits and packets/s on standard error
  -o, --output FILE    write to FILE (put in place when done) instead of standard output
  --mode MODE          how to read capture files: stream (default), read or mmap
  --watch DIR          match the .pcap/.pcapng files in DIR, oldest first, and those that
                       arrive, each once it stopped growing; rename each to NAME.processed
                       (NAME.failed when it cannot be read). SIGINT/SIGTERM finish the current
                       file, flush, print the statistics and exit 0
  --poll-ms N          (watch) how often to look at DIR (default 250)
  --stable-ms N        (watch) how long a file must stay unchanged before it is read (default 1000)
  --once               (watch) exit once no file is waiting instead of watching for more
  --log-level LEVEL    debug, info, warn (default), error or silent, for messages on stderr
  --log-format FORMAT  text (default) or json
  -h, --help           show this help

Examples:
  mxy pcap match iocs.mxy capture.pcapng
  mxy pcap match iocs.mxy --filter 'udp port 53 or tcp port 443' --format text big.pcap.gz
  mxy pcap match iocs.mxy --bpf only_dns.o --first-per-flow capture.pcap
  mxy pcap match iocs.mxy --watch /var/spool/captures --stats`;

const SPEC = {
  format: { type: "string" },
  "first-per-flow": { type: "boolean" },
  idle: { type: "string" },
  attributes: { type: "string", multiple: true },
  "match-attr": { type: "string", multiple: true },
  plugin: { type: "string", multiple: true },
  "parent-domains": { type: "boolean" },
  "no-parent-domains": { type: "boolean" },
  filter: { type: "string" },
  bpf: { type: "string" },
  program: { type: "string" },
  jit: { type: "boolean" },
  stats: { type: "boolean" },
  output: { type: "string", short: "o" },
  mode: { type: "string" },
  watch: { type: "string" },
  "poll-ms": { type: "string" },
  "stable-ms": { type: "string" },
  once: { type: "boolean" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
} as const;

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

async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { spec: SPEC, help: HELP });
  const format = stringFlag(flags, "format", "jsonl");
  if (format !== "jsonl" && format !== "csv" && format !== "text") {
    throw new UsageError(`--format takes jsonl, csv or text, got "${format}"`);
  }
  const [dbPath, ...files] = flags.positionals;
  if (dbPath === undefined) throw new UsageError("mxy pcap match needs a database DB");
  const watchDir = flags.values.watch as string | undefined;
  if (watchDir === undefined && files.length === 0) {
    throw new UsageError(
      "mxy pcap match needs a CAPTURE (or - for standard input), or --watch DIR",
    );
  }
  if (watchDir !== undefined && files.length > 0) {
    throw new UsageError("--watch takes no CAPTURE arguments");
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

  // Everything that can be refused is checked before any packet is read: the database, the
  // plugins and their attributes, the filter or the BPF program (the verifier's verdict).
  const db = await openDb(dbPath);
  const registry = await pluginRegistry((flags.values.plugin as string[] | undefined) ?? []);
  const select = await packetSelector(
    flags.values.filter as string | undefined,
    flags.values.bpf as string | undefined,
    { program: flags.values.program as string | undefined, jit: flags.values.jit === true },
  );

  let outFile: OutputFile | null = null;
  const outPath = flags.values.output as string | undefined;
  if (outPath !== undefined) outFile = openOutputFile(outPath);
  const out = new OutputBuffer(
    outFile ? (b) => outFile!.write(b) : (b) => writeSync("stdout", b),
  );
  if (format === "csv") out.write(csvHeader(CAPTURE_HIT_COLUMNS));
  const hitFormat = format as CaptureHitFormat;
  let matcher: CaptureMatcher;
  try {
    matcher = new CaptureMatcher(db, {
      attributes,
      pluginAttributes,
      registry,
      parentDomains,
      select,
      firstPerFlow,
      idleTimeoutNs: idleNs,
      onHit: (hit) => out.write(formatCaptureHit(hit, hitFormat)),
    });
  } catch (err) {
    outFile?.abort();
    if (err instanceof DpiError && err.code === "unknown-attribute") {
      throw new UsageError(`--match-attr: ${err.message}`);
    }
    throw err;
  }

  const started = now();
  let finished = false;
  let stats: CaptureMatchStats | null = null;
  // Ends the run once: sessions still open are reported, output is flushed and put in place,
  // statistics go to standard error.
  // On a damaged capture too: what was read is kept, and the error follows.
  const finish = () => {
    if (finished) return;
    finished = true;
    clearInterval(ticker);
    stats = matcher.finish();
    out.flush();
    outFile?.commit();
    if (flags.values.stats === true) writeStats(log, statsRecord(stats, (now() - started) / 1000));
  };
  // Live input (standard input, a capture being read) should not sit in the buffer for long.
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
  const matchFile = async (path: string) => {
    const file = await openCaptureFile(path, { mode: watchDir === undefined ? mode : "stream" });
    try {
      cutShort(path, await matchCapture(file.source, matcher, { read: { name: path } }));
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
    finish();
  }
  if (failed !== null) {
    // The hits of what was read were written above; say how far the reading got, then the
    // error (with the byte offset) follows.
    if (failed instanceof PcapError && failed.packets !== undefined) {
      const s = stats as CaptureMatchStats | null;
      writeSync(
        "stderr",
        `mxy pcap match: ${failed.file ?? "capture"}: read ${failed.packets} packets ` +
          `(${s?.hits ?? 0} hits reported) before the error\n`,
      );
    }
    throw failed;
  }
  if (watchDir !== undefined) return 0;
  return (stats as CaptureMatchStats | null)!.hits > 0 ? 0 : 1;
}

/** `mxy pcap match`. */
export const command: Command = {
  name: "match",
  summary: "Look up every packet's addresses, DNS names, SNI, HTTP Host and URL in a database",
  help: HELP,
  run,
};
