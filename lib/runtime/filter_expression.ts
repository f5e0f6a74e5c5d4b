/**
 * Compiling a pcap filter expression (`tcp port 80`) to classic BPF by running tcpdump, for
 * `filterCapture` of `@mxy/mxy/pcap`.
 *
 * @module
 */
import { type CbpfInstruction, parseCbpf } from "../bpf/mod.ts";
import { LinkType, PcapError } from "../pcap/mod.ts";
import { runCommand } from "./process.ts";

/** tcpdump's names (`-y`) for the link types mxy reads. */
const DLT_NAMES: Readonly<Record<number, string>> = {
  [LinkType.NULL]: "NULL",
  [LinkType.ETHERNET]: "EN10MB",
  9: "PPP",
  [LinkType.RAW]: "RAW",
  105: "IEEE802_11",
  [LinkType.LOOP]: "LOOP",
  [LinkType.LINUX_SLL]: "LINUX_SLL",
  127: "IEEE802_11_RADIO",
  [LinkType.IPV4]: "IPV4",
  [LinkType.IPV6]: "IPV6",
  [LinkType.LINUX_SLL2]: "LINUX_SLL2",
};

/** Options for {@linkcode compileFilterExpression}. */
export interface CompileFilterOptions {
  /** The link type of the packets the program will see (default 1, Ethernet). */
  linktype?: number;
  /** The tcpdump program to run (default `"tcpdump"`). */
  tcpdump?: string;
}

/**
 * Compiles a pcap filter expression (`tcp port 80`) to classic BPF by running
 * `tcpdump -ddd -y LINKTYPE EXPR`.
 *
 * @param expression The filter expression.
 * @param options The link type and the tcpdump program.
 * @returns The instructions.
 * @throws {PcapError} `bad-filter-expression` when tcpdump rejects the expression or the link
 *   type has no tcpdump name.
 * @throws {Deno.errors.NotFound} When tcpdump is not installed.
 * @example
 * ```ts ignore
 * import { compileFilterExpression } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const program = await compileFilterExpression("udp port 53", { linktype: 1 });
 * assert.ok(program.length > 4);
 * ```
 */
export async function compileFilterExpression(
  expression: string,
  options: CompileFilterOptions = {},
): Promise<CbpfInstruction[]> {
  const linktype = options.linktype ?? LinkType.ETHERNET;
  const name = DLT_NAMES[linktype];
  if (name === undefined) {
    throw new PcapError(
      "bad-filter-expression",
      `Cannot compile "${expression}": link type ${linktype} has no tcpdump name known to mxy`,
    );
  }
  const r = await runCommand(options.tcpdump ?? "tcpdump", ["-ddd", "-y", name, expression]);
  if (r.code !== 0) {
    const why = r.stderr.trim().split("\n").pop() ?? `exit code ${r.code}`;
    throw new PcapError("bad-filter-expression", `tcpdump cannot compile "${expression}": ${why}`);
  }
  return parseCbpf(new TextDecoder().decode(r.stdout), { source: `tcpdump -ddd "${expression}"` });
}
