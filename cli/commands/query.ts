/**
 * `mxy query DB QUERY…`: looks up IP addresses (and, in `.mxy` files, strings) and prints what
 * matched.
 *
 * @module
 */
import { type CommandSpec, defineCommand, type Invocation, parseCommand } from "../_command.ts";
import { compileGlob, type Database, type MmdbValue, valueToJson } from "../../lib/db/mod.ts";
import { canMmap } from "../../lib/runtime/mmap.ts";
import { openDatabase } from "../../lib/runtime/database.ts";
import { RuntimeError } from "../../lib/runtime/runtime_error.ts";
import { BufferedOut, type CliIo, PROCESS_IO, readLines } from "./_db_io.ts";
import { parseDataPath, selectPath } from "./_data_path.ts";

const SPEC: CommandSpec = {
  name: "query",
  summary: "Look up IP addresses and strings in a database",
  arguments: [
    { name: "DB", description: "A .mxy file or any MaxMind DB" },
    { name: "QUERY", required: false, variadic: true, complete: "none" },
  ],
  description: [
    "Looks up each QUERY in the database DB: IPv4 and IPv6 addresses (IPv4-mapped IPv6 too) by " +
    "longest-prefix match; in .mxy files, other strings against the literal and glob entries. " +
    "With no QUERY, reads queries from standard input, one per line (blank lines and lines " +
    'starting with "#" are skipped).',
  ],
  options: [
    {
      name: "format",
      type: "enum",
      choices: ["json", "jsonl", "table", "text"],
      choicesInDescription: true,
      defaultText: "json; text with --field",
      description:
        "Output format: json (a JSON array), jsonl (one JSON object per line), table (aligned " +
        "columns) or text (tab-separated; with --field, the value alone)",
    },
    {
      name: "json",
      type: "boolean",
      aliasOf: { option: "format", value: "json" },
      description: "Same as --format json",
    },
    {
      name: "field",
      type: "string",
      value: "PATH",
      complete: "none",
      description: "Print only the value at this data path, e.g. country.iso_code or " +
        "subdivisions.0.names.en (as mmdblookup's lookup path)",
    },
    {
      name: "explain",
      type: "boolean",
      description: "Add why each query matched or did not (network, bits walked, data offset)",
    },
    {
      name: "mode",
      type: "enum",
      choices: ["read", "mmap", "auto"],
      default: "read",
      description: "How to open DB: read it into memory, memory-map it (needs --allow-ffi) or " +
        "mmap when allowed, else read",
    },
  ],
  sections: [{
    title: "Exit status",
    rows: [
      ["0", "At least one query matched (with --field: had the field)"],
      ["1", "None did, or a failure"],
      ["2", "Usage error"],
    ],
  }],
  examples: [
    "mxy query iocs.mxy 1.2.3.4 2001:db8::1",
    "mxy query GeoLite2-City.mmdb 81.2.69.160 --format table --explain",
    "mxy query GeoLite2-City.mmdb 81.2.69.160 --field country.iso_code",
    "cut -d, -f1 hits.csv | mxy query iocs.mxy --format jsonl",
  ],
  run: (inv) => query(inv, PROCESS_IO),
};

/** One printed answer. */
interface Answer {
  query: string;
  found: boolean;
  result: Record<string, unknown> | null;
  explain?: string;
}

function explain(db: Database, query: string, result: Record<string, unknown> | null): string {
  if (result !== null && result.kind === "string") {
    const matches = Array.isArray(result.matches)
      ? result.matches as Record<string, unknown>[]
      : [];
    const ci = db.metadata.mxyMatchMode === "case-insensitive";
    const list = matches.map((m) => {
      const entry = JSON.stringify(m.entry);
      if (m.kind === "literal") {
        return `literal ${entry}: exact match${ci ? " ignoring case" : ""}`;
      }
      const g = compileGlob(String(m.entry), { caseInsensitive: ci });
      const pieces = [
        g.prefixPiece === "" ? "" : `starts with ${JSON.stringify(g.prefixPiece)}`,
        g.suffixPiece === "" ? "" : `ends with ${JSON.stringify(g.suffixPiece)}`,
        g.fixedPiece === "" ? "" : `contains ${JSON.stringify(g.fixedPiece)}`,
      ].filter((p) => p !== "");
      const how = pieces.length === 0
        ? "checked against every query (it has no literal characters)"
        : `found as a candidate through its literal pieces (${pieces.join(", ")})`;
      return `glob ${entry}: the whole query matches${ci ? " ignoring case" : ""}; ${how}; ` +
        `specificity ${g.specificity}`;
    }).join("; ");
    return `"${query}" is not an IP address; it matched ${matches.length} string entr${
      matches.length === 1 ? "y" : "ies"
    } (literal first, then globs, most specific first): ${list}`;
  }
  const offset = db.lookupIpOffset(query);
  const version = db.lastIpVersion;
  const bits = db.lastPrefixLength;
  if (version === 0) {
    return `"${query}" is not an IP address, and no literal or glob entry matched it`;
  }
  const tree = db.metadata.ipVersion;
  const where = version === 4 && tree === 6
    ? "from the IPv4 subtree (::/96) of the IPv6 search tree"
    : `from the root of the IPv${tree} search tree`;
  if (offset < 0) {
    if (version === 6 && tree === 4) {
      return `${query} is IPv6 and the database's search tree holds IPv4 only`;
    }
    return `No network holds ${query}: the walk ${where} reached an empty record after ${bits} ` +
      `bit${bits === 1 ? "" : "s"}`;
  }
  return `${query} is in ${String(result?.network)}: the most specific network on its path ` +
    `(${bits} of ${version === 4 ? 32 : 128} bits walked ${where}); data record at ` +
    `data-section offset ${offset}`;
}

