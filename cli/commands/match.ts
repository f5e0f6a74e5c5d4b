/**
 * `mxy match DB FILE…`: scans logs for the indicators of a database and prints every hit.
 *
 * @module
 */
import process from "node:process";
import { type CommandSpec, defineCommand, type Invocation, UsageError } from "../_command.ts";
import { Database, FormatError } from "../../lib/db/mod.ts";
import {
  ALL_SPAN_KINDS,
  SpanKind,
  spanKindFromName,
  spanKindName,
} from "../../lib/match/span_kind.ts";
import { Matcher, type MatcherOptions } from "../../lib/match/matcher.ts";
import { sharePublicSuffixTable } from "../../lib/match/_psl.ts";
import { onTerminate } from "../../lib/runtime/process.ts";
import { isTerminal, now, statFile, stdinStream, writeSync } from "../_io.ts";
import {
  type HitSink,
  type MatchFormat,
  RangeScanner,
  type RecordSink,
  type ScanConfig,
  type ScanResult,
} from "./_match_scan.ts";
import { csvHeader, type FieldSelection, zeekFields } from "./_match_fields.ts";
import { planRanges, Pool, startWorkers } from "./_match_pool.ts";
import { followFile } from "./_match_follow.ts";
import { RecordWriter, utf8 } from "./_match_output.ts";
import { REDIS_WORKER_OPTIONS } from "./_redis_options.ts";

