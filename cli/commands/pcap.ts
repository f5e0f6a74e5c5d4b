/**
 * `mxy pcap …`: capture files — info, fields, flows, correlate, filter, match.
 *
 * @module
 */
import { defineGroup } from "../_command.ts";

/** The `pcap` command group. */
export const command = defineGroup({
  name: "pcap",
  summary: "Read captures: info, fields, flows, correlate, filter, match",
  description: [
    "Reads pcap and pcapng captures (plain or .gz; - for standard input) in the library, " +
    "without libpcap or tshark.",
  ],
  commands: {
    info: async () => (await import("./pcap_info.ts")).command,
    fields: async () => (await import("./pcap_fields.ts")).command,
    flows: async () => (await import("./pcap_flows.ts")).command,
    correlate: async () => (await import("./pcap_correlate.ts")).command,
    filter: async () => (await import("./pcap_filter.ts")).command,
    match: async () => (await import("./pcap_match.ts")).command,
  },
});
