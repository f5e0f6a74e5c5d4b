/**
 * `mxy ether alloc`: allocates a remote block, and optionally writes, reads and frees it on the
 * same connection (an mxy server frees a connection's blocks when it closes).
 *
 * @module
 */
import { type Command, intFlag, parseFlags, UsageError } from "../_command.ts";
import {
  connectFromFlags,
  CONNECTION_FLAGS,
  CONNECTION_HELP,
  DATA_FLAGS,
  DATA_HELP,
  dataFromFlags,
  formatHandle,
  toHex,
} from "./_ether_common.ts";
import { write } from "../_io.ts";

const HELP = `Usage: mxy ether alloc SIZE [options]

Allocates SIZE bytes on the server (ALLOC) and prints the handle. An mxy server frees a
connection's blocks when the connection closes, so the steps below run on the same connection.

Options:
${DATA_HELP}
  --read           Read the block back (READ) and print it in hex
  --raw            With --read, write the bytes to standard output as they are
  --free           Free the block (FREE) before leaving
  --hold MS        Keep the connection (and the block) open MS milliseconds before leaving
${CONNECTION_HELP}
  -h, --help       Show this help`;

/** The `ether alloc` command. */
export const command: Command = {
  name: "alloc",
  summary: "Allocate a remote block (then optionally write, read, free it)",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: {
        ...CONNECTION_FLAGS,
        ...DATA_FLAGS,
        read: { type: "boolean" },
        raw: { type: "boolean" },
        free: { type: "boolean" },
        hold: { type: "string" },
      },
      help: HELP,
    });
    const [sizeText, ...extra] = flags.positionals;
    if (sizeText === undefined) throw new UsageError("Missing SIZE argument");
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`);
    if (!/^\d+$/.test(sizeText)) {
      throw new UsageError(`SIZE must be a whole number, got "${sizeText}"`);
    }
    const size = Number(sizeText);
    const hold = intFlag(flags, "hold", 0);
    const data = await dataFromFlags(flags);
    const conn = await connectFromFlags(flags);
    try {
      const buf = await conn.alloc(size);
      await write(flags.values.raw ? "stderr" : "stdout", `${formatHandle(buf.handle)}\n`);
      if (data) await buf.write(data);
      if (flags.values.read) {
        const bytes = await buf.read();
        await write("stdout", flags.values.raw ? bytes : `${toHex(bytes)}\n`);
      }
      if (hold > 0) await new Promise((r) => setTimeout(r, hold));
      if (flags.values.free) await buf.free();
    } finally {
      conn.close();
    }
    return 0;
  },
};
