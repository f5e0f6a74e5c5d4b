/**
 * `mxy ether query`: looks queries up in a database on an Ether server.
 *
 * @module
 */
import { type Command, parseFlags, stringFlag, UsageError } from "../_command.ts";
import {
  connectFromFlags,
  CONNECTION_FLAGS,
  CONNECTION_HELP,
  terminalSafeJson,
} from "./_ether_common.ts";
import { write } from "../_io.ts";
import { readFile } from "../_io.ts";

const HELP = `Usage: mxy ether query [options] QUERY...

Looks each QUERY up (DB_QUERY) and prints one JSON result per line ("null" when nothing matches).
By default the server's preloaded database (mxy serve --db) is used.

Options:
  --open PATH      Open PATH from the server's --db-dir first (DB_OPEN) and query it
  --upload FILE    Upload a local database file (ALLOC + WRITE + DB_LOAD) and query it
  --stats          Print the server's statistics (STATS) as JSON instead
${CONNECTION_HELP}
  -h, --help       Show this help

Exit status: 0 when every query matched, 1 when one did not or on failure.`;

/** The `ether query` command. */
export const command: Command = {
  name: "query",
  summary: "Query a database on the server (preloaded, opened or uploaded)",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: {
        ...CONNECTION_FLAGS,
        open: { type: "string" },
        upload: { type: "string" },
        stats: { type: "boolean" },
      },
      help: HELP,
    });
    const open = stringFlag(flags, "open", "");
    const upload = stringFlag(flags, "upload", "");
    if (open && upload) throw new UsageError("Give only one of --open and --upload");
    if (!flags.values.stats && flags.positionals.length === 0) {
      throw new UsageError("Missing QUERY argument");
    }
    const bytes = upload ? await readFile(upload) : null;
    const conn = await connectFromFlags(flags);
    try {
      if (flags.values.stats) {
        await write("stdout", terminalSafeJson(JSON.stringify(await conn.stats())) + "\n");
        return 0;
      }
      let db = 0n;
      if (open) db = await conn.openDatabase(open);
      else if (bytes) db = await conn.loadDatabase(bytes);
      let missed = 0;
      for (const q of flags.positionals) {
        const json = await conn.queryJson(db, q);
        if (json === "null") missed++;
        await write("stdout", terminalSafeJson(json) + "\n");
      }
      return missed > 0 ? 1 : 0;
    } finally {
      conn.close();
    }
  },
};
