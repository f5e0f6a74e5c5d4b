/**
 * The tokenizer of the pcap-filter language (libpcap's scanner): keywords, numbers (decimal,
 * `0x` hex, `0` octal), dotted IPv4 prefixes, IPv6 addresses, MAC addresses, names, the named
 * header fields (`tcpflags`, `icmp-echo` …) that stand for numbers, and operators. Like flex, the
 * longest match wins and a tie goes to the earlier rule, so `10.0.0.1` is an address, `1-1024` a
 * name (for `portrange`) and `tcp-syn` a number. Every token keeps its position for error
 * messages.
 *
 * @module
 */
import { PcapError } from "./pcap_error.ts";

/** One token: its kind (a keyword, an operator or a class), text, position and number value. */
export interface FilterToken {
  /**
   * `"num"`, `"id"` (a name), `"hid"` (dotted IPv4), `"hid6"` (IPv6), `"eid"` (MAC), `"aid"`
   * (ARCnet), `"eof"`, a keyword (`"host"`, `"tcp"`, `"and"` …; `"link"` for its synonyms) or an
   * operator (`"("`, `">="`, `"<<"` …).
   */
  kind: string;
  /** The text as written (after the backslash for an escaped name). */
  text: string;
  /** 0-based index of the first character in the expression. */
  start: number;
  /** 0-based index after the last character. */
  end: number;
  /** The value of a `num` token. */
  value: number;
}

/** Keywords and the token kind each one is. */
const KEYWORDS: ReadonlyMap<string, string> = new Map([
  ...[
    "dst",
    "src",
    "arp",
    "rarp",
    "ip",
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
    "host",
    "net",
    "mask",
    "port",
    "portrange",
    "proto",
    "protochain",
    "gateway",
    "type",
    "subtype",
    "ra",
    "ta",
    "less",
    "greater",
    "byte",
    "broadcast",
    "multicast",
    "and",
    "or",
    "not",
    "len",
    "inbound",
    "outbound",
    "ifindex",
    "vlan",
    "mpls",
    "pppoed",
    "pppoes",
    "geneve",
    "lane",
    "llc",
    "metac",
    "bcc",
    "oam",
    "oamf4",
    "oamf4ec",
    "oamf4sc",
    "sc",
    "ilmic",
    "vpi",
    "vci",
    "connectmsg",
    "metaconnect",
    "reason",
    "action",
    "fisu",
    "lssu",
    "msu",
    "hfisu",
    "hlssu",
    "hmsu",
    "sio",
    "opc",
    "dpc",
    "sls",
    "hsio",
    "hopc",
    "hdpc",
    "hsls",
  ].map((k): [string, string] => [k, k]),
  ["link", "link"],
  ["ether", "link"],
  ["ppp", "link"],
  ["slip", "link"],
  ["fddi", "link"],
  ["tr", "link"],
  ["wlan", "link"],
  ["es-is", "esis"],
  ["is-is", "isis"],
  ["direction", "dir"],
  ["dir", "dir"],
  ["address1", "addr1"],
  ["addr1", "addr1"],
  ["address2", "addr2"],
  ["addr2", "addr2"],
  ["address3", "addr3"],
  ["addr3", "addr3"],
  ["address4", "addr4"],
  ["addr4", "addr4"],
  ["length", "len"],
  ["on", "ifname"],
  ["ifname", "ifname"],
  ["rset", "ruleset"],
  ["ruleset", "ruleset"],
  ["rnr", "rnr"],
  ["rulenum", "rnr"],
  ["srnr", "srnr"],
  ["subrulenum", "srnr"],
  ["lsu", "lssu"],
]);

