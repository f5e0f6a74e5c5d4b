/**
 * `mxy ether free`: frees a remote block (FREE).
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { connectFromFlags, CONNECTION_OPTIONS, parseHandle } from "./_ether_common.ts";
import { EtherCommand } from "../../lib/ether/mod.ts";

/** The `ether free` command. */
export const command = defineCommand({
  name: "ether free",
  summary: "Free a remote block",
  arguments: [{
    name: "HANDLE",
    complete: "none",
    description: "A block handle: 0x-prefixed hex or decimal",
  }],
  description: ['Frees block HANDLE (FREE). See "mxy ether write --help" about block ownership.'],
  options: CONNECTION_OPTIONS,
  async run(inv) {
    const handle = parseHandle(inv.positionals[0]);
    const conn = await connectFromFlags(inv);
    try {
      await conn.request(EtherCommand.FREE, { handle });
    } finally {
      conn.close();
    }
    return 0;
  },
});
