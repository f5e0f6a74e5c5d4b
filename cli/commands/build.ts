/**
 * `mxy build INPUT… -o OUT.mxy`: builds a `.mxy` database (a valid MaxMind DB) from feeds.
 *
 * @module
 */
import { type CommandSpec, defineCommand, type Invocation } from "../_command.ts";
import {
  DatabaseBuilder,
  DatabaseError,
  type DuplicatePolicy,
  FEED_FORMATS,
  type FeedFormat,
} from "../../lib/db/mod.ts";
import { env, isTerminal, now, readFile, realPath, warn, writeSync } from "../_io.ts";
import { streamFeedBatches } from "../../lib/runtime/feed_file.ts";
import { writeFileAtomic } from "../../lib/runtime/fs.ts";
import { statFile } from "../_io.ts";

const SPEC: CommandSpec = {
  name: "build",
  summary: "Build a .mxy database (a valid MaxMind DB) from CSV, JSON, JSONL or text feeds",
  arguments: [{ name: "INPUT", variadic: true, description: 'A feed file; "-" is standard input' }],
  description: [
    "Builds a .mxy database from feeds. The file is a valid MaxMind DB: mmdblookup, python's " +
    "maxminddb and the maxmind npm package read its IP networks.",
  ],
  options: [
    {
      name: "output",
      short: "o",
      type: "string",
      value: "FILE",
      required: true,
      description: "The database to write (replaced atomically; never one of the inputs)",
    },
    {
      name: "input-format",
      type: "enum",
      value: "FORMAT",
      choices: FEED_FORMATS,
      defaultText: "from the extension, else the content",
      description: "The inputs' format",
    },
    {
      name: "format",
      type: "string",
      aliasOf: { option: "input-format" },
      hidden: true,
      description: "The older name of --input-format",
    },
    {
      name: "types",
      type: "string",
      value: "FILE",
      description: 'MaxMind DB types by data path, as JSON: {"location.latitude": "double", ' +
        '"**.geoname_id": "uint32"}; see "Types" below',
    },
    {
      name: "skip-invalid",
      type: "boolean",
      description: "Skip invalid lines (each reported as FILE:LINE: REASON) instead of " +
        "stopping at the first",
    },
    {
      name: "max-errors",
      type: "int",
      min: 0,
      default: 20,
      description: "With --skip-invalid: skipped lines reported one by one; the rest are " +
        "only counted",
    },
    {
      name: "normalize",
      type: "boolean",
      description: "Clear host bits beyond a prefix (10.1.2.3/8 becomes 10.0.0.0/8) instead of " +
        "rejecting the line",
    },
    {
      name: "on-duplicate",
      type: "enum",
      choices: ["error", "first", "last", "merge"],
      default: "last",
      value: "POLICY",
      description: "What a second entry for the same network or string does (merge: maps " +
        "merged key by key)",
    },
    {
      name: "ip-version",
      type: "enum",
      choices: ["4", "6", "auto"],
      default: "auto",
      value: "N",
      description: "The search tree's IP version (auto: 4 when every entry is IPv4)",
    },
    {
      name: "record-size",
      type: "enum",
      choices: ["24", "28", "32", "auto"],
      default: "auto",
      value: "BITS",
      description: "Search tree record size (auto: the smallest that fits)",
    },
    {
      name: "no-ipv4-aliases",
      type: "boolean",
      description: "In an IPv6 tree, do not make ::ffff:0:0/96, 2001::/32 (Teredo) and " +
        "2002::/16 (6to4) lead to the IPv4 networks, as MaxMind's writers do",
    },
    {
      name: "database-type",
      type: "string",
      value: "TYPE",
      default: "mxy",
      complete: "none",
      description: "The metadata's database_type",
    },
    {
      name: "description",
      type: "string",
      value: "TEXT",
      complete: "none",
      description: "English description in the metadata",
    },
    {
      name: "case-insensitive",
      type: "boolean",
      description: "Literals and globs match regardless of case (ASCII and Unicode simple " +
        "case folding); stored in the metadata",
    },
    {
      name: "parent-domains",
      type: "boolean",
      description: "Record in the metadata that a literal domain also matches its subdomains " +
        '("evil.com" matches "a.b.evil.com" in mxy match)',
    },
    { name: "quiet", short: "q", type: "boolean", description: "No summary on standard error" },
  ],
  sections: [
    {
      title: "Inputs",
      rows: [
        ["CSV", 'A header row with an "entry" (or "key") column; other columns become fields'],
        [
          "JSON",
          'An array of {"entry": ..., "data": {...}}, an object keyed by entry, or ' +
          "MaxMind's source form [{NETWORK: {...}}, ...]",
        ],
        [
          "JSON Lines",
          'One {"entry": ..., "data": {...}} (or {"entry": ..., field: ...}) per line',
        ],
        ["text", 'One entry per line, "#" comments'],
      ],
      text: [
        'Several inputs may be given; "-" is standard input; .gz files are read directly. ' +
        "Entries: IPv4 or IPv6 addresses and CIDR networks; else a glob when the entry has an " +
        'unescaped "*", "?" or "[" (*, ?, [abc], [a-z], [!a-z], \\ escapes; a malformed glob is an ' +
        'error); else an exact literal string. "ip:", "literal:" and "glob:" force a kind.',
      ],
    },
    {
      title: "Types",
      text: [
        "Numbers get the smallest type that holds them (uint16, uint32 ..., int32 when " +
        "negative), numbers written with a fraction (35.0) are doubles. A CSV header " +
        '"name:type" forces a column\'s type; in JSON, {"$type": "float", "value": 1.5} forces ' +
        "one value's (mxy export writes these), and a record's \"$types\" member or --types FILE " +
        'gives types by data path ("*" is any one key, "**" any keys; arrays are transparent).',
      ],
    },
    {
      title: "Environment",
      rows: [[
        "SOURCE_DATE_EPOCH",
        "Sets build_epoch: the same inputs then give a byte-identical file",
      ]],
    },
  ],
  examples: [
    "mxy build testdata/ioc_sample.csv -o iocs.mxy",
    "zcat feed.jsonl.gz | mxy build - --input-format jsonl -o feed.mxy --on-duplicate merge",
    "mxy export GeoIP2-City.mmdb -o city.jsonl && mxy build city.jsonl -o city.mxy",
    "mxy build --skip-invalid --max-errors 5 big-feed.csv -o feed.mxy",
  ],
  run: build,
};

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

