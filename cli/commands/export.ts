/**
 * `mxy export DB`: every network with its data as JSON Lines, the input `mxy build` reads.
 *
 * @module
 */
import { type Command, parseFlags, stringFlag, UsageError } from "../_command.ts";
import { exportJsonLines } from "../../lib/db/mod.ts";
import { openDatabase, writeFileAtomic } from "../../lib/runtime/mod.ts";
import { BufferedOut, type CliIo, PROCESS_IO } from "./_db_io.ts";

const HELP = `Usage: mxy export DB [options]

Writes every network of a database (a .mxy file or any MaxMind DB) with its data, one JSON
object per line: {"entry":"1.2.3.0/24","data":{...}}. "mxy build" reads this back into an
equivalent database. Networks inside ::/96 of an IPv6 tree are written as IPv4; the aliases
MaxMind writers add (::ffff:0:0/96, 2002::/16) are skipped unless --include-aliases is given.

Options:
  -o, --output FILE     write to FILE (replaced atomically) instead of standard output
  --include-aliases     also list the networks reached through aliases of the IPv4 subtree
  -h, --help            this help

Examples:
  mxy export iocs.mxy > iocs.jsonl
  mxy export GeoLite2-Country.mmdb -o country.jsonl && mxy build country.jsonl -o country.mxy`;

const SPEC = {
  output: { type: "string", short: "o" },
  "include-aliases": { type: "boolean" },
} as const;

/**
 * Runs `mxy export` with the given streams.
 *
 * @param argv The arguments after `export`.
 * @param io The streams.
 * @returns The exit code.
 */
export async function runExport(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, { spec: SPEC, help: HELP });
  const [path, ...more] = flags.positionals;
  if (path === undefined) throw new UsageError("mxy export needs a database file");
  if (more.length > 0) {
    throw new UsageError(`mxy export takes one database, got ${more.length + 1}`);
  }
  const output = stringFlag(flags, "output", "");
  const db = await openDatabase(path);
  try {
    const lines = exportJsonLines(db, { includeAliases: flags.values["include-aliases"] === true });
    if (output === "") {
      const out = new BufferedOut(io);
      for (const line of lines) out.line(line);
      out.flush();
    } else {
      const parts: string[] = [];
      for (const line of lines) parts.push(line, "\n");
      await writeFileAtomic(output, new TextEncoder().encode(parts.join("")));
    }
    return 0;
  } finally {
    db.close();
  }
}

/** The `mxy export` command. */
export const command: Command = {
  name: "export",
  summary: "write every network and its data as JSON Lines",
  help: HELP,
  run: (argv) => runExport(argv, PROCESS_IO),
};