/** Names that stand for numbers: header field offsets and values (libpcap's scanner). */
const NAMED_NUMBERS: ReadonlyMap<string, number> = new Map([
  ["icmptype", 0],
  ["icmpcode", 1],
  ["icmp-echoreply", 0],
  ["icmp-unreach", 3],
  ["icmp-sourcequench", 4],
  ["icmp-redirect", 5],
  ["icmp-echo", 8],
  ["icmp-routeradvert", 9],
  ["icmp-routersolicit", 10],
  ["icmp-timxceed", 11],
  ["icmp-paramprob", 12],
  ["icmp-tstamp", 13],
  ["icmp-tstampreply", 14],
  ["icmp-ireq", 15],
  ["icmp-ireqreply", 16],
  ["icmp-maskreq", 17],
  ["icmp-maskreply", 18],
  ["icmp6type", 0],
  ["icmp6code", 1],
  ["icmp6-destinationunreach", 1],
  ["icmp6-packettoobig", 2],
  ["icmp6-timeexceeded", 3],
  ["icmp6-parameterproblem", 4],
  ["icmp6-echo", 128],
  ["icmp6-echoreply", 129],
  ["icmp6-multicastlistenerquery", 130],
  ["icmp6-multicastlistenerreportv1", 131],
  ["icmp6-multicastlistenerdone", 132],
  ["icmp6-routersolicit", 133],
  ["icmp6-routeradvert", 134],
  ["icmp6-neighborsolicit", 135],
  ["icmp6-neighboradvert", 136],
  ["icmp6-redirect", 137],
  ["icmp6-routerrenum", 138],
  ["icmp6-nodeinformationquery", 139],
  ["icmp6-nodeinformationresponse", 140],
  ["icmp6-ineighbordiscoverysolicit", 141],
  ["icmp6-ineighbordiscoveryadvert", 142],
  ["icmp6-multicastlistenerreportv2", 143],
  ["icmp6-homeagentdiscoveryrequest", 144],
  ["icmp6-homeagentdiscoveryreply", 145],
  ["icmp6-mobileprefixsolicit", 146],
  ["icmp6-mobileprefixadvert", 147],
  ["icmp6-certpathsolicit", 148],
  ["icmp6-certpathadvert", 149],
  ["icmp6-multicastrouteradvert", 151],
  ["icmp6-multicastroutersolicit", 152],
  ["icmp6-multicastrouterterm", 153],
  ["tcpflags", 13],
  ["tcp-fin", 0x01],
  ["tcp-syn", 0x02],
  ["tcp-rst", 0x04],
  ["tcp-push", 0x08],
  ["tcp-ack", 0x10],
  ["tcp-urg", 0x20],
  ["tcp-ece", 0x40],
  ["tcp-cwr", 0x80],
]);

// The scanner's patterns (sticky, so they match at a position only). Each alternation lists its
// longer forms first: a JavaScript alternation takes the first branch that matches, flex the
// longest.
const N = "(?:0[xX][0-9A-Fa-f]+|[0-9]+)";
const B = "[0-9A-Fa-f]{1,2}";
const W = "[0-9A-Fa-f]{1,4}";
const V4 = `${N}\\.${N}\\.${N}\\.${N}`;
const RE_NUM = new RegExp(N, "y");
const RE_HID = new RegExp(`${N}(?:\\.${N}){1,3}`, "y");
const RE_ID = /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y;
const RE_ESCAPED = /\\[^ !()\n\t]+/y;
const RE_AID = new RegExp(`\\$${B}`, "y");
/** The characters a MAC or IPv6 address (or a dotted IPv4 tail) is made of. */
const RE_ADDRESS_RUN = /[0-9A-Fa-f:.-]*/y;
const RE_BOGUS_MAC = new RegExp(`${B}:+(?:${B}:+)+`, "y");
const RE_MACS = [
  `${B}:${B}:${B}:${B}:${B}:${B}`,
  `${B}-${B}-${B}-${B}-${B}-${B}`,
  `${B}\\.${B}\\.${B}\\.${B}\\.${B}\\.${B}`,
  "[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}",
  "[0-9A-Fa-f]{12}",
].map((p) => new RegExp(p, "y"));

/** libpcap's IPv6 forms: 8 groups, `::` anywhere in fewer, and an IPv4 tail after 6 groups. */
function ipv6Patterns(): RegExp[] {
  const out: string[] = [];
  const groups = (n: number) => Array.from({ length: n }, () => W).join(":");
  const withGap = (total: number, tail: string) => {
    // `total` groups around a "::" placed after i of them.
    for (let i = 0; i <= total; i++) {
      const left = groups(i), right = groups(total - i);
      const r = tail === "" ? right : right === "" ? tail : `${right}:${tail}`;
      out.push(`${left}::${r}`);
    }
  };
  out.push(groups(8));
  for (let n = 7; n >= 0; n--) withGap(n, "");
  out.push(`${groups(6)}:${V4}`);
  for (let n = 5; n >= 0; n--) withGap(n, V4);
  return out.map((p) => new RegExp(p, "y"));
}
const RE_V6 = ipv6Patterns();

/** Operators, two-character ones first. */
const OPERATORS: readonly [string, string][] = [
  [">=", ">="],
  ["<=", "<="],
  ["!=", "!="],
  ["==", "="],
  ["<<", "<<"],
  [">>", ">>"],
  ["&&", "and"],
  ["||", "or"],
  ...[..."+-*/%:[]<>()&|^="].map((c): [string, string] => [c, c]),
  ["!", "not"],
];

