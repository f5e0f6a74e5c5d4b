/**
 * `mxy ether write`: writes bytes into a remote block (WRITE).
 *
 * @module
 */
import { type Command, parseFlags, UsageError } from "../_command.ts";
import {
  connectFromFlags,
  CONNECTION_FLAGS,
  CONNECTION_HELP,
  DATA_FLAGS,
  DATA_HELP,
  dataFromFlags,
  parseHandle,
} from "./_ether_common.ts";
import { EtherCommand } from "../../lib/ether/mod.ts";

const HELP = `Usage: mxy ether write HANDLE (--data TEXT | --hex HEX | --file PATH) [options]

Writes bytes at the start of the block HANDLE (WRITE). Blocks belong to the connection that
allocated them: on an mxy server use "mxy ether alloc SIZE --data …" to allocate and write in one
session; this command is for servers whose handles outlive a connection (the reference server).

Options:
${DATA_HELP}
${CONNECTION_HELP}
  -h, --help       Show this help`;

/** The `ether write` command. */
export const command: Command = {
  name: "write",
  summary: "Write bytes into a remote block",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, { spec: { ...CONNECTION_FLAGS, ...DATA_FLAGS }, help: HELP });
    const [h, ...extra] = flags.positionals;
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`);
    const handle = parseHandle(h);
    const data = await dataFromFlags(flags);
    if (!data) throw new UsageError("Give the bytes to write with --data, --hex or --file");
    const conn = await connectFromFlags(flags);
    try {
      await conn.request(EtherCommand.WRITE, { handle, payload: data });
    } finally {
      conn.close();
    }
    return 0;
  },
};
