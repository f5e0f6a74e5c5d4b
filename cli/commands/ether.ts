/**
 * `mxy ether …`: a client of the Ether protocol for scripts — ping, alloc, write, read, free,
 * query.
 *
 * @module
 */
import { type Command, dispatch } from "../_command.ts";

const SUBCOMMANDS: Record<string, () => Promise<Command>> = {
  ping: async () => (await import("./ether_ping.ts")).command,
  alloc: async () => (await import("./ether_alloc.ts")).command,
  write: async () => (await import("./ether_write.ts")).command,
  read: async () => (await import("./ether_read.ts")).command,
  free: async () => (await import("./ether_free.ts")).command,
  query: async () => (await import("./ether_query.ts")).command,
};

/** The `ether` command group. */
export const command: Command = {
  name: "ether",
  summary: "Talk to an Ether server: ping, alloc, write, read, free, query",
  help: "Usage: mxy ether <ping|alloc|write|read|free|query> [options]",
  run: (argv) => dispatch("ether", SUBCOMMANDS, argv),
};