const SPEC: CommandSpec = {
  name: "match",
  summary: "Scan logs for the indicators of a database",
  arguments: [
    { name: "DB", description: "A .mxy file or any MaxMind DB" },
    {
      name: "FILE",
      required: false,
      variadic: true,
      description: 'A log; "-" is standard input, .gz is read directly (default: standard input)',
    },
  ],
  description: [
    "Scans text (logs) for indicators and looks each one up in the database DB: IPv4 and IPv6 " +
    "addresses (in the networks of the search tree), domain names (checked against the Public " +
    "Suffix List, plus the top-level labels of DB's own entries that the list lacks, such as " +
    ".example or .internal), URLs and their hosts, e-mail addresses and their domains, " +
    "MD5/SHA-1/SHA-256/SHA-512 hashes, Bitcoin and Ethereum addresses (against the literal and " +
    'glob entries of a .mxy file). Tokens are matched whole: "mail.com" in the database does not ' +
    'match "gmail.com". Prints one record per hit: file, line, byte offset in the file, the ' +
    "text, its kind, how it matched (network, literal, glob or parent-domain), the entry and " +
    "its data.",
    "With --recursive, a FILE may be a directory. Text that is not UTF-8 is scanned as bytes.",
  ],
  options: [
    {
      name: "format",
      type: "enum",
      choices: ["jsonl", "csv", "text"],
      default: "jsonl",
      description: 'Output format (text: "FILE:LINE:OFFSET: TEXT KIND MATCH ENTRY")',
    },
    {
      name: "count",
      short: "c",
      type: "boolean",
      description: "Print the number of matching lines per file instead of the hits",
    },
    {
      name: "files-with-matches",
      short: "l",
      type: "boolean",
      description: "Print the names of the files with a hit",
    },
    {
      name: "only-matching",
      short: "o",
      type: "boolean",
      description: "Print only the matched text of each hit",
    },
    {
      name: "extract",
      type: "string",
      value: "KINDS",
      repeatable: true,
      complete: "none",
      description: "Kinds to extract, comma-separated: ipv4, ipv6, domain, url, email, md5, " +
        "sha1, sha256, sha512, bitcoin, ethereum, or the groups ip, hash, crypto, all; a leading " +
        '"-" switches one off (--extract=-url,-email)',
    },
    {
      name: "parent-domains",
      type: "boolean",
      description: 'A literal "evil.com" also matches "a.b.evil.com" (the default when the ' +
        "database was built with --parent-domains)",
    },
    {
      name: "recursive",
      short: "r",
      type: "boolean",
      description: "Scan the files under each directory given",
    },
    {
      name: "json-field",
      type: "string",
      value: "PATH",
      repeatable: true,
      complete: "none",
      description: "JSON Lines: only hits inside this field (dot path, e.g. http.host)",
    },
    {
      name: "csv-column",
      type: "string",
      value: "NAME",
      repeatable: true,
      complete: "none",
      description: "CSV, or Zeek TSV logs: only hits inside this column",
    },
    {
      name: "follow",
      short: "f",
      type: "boolean",
      description: "Keep reading the (single) file as it grows, as tail -F does, through " +
        "rotation; stop with Ctrl-C",
    },
    {
      name: "stats",
      type: "boolean",
      description: "Print lines, bytes, hits, candidates per kind and MB/s to standard error",
    },
    {
      name: "threads",
      type: "int",
      min: 1,
      max: 256,
      complete: "none",
      defaultText: "the number of CPUs for 32 MiB of regular files or more, else 1",
      description: "Worker threads; large files are split into line-aligned ranges; the " +
        "output does not depend on N",
    },
    {
      name: "buffer-size",
      type: "size",
      value: "SIZE",
      min: 65536,
      max: 1073741824,
      default: 1048576,
      description: "Bytes scanned at a time per thread; longer lines are scanned in windows",
    },
    {
      name: "no-progress",
      type: "boolean",
      description: "No progress bar (it shows only on a terminal, for long scans)",
    },
    ...REDIS_WORKER_OPTIONS,
    {
      name: "to-redis",
      type: "string",
      value: "URL",
      complete: "none",
      standalone: true,
      description: "Be the producer: add the FILEs to the stream at URL, split by --split",
    },
    {
      name: "batch",
      type: "string",
      value: "N",
      complete: "none",
      description:
        "The most entries read at a time (default 1024; fewer so that a batch holds about " +
        "8 MiB of text)",
    },
    {
      name: "split",
      type: "string",
      value: "MODE",
      complete: "none",
      description: "How to split: chunks (default: line-aligned chunks of --chunk-size bytes), " +
        "lines (an entry per line) or ranges (path and byte range of each chunk of a file every " +
        "worker can read)",
    },
    {
      name: "chunk-size",
      type: "string",
      value: "BYTES",
      complete: "none",
      description:
        "Chunk size (default 1048576; 16777216 with --split ranges); with chunks, the whole lines " +
        "held go out when the input pauses for 200 ms",
    },
    {
      name: "max-backlog",
      type: "string",
      value: "N",
      complete: "none",
      description:
        "The producer waits while the stream holds N entries not yet done by every group " +
        "(default: 64 MiB of chunks, 65536 lines or 4096 ranges; 0: no limit)",
    },
    {
      name: "publish-db",
      type: "string",
      value: "DB",
      complete: "none",
      description:
        "With --to-redis and --db-key: publish DB (its path and SHA-256) as the version " +
        "workers use",
    },
  ],
  sections: [{
    title: "Redis Streams (docs/MATCH.md, docs/SCALING.md)",
    text: [
      "mxy match DB --from-redis URL --stream NAME --group NAME: a worker of a consumer group. " +
      "It scans the text each entry carries (field data) or names (path, start, end), writes " +
      'one JSON record per hit with the entry id ("id"), the hit\'s number in the entry ("hit") ' +
      'and the database version ("db"), and acknowledges the entry after.',
      "mxy match --to-redis URL --stream NAME FILE...: the producer, adding the FILEs to the " +
      "stream, split by --split.",
    ],
  }, {
    title: "Exit status",
    rows: [
      ["0", "Anything matched"],
      ["1", "Nothing matched, or a failure"],
      ["2", "Usage error"],
    ],
  }],
  examples: [
    "mxy match iocs.mxy /var/log/nginx/access.log",
    "mxy match iocs.mxy -r /var/log --format text --parent-domains",
    "zcat old.log.gz | mxy match iocs.mxy - --count",
    "mxy match iocs.mxy eve.json --json-field dns.rrname --json-field http.hostname",
  ],
  run: match,
};

const B_COLON = 0x3a;
const B_NEWLINE = 0x0a;

