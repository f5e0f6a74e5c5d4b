/**
 * `mxy ether …`: a client of the Ether protocol for scripts — ping, alloc, write, read, free,
 * query.
 *
 * @module
 */
import { defineGroup } from "../_command.ts";

/** The `ether` command group. */
export const command = defineGroup({
  name: "ether",
  summary: "Talk to an Ether server: ping, alloc, write, read, free, query",
  description: [
    "A client of the Ether protocol (see docs/PROTOCOL.md) for scripts: each command opens a " +
    "connection, sends its requests and closes it.",
  ],
  commands: {
    ping: async () => (await import("./ether_ping.ts")).command,
    alloc: async () => (await import("./ether_alloc.ts")).command,
    write: async () => (await import("./ether_write.ts")).command,
    read: async () => (await import("./ether_read.ts")).command,
    free: async () => (await import("./ether_free.ts")).command,
    query: async () => (await import("./ether_query.ts")).command,
  },
});
