/**
 * `mxy pcap …`: capture files — info, fields, flows, correlate, filter, match.
 *
 * @module
 */
import { type Command, dispatch } from "../_command.ts";

const SUBCOMMANDS: Record<string, () => Promise<Command>> = {
  info: async () => (await import("./pcap_info.ts")).command,
  fields: async () => (await import("./pcap_fields.ts")).command,
  flows: async () => (await import("./pcap_flows.ts")).command,
  correlate: async () => (await import("./pcap_correlate.ts")).command,
  filter: async () => (await import("./pcap_filter.ts")).command,
  match: async () => (await import("./pcap_match.ts")).command,
};

/** The `pcap` command group. */
export const command: Command = {
  name: "pcap",
  summary: "Read captures: info, fields, flows, correlate, filter, match",
  help: "Usage: mxy pcap <info|fields|flows|correlate|filter|match> [options]",
  run: (argv) => dispatch("pcap", SUBCOMMANDS, argv),
};