function answer(db: Database, query: string, withExplain: boolean): Answer {
  const r = db.lookup(query) as unknown as Record<string, unknown> | null;
  const a: Answer = { query, found: r !== null, result: r };
  if (withExplain) a.explain = explain(db, query, r);
  return a;
}

function toJson(a: Answer, indent: number): string {
  const obj: Record<string, unknown> = { query: a.query, found: a.found };
  if (a.result) Object.assign(obj, a.result);
  if (a.explain !== undefined) obj.explain = a.explain;
  return valueToJson(obj as MmdbValue, indent);
}

function matchText(a: Answer): string {
  if (!a.result) return "-";
  if (typeof a.result.network === "string") return a.result.network;
  const matches = a.result.matches as { entry?: unknown }[] | undefined;
  if (Array.isArray(matches) && matches.length > 0) {
    return matches.map((m) => String(m.entry)).join(" ");
  }
  return String(a.result.kind);
}

function printTable(io: CliIo, answers: Answer[]): void {
  const rows = answers.map((a) => [
    a.query,
    matchText(a),
    a.result ? valueToJson(a.result.data as MmdbValue) : "(no match)",
  ]);
  const head = ["QUERY", "MATCH", "DATA"];
  const w0 = Math.max(head[0].length, ...rows.map((r) => r[0].length));
  const w1 = Math.max(head[1].length, ...rows.map((r) => r[1].length));
  const out = new BufferedOut(io);
  out.line(`${head[0].padEnd(w0)}  ${head[1].padEnd(w1)}  ${head[2]}`);
  rows.forEach((r, i) => {
    out.line(`${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`);
    const why = answers[i].explain;
    if (why !== undefined) out.line(`${"".padEnd(w0)}  ${why}`);
  });
  out.flush();
}

/**
 * Runs `mxy query` with the given streams.
 *
 * @param argv The arguments after `query`.
 * @param io The streams.
 * @returns The exit code.
 */
export function runQuery(argv: string[], io: CliIo): Promise<number> {
  return query(parseCommand(SPEC, argv), io);
}

async function query(inv: Invocation, io: CliIo): Promise<number> {
  const fieldText = inv.string("field");
  const field = fieldText === undefined ? null : parseDataPath(fieldText);
  if (field !== null && field.length === 0) throw inv.usage("--field needs a path");
  const format = inv.has("format") ? inv.string("format")! : field !== null ? "text" : "json";
  const mode = inv.string("mode")!;
  const [path, ...queries] = inv.positionals;
  const withExplain = inv.flag("explain");
  if (mode === "mmap" && !canMmap()) {
    throw new RuntimeError(
      "permission",
      `Cannot memory-map "${path}": FFI is not allowed (run with --allow-ffi, or use --mode auto)`,
    );
  }
  const db = await openDatabase(path, { mmap: mode !== "read" });
  try {
    let matched = 0;
    const answers: Answer[] = [];
    const out = new BufferedOut(io);
    let first = true;
    // The value alone: an IP address's record is not decoded, only the field (db.get).
    const valueOnly = field !== null && format === "text" && !withExplain;
    const emit = (q: string) => {
      const offset = valueOnly ? db.lookupIpOffset(q) : -1;
      let a: Answer;
      if (offset >= 0) {
        const value = db.get(offset, field!);
        a = {
          query: q,
          found: value !== undefined,
          result: value === undefined ? null : { kind: "ip", field: fieldText, data: value },
        };
      } else {
        a = answer(db, q, withExplain);
        if (field !== null && a.result !== null) {
          const value = selectPath(a.result.data as MmdbValue, field);
          if (value === undefined) a.found = false;
          a.result = value === undefined ? null : { ...a.result, field: fieldText, data: value };
        }
      }
      if (a.found) matched++;
      if (format === "table") answers.push(a);
      else if (format === "text") {
        const line = textLine(a, field !== null);
        if (line !== null) out.line(line);
      } else if (format === "jsonl") out.line(toJson(a, 0));
      else {
        out.write((first ? "[\n" : ",\n") + indent(toJson(a, 2)));
        first = false;
      }
    };
    if (queries.length > 0) {
      for (const q of queries) emit(q);
    } else {
      for await (const raw of readLines(io.stdin())) {
        const q = raw.trim();
        if (q === "" || q.startsWith("#")) continue;
        emit(q);
      }
    }
    if (format === "json") out.write(first ? "[]\n" : "\n]\n");
    out.flush();
    if (format === "table") printTable(io, answers);
    return matched > 0 ? 0 : 1;
  } finally {
    db.close();
  }
}

/** A text line: the field's value alone (strings unquoted), or query, match and data. */
function textLine(a: Answer, fieldOnly: boolean): string | null {
  if (fieldOnly) {
    if (a.result === null) return null;
    const v = a.result.data as MmdbValue;
    return typeof v === "string" ? v : valueToJson(v);
  }
  const data = a.result ? valueToJson(a.result.data as MmdbValue) : "";
  return `${a.query}\t${matchText(a)}\t${data}`;
}

function indent(text: string): string {
  return text.split("\n").map((l) => "  " + l).join("\n").replace(/\n$/, "");
}

/** The `mxy query` command. */
export const command = defineCommand(SPEC);
