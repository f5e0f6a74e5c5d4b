/**
 * `mxy build INPUT… -o OUT.mxy`: builds a `.mxy` database (a valid MaxMind DB) from feeds.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, stringFlag, UsageError } from "../_command.ts";
import {
  DatabaseBuilder,
  type DuplicatePolicy,
  FEED_FORMATS,
  type FeedFormat,
} from "../../lib/db/mod.ts";
import { env, isTerminal, now, writeSync } from "../_io.ts";
import { streamFeedBatches, writeFileAtomic } from "../../lib/runtime/mod.ts";
import { statFile } from "../_io.ts";

const HELP = `Usage: mxy build INPUT... -o OUT.mxy [options]

Builds a .mxy database from feeds. The file is a valid MaxMind DB: mmdblookup, python's
maxminddb and the maxmind npm package read its IP networks.

Inputs (several allowed; "-" is standard input; .gz files are read directly):
  CSV         header row with an "entry" (or "key") column; other columns become fields
  JSON        an array of {"entry": ..., "data": {...}} or an object keyed by entry
  JSON Lines  one {"entry": ..., "data": {...}} (or {"entry": ..., field: ...}) per line
  text        one entry per line, "#" comments
Entries: IPv4 or IPv6 addresses and CIDR networks; else a glob when the entry has an unescaped
"*", "?" or "[" (*, ?, [abc], [a-z], [!a-z], \ escapes; a malformed glob is an error); else an
exact literal string. "ip:", "literal:" and "glob:" force a kind.

Options:
  -o, --output FILE        the database to write (replaced atomically)
  --format FORMAT          csv, tsv, json, jsonl or text (default: from extension or content)
  --normalize              clear host bits beyond a prefix (10.1.2.3/8 → 10.0.0.0/8)
                           instead of rejecting the line
  --on-duplicate POLICY    error, first, last (default) or merge (maps merged key by key)
  --ip-version N           4, 6 or auto (default: 4 when every entry is IPv4)
  --record-size N          24, 28, 32 or auto (default: smallest that fits)
  --no-ipv4-aliases        in an IPv6 tree, do not make ::ffff:0:0/96, 2001::/32 (Teredo) and
                           2002::/16 (6to4) lead to the IPv4 networks, as MaxMind's writers do
  --database-type TEXT     database_type in the metadata (default "mxy")
  --description TEXT       English description in the metadata
  --case-insensitive       literals and globs match regardless of case (ASCII and Unicode
                           simple case folding); stored in the metadata
  --parent-domains         record in the metadata that a literal domain also matches its
                           subdomains ("evil.com" matches "a.b.evil.com" in mxy match)
  -q, --quiet              no summary on standard error
  -h, --help               this help

SOURCE_DATE_EPOCH sets build_epoch: the same inputs then give a byte-identical file.

Examples:
  mxy build testdata/ioc_sample.csv -o iocs.mxy
  zcat feed.jsonl.gz | mxy build - --format jsonl -o feed.mxy --on-duplicate merge`;

const SPEC = {
  output: { type: "string", short: "o" },
  format: { type: "string" },
  normalize: { type: "boolean" },
  "on-duplicate": { type: "string" },
  "ip-version": { type: "string" },
  "record-size": { type: "string" },
  "no-ipv4-aliases": { type: "boolean" },
  "database-type": { type: "string" },
  description: { type: "string" },
  "case-insensitive": { type: "boolean" },
  "parent-domains": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
} as const;

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

function entryCount(n: number): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? "entry" : "entries"}`;
}

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Draws a progress bar on a terminal's standard error, at most ten times a second. */
class Progress {
  #enabled: boolean;
  #start = now();
  #last = 0;
  #shown = false;
  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }
  update(fraction: number, entries: number): void {
    if (!this.#enabled) return;
    const t = now();
    // Only long builds get a bar: nothing during the first second.
    if (t - this.#start < 1000 || t - this.#last < 100) return;
    this.#last = t;
    const width = 30;
    const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const pct = Math.min(100, Math.floor(fraction * 100));
    writeSync(
      "stderr",
      `\r[${bar}] ${pct}% ${entryCount(entries)}`,
    );
    this.#shown = true;
  }
  /** Replaces the bar by a note on the current phase (only when a bar was shown). */
  note(text: string): void {
    if (this.#shown) writeSync("stderr", `\r\x1b[2K${text}`);
  }
  clear(): void {
    if (this.#shown) writeSync("stderr", "\r\x1b[2K");
    this.#shown = false;
  }
}

async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { spec: SPEC, help: HELP });
  const inputs = flags.positionals;
  const output = stringFlag(flags, "output", "");
  if (inputs.length === 0) throw new UsageError("mxy build needs at least one input file");
  if (output === "") throw new UsageError("mxy build needs -o OUT.mxy");
  const format = stringFlag(flags, "format", "") || undefined;
  if (format !== undefined && !FEED_FORMATS.includes(format as FeedFormat)) {
    throw new UsageError(`--format must be one of ${FEED_FORMATS.join(", ")}, got "${format}"`);
  }
  const onDuplicate = stringFlag(flags, "on-duplicate", "last");
  if (!["error", "first", "last", "merge"].includes(onDuplicate)) {
    throw new UsageError(
      `--on-duplicate must be error, first, last or merge, got "${onDuplicate}"`,
    );
  }
  const ipv = stringFlag(flags, "ip-version", "auto");
  if (!["4", "6", "auto"].includes(ipv)) {
    throw new UsageError(`--ip-version must be 4, 6 or auto, got "${ipv}"`);
  }
  const rs = stringFlag(flags, "record-size", "auto");
  if (rs !== "auto" && ![24, 28, 32].includes(intFlag(flags, "record-size", 0))) {
    throw new UsageError(`--record-size must be 24, 28, 32 or auto, got "${rs}"`);
  }
  let buildEpoch: number | bigint = Math.floor(Date.now() / 1000);
  const sde = env("SOURCE_DATE_EPOCH");
  if (sde !== undefined && sde !== "") {
    if (!/^\d+$/.test(sde) || BigInt(sde) < 1n) {
      throw new UsageError(
        `SOURCE_DATE_EPOCH must be a whole number of seconds from 1 on, got "${sde}"`,
      );
    }
    buildEpoch = BigInt(sde);
  }
  const quiet = flags.values.quiet === true;
  const started = now();
  const builder = new DatabaseBuilder({
    ipVersion: ipv === "auto" ? "auto" : (Number(ipv) as 4 | 6),
    recordSize: rs === "auto" ? "auto" : (Number(rs) as 24 | 28 | 32),
    ipv4Aliases: flags.values["no-ipv4-aliases"] !== true,
    databaseType: stringFlag(flags, "database-type", "mxy"),
    description: flags.values.description === undefined
      ? undefined
      : stringFlag(flags, "description", ""),
    onDuplicate: onDuplicate as DuplicatePolicy,
    normalize: flags.values.normalize === true,
    buildEpoch,
    matchMode: flags.values["case-insensitive"] === true ? "case-insensitive" : "case-sensitive",
    parentDomains: flags.values["parent-domains"] === true,
  });
  const progress = new Progress(!quiet && isTerminal("stderr"));
  let entries = 0;
  try {
    for (let f = 0; f < inputs.length; f++) {
      const path = inputs[f];
      // Progress by bytes for plain files; by entries only for stdin and gzip.
      const info = path === "-" || path.endsWith(".gz") ? null : await statFile(path);
      const size = info?.isFile ? info.size : 0;
      let bytesRead = 0;
      // In batches: no promise per record.
      const batches = streamFeedBatches(path, {
        format: format as FeedFormat | undefined,
        onBytes: (n) => (bytesRead = n),
      });
      for await (const batch of batches) {
        for (let i = 0; i < batch.length; i++) {
          const r = batch[i];
          builder.add(r.entry, r.data, r);
          if ((++entries & 0x3fff) === 0) {
            const part = size > 0 ? Math.min(1, bytesRead / size) : 0;
            progress.update((f + part) / inputs.length, entries);
          }
        }
      }
    }
    progress.note(`building the search tree for ${entryCount(entries)}…`);
    const bytes = builder.build();
    progress.note(`writing ${formatSize(bytes.length)} to ${output}…`);
    try {
      await writeFileAtomic(output, bytes);
    } catch (err) {
      throw new Error(`Cannot write "${output}": ${(err as Error).message}`);
    }
  } finally {
    progress.clear();
  }
  if (!quiet) {
    const s = builder.stats;
    const kinds = Object.entries(s.counts).filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n.toLocaleString("en-US")}`).join(", ");
    const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
    const dup = s.duplicates === 0
      ? "no duplicates"
      : `${plural(s.duplicates, "duplicate")} (${onDuplicate})`;
    const secs = ((now() - started) / 1000).toFixed(2);
    writeSync(
      "stderr",
      `Built ${output}: ${total === 1 ? "1 entry" : `${total.toLocaleString("en-US")} entries`}` +
        `${kinds ? ` (${kinds})` : ""}, ${dup}, ${plural(s.values, "distinct value")}, ` +
        `IPv${s.ipVersion} tree of ${
          plural(s.nodeCount, "node")
        } with ${s.recordSize}-bit records, ` +
        `${formatSize(s.size)} in ${secs} s\n`,
    );
  }
  return 0;
}

/** The `build` command. */
export const command: Command = {
  name: "build",
  summary: "Build a .mxy database (a valid MaxMind DB) from CSV, JSON, JSONL or text feeds",
  help: HELP,
  run,
};
