/**
 * The syntax tree of a pcap-filter expression, as the parser builds it and the code generator
 * reads it. Every node keeps `at`, the 0-based position of its first token, for error messages.
 *
 * @module
 */

/** Protocol qualifiers (libpcap's `Q_*` protocol values, by keyword). */
export type QualProto =
  | "default"
  | "undef"
  | "link"
  | "ip"
  | "arp"
  | "rarp"
  | "sctp"
  | "tcp"
  | "udp"
  | "icmp"
  | "igmp"
  | "igrp"
  | "pim"
  | "vrrp"
  | "carp"
  | "radio"
  | "ip6"
  | "icmp6"
  | "ah"
  | "esp"
  | "atalk"
  | "aarp"
  | "decnet"
  | "lat"
  | "sca"
  | "moprc"
  | "mopdl"
  | "iso"
  | "esis"
  | "isis"
  | "l1"
  | "l2"
  | "iih"
  | "lsp"
  | "snp"
  | "csnp"
  | "psnp"
  | "clnp"
  | "stp"
  | "ipx"
  | "netbeui";

/** Direction qualifiers. */
export type QualDir =
  | "default"
  | "undef"
  | "src"
  | "dst"
  | "or"
  | "and"
  | "addr1"
  | "addr2"
  | "addr3"
  | "addr4"
  | "ra"
  | "ta";

/** Address-type qualifiers. */
export type QualAddr =
  | "default"
  | "undef"
  | "host"
  | "net"
  | "port"
  | "portrange"
  | "proto"
  | "protochain"
  | "gateway";

/** The qualifiers in force for an address or number. */
export interface Qual {
  /** Protocol. */
  proto: QualProto;
  /** Direction. */
  dir: QualDir;
  /** Address type. */
  addr: QualAddr;
}

/** The qualifiers after a term that leaves none (libpcap's `qerr`). */
export const QERR: Qual = Object.freeze({ proto: "undef", dir: "undef", addr: "undef" });

/** Every protocol keyword that can qualify (libpcap's `pname`). */
export const PROTO_KEYWORDS: ReadonlySet<string> = new Set<string>([
  "link",
  "ip",
  "arp",
  "rarp",
  "sctp",
  "tcp",
  "udp",
  "icmp",
  "igmp",
  "igrp",
  "pim",
  "vrrp",
  "carp",
  "radio",
  "ip6",
  "icmp6",
  "ah",
  "esp",
  "atalk",
  "aarp",
  "decnet",
  "lat",
  "sca",
  "moprc",
  "mopdl",
  "iso",
  "esis",
  "isis",
  "l1",
  "l2",
  "iih",
  "lsp",
  "snp",
  "csnp",
  "psnp",
  "clnp",
  "stp",
  "ipx",
  "netbeui",
]);

/** An arithmetic expression (libpcap's `arth`). */
export type Arith =
  | { t: "num"; v: number; at: number }
  | { t: "len"; at: number }
  | { t: "load"; proto: QualProto; index: Arith; size: number; at: number }
  | { t: "bin"; op: ArithOp; l: Arith; r: Arith; at: number }
  | { t: "neg"; e: Arith; at: number };

/** Binary arithmetic operators. */
export type ArithOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>";

/** Comparison operators of a relation. */
export type RelOp = ">" | ">=" | "=" | "<=" | "<" | "!=";

/** A boolean filter expression. */
export type FilterNode =
  | { t: "and" | "or"; l: FilterNode; r: FilterNode; at: number }
  | { t: "not"; e: FilterNode; at: number }
  /** A number qualified by `q` (`port 80`, `net 10`, `proto 17`). */
  | { t: "num"; v: number; q: Qual; at: number }
  /** A name (`host name`, `port http`, `proto \tcp`). */
  | { t: "name"; name: string; q: Qual; at: number }
  /** A dotted IPv4 address or prefix, with a prefix length or a mask. */
  | {
    t: "ipv4";
    text: string;
    maskText: string | null;
    masklen: number | null;
    q: Qual;
    at: number;
  }
  /** An IPv6 address with a prefix length (128 without one). */
  | { t: "ipv6"; text: string; masklen: number; q: Qual; at: number }
  /** A MAC address. */
  | { t: "mac"; text: string; q: Qual; at: number }
  /** A protocol keyword alone (`tcp`, `ip6`, `arp`). */
  | { t: "proto"; proto: QualProto; at: number }
  /** A comparison of two arithmetic expressions. */
  | { t: "rel"; op: RelOp; l: Arith; r: Arith; at: number }
  | { t: "broadcast" | "multicast"; proto: QualProto; at: number }
  | { t: "less" | "greater"; n: number; at: number }
  | { t: "byte"; index: number; op: "&" | "|" | "<" | ">" | "="; v: number; at: number }
  | { t: "inbound" | "outbound"; at: number }
  | { t: "ifindex"; n: number; at: number }
  | { t: "vlan" | "mpls" | "pppoes"; n: number | null; at: number }
  | { t: "pppoed"; at: number }
  /** `llc`, `llc i`, `llc s`, `llc u` or an LLC command name (`llc ui`, `llc rr` …). */
  | { t: "llc"; kind: string | null; at: number };
