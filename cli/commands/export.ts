/**
 * `mxy export DB`: every network with its data as JSON Lines, the input `mxy build` reads.
 *
 * @module
 */
import { type CommandSpec, defineCommand, type Invocation, parseCommand } from "../_command.ts";
import { countNetworks, exportJsonLines } from "../../lib/db/mod.ts";
import { openDatabase } from "../../lib/runtime/database.ts";
import { writeFileAtomic } from "../../lib/runtime/fs.ts";
import { BufferedOut, type CliIo, PROCESS_IO } from "./_db_io.ts";

const SPEC: CommandSpec = {
  name: "export",
  summary: "Write every network and its data as JSON Lines",
  arguments: [{ name: "DB", description: "A .mxy file or any MaxMind DB" }],
  description: [
    "Writes every network of a database with its data, one JSON object per line: " +
    '{"entry":"1.2.3.0/24","data":{...}}, then the literal and glob entries of a .mxy file. ' +
    '"mxy build" reads this back into a database with the same data and the same types: where ' +
    'plain JSON would lose a type, the value is written as {"$type":"float","value":1.5} (a ' +
    "float, bytes, a uint32 below 65536 ...) and an integral double as 35.0.",
    "Networks inside ::/96 of an IPv6 tree are written as IPv4; the aliases MaxMind writers add " +
    "(::ffff:0:0/96, 2002::/16) are skipped unless --include-aliases is given.",
  ],
  options: [
    {
      name: "output",
      short: "o",
      type: "string",
      value: "FILE",
      description: 'Write to FILE (replaced atomically); "-" is standard output',
      defaultText: "standard output",
    },
    {
      name: "include-aliases",
      type: "boolean",
      description: "Also list the networks reached through aliases of the IPv4 subtree",
    },
    {
      name: "plain",
      type: "boolean",
      description: "Plain JSON without type annotations (bytes as arrays of numbers, NaN as " +
        "null; a rebuild may then pick other types)",
    },
  ],
  examples: [
    "mxy export iocs.mxy > iocs.jsonl",
    "mxy export GeoLite2-Country.mmdb -o country.jsonl && mxy build country.jsonl -o country.mxy",
  ],
  run: (inv) => exportCommand(inv, PROCESS_IO),
};

/**
 * Runs `mxy export` with the given streams.
 *
 * @param argv The arguments after `export`.
 * @param io The streams.
 * @returns The exit code.
 */
export function runExport(argv: string[], io: CliIo): Promise<number> {
  return exportCommand(parseCommand(SPEC, argv), io);
}

async function exportCommand(inv: Invocation, io: CliIo): Promise<number> {
  const [path] = inv.positionals;
  const output = inv.string("output") ?? "-";
  const db = await openDatabase(path);
  try {
    // A corrupt tree fails here, before anything is written.
    countNetworks(db);
    const lines = exportJsonLines(db, {
      includeAliases: inv.flag("include-aliases"),
      types: !inv.flag("plain"),
    });
    if (output === "-") {
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
export const command = defineCommand(SPEC);
