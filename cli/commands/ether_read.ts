/**
 * `mxy ether read`: reads bytes from a remote block (READ).
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { connectFromFlags, CONNECTION_OPTIONS, parseHandle, toHex } from "./_ether_common.ts";
import { EtherCommand } from "../../lib/ether/mod.ts";
import { write } from "../_io.ts";

/** The `ether read` command. */
export const command = defineCommand({
  name: "ether read",
  summary: "Read bytes from a remote block",
  arguments: [
    { name: "HANDLE", complete: "none", description: "A block handle: 0x-prefixed hex or decimal" },
    { name: "SIZE", complete: "none", description: "Bytes to read" },
  ],
  description: [
    "Reads up to SIZE bytes from the start of block HANDLE (READ; the server caps SIZE at the " +
    'block\'s size) and prints them in hex. See "mxy ether write --help" about block ownership.',
  ],
  options: [
    { name: "raw", type: "boolean", description: "Write the bytes to standard output as they are" },
    ...CONNECTION_OPTIONS,
  ],
  async run(inv) {
    const [h, sizeText] = inv.positionals;
    const handle = parseHandle(h);
    if (!/^\d+$/.test(sizeText)) throw inv.usage(`SIZE must be a whole number, got "${sizeText}"`);
    const conn = await connectFromFlags(inv);
    try {
      const r = await conn.request(EtherCommand.READ, { handle, size: Number(sizeText) });
      await write("stdout", inv.flag("raw") ? r.payload : `${toHex(r.payload)}\n`);
    } finally {
      conn.close();
    }
    return 0;
  },
});
