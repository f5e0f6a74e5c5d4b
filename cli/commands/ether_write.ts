/**
 * `mxy ether write`: writes bytes into a remote block (WRITE).
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import {
  connectFromFlags,
  CONNECTION_OPTIONS,
  DATA_OPTIONS,
  dataFromFlags,
  parseHandle,
} from "./_ether_common.ts";
import { EtherCommand } from "../../lib/ether/mod.ts";

/** The `ether write` command. */
export const command = defineCommand({
  name: "ether write",
  summary: "Write bytes into a remote block",
  arguments: [{
    name: "HANDLE",
    complete: "none",
    description: "A block handle: 0x-prefixed hex or decimal",
  }],
  description: [
    "Writes the bytes given by --data, --hex or --file at the start of the block HANDLE " +
    "(WRITE). Blocks belong to the connection that allocated them: on an mxy server use " +
    '"mxy ether alloc SIZE --data ..." to allocate and write in one session; this command is ' +
    "for servers whose handles outlive a connection (the reference server).",
  ],
  options: [...DATA_OPTIONS, ...CONNECTION_OPTIONS],
  async run(inv) {
    const handle = parseHandle(inv.positionals[0]);
    const data = await dataFromFlags(inv);
    if (!data) throw inv.usage("Give the bytes to write with --data, --hex or --file");
    const conn = await connectFromFlags(inv);
    try {
      await conn.request(EtherCommand.WRITE, { handle, payload: data });
    } finally {
      conn.close();
    }
    return 0;
  },
});
