/**
 * Compiling pcap-filter expressions (`tcp port 80`, `host 10.0.0.1 and not udp`) to classic BPF
 * without tcpdump: libpcap's language and meaning, for the link type of the capture the filter
 * will run on.
 *
 * @module
 */
import type { CbpfInstruction } from "../bpf/mod.ts";
import { parseFilter } from "./_filter_parser.ts";
import { Codegen } from "./_filter_codegen.ts";
import { finish } from "./_filter_cfg.ts";
import { assembleFilter } from "./_filter_optimize.ts";
import { PcapError } from "./pcap_error.ts";
import { LinkType } from "./packet_view.ts";

/** The largest classic program (`BPF_MAXINSNS`). */
const MAX_INSNS = 4096;
/** What `ret` returns for a kept packet unless told otherwise (tcpdump's default snaplen). */
const DEFAULT_SNAPLEN = 262144;

/** Options for {@linkcode compileFilter}. */
export interface CompileFilterOptions {
  /** The link type of the packets ({@linkcode LinkType}; default Ethernet). */
  linkType?: number;
  /**
   * The value the program returns for a kept packet (libpcap: the capture's snapshot length;
   * default 262144).
   */
  snaplen?: number;
  /**
   * The byte order of the capture file (default `true`): `LinkType.NULL` headers hold the
   * address family in the byte order of the machine that wrote them, which libpcap takes to be
   * the file's.
   */
  littleEndian?: boolean;
}

/**
 * Compiles a pcap-filter expression to classic BPF for one link type, as libpcap does for a
 * capture file of that link type (`tcpdump -r FILE EXPR`): the same primitives (`host`, `net`,
 * `port`, `portrange`, `src`/`dst`, `ether`, `ip`/`ip6`/`arp`/`rarp`, `tcp`/`udp`/`icmp`/
 * `icmp6`/`sctp`…, `proto`, `vlan`, `mpls`, `pppoes`, `len`/`less`/`greater`, `broadcast`/
 * `multicast`, arithmetic and header bytes such as `tcp[tcpflags] & tcp-syn != 0`,
 * `and`/`or`/`not`/parentheses), with the same results packet for packet. An empty expression
 * keeps everything. Names are resolved from built-in tables (services, IP protocols); host and
 * network names are not resolved.
 *
 * @param expression The expression.
 * @param options The link type, snapshot length and (for `NULL`) byte order.
 * @returns The classic BPF program: a packet is kept when it returns non-zero.
 * @throws {PcapError} `filter-syntax` for an expression that does not parse, or
 *   `bad-filter-expression` for one that cannot apply to the link type; both carry the
 *   1-based `column` of the offending token.
 * @example
 * ```ts
 * import { compileFilter, LinkType } from "@mxy/mxy/pcap";
 * import { compileCbpf } from "@mxy/mxy/bpf";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const program = compileCbpf(compileFilter("udp port 53", { linkType: LinkType.ETHERNET }));
 * const dns = buildPacket({ src: "10.0.0.1", dst: "10.0.0.53", proto: "udp", dstPort: 53 });
 * const web = buildPacket({ src: "10.0.0.1", dst: "10.0.0.80", proto: "tcp", dstPort: 80 });
 * assert.notEqual(program.run(dns), 0);
 * assert.equal(program.run(web), 0);
 * ```
 */
export function compileFilter(
  expression: string,
  options: CompileFilterOptions = {},
): CbpfInstruction[] {
  const snaplen = options.snaplen === undefined || options.snaplen <= 0
    ? DEFAULT_SNAPLEN
    : options.snaplen;
  const tree = parseFilter(expression);
  if (tree === null) return [{ code: 0x06, jt: 0, jf: 0, k: snaplen >>> 0 }];
  const codegen = new Codegen(expression, {
    linkType: options.linkType ?? LinkType.ETHERNET,
    littleEndian: options.littleEndian ?? true,
  });
  const program = assembleFilter(finish(codegen.generate(tree)), snaplen);
  if (program.length > MAX_INSNS) {
    throw new PcapError(
      "bad-filter-expression",
      `Filter expression "${expression}" compiles to ${program.length} instructions; classic BPF allows ${MAX_INSNS}`,
    );
  }
  return program;
}