async function build(inv: Invocation): Promise<number> {
  const inputs = inv.positionals;
  const output = inv.string("output")!;
  await refuseOverwrite(inv, inputs, output);
  const format = inv.string("input-format") as FeedFormat | undefined;
  const onDuplicate = inv.string("on-duplicate") as DuplicatePolicy;
  const ipv = inv.string("ip-version")!;
  const rs = inv.string("record-size")!;
  let buildEpoch: number | bigint = Math.floor(Date.now() / 1000);
  const sde = env("SOURCE_DATE_EPOCH");
  if (sde !== undefined && sde !== "") {
    if (!/^\d+$/.test(sde) || BigInt(sde) < 1n) {
      throw inv.usage(
        `SOURCE_DATE_EPOCH must be a whole number of seconds from 1 on, got "${sde}"`,
      );
    }
    buildEpoch = BigInt(sde);
  }
  const types = await readTypes(inv);
  const skipInvalid = inv.flag("skip-invalid");
  const maxErrors = inv.int("max-errors")!;
  const quiet = inv.flag("quiet");
  const started = now();
  const builder = new DatabaseBuilder({
    ipVersion: ipv === "auto" ? "auto" : (Number(ipv) as 4 | 6),
    recordSize: rs === "auto" ? "auto" : (Number(rs) as 24 | 28 | 32),
    ipv4Aliases: !inv.flag("no-ipv4-aliases"),
    databaseType: inv.string("database-type"),
    description: inv.string("description"),
    onDuplicate,
    normalize: inv.flag("normalize"),
    buildEpoch,
    matchMode: inv.flag("case-insensitive") ? "case-insensitive" : "case-sensitive",
    parentDomains: inv.flag("parent-domains"),
  });
  const progress = new Progress(!quiet && isTerminal("stderr"));
  let entries = 0;
  let skipped = 0;
  const onInvalid = (err: DatabaseError) => {
    if (skipped++ < maxErrors) {
      progress.clear();
      writeSync("stderr", `${err.message}\n`);
    }
  };
  try {
    for (let f = 0; f < inputs.length; f++) {
      const path = inputs[f];
      // Progress by bytes for plain files; by entries only for stdin and gzip.
      const info = path === "-" || path.endsWith(".gz") ? null : await statFile(path);
      const size = info?.isFile ? info.size : 0;
      let bytesRead = 0;
      // In batches: no promise per record.
      const batches = streamFeedBatches(path, {
        format,
        types,
        // The builder only reads the data: records written with the same data share it.
        shareData: true,
        onInvalid: skipInvalid ? onInvalid : undefined,
        onBytes: (n) => (bytesRead = n),
      });
      for await (const batch of batches) {
        for (let i = 0; i < batch.length; i++) {
          const r = batch[i];
          if (!skipInvalid) builder.add(r.entry, r.data, r);
          else {
            try {
              builder.add(r.entry, r.data, r);
            } catch (err) {
              if (!(err instanceof DatabaseError)) throw err;
              onInvalid(err);
              continue;
            }
          }
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
  if (skipped > 0) {
    const unlisted = skipped - Math.min(skipped, maxErrors);
    warn(
      `skipped ${plural(skipped, "invalid line")}` +
        (unlisted > 0 ? ` (${unlisted} not listed: --max-errors ${maxErrors})` : ""),
    );
  }
  const s = builder.stats;
  const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
  if (total === 0) warn(`no entries in the input; ${output} is an empty database`);
  if (!quiet) {
    const kinds = Object.entries(s.counts).filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n.toLocaleString("en-US")}`).join(", ");
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

/** Refuses an output that is one of the inputs: the build would destroy its own source. */
async function refuseOverwrite(inv: Invocation, inputs: string[], output: string): Promise<void> {
  if (output === "-") throw inv.usage("-o takes a file; a database cannot go to standard output");
  const target = await realPath(output);
  if (target === null) return;
  for (const input of inputs) {
    if (input !== "-" && (await realPath(input)) === target) {
      throw inv.usage(`-o ${output} is also an input; refusing to overwrite it`);
    }
  }
}

/** Reads --types FILE. */
async function readTypes(inv: Invocation): Promise<Record<string, string> | undefined> {
  const path = inv.string("types");
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = new TextDecoder().decode(await readFile(path));
  } catch (err) {
    throw new Error(`Cannot read --types "${path}": ${(err as Error).message}`);
  }
  try {
    const types = JSON.parse(text);
    if (typeof types !== "object" || types === null || Array.isArray(types)) {
      throw new SyntaxError("not an object of data paths and type names");
    }
    return types;
  } catch (err) {
    throw new Error(`Cannot read --types "${path}": ${(err as Error).message}`);
  }
}

/** The `build` command. */
export const command = defineCommand(SPEC);