/** Without --threads, workers are started only for this many bytes of regular files or more. */
const WORKERS_FROM = 32 << 20;

const GROUPS: Record<string, SpanKind[]> = {
  all: [...ALL_SPAN_KINDS],
  ip: [SpanKind.IPV4, SpanKind.IPV6],
  hash: [SpanKind.MD5, SpanKind.SHA1, SpanKind.SHA256, SpanKind.SHA512],
  hashes: [SpanKind.MD5, SpanKind.SHA1, SpanKind.SHA256, SpanKind.SHA512],
  crypto: [SpanKind.BITCOIN, SpanKind.ETHEREUM],
};

/** Parses `--extract` values into the kinds to extract. */
export function parseKinds(values: string[]): SpanKind[] {
  const words = values.flatMap((v) => v.split(",")).map((w) => w.trim()).filter((w) => w);
  const on = new Set<SpanKind>();
  const off = new Set<SpanKind>();
  const kindsOf = (w: string) => {
    const g = GROUPS[w.toLowerCase()];
    if (g) return g;
    const k = spanKindFromName(w);
    if (k === undefined) {
      throw new UsageError(
        `--extract: unknown kind "${w}" (kinds: ${
          ALL_SPAN_KINDS.map(spanKindName).join(", ")
        }; groups: ip, hash, crypto, all)`,
      );
    }
    return [k];
  };
  for (const w of words) {
    if (w.startsWith("-") || w.startsWith("no-")) {
      for (const k of kindsOf(w.replace(/^(-|no-)/, ""))) off.add(k);
    } else for (const k of kindsOf(w)) on.add(k);
  }
  const base = on.size > 0 ? [...on] : [...ALL_SPAN_KINDS];
  const kinds = base.filter((k) => !off.has(k)).sort((a, b) => a - b);
  if (kinds.length === 0) throw new UsageError("--extract leaves no kind to extract");
  return kinds;
}

/** One input: a path, or "-" for standard input. */
interface Input {
  path: string;
  /** Scanned in ranges (a regular file, not gzip, not followed). */
  ranged: boolean;
  size: number;
}

/** Totals for --stats. */
class Totals {
  lines = 0;
  bytes = 0;
  hits = 0;
  cached = 0;
  candidates = new Array<number>(ALL_SPAN_KINDS.length + 1).fill(0);

  /** Adds a range's counts; candidates and cache hits only for a worker's range. */
  add(r: ScanResult, fromWorker = false): void {
    this.lines += r.lines;
    this.bytes += r.bytes;
    this.hits += r.hits;
    if (!fromWorker) return;
    this.cached += r.cached;
    r.candidates.forEach((v, i) => this.candidates[i] += v);
  }
}

async function expandInputs(paths: string[], recursive: boolean, follow: boolean) {
  const out: Input[] = [];
  const walk = async (path: string): Promise<void> => {
    const info = await statFile(path);
    if (info === null) throw new Error(`Cannot read "${path}": no such file or directory`);
    if (info.isDirectory) {
      if (!recursive) {
        throw new UsageError(`"${path}" is a directory (use --recursive to scan its files)`);
      }
      const names: string[] = [];
      for await (const e of Deno.readDir(path)) names.push(e.name);
      for (const name of names.sort()) await walk(path.replace(/\/$/, "") + "/" + name);
      return;
    }
    out.push({
      path,
      ranged: info.isFile && !path.endsWith(".gz") && !follow,
      size: info.size,
    });
  };
  for (const p of paths) {
    if (p === "-") out.push({ path: "-", ranged: false, size: 0 });
    else await walk(p);
  }
  return out;
}