/**
 * Builds a syntax error pointing at a column (1-based in the message and in `column`).
 *
 * @param expression The whole expression.
 * @param at 0-based index of the offending character.
 * @param message What is wrong there.
 * @returns The error to throw.
 */
export function filterSyntaxError(expression: string, at: number, message: string): PcapError {
  return new PcapError(
    "filter-syntax",
    `Filter expression "${expression}", column ${at + 1}: ${message}`,
    { column: at + 1 },
  );
}

function longest(res: readonly RegExp[], text: string, at: number): number {
  let best = 0;
  for (const re of res) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m !== null && m[0].length > best) best = m[0].length;
  }
  return best;
}

function matchLength(re: RegExp, text: string, at: number): number {
  re.lastIndex = at;
  const m = re.exec(text);
  return m === null ? 0 : m[0].length;
}

/** Converts a number token like C's strtoul with libpcap's checks (hex, octal, 32 bits). */
function numberValue(expression: string, at: number, text: string): number {
  let v: bigint;
  if (/^0[xX]/.test(text)) v = BigInt(text);
  else if (text.length > 1 && text[0] === "0") {
    if (/[89]/.test(text)) {
      throw filterSyntaxError(expression, at, `number ${text} contains non-octal digit`);
    }
    v = BigInt(`0o${text.slice(1)}`);
  } else v = BigInt(text);
  if (v > 0xffffffffn) throw filterSyntaxError(expression, at, `number ${text} overflows 32 bits`);
  return Number(v);
}

/**
 * Splits a filter expression into tokens, ending with an `eof` token.
 *
 * @param expression The expression.
 * @returns The tokens.
 * @throws {PcapError} `filter-syntax` for a character no token starts with, a bad number or a
 *   malformed address.
 */
export function tokenizeFilter(expression: string): FilterToken[] {
  const out: FilterToken[] = [];
  let i = 0;
  const n = expression.length;
  while (i < n) {
    const c = expression[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    // Candidates in flex's rule order; the longest wins, the earliest on a tie.
    let kind = "";
    let len = 0;
    let text = "";
    const consider = (k: string, l: number) => {
      if (l > len) {
        kind = k;
        len = l;
      }
    };
    for (const [op, k] of OPERATORS) {
      if (expression.startsWith(op, i)) {
        consider(k, op.length);
        break;
      }
    }
    consider("aid", matchLength(RE_AID, expression, i));
    // MAC and IPv6 forms need a separator within their hex digits: skip the patterns otherwise.
    RE_ADDRESS_RUN.lastIndex = i;
    const run = RE_ADDRESS_RUN.exec(expression)?.[0] ?? "";
    if (/[:.-]/.test(run) || run.length >= 12) {
      consider("eid", longest(RE_MACS, expression, i));
    }
    consider("num", matchLength(RE_NUM, expression, i));
    consider("hid", matchLength(RE_HID, expression, i));
    if (run.includes(":")) {
      consider("hid6", longest(RE_V6, expression, i));
      consider("bogus-mac", matchLength(RE_BOGUS_MAC, expression, i));
    }
    const idLen = matchLength(RE_ID, expression, i);
    if (idLen > len) {
      // A keyword or named number only when the whole name is one (flex: longest match).
      const word = expression.slice(i, i + idLen);
      kind = KEYWORDS.get(word) ?? (NAMED_NUMBERS.has(word) ? "named-num" : "id");
      len = idLen;
    }
    const escLen = matchLength(RE_ESCAPED, expression, i);
    if (escLen > len) {
      kind = "escaped";
      len = escLen;
    }
    if (len === 0) {
      throw filterSyntaxError(expression, i, `unexpected character "${c}"`);
    }
    text = expression.slice(i, i + len);
    let value = 0;
    if (kind === "num") value = numberValue(expression, i, text);
    else if (kind === "named-num") {
      value = NAMED_NUMBERS.get(text)!;
      kind = "num";
    } else if (kind === "escaped") {
      kind = "id";
      text = text.slice(1);
    } else if (kind === "bogus-mac") {
      throw filterSyntaxError(expression, i, `bogus ethernet address ${text}`);
    }
    out.push({ kind, text, start: i, end: i + len, value });
    i += len;
  }
  out.push({ kind: "eof", text: "", start: n, end: n, value: 0 });
  return out;
}
