/**
 * `mxy ether alloc`: allocates a remote block, and optionally writes, reads and frees it on the
 * same connection (an mxy server frees a connection's blocks when it closes).
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import {
  connectFromFlags,
  CONNECTION_OPTIONS,
  DATA_OPTIONS,
  dataFromFlags,
  formatHandle,
  toHex,
} from "./_ether_common.ts";
import { write } from "../_io.ts";

/** The `ether alloc` command. */
export const command = defineCommand({
  name: "ether alloc",
  summary: "Allocate a remote block (then optionally write, read, free it)",
  arguments: [{ name: "SIZE", complete: "none", description: "Bytes to allocate" }],
  description: [
    "Allocates SIZE bytes on the server (ALLOC) and prints the handle. An mxy server frees a " +
    "connection's blocks when the connection closes, so the steps below run on the same " +
    "connection.",
  ],
  options: [
    ...DATA_OPTIONS,
    {
      name: "read",
      type: "boolean",
      description: "Read the block back (READ) and print it in hex",
    },
    {
      name: "raw",
      type: "boolean",
      description: "With --read, write the bytes to standard output as they are",
    },
    { name: "free", type: "boolean", description: "Free the block (FREE) before leaving" },
    {
      name: "hold",
      type: "int",
      value: "MS",
      min: 0,
      default: 0,
      complete: "none",
      description: "Keep the connection (and the block) open this long before leaving",
    },
    ...CONNECTION_OPTIONS,
  ],
  examples: ['mxy ether alloc 64 --data "hello" --read --free'],
  async run(inv) {
    const [sizeText] = inv.positionals;
    if (!/^\d+$/.test(sizeText)) throw inv.usage(`SIZE must be a whole number, got "${sizeText}"`);
    const size = Number(sizeText);
    const hold = inv.int("hold")!;
    const data = await dataFromFlags(inv);
    const conn = await connectFromFlags(inv);
    try {
      const buf = await conn.alloc(size);
      await write(inv.flag("raw") ? "stderr" : "stdout", `${formatHandle(buf.handle)}\n`);
      if (data) await buf.write(data);
      if (inv.flag("read")) {
        const bytes = await buf.read();
        await write("stdout", inv.flag("raw") ? bytes : `${toHex(bytes)}\n`);
      }
      if (hold > 0) await new Promise((r) => setTimeout(r, hold));
      if (inv.flag("free")) await buf.free();
    } finally {
      conn.close();
    }
    return 0;
  },
});