/** Draws a progress bar on a terminal's standard error, at most five times a second. */
class Progress {
  #total: number;
  #start = now();
  #last = 0;
  #shown = false;
  #enabled: boolean;
  constructor(total: number, enabled: boolean) {
    this.#total = total;
    this.#enabled = enabled && total > 0;
  }
  update(done: number): void {
    if (!this.#enabled) return;
    const t = now();
    if (t - this.#start < 2000 || t - this.#last < 200) return;
    this.#last = t;
    this.#shown = true;
    const f = Math.min(1, done / this.#total);
    const bar = "#".repeat(Math.round(f * 30)).padEnd(30, " ");
    const mbs = done / 1e6 / ((t - this.#start) / 1000);
    writeSync("stderr", `\r[${bar}] ${(f * 100).toFixed(0).padStart(3)}% ${mbs.toFixed(0)} MB/s`);
  }
  clear(): void {
    if (this.#shown) writeSync("stderr", "\r" + " ".repeat(50) + "\r");
    this.#shown = false;
  }
}

function statsText(
  t: Totals,
  main: Matcher,
  seconds: number,
  threads: number,
  interrupted: boolean,
): string {
  const c = t.candidates.map((v, i) => v + main.candidates[i]);
  const cached = t.cached + main.cacheHits;
  const kinds = ALL_SPAN_KINDS.filter((k) => c[k] > 0)
    .map((k) => `${spanKindName(k)} ${c[k]}`).join(", ");
  const mbs = seconds > 0 ? t.bytes / 1e6 / seconds : 0;
  const usage = process.cpuUsage();
  const cpu = (usage.user + usage.system) / 1e6;
  return `${interrupted ? "interrupted; so far: " : ""}${t.lines} lines, ${t.bytes} bytes, ` +
    `${t.hits} hits; candidates: ${kinds || "none"}; ${cached} lookups from cache; ` +
    `${seconds.toFixed(2)} s, ${mbs.toFixed(1)} MB/s with ${threads} thread${
      threads === 1 ? "" : "s"
    } (process CPU time ${cpu.toFixed(2)} s)\n`;
}

/**
 * Runs `mxy match`.
 *
 * @param argv The arguments after `match`.
 * @returns The exit code.
 */
export function runMatch(argv: string[]): Promise<number> {
  return command.run(argv);
}

async function match(inv: Invocation): Promise<number> {
  const format = inv.string("format")!;
  const count = inv.flag("count");
  const filesWithMatches = inv.flag("files-with-matches");
  const onlyMatching = inv.flag("only-matching");
  if (count && filesWithMatches) {
    throw inv.usage("--count and --files-with-matches cannot be used together");
  }
  const kinds = parseKinds(inv.list("extract"));
  const cpus = navigator.hardwareConcurrency || 1;
  const threads = inv.int("threads") ?? Math.min(256, cpus);
  const bufferSize = inv.int("buffer-size")!;
  const jsonPaths = inv.list("json-field");
  const columns = inv.list("csv-column");
  if (jsonPaths.length > 0 && columns.length > 0) {
    throw inv.usage("--json-field and --csv-column cannot be used together");
  }
  if (inv.has("from-redis") || inv.has("to-redis")) {
    const { runMatchRedis } = await import("./_match_redis.ts");
    return await runMatchRedis(inv.legacyFlags(), { kinds, bufferSize, jsonPaths });
  }
  const follow = inv.flag("follow");
  const [dbPath, ...paths] = inv.positionals;
  if (paths.length === 0) paths.push("-");
  if (follow && (paths.length !== 1 || paths[0] === "-")) {
    throw inv.usage("--follow takes exactly one file");
  }
  const inputs = await expandInputs(paths, inv.flag("recursive"), follow);

  // a worker costs about a tenth of a second of CPU to start (runtime, modules, the compiler's
  // warm-up; the database's checks and tables and the PSL table it takes from this thread): by
  // default only inputs worth it get workers (and inputs read by fields never do)
  const rangedBytes = inputs.reduce((a, i) => a + (i.ranged ? i.size : 0), 0);
  const useWorkers = threads > 1 && rangedBytes > 0 &&
    (inv.has("threads") || rangedBytes >= WORKERS_FROM) &&
    jsonPaths.length === 0 && columns.length === 0;
  // started first: they load their modules while this thread plans the ranges and opens the
  // database
  const workers = useWorkers ? startWorkers(threads - 1) : [];
  let opened: Awaited<ReturnType<typeof open>>;
  try {
    opened = await open();
  } catch (err) {
    for (const w of workers) w.terminate();
    throw err;
  }
  const { fieldsFor, planned, plan, shared, db, matcherOptions, config, matcher } = opened;
  if (plan === null) { for (const w of workers) w.terminate(); }
  const scanner = new RangeScanner(db, matcher, config);
  // standard output, buffered
  const out = new RecordWriter((bytes) => writeSync("stdout", bytes));
  const totals = new Totals();
  const started = now();
  const several = inputs.length > 1;
  const progress = new Progress(
    inputs.reduce((a, i) => a + i.size, 0),
    isTerminal("stderr") && !inv.flag("no-progress") && !follow,
  );
  let failed = false;
  let pool: Pool | null = null;
  let interrupted = false;
  const following: { current: (() => ScanResult) | null } = { current: null };

  const stopOnSignal = onTerminate(() => {
    interrupted = true;
    progress.clear();
    out.flush();
    pool?.close();
    if (inv.flag("stats")) {
      const live = following.current;
      if (live !== null) totals.add(live());
      writeSync(
        "stderr",
        statsText(totals, scanner.matcher, (now() - started) / 1000, pool ? threads : 1, true),
      );
    }
    Deno.exit(130);
  });

  // per-file output state
  const fileOut = (path: string) => {
    const name = path === "-" ? "(standard input)" : path;
    const jsonName = JSON.stringify(name);
    let matchedLines = 0;
    let lastLine = -1;
    const sink: HitSink = (line, part) => {
      if (line !== lastLine) {
        matchedLines++;
        lastLine = line;
      }
      if (config.countOnly) return;
      if (onlyMatching) out.write(several ? `${name}:${part}\n` : `${part}\n`);
      else if (format === "jsonl") out.write(`{"file":${jsonName},"line":${line}${part}\n`);
      else if (format === "csv") out.write(`${csvName(name)},${line}${part}\n`);
      else out.write(`${name}:${line}:${part}\n`);
    };
    // the same records, written as bytes
    const head = utf8(
      onlyMatching
        ? (several ? `${name}:` : "")
        : format === "jsonl"
        ? `{"file":${jsonName},"line":`
        : format === "csv"
        ? `${csvName(name)},`
        : `${name}:`,
    );
    // counts the line and writes what comes before the record's own bytes; false when only
    // counting
    const lineHead = (line: number): boolean => {
      if (line !== lastLine) {
        matchedLines++;
        lastLine = line;
      }
      if (config.countOnly) return false;
      out.bytes(head);
      if (!onlyMatching) {
        out.number(line);
        if (format === "text") out.byte(B_COLON);
      }
      return true;
    };
    const records: RecordSink = {
      record(line, hit, at, formatter) {
        if (!lineHead(line)) return;
        formatter.formatInto(hit, at, out);
        out.byte(B_NEWLINE);
      },
    };
    // a record of a range scanned for the pool: its bytes after the line number
    const rangeRecord = (line: number, bytes: Uint8Array, start: number, end: number) => {
      if (!lineHead(line)) return;
      out.slice(bytes, start, end);
      out.byte(B_NEWLINE);
    };
    const close = () => {
      if (count) out.write(several ? `${name}:${matchedLines}\n` : `${matchedLines}\n`);
      else if (filesWithMatches && matchedLines > 0) out.write(`${name}\n`);
    };
    return { sink, records, rangeRecord, close };
  };
  const csvName = (s: string) => /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;

  if (format === "csv" && !config.countOnly && !onlyMatching) {
    out.write("file,line,offset,text,kind,match,entry,data\n");
  }

  try {
    if (plan !== null) {
      const checked = db.shareChecks();
      const psl = sharePublicSuffixTable();
      pool = new Pool(
        workers,
        {
          db: shared,
          checked,
          psl,
          matcher: matcherOptions,
          config,
        },
        scanner,
        [...planned.keys()].map((i) => i.path),
        plan,
      );
    }
    let doneBytes = 0;
    for (let k = 0; k < inputs.length; k++) {
      const input = inputs[k];
      const fields = await fieldsFor(input);
      const fileConfig = { ...config, fields };
      const fileScanner = fields ? new RangeScanner(db, scanner.matcher, fileConfig) : scanner;
      const { sink, records, rangeRecord, close } = fileOut(input.path);
      const planIndex = planned.get(input);
      if (pool !== null && planIndex !== undefined) {
        const [from, to] = pool.rangesOf(planIndex);
        let lineBase = 0;
        for (let j = from; j < to; j++) {
          const { result, error, local } = await pool.result(j);
          if (error !== undefined || result === undefined) {
            throw new ScanFailure(`Cannot scan "${input.path}": ${error}`);
          }
          const { hitLines, records: bytes, ends } = result;
          for (let h = 0, at = 0; h < hitLines.length; h++) {
            const end = ends.length > h ? ends[h] : at;
            rangeRecord(lineBase + hitLines[h], bytes, at, end);
            at = end;
          }
          pool.written(j + 1);
          lineBase += result.lines;
          totals.add(result, local !== true);
          doneBytes += result.bytes;
          progress.update(doneBytes);
        }
      } else if (input.ranged) {
        const file = await Deno.open(input.path, { read: true });
        try {
          const base = doneBytes;
          const r = await fileScanner.scanRange(
            file,
            0,
            input.size,
            records,
            (n) => progress.update(base + n),
          );
          totals.add(r);
          doneBytes += r.bytes;
        } finally {
          file.close();
        }
      } else if (follow) {
        await followFile(input.path, fileScanner, sink, () => out.flush(), (r) => totals.add(r), {
          live: following,
        });
      } else {
        const base = doneBytes;
        const stream = await openStream(input.path);
        try {
          const r = await fileScanner.scanStream(stream, records, (n) => {
            progress.update(base + n);
            if (input.path === "-") out.flush();
          });
          totals.add(r);
          doneBytes += r.bytes;
        } catch (err) {
          const e = err as Error & { scanned?: number; partial?: ScanResult };
          if (e.partial) totals.add(e.partial);
          close();
          out.flush();
          progress.clear();
          writeSync(
            "stderr",
            `mxy: ${input.path}: ${
              input.path.endsWith(".gz") ? "gzip data is cut short or corrupt" : "read failed"
            } after ${e.scanned ?? 0} bytes of text (${e.message})\n`,
          );
          failed = true;
          continue;
        }
      }
      close();
    }
  } catch (err) {
    progress.clear();
    out.flush();
    if (err instanceof ScanFailure) {
      writeSync("stderr", `mxy: ${err.message}\n`);
      failed = true;
    } else throw err;
  } finally {
    pool?.close();
    for (const w of workers) w.terminate();
    stopOnSignal();
  }
  progress.clear();
  out.flush();
  if (inv.flag("stats") && !interrupted) {
    writeSync(
      "stderr",
      statsText(totals, scanner.matcher, (now() - started) / 1000, pool ? threads : 1, false),
    );
  }
  if (failed) return 1;
  return totals.hits > 0 ? 0 : 1;

  /** Plans the ranges, reads and opens the database and makes this thread's matcher. */
  async function open() {
    const fieldsOf = new Map<Input, FieldSelection | undefined>();
    const fieldsFor = async (input: Input): Promise<FieldSelection | undefined> => {
      if (!fieldsOf.has(input)) fieldsOf.set(input, await readFields(input, jsonPaths, columns));
      return fieldsOf.get(input);
    };
    // the files the threads share, cut into ranges
    const planned = new Map<Input, number>();
    for (const input of useWorkers ? inputs : []) {
      if (input.ranged && input.size > 0 && !(await fieldsFor(input))) {
        planned.set(input, planned.size);
      }
    }
    const plan = planned.size > 0 ? await planRanges([...planned.keys()], threads) : null;

    // the database: read once (into shared memory for the workers), checked before any scanning
    let shared = new SharedArrayBuffer(0);
    const dbBytes = await readDatabase(dbPath, (n) => {
      if (plan) shared = new SharedArrayBuffer(n);
      return plan ? new Uint8Array(shared) : new Uint8Array(n);
    }).catch((err) => {
      throw new Error(`Cannot open database "${dbPath}": ${(err as Error).message}`);
    });
    let db: Database;
    try {
      db = Database.fromBytes(dbBytes);
    } catch (err) {
      if (err instanceof FormatError) {
        throw new FormatError(err.code, `Cannot open database "${dbPath}": ${err.message}`);
      }
      throw err;
    }
    const matcherOptions: MatcherOptions = {
      kinds,
      parentDomains: inv.flag("parent-domains") || db.metadata.mxyParentDomains,
    };
    const config: ScanConfig = {
      format: format as MatchFormat,
      onlyMatching,
      countOnly: count || filesWithMatches,
      bufferSize,
    };
    const matcher = new Matcher(db, matcherOptions);
    // workers take the labels this matcher collected from the database instead of collecting them
    matcherOptions.suffixes = matcher.suffixes;
    return { fieldsFor, planned, plan, shared, db, matcherOptions, config, matcher };
  }
}

/**
 * Reads the database file into the buffer `alloc` gives for its size (shared memory for the
 * workers, so the bytes are read once and not copied), with reads of the size asked for: half
 * the time of `Deno.readFile`, which does not know the size and grows its buffer. A file that
 * grows while it is read is read to its end all the same.
 */
async function readDatabase(
  path: string,
  alloc: (size: number) => Uint8Array,
): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    let bytes = alloc((await file.stat()).size);
    let at = 0;
    while (true) {
      if (at === bytes.length) {
        // at the size it had: is there more?
        const probe = new Uint8Array(1 << 16);
        const n = file.readSync(probe);
        if (n === null || n === 0) return bytes;
        const more = new Uint8Array(2 * bytes.length + n);
        more.set(bytes);
        more.set(probe.subarray(0, n), at);
        bytes = more;
        at += n;
        continue;
      }
      const n = file.readSync(bytes.subarray(at));
      if (n === null) break;
      at += n;
    }
    // the file changed size while it was read: what was read, in a buffer of its size
    const exact = alloc(at);
    exact.set(bytes.subarray(0, at));
    return exact;
  } finally {
    file.close();
  }
}

/** The fields of `input` that hits must lie in (`--json-field`, `--csv-column`, Zeek logs). */
async function readFields(
  input: Input,
  jsonPaths: string[],
  columns: string[],
): Promise<FieldSelection | undefined> {
  if (jsonPaths.length > 0) return { jsonPaths };
  const head = input.path === "-" ? null : await readHead(input.path);
  const zeek = head ? zeekFields(head) : null;
  if (columns.length === 0) return zeek ? { skipComments: true, columns: undefined } : undefined;
  const names = zeek ?? (head ? csvHeader(head) : null);
  if (names === null) {
    throw new UsageError("--csv-column needs a file with a header line (not standard input)");
  }
  const idx = columns.map((c) => {
    const i = names.indexOf(c);
    if (i < 0) {
      throw new UsageError(
        `--csv-column: "${input.path}" has no column "${c}" (columns: ${names.join(", ")})`,
      );
    }
    return i;
  });
  return zeek
    ? { columns: idx, separator: 0x09, skipComments: true }
    : { columns: idx, separator: 0x2c };
}

class ScanFailure extends Error {}

async function readHead(path: string): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(1 << 16);
    const n = await file.read(buf);
    return buf.subarray(0, n ?? 0);
  } finally {
    file.close();
  }
}

async function openStream(path: string): Promise<ReadableStream<Uint8Array>> {
  const raw = path === "-" ? stdinStream() : (await Deno.open(path, { read: true })).readable;
  if (path.endsWith(".gz")) {
    return (raw as ReadableStream<Uint8Array<ArrayBuffer>>).pipeThrough(
      new DecompressionStream("gzip") as unknown as ReadableWritablePair<
        Uint8Array,
        Uint8Array<ArrayBuffer>
      >,
    );
  }
  return raw;
}

/** The `mxy match` command. */
export const command = defineCommand(SPEC);
