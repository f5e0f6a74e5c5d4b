/**
 * `mxy ether read`: reads bytes from a remote block (READ).
 *
 * @module
 */
import { type Command, parseFlags, UsageError } from "../_command.ts";
import {
  connectFromFlags,
  CONNECTION_FLAGS,
  CONNECTION_HELP,
  parseHandle,
  toHex,
} from "./_ether_common.ts";
import { EtherCommand } from "../../lib/ether/mod.ts";
import { write } from "../_io.ts";

const HELP = `Usage: mxy ether read HANDLE SIZE [options]

Reads up to SIZE bytes from the start of block HANDLE (READ; the server caps SIZE at the block's
size) and prints them in hex. See "mxy ether write --help" about block ownership.

Options:
  --raw            Write the bytes to standard output as they are
${CONNECTION_HELP}
  -h, --help       Show this help`;

/** The `ether read` command. */
export const command: Command = {
  name: "read",
  summary: "Read bytes from a remote block",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: { ...CONNECTION_FLAGS, raw: { type: "boolean" } },
      help: HELP,
    });
    const [h, sizeText, ...extra] = flags.positionals;
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`);
    const handle = parseHandle(h);
    if (sizeText === undefined || !/^\d+$/.test(sizeText)) {
      throw new UsageError(`SIZE must be a whole number, got "${sizeText ?? ""}"`);
    }
    const conn = await connectFromFlags(flags);
    try {
      const r = await conn.request(EtherCommand.READ, { handle, size: Number(sizeText) });
      await write("stdout", flags.values.raw ? r.payload : `${toHex(r.payload)}\n`);
    } finally {
      conn.close();
    }
    return 0;
  },
};
