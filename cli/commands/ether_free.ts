/**
 * `mxy ether free`: frees a remote block (FREE).
 *
 * @module
 */
import { type Command, parseFlags, UsageError } from "../_command.ts";
import {
  connectFromFlags,
  CONNECTION_FLAGS,
  CONNECTION_HELP,
  parseHandle,
} from "./_ether_common.ts";
import { EtherCommand } from "../../lib/ether/mod.ts";

const HELP = `Usage: mxy ether free HANDLE [options]

Frees block HANDLE (FREE). See "mxy ether write --help" about block ownership.

Options:
${CONNECTION_HELP}
  -h, --help       Show this help`;

/** The `ether free` command. */
export const command: Command = {
  name: "free",
  summary: "Free a remote block",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, { spec: CONNECTION_FLAGS, help: HELP });
    const [h, ...extra] = flags.positionals;
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`);
    const handle = parseHandle(h);
    const conn = await connectFromFlags(flags);
    try {
      await conn.request(EtherCommand.FREE, { handle });
    } finally {
      conn.close();
    }
    return 0;
  },
};
