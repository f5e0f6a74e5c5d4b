/**
 * `mxy ether query`: looks queries up in a database on an Ether server.
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { connectFromFlags, CONNECTION_OPTIONS, terminalSafeJson } from "./_ether_common.ts";
import { readFile, write } from "../_io.ts";

/** The `ether query` command. */
export const command = defineCommand({
  name: "ether query",
  summary: "Query a database on the server (preloaded, opened or uploaded)",
  arguments: [{ name: "QUERY", required: false, variadic: true, complete: "none" }],
  description: [
    'Looks each QUERY up (DB_QUERY) and prints one JSON result per line ("null" when nothing ' +
    "matches). By default the server's preloaded database (mxy serve --db) is used.",
  ],
  options: [
    {
      name: "open",
      type: "string",
      value: "PATH",
      complete: "none",
      description: "Open PATH from the server's --db-dir first (DB_OPEN) and query it",
    },
    {
      name: "upload",
      type: "string",
      value: "FILE",
      description: "Upload a local database file (ALLOC, WRITE, DB_LOAD) and query it",
    },
    {
      name: "stats",
      type: "boolean",
      description: "Print the server's statistics (STATS) as JSON instead",
    },
    ...CONNECTION_OPTIONS,
  ],
  sections: [{
    title: "Exit status",
    rows: [
      ["0", "At least one query matched (as mxy query)"],
      ["1", "None did, or a failure"],
      ["2", "Usage error"],
    ],
  }],
  examples: ["mxy ether query --upload iocs.mxy 198.51.100.23 login-verify.example"],
  async run(inv) {
    const open = inv.string("open") ?? "";
    const upload = inv.string("upload") ?? "";
    const stats = inv.flag("stats");
    if (open && upload) throw inv.usage("Give only one of --open and --upload");
    if (!stats && inv.positionals.length === 0) throw inv.usage("Missing QUERY argument");
    const bytes = upload ? await readFile(upload) : null;
    const conn = await connectFromFlags(inv);
    try {
      if (stats) {
        await write("stdout", terminalSafeJson(JSON.stringify(await conn.stats())) + "\n");
        return 0;
      }
      let db = 0n;
      if (open) db = await conn.openDatabase(open);
      else if (bytes) db = await conn.loadDatabase(bytes);
      // Answers are printed together, after every query was answered.
      const lines: string[] = [];
      let matched = 0;
      for (const q of inv.positionals) {
        const json = await conn.queryJson(db, q);
        if (json !== "null") matched++;
        lines.push(terminalSafeJson(json) + "\n");
      }
      await write("stdout", lines.join(""));
      return matched > 0 ? 0 : 1;
    } finally {
      conn.close();
    }
  },
});
