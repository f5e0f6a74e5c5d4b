/**
 * The code generator of the filter compiler: turns the syntax tree into the control-flow graph
 * of `_filter_cfg.ts` for one link type, the way libpcap's gencode.c does for a capture file of
 * that link type — the same tests, in the same order, loading the same bytes, since a load past
 * the captured bytes rejects the packet and tcpdump is the judge. Notable rules it follows:
 *
 * - Link layers: Ethernet (type/length field at 12, 802.2 LLC and SNAP for small values), Linux
 *   cooked v1 (protocol at 14) and v2 (at 0), BSD loopback (`NULL`: the address family in the
 *   file's byte order; `LOOP`: network order; IPv6 is any of 24, 28 and 30), raw IP (the version
 *   nibble), raw IPv4/IPv6 (always/never), PPP; other link types support `link[…]` and `len`.
 * - `vlan`, `mpls` and `pppoes` shift the offsets of everything after them in the expression.
 * - IPv6 extension headers are not walked, except that `ip6 proto N` (and `tcp`, `udp` …) also
 *   accept N after one fragment header, as libpcap does.
 * - Arithmetic is folded like libpcap's optimizer does (constants; `x * 0`, `0 / x` and
 *   friends become 0 and their loads disappear), and `tcp[…]`-style loads are guarded by the
 *   protocol tests of their left operand only.
 *
 * @module
 */
import type { Arith, ArithOp, FilterNode, Qual, QualProto } from "./_filter_ast.ts";
import {
  ABS,
  ADD,
  ALU,
  AND,
  and,
  B,
  DIV,
  FALSE,
  type Frag,
  H,
  IMM,
  IND,
  JEQ,
  JGE,
  JGT,
  JMP,
  JSET,
  LD,
  LDX,
  LEN,
  LSH,
  MEM,
  MISC,
  MOD,
  MSH,
  MUL,
  NEG,
  not,
  OR,
  or,
  RSH,
  ST,
  type Stmt,
  SUB,
  TAX,
  test,
  TRUE,
  W,
  X,
  XOR,
} from "./_filter_cfg.ts";
import { ipProtocolNumber, linkProtocolNumber, servicePorts } from "./_filter_names.ts";
import { parseIp } from "../core/ip.ts";
import { PcapError } from "./pcap_error.ts";
import { linkTypeName } from "./protocol_path.ts";

// Link-layer header types (DLT values) the generator knows.
const DLT_NULL = 0, DLT_EN10MB = 1, DLT_PPP = 9, DLT_RAW = 101, DLT_LOOP = 108;
const DLT_LINUX_SLL = 113, DLT_IPV4 = 228, DLT_IPV6 = 229, DLT_LINUX_SLL2 = 276;

// Ethernet types, LLC SAPs and protocol numbers (ethertype.h, llc.h, nlpid.h).
const ETHERTYPE_IP = 0x0800, ETHERTYPE_ARP = 0x0806, ETHERTYPE_REVARP = 0x8035;
const ETHERTYPE_IPV6 = 0x86dd, ETHERTYPE_8021Q = 0x8100, ETHERTYPE_8021AD = 0x88a8;
const ETHERTYPE_8021QINQ = 0x9100, ETHERTYPE_MPLS = 0x8847, ETHERTYPE_PPPOED = 0x8863;
const ETHERTYPE_PPPOES = 0x8864, ETHERTYPE_ATALK = 0x809b, ETHERTYPE_AARP = 0x80f3;
const ETHERTYPE_DN = 0x6003, ETHERTYPE_SCA = 0x6007, ETHERTYPE_LAT = 0x6004;
const ETHERTYPE_MOPDL = 0x6001, ETHERTYPE_MOPRC = 0x6002, ETHERTYPE_IPX = 0x8137;
const ETHERTYPE_NS = 0x0600;
const ETHERMTU = 1500;
const LLCSAP_IP = 0x06, LLCSAP_ISONS = 0xfe, LLCSAP_NETBEUI = 0xf0, LLCSAP_IPX = 0xe0;
const LLCSAP_8021D = 0x42, LLCSAP_SNAP = 0xaa;
const LINUX_SLL_P_802_3 = 0x0001, LINUX_SLL_P_802_2 = 0x0004, LINUX_SLL_OUTGOING = 4;
const PPP_IP = 0x0021, PPP_IPV6 = 0x0057, PPP_DECNET = 0x0027, PPP_APPLE = 0x0029;
const PPP_NS = 0x0025, PPP_OSI = 0x0023, PPP_BRPDU = 0x0031, PPP_IPX = 0x002b;
const PPP_MPLS_UCAST = 0x0281;
// 802.2 LLC control field (llc.h): formats, command masks and commands.
const LLC_S_FMT = 1, LLC_U_FMT = 3, LLC_S_CMD_MASK = 0x0f, LLC_U_CMD_MASK = 0xef;
const LLC_S_COMMANDS: Readonly<Record<string, number>> = { rr: 0x01, rnr: 0x05, rej: 0x09 };
const LLC_U_COMMANDS: Readonly<Record<string, number>> = {
  ui: 0x03,
  ua: 0x63,
  disc: 0x43,
  dm: 0x0f,
  sabme: 0x6f,
  test: 0xe3,
  xid: 0xaf,
  frmr: 0x87,
};
const AF_INET = 2, AF_INET6_BSD = 24, AF_INET6_FREEBSD = 28, AF_INET6_DARWIN = 30;
const IPPROTO_ICMP = 1, IPPROTO_IGMP = 2, IPPROTO_TCP = 6, IPPROTO_IGRP = 9, IPPROTO_UDP = 17;
const IPPROTO_FRAGMENT = 44, IPPROTO_ESP = 50, IPPROTO_AH = 51, IPPROTO_ICMPV6 = 58;
const IPPROTO_PIM = 103, IPPROTO_VRRP = 112, IPPROTO_SCTP = 132;
/** "Any of TCP, UDP and SCTP" for ports. */
const PROTO_UNDEF = -1;
const ISO8473_CLNP = 0x81, ISO9542_ESIS = 0x82, ISO10589_ISIS = 0x83;
const ISIS_L1_LAN_IIH = 15, ISIS_L2_LAN_IIH = 16, ISIS_PTP_IIH = 17, ISIS_L1_LSP = 18;
const ISIS_L2_LSP = 20, ISIS_L1_CSNP = 24, ISIS_L2_CSNP = 25, ISIS_L1_PSNP = 26;
const ISIS_L2_PSNP = 27;
/** Offset "not set": the link type has no such field. */
const NOT_SET = -1;
/** Scratch memory words for arithmetic temporaries. */
const MEMWORDS = 16;

/** Where a load's offset is relative to (libpcap's `e_offrel`). */
const enum Rel {
  PACKET,
  LINKHDR,
  LLC,
  PREVMPLSHDR,
  LINKTYPE,
  LINKPL,
  LINKPL_NOSNAP,
  TRAN_IPV4,
  TRAN_IPV6,
}

/** What the generator needs to know about the packets. */
export interface CodegenOptions {
  /** The link-layer header type. */
  linkType: number;
  /** For `NULL` captures: the file's byte order (the address family is in it). */
  littleEndian: boolean;
}

/**
 * An arithmetic value, after folding: a constant, the wire length, a packet load (at
 * `off + index`, plus the IPv4 header length at `msh` when set), or an operation.
 */
type Value =
  | { k: "const"; v: number }
  | { k: "len" }
  | { k: "load"; size: number; off: number; msh: number; index: Value }
  | { k: "bin"; op: number; l: Value; r: Value }
  | { k: "neg"; e: Value };

/** A generated arithmetic value and the protocol tests that must hold before it is computed. */
interface ArithResult {
  value: Value;
  checks: Frag | null;
}

const ALU_OPS: Readonly<Record<ArithOp, number>> = {
  "+": ADD,
  "-": SUB,
  "*": MUL,
  "/": DIV,
  "%": MOD,
  "&": AND,
  "|": OR,
  "^": XOR,
  "<<": LSH,
  ">>": RSH,
};

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** The first statement of libpcap's code for an arithmetic tree, when it is `ld #k`. */
function firstImmediate(a: Arith): number | null {
  switch (a.t) {
    case "num":
      return a.v;
    case "len":
      return null;
    case "load":
      return firstImmediate(a.index);
    case "bin":
      return firstImmediate(a.l);
    case "neg":
      return firstImmediate(a.e);
  }
}

/** Generates the graph for one syntax tree and one link type. */
export class Codegen {
  // The layout (gencode's compiler state); vlan, mpls and pppoes change it as they go.
  #linktype: number;
  #offLinkhdr = 0;
  #offLinktype = NOT_SET;
  #offLinkpl = NOT_SET;
  #offNl = 0;
  #offNlNosnap = 0;
  #vlanDepth = 0;
  #labelDepth = 0;
  readonly #littleEndian: boolean;
  /** Position of the node being generated, for errors. */
  #at = 0;

  constructor(readonly expression: string, options: CodegenOptions) {
    this.#linktype = options.linkType;
    this.#littleEndian = options.littleEndian;
    switch (options.linkType) {
      case DLT_NULL:
      case DLT_LOOP:
        this.#offLinktype = 0;
        this.#offLinkpl = 4;
        break;
      case DLT_EN10MB:
        this.#offLinktype = 12;
        this.#offLinkpl = 14;
        this.#offNlNosnap = 3;
        break;
      case DLT_PPP:
        this.#offLinktype = 2;
        this.#offLinkpl = 4;
        break;
      case DLT_RAW:
      case DLT_IPV4:
      case DLT_IPV6:
        this.#offLinkpl = 0;
        break;
      case DLT_LINUX_SLL:
        this.#offLinktype = 14;
        this.#offLinkpl = 16;
        break;
      case DLT_LINUX_SLL2:
        this.#offLinktype = 0;
        this.#offLinkpl = 20;
        break;
    }
  }

  /**
   * Generates a whole expression.
   *
   * @param node The syntax tree.
   * @returns The graph.
   */
  generate(node: FilterNode): Frag {
    switch (node.t) {
      case "and":
      case "or": {
        const l = this.generate(node.l);
        const r = this.generate(node.r);
        return node.t === "and" ? and(l, r) : or(l, r);
      }
      case "not":
        return not(this.generate(node.e));
    }
    this.#at = node.at;
    switch (node.t) {
      case "num":
        return this.#ncode(null, node.v, node.q);
      case "name":
        return this.#scode(node.name, node.q);
      case "ipv4":
        this.#checkAddressQualifier(node.q, node.masklen !== null || node.maskText !== null);
        if (node.masklen !== null || node.maskText !== null) {
          return this.#mcode(node.text, node.maskText, node.masklen ?? 0, node.q);
        }
        return this.#ncode(node.text, 0, node.q);
      case "ipv6":
        this.#checkAddressQualifier(node.q, true);
        return this.#mcode6(node.text, node.masklen, node.q);
      case "mac":
        return this.#ecode(node.text, node.q);
      case "proto":
        return this.#protoAbbrev(node.proto);
      case "rel":
        return this.#relation(node.op, node.l, node.r);
      case "broadcast":
        return this.#broadcast(node.proto);
      case "multicast":
        return this.#multicast(node.proto);
      case "less":
        return not(test([{ code: LD | W | LEN, k: 0 }], JMP | JGT, node.n));
      case "greater":
        return test([{ code: LD | W | LEN, k: 0 }], JMP | JGE, node.n);
      case "byte":
        return this.#byteop(node.op, node.index, node.v);
      case "inbound":
      case "outbound":
        return this.#inbound(node.t === "outbound");
      case "ifindex":
        if (this.#linktype !== DLT_LINUX_SLL2) {
          this.#error(`ifindex is not supported on ${this.#linkName()} captures`);
        }
        return this.#cmp(Rel.LINKHDR, 4, W, node.n);
      case "vlan":
        return this.#vlan(node.n);
      case "mpls":
        return this.#mpls(node.n);
      case "pppoed":
        return this.#linktypeTest(ETHERTYPE_PPPOED);
      case "pppoes":
        return this.#pppoes(node.n);
      case "llc":
        return this.#llc(node.kind);
    }
  }

  #error(message: string): never {
    throw new PcapError(
      "bad-filter-expression",
      `Filter expression "${this.expression}", column ${this.#at + 1}: ${message}`,
      { column: this.#at + 1 },
    );
  }

  #linkName(): string {
    return linkTypeName(this.#linktype);
  }

  // ---- loads and comparisons ----

  /** Statements loading `size` bytes at `off` relative to `rel` into A (gen_load_a). */
  #load(rel: Rel, off: number, size: number): Stmt[] {
    const abs = (base: number): Stmt[] => {
      if (base === NOT_SET) {
        this.#error(`this test is not supported on ${this.#linkName()} captures`);
      }
      return [{ code: LD | size | ABS, k: (base + off) >>> 0 }];
    };
    switch (rel) {
      case Rel.PACKET:
        return [{ code: LD | size | ABS, k: off >>> 0 }];
      case Rel.LINKHDR:
        return abs(this.#offLinkhdr);
      case Rel.LLC:
        return abs(this.#offLinkpl);
      case Rel.PREVMPLSHDR:
        return abs(this.#plain(this.#offLinkpl) + this.#offNl - 4);
      case Rel.LINKTYPE:
        return abs(this.#offLinktype);
      case Rel.LINKPL:
        return abs(this.#plain(this.#offLinkpl) + this.#offNl);
      case Rel.LINKPL_NOSNAP:
        return abs(this.#plain(this.#offLinkpl) + this.#offNlNosnap);
      case Rel.TRAN_IPV4: {
        const nl = this.#plain(this.#offLinkpl) + this.#offNl;
        return [
          { code: LDX | B | MSH, k: nl },
          { code: LD | size | IND, k: (nl + off) >>> 0 },
        ];
      }
      case Rel.TRAN_IPV6:
        return abs(this.#plain(this.#offLinkpl) + this.#offNl + 40);
    }
  }

  /** The offset, or an error when the link type has no network layer. */
  #plain(off: number): number {
    if (off === NOT_SET) {
      this.#error(`network-layer tests are not supported on ${this.#linkName()} captures`);
    }
    return off;
  }

  /** `(field & mask) jtype v`, negated for `reverse` with `>`/`>=` (gen_ncmp). */
  #ncmp(
    rel: Rel,
    off: number,
    size: number,
    mask: number,
    jtype: number,
    reverse: boolean,
    v: number,
  ): Frag {
    v >>>= 0;
    mask >>>= 0;
    const stmts = this.#load(rel, off, size);
    let b: Frag;
    if (mask === 0) {
      // libpcap's optimizer turns "and #0" into "ld #0", drops the load and folds the test.
      const holds = jtype === JEQ ? v === 0 : jtype === JGE ? v === 0 : false;
      b = holds ? TRUE : FALSE;
    } else {
      if (mask !== 0xffffffff) stmts.push({ code: ALU | AND | 0, k: mask });
      b = test(stmts, JMP | jtype, v);
    }
    return reverse && (jtype === JGT || jtype === JGE) ? not(b) : b;
  }

  #cmp(rel: Rel, off: number, size: number, v: number): Frag {
    return this.#ncmp(rel, off, size, 0xffffffff, JEQ, false, v);
  }

  #mcmp(rel: Rel, off: number, size: number, v: number, mask: number): Frag {
    return this.#ncmp(rel, off, size, mask, JEQ, false, v);
  }

  #cmpGt(rel: Rel, off: number, size: number, v: number): Frag {
    return this.#ncmp(rel, off, size, 0xffffffff, JGT, false, v);
  }

  #cmpGe(rel: Rel, off: number, size: number, v: number): Frag {
    return this.#ncmp(rel, off, size, 0xffffffff, JGE, false, v);
  }

  #cmpLt(rel: Rel, off: number, size: number, v: number): Frag {
    return this.#ncmp(rel, off, size, 0xffffffff, JGE, true, v);
  }

  #cmpLe(rel: Rel, off: number, size: number, v: number): Frag {
    return this.#ncmp(rel, off, size, 0xffffffff, JGT, true, v);
  }

  /** Compares bytes, 4 then 2 then 1 at a time from the end (gen_bcmp). */
  #bcmp(rel: Rel, off: number, bytes: readonly number[]): Frag {
    let size = bytes.length;
    let b: Frag | null = null;
    const add = (t: Frag) => {
      b = b === null ? t : and(b, t);
    };
    while (size >= 4) {
      const p = size - 4;
      const v = ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>>
        0;
      add(this.#cmp(rel, off + p, W, v));
      size -= 4;
    }
    while (size >= 2) {
      const p = size - 2;
      add(this.#cmp(rel, off + p, H, (bytes[p] << 8) | bytes[p + 1]));
      size -= 2;
    }
    if (size > 0) add(this.#cmp(rel, off, B, bytes[0]));
    return b ?? TRUE;
  }

  // ---- link-layer types ----

  /** Whether the packet carries `proto` (an Ethernet type, or an LLC SAP ≤ 1500). */
  #linktypeTest(proto: number): Frag {
    if (this.#labelDepth > 0) return this.#mplsLinktype(proto);
    switch (this.#linktype) {
      case DLT_EN10MB:
        return this.#etherLinktype(proto);
      case DLT_LINUX_SLL:
        return this.#sllLinktype(proto);
      case DLT_RAW:
        if (proto === ETHERTYPE_IP) return this.#mcmp(Rel.LINKHDR, 0, B, 0x40, 0xf0);
        if (proto === ETHERTYPE_IPV6) return this.#mcmp(Rel.LINKHDR, 0, B, 0x60, 0xf0);
        return constant(false);
      case DLT_IPV4:
        return constant(proto === ETHERTYPE_IP);
      case DLT_IPV6:
        return constant(proto === ETHERTYPE_IPV6);
      case DLT_PPP:
        return this.#cmp(Rel.LINKTYPE, 0, H, pppType(proto));
      case DLT_NULL:
      case DLT_LOOP:
        if (proto === ETHERTYPE_IP) return this.#loopbackLinktype(AF_INET);
        if (proto === ETHERTYPE_IPV6) {
          // A capture file may come from any BSD: all three values of AF_INET6.
          const b1 = or(
            this.#loopbackLinktype(AF_INET6_BSD),
            this.#loopbackLinktype(AF_INET6_FREEBSD),
          );
          return or(this.#loopbackLinktype(AF_INET6_DARWIN), b1);
        }
        return constant(false);
      default:
        if (this.#offLinktype === NOT_SET) {
          this.#error(`link-layer type filtering is not supported on ${this.#linkName()} captures`);
        }
        return this.#cmp(Rel.LINKTYPE, 0, H, proto);
    }
  }

  #loopbackLinktype(af: number): Frag {
    // DLT_NULL holds the family in the writer's byte order; loads are big-endian.
    const v = this.#linktype === DLT_NULL && this.#littleEndian ? swap32(af) : af;
    return this.#cmp(Rel.LINKHDR, 0, W, v);
  }

  #snap(orgcode: number, ptype: number): Frag {
    return this.#bcmp(Rel.LLC, 0, [
      LLCSAP_SNAP,
      LLCSAP_SNAP,
      0x03,
      (orgcode >>> 16) & 0xff,
      (orgcode >>> 8) & 0xff,
      orgcode & 0xff,
      (ptype >>> 8) & 0xff,
      ptype & 0xff,
    ]);
  }

  #etherLinktype(proto: number): Frag {
    const is8023 = () => not(this.#cmpGt(Rel.LINKTYPE, 0, H, ETHERMTU));
    switch (proto) {
      case LLCSAP_ISONS:
      case LLCSAP_IP:
      case LLCSAP_NETBEUI:
        return and(is8023(), this.#cmp(Rel.LLC, 0, H, (proto << 8) | proto));
      case LLCSAP_IPX: {
        let b1 = or(this.#cmp(Rel.LLC, 0, B, LLCSAP_IPX), this.#cmp(Rel.LLC, 0, H, 0xffff));
        b1 = or(this.#snap(0x000000, ETHERTYPE_IPX), b1);
        b1 = and(is8023(), b1);
        return or(this.#cmp(Rel.LINKTYPE, 0, H, ETHERTYPE_IPX), b1);
      }
      case ETHERTYPE_ATALK:
      case ETHERTYPE_AARP: {
        const b0 = is8023();
        const b1 = proto === ETHERTYPE_ATALK
          ? this.#snap(0x080007, ETHERTYPE_ATALK)
          : this.#snap(0x000000, ETHERTYPE_AARP);
        const llc = and(b0, b1);
        return or(this.#cmp(Rel.LINKTYPE, 0, H, proto), llc);
      }
      default:
        if (proto <= ETHERMTU) return and(is8023(), this.#cmp(Rel.LINKTYPE, 2, B, proto));
        return this.#cmp(Rel.LINKTYPE, 0, H, proto);
    }
  }

  #sllLinktype(proto: number): Frag {
    const is8022 = () => this.#cmp(Rel.LINKTYPE, 0, H, LINUX_SLL_P_802_2);
    switch (proto) {
      case LLCSAP_ISONS:
      case LLCSAP_IP:
      case LLCSAP_NETBEUI:
        return and(is8022(), this.#cmp(Rel.LLC, 0, H, (proto << 8) | proto));
      case LLCSAP_IPX: {
        let b1 = or(this.#cmp(Rel.LLC, 0, B, LLCSAP_IPX), this.#snap(0x000000, ETHERTYPE_IPX));
        b1 = and(is8022(), b1);
        b1 = or(this.#cmp(Rel.LINKTYPE, 0, H, LINUX_SLL_P_802_3), b1);
        return or(this.#cmp(Rel.LINKTYPE, 0, H, ETHERTYPE_IPX), b1);
      }
      case ETHERTYPE_ATALK:
      case ETHERTYPE_AARP: {
        const b0 = is8022();
        const b1 = proto === ETHERTYPE_ATALK
          ? this.#snap(0x080007, ETHERTYPE_ATALK)
          : this.#snap(0x000000, ETHERTYPE_AARP);
        const llc = and(b0, b1);
        return or(this.#cmp(Rel.LINKTYPE, 0, H, proto), llc);
      }
      default:
        if (proto <= ETHERMTU) {
          return and(is8022(), this.#cmp(Rel.LINKHDR, this.#offLinkpl, B, proto));
        }
        return this.#cmp(Rel.LINKTYPE, 0, H, proto);
    }
  }

  #mplsLinktype(proto: number): Frag {
    if (proto !== ETHERTYPE_IP && proto !== ETHERTYPE_IPV6) {
      this.#error("unsupported protocol over mpls");
    }
    const bos = this.#mcmp(Rel.LINKPL, -2, B, 0x01, 0x01);
    const version = proto === ETHERTYPE_IP ? 0x40 : 0x60;
    return and(bos, this.#mcmp(Rel.LINKPL, 0, B, version, 0xf0));
  }

  // ---- addresses ----

  #checkAddressQualifier(q: Qual, prefix: boolean): void {
    const what = prefix ? "IP address and prefix length" : "IP address";
    if (q.addr === "port") this.#error(`'port' modifier applied to ${what}`);
    if (q.addr === "portrange") this.#error(`'portrange' modifier applied to ${what}`);
    if (q.addr === "proto") this.#error(`'proto' modifier applied to ${what}`);
    if (q.addr === "protochain") this.#error(`'protochain' modifier applied to ${what}`);
  }

  #hostop(addr: number, mask: number, dir: string, proto: number, src: number, dst: number): Frag {
    switch (dir) {
      case "src":
      case "dst":
        return and(
          this.#linktypeTest(proto),
          this.#mcmp(Rel.LINKPL, dir === "src" ? src : dst, W, addr, mask),
        );
      case "and":
        return and(
          this.#hostop(addr, mask, "src", proto, src, dst),
          this.#hostop(addr, mask, "dst", proto, src, dst),
        );
      case "default":
      case "or":
        return or(
          this.#hostop(addr, mask, "src", proto, src, dst),
          this.#hostop(addr, mask, "dst", proto, src, dst),
        );
      default:
        return this.#error(
          `'${dir}' is not a valid qualifier for addresses other than 802.11 MAC addresses`,
        );
    }
  }

  #host(addr: number, mask: number, proto: QualProto, dir: string, type: string): Frag {
    const typestr = type === "net" ? "net" : "host";
    switch (proto) {
      case "default": {
        const b0 = this.#host(addr, mask, "ip", dir, type);
        if (this.#labelDepth > 0) return b0;
        const b1 = or(b0, this.#host(addr, mask, "arp", dir, type));
        return or(b1, this.#host(addr, mask, "rarp", dir, type));
      }
      case "link":
        return this.#error(`link-layer modifier applied to ${typestr}`);
      case "ip":
        return this.#hostop(addr, mask, dir, ETHERTYPE_IP, 12, 16);
      case "rarp":
        return this.#hostop(addr, mask, dir, ETHERTYPE_REVARP, 14, 24);
      case "arp":
        return this.#hostop(addr, mask, dir, ETHERTYPE_ARP, 14, 24);
      case "ip6":
        return this.#error("'ip6' modifier applied to ip host");
      case "decnet":
        return this.#error("DECnet addresses are not supported by mxy");
      case "atalk":
      case "lat":
      case "sca":
      case "moprc":
      case "mopdl":
      case "aarp":
      case "iso":
      case "ipx":
        return this.#error(`${proto} host filtering not implemented`);
      default:
        return this.#error(`'${proto}' modifier applied to ${typestr}`);
    }
  }

  #hostop6(addr: Uint8Array, mask: Uint8Array, dir: string): Frag {
    switch (dir) {
      case "src":
      case "dst": {
        const base = dir === "src" ? 8 : 24;
        const word = (b: Uint8Array, i: number) =>
          ((b[i * 4] << 24) | (b[i * 4 + 1] << 16) | (b[i * 4 + 2] << 8) | b[i * 4 + 3]) >>> 0;
        let b1 = this.#mcmp(Rel.LINKPL, base + 12, W, word(addr, 3), word(mask, 3));
        for (let i = 2; i >= 0; i--) {
          b1 = and(this.#mcmp(Rel.LINKPL, base + 4 * i, W, word(addr, i), word(mask, i)), b1);
        }
        return and(this.#linktypeTest(ETHERTYPE_IPV6), b1);
      }
      case "and":
        return and(this.#hostop6(addr, mask, "src"), this.#hostop6(addr, mask, "dst"));
      case "default":
      case "or":
        return or(this.#hostop6(addr, mask, "src"), this.#hostop6(addr, mask, "dst"));
      default:
        return this.#error(
          `'${dir}' is not a valid qualifier for addresses other than 802.11 MAC addresses`,
        );
    }
  }

  #host6(addr: Uint8Array, mask: Uint8Array, proto: QualProto, type: string, dir: string): Frag {
    if (proto === "default" || proto === "ip6") return this.#hostop6(addr, mask, dir);
    const typestr = type === "net" ? "net" : "host";
    if (proto === "link") return this.#error(`link-layer modifier applied to ip6 ${typestr}`);
    return this.#error(`'${proto}' modifier applied to ip6 ${typestr}`);
  }

  #ehostop(mac: readonly number[], dir: string): Frag {
    switch (dir) {
      case "src":
        return this.#bcmp(Rel.LINKHDR, 6, mac);
      case "dst":
        return this.#bcmp(Rel.LINKHDR, 0, mac);
      case "and":
        return and(this.#ehostop(mac, "src"), this.#ehostop(mac, "dst"));
      case "default":
      case "or":
        return or(this.#ehostop(mac, "src"), this.#ehostop(mac, "dst"));
      default:
        return this.#error(`'${dir}' is only supported on 802.11 with 802.11 headers`);
    }
  }

  /** libpcap's `__pcap_atoin`: a dotted IPv4 prefix and its length in bits. */
  #atoin(text: string): [number, number] {
    const parts = text.split(".");
    let v = 0;
    for (const p of parts) {
      if (!/^[0-9]+$/.test(p) || Number(p) > 255) this.#error(`invalid IPv4 address '${text}'`);
      v = ((v << 8) | Number(p)) >>> 0;
    }
    return [v, parts.length * 8];
  }

  /** A number or dotted address with its qualifiers (gen_ncode). */
  #ncode(text: string | null, v: number, q: Qual): Frag {
    let vlen = 32;
    if (text !== null) {
      if (q.proto === "decnet") this.#error("DECnet addresses are not supported by mxy");
      [v, vlen] = this.#atoin(text);
    }
    switch (q.addr) {
      case "default":
      case "host":
      case "net": {
        if (q.proto === "decnet") this.#error("DECnet addresses are not supported by mxy");
        if (q.proto === "link") this.#error("illegal link layer address");
        let mask = 0xffffffff;
        if (text === null && q.addr === "net") {
          while (v !== 0 && (v & 0xff000000) === 0) {
            v = (v << 8) >>> 0;
            mask = (mask << 8) >>> 0;
          }
        } else {
          const shift = 32 - vlen;
          v = shift === 32 ? 0 : (v << shift) >>> 0;
          mask = shift === 32 ? 0 : (mask << shift) >>> 0;
        }
        return this.#host(v, mask, q.proto, q.dir, q.addr);
      }
      case "port":
      case "portrange": {
        const proto = this.#portProto(q);
        if (v > 65535) this.#error(`illegal port number ${v} > 65535`);
        return this.#ports(v, v, proto, q.dir, q.addr === "portrange");
      }
      case "gateway":
        return this.#error("'gateway' requires a name");
      case "proto":
        return this.#proto(v, q.proto, q.dir);
      case "protochain":
        return this.#error("protochain is not supported by mxy");
      default:
        return this.#error("syntax error in filter expression");
    }
  }

  #portProto(q: Qual): number {
    switch (q.proto) {
      case "udp":
        return IPPROTO_UDP;
      case "tcp":
        return IPPROTO_TCP;
      case "sctp":
        return IPPROTO_SCTP;
      case "default":
        return PROTO_UNDEF;
      default:
        return this.#error(`illegal qualifier of '${q.addr}'`);
    }
  }

  /** `port`/`portrange` for IPv6 then IPv4, as libpcap orders them. */
  #ports(p1: number, p2: number, proto: number, dir: string, range: boolean): Frag {
    const b = this.#port(p1, p2, proto, dir, range, false);
    return or(this.#port(p1, p2, proto, dir, range, true), b);
  }

  #port(p1: number, p2: number, proto: number, dir: string, range: boolean, v6: boolean): Frag {
    const b0 = this.#linktypeTest(v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);
    let b1: Frag;
    if (proto === PROTO_UNDEF) {
      const tmp = this.#portop(p1, p2, IPPROTO_TCP, dir, range, v6);
      b1 = or(tmp, this.#portop(p1, p2, IPPROTO_UDP, dir, range, v6));
      b1 = or(this.#portop(p1, p2, IPPROTO_SCTP, dir, range, v6), b1);
    } else b1 = this.#portop(p1, p2, proto, dir, range, v6);
    return and(b0, b1);
  }

  #portop(p1: number, p2: number, proto: number, dir: string, range: boolean, v6: boolean): Frag {
    const b0 = v6
      ? this.#cmp(Rel.LINKPL, 6, B, proto)
      : and(this.#cmp(Rel.LINKPL, 9, B, proto), this.#ipfrag());
    const atom = (off: number): Frag => {
      const rel = v6 ? Rel.TRAN_IPV6 : Rel.TRAN_IPV4;
      if (!range) return this.#cmp(rel, off, H, p1);
      const [lo, hi] = p1 > p2 ? [p2, p1] : [p1, p2];
      return and(this.#cmpGe(rel, off, H, lo), this.#cmpLe(rel, off, H, hi));
    };
    let b1: Frag;
    switch (dir) {
      case "src":
        b1 = atom(0);
        break;
      case "dst":
        b1 = atom(2);
        break;
      case "and":
        b1 = and(atom(0), atom(2));
        break;
      case "default":
      case "or":
        b1 = or(atom(0), atom(2));
        break;
      default:
        return this.#error(
          `'${dir}' is not a valid qualifier for ${range ? "port ranges" : "ports"}`,
        );
    }
    return and(b0, b1);
  }

  /** Not an IPv4 fragment other than the first. */
  #ipfrag(): Frag {
    return not(test(this.#load(Rel.LINKPL, 6, H), JMP | JSET, 0x1fff));
  }

  /** A name with its qualifiers (gen_scode): ports, protocols; host names are not resolved. */
  #scode(name: string, q: Qual): Frag {
    switch (q.addr) {
      case "net":
        return this.#error(`network names are not resolved by mxy: use an address ('${name}')`);
      case "default":
      case "host":
        if (q.proto === "link") {
          return this.#error(
            `Ethernet host names are not resolved by mxy: use a MAC address ('${name}')`,
          );
        }
        return this.#error(`host names are not resolved by mxy: use an address ('${name}')`);
      case "port": {
        if (!["default", "udp", "tcp", "sctp"].includes(q.proto)) {
          this.#error("illegal qualifier of 'port'");
        }
        const found = this.#nametoport(name);
        if (found === null) this.#error(`unknown port '${name}'`);
        const proto = this.#namedPortProto(q.proto, found[1], `port '${name}'`);
        return this.#ports(found[0], found[0], proto, q.dir, false);
      }
      case "portrange": {
        if (!["default", "udp", "tcp", "sctp"].includes(q.proto)) {
          this.#error("illegal qualifier of 'portrange'");
        }
        const range = this.#nametoportrange(name);
        if (range === null) this.#error(`unknown port in range '${name}'`);
        const [p1, p2, real] = range;
        const proto = this.#namedPortProto(q.proto, real, `port in range '${name}'`);
        for (const p of [p1, p2]) {
          if (p < 0) this.#error(`illegal port number ${p} < 0`);
          if (p > 65535) this.#error(`illegal port number ${p} > 65535`);
        }
        return this.#ports(p1, p2, proto, q.dir, true);
      }
      case "gateway":
        return this.#error("'gateway' is not supported by mxy");
      case "proto": {
        const v = this.#lookupProto(name, q.proto);
        return this.#proto(v, q.proto, q.dir);
      }
      case "protochain":
        return this.#error("protochain is not supported by mxy");
      default:
        return this.#error("syntax error in filter expression");
    }
  }

  /** The protocol a named port checks, after libpcap's consistency checks. */
  #namedPortProto(qproto: QualProto, real: number, what: string): number {
    const names: Record<number, string> = {
      [IPPROTO_TCP]: "tcp",
      [IPPROTO_UDP]: "udp",
      [IPPROTO_SCTP]: "sctp",
    };
    const wanted = qproto === "udp"
      ? IPPROTO_UDP
      : qproto === "tcp"
      ? IPPROTO_TCP
      : qproto === "sctp"
      ? IPPROTO_SCTP
      : PROTO_UNDEF;
    if (wanted === PROTO_UNDEF) return real;
    if (real !== PROTO_UNDEF && real !== wanted) this.#error(`${what} is ${names[real]}`);
    return wanted;
  }

  /** A service name or number: [port, protocol (PROTO_UNDEF for both)] (pcap_nametoport). */
  #nametoport(name: string): [number, number] | null {
    if (/^[0-9]+$/.test(name)) return [Number(name), PROTO_UNDEF];
    const s = servicePorts(name);
    if (s === undefined) return null;
    if (s.tcp >= 0) return [s.tcp, s.udp === s.tcp ? PROTO_UNDEF : IPPROTO_TCP];
    return [s.udp, IPPROTO_UDP];
  }

  /** `N-M` with numbers or service names (pcap_nametoportrange). */
  #nametoportrange(name: string): [number, number, number] | null {
    const m = /^\s*([+-]?\d+)-\s*([+-]?\d+)/.exec(name);
    if (m !== null) return [Number(m[1]), Number(m[2]), PROTO_UNDEF];
    const dash = name.indexOf("-");
    if (dash < 0) return null;
    const a = this.#nametoport(name.slice(0, dash));
    const b = a === null ? null : this.#nametoport(name.slice(dash + 1));
    if (a === null || b === null) return null;
    return [a[0], b[0], a[1] === b[1] ? a[1] : PROTO_UNDEF];
  }

  #lookupProto(name: string, proto: QualProto): number {
    switch (proto) {
      case "default":
      case "ip":
      case "ip6": {
        const v = ipProtocolNumber(name);
        return v ?? this.#error(`unknown ip proto '${name}'`);
      }
      case "link": {
        const v = linkProtocolNumber(name);
        return v ?? this.#error(`unknown ether proto '${name}'`);
      }
      case "iso":
        if (name === "esis") return ISO9542_ESIS;
        if (name === "isis") return ISO10589_ISIS;
        if (name === "clnp") return ISO8473_CLNP;
        return this.#error(`unknown osi proto '${name}'`);
      default:
        return this.#error(`unknown protocol: ${name}`);
    }
  }

  /** A dotted IPv4 network with a prefix length or a mask (gen_mcode). */
  #mcode(text: string, maskText: string | null, masklen: number, q: Qual): Frag {
    let [n, nlen] = this.#atoin(text);
    n = nlen === 32 ? n : (n << (32 - nlen)) >>> 0;
    let m: number;
    if (maskText !== null) {
      const [mv, mlen] = this.#atoin(maskText);
      m = mlen === 32 ? mv : (mv << (32 - mlen)) >>> 0;
      if ((n & ~m) !== 0) this.#error(`non-network bits set in "${text} mask ${maskText}"`);
    } else {
      if (masklen > 32) this.#error("mask length must be <= 32");
      m = masklen === 0 ? 0 : (0xffffffff << (32 - masklen)) >>> 0;
      if ((n & ~m) !== 0) this.#error(`non-network bits set in "${text}/${masklen}"`);
    }
    if (q.addr !== "net") this.#error("Mask syntax for networks only");
    return this.#host(n, m, q.proto, q.dir, "net");
  }

  /** An IPv6 address or network (gen_mcode6). */
  #mcode6(text: string, masklen: number, q: Qual): Frag {
    let addr: Uint8Array;
    try {
      const ip = parseIp(text);
      if (ip.version !== 6) throw new RangeError("not IPv6");
      addr = ip.bytes;
    } catch {
      return this.#error(`invalid ip6 address ${text}`);
    }
    if (masklen > 128) this.#error("mask length must be <= 128");
    const mask = new Uint8Array(16);
    mask.fill(0xff, 0, masklen >> 3);
    if (masklen % 8) mask[masklen >> 3] = (0xff << (8 - (masklen % 8))) & 0xff;
    for (let i = 0; i < 16; i++) {
      if ((addr[i] & ~mask[i]) !== 0) this.#error(`non-network bits set in "${text}/${masklen}"`);
    }
    switch (q.addr) {
      case "default":
      case "host":
        if (masklen !== 128) this.#error("Mask syntax for networks only");
        return this.#host6(addr, mask, q.proto, q.addr, q.dir);
      case "net":
        return this.#host6(addr, mask, q.proto, q.addr, q.dir);
      default:
        return this.#error("invalid qualifier against IPv6 address");
    }
  }

  /** A MAC address (gen_ecode). */
  #ecode(text: string, q: Qual): Frag {
    if ((q.addr === "host" || q.addr === "default") && q.proto === "link") {
      if (this.#linktype !== DLT_EN10MB) {
        this.#error(`Ethernet addresses are not supported on ${this.#linkName()} captures`);
      }
      return this.#ehostop(etherAton(text), q.dir);
    }
    return this.#error("ethernet address used in non-ether expression");
  }

  // ---- protocols ----

  /** Protocol `v` inside `proto` (gen_proto). */
  #proto(v: number, proto: QualProto, dir: string): Frag {
    if (dir !== "default") this.#error("direction applied to 'proto'");
    switch (proto) {
      case "default":
        return or(this.#proto(v, "ip", dir), this.#proto(v, "ip6", dir));
      case "link":
        return this.#linktypeTest(v);
      case "ip":
        return and(this.#linktypeTest(ETHERTYPE_IP), this.#cmp(Rel.LINKPL, 9, B, v));
      case "ip6": {
        const b0 = this.#linktypeTest(ETHERTYPE_IPV6);
        // The protocol, or a fragment header followed by it.
        let b1 = and(
          this.#cmp(Rel.LINKPL, 6, B, IPPROTO_FRAGMENT),
          this.#cmp(Rel.LINKPL, 40, B, v),
        );
        b1 = or(this.#cmp(Rel.LINKPL, 6, B, v), b1);
        return and(b0, b1);
      }
      case "iso":
        return and(
          this.#linktypeTest(LLCSAP_ISONS),
          this.#cmp(Rel.LINKPL_NOSNAP, 0, B, v),
        );
      case "isis":
        return and(
          this.#proto(ISO10589_ISIS, "iso", "default"),
          this.#cmp(Rel.LINKPL_NOSNAP, 4, B, v),
        );
      case "arp":
      case "rarp":
        return this.#error(`${proto} does not encapsulate another protocol`);
      case "clnp":
        return this.#error("'clnp proto' is not supported");
      default:
        return this.#error(`'${proto} proto' is bogus`);
    }
  }

  /** A protocol keyword alone (gen_proto_abbrev). */
  #protoAbbrev(proto: QualProto): Frag {
    const both = (p: number) =>
      or(this.#proto(p, "ip", "default"), this.#proto(p, "ip6", "default"));
    const isis = (...types: number[]) => {
      let b: Frag | null = null;
      for (const t of types) {
        const x = this.#proto(t, "isis", "default");
        b = b === null ? x : or(b, x);
      }
      return b!;
    };
    switch (proto) {
      case "sctp":
        return both(IPPROTO_SCTP);
      case "tcp":
        return both(IPPROTO_TCP);
      case "udp":
        return both(IPPROTO_UDP);
      case "icmp":
        return this.#proto(IPPROTO_ICMP, "ip", "default");
      case "igmp":
        return this.#proto(IPPROTO_IGMP, "ip", "default");
      case "igrp":
        return this.#proto(IPPROTO_IGRP, "ip", "default");
      case "pim":
        return both(IPPROTO_PIM);
      case "vrrp":
      case "carp":
        return this.#proto(IPPROTO_VRRP, "ip", "default");
      case "ip":
        return this.#linktypeTest(ETHERTYPE_IP);
      case "arp":
        return this.#linktypeTest(ETHERTYPE_ARP);
      case "rarp":
        return this.#linktypeTest(ETHERTYPE_REVARP);
      case "link":
        return this.#error("link layer applied in wrong context");
      case "atalk":
        return this.#linktypeTest(ETHERTYPE_ATALK);
      case "aarp":
        return this.#linktypeTest(ETHERTYPE_AARP);
      case "decnet":
        return this.#linktypeTest(ETHERTYPE_DN);
      case "sca":
        return this.#linktypeTest(ETHERTYPE_SCA);
      case "lat":
        return this.#linktypeTest(ETHERTYPE_LAT);
      case "mopdl":
        return this.#linktypeTest(ETHERTYPE_MOPDL);
      case "moprc":
        return this.#linktypeTest(ETHERTYPE_MOPRC);
      case "ip6":
        return this.#linktypeTest(ETHERTYPE_IPV6);
      case "icmp6":
        return this.#proto(IPPROTO_ICMPV6, "ip6", "default");
      case "ah":
        return both(IPPROTO_AH);
      case "esp":
        return both(IPPROTO_ESP);
      case "iso":
        return this.#linktypeTest(LLCSAP_ISONS);
      case "esis":
        return this.#proto(ISO9542_ESIS, "iso", "default");
      case "isis":
        return this.#proto(ISO10589_ISIS, "iso", "default");
      case "clnp":
        return this.#proto(ISO8473_CLNP, "iso", "default");
      case "l1":
        return isis(ISIS_L1_LAN_IIH, ISIS_PTP_IIH, ISIS_L1_LSP, ISIS_L1_CSNP, ISIS_L1_PSNP);
      case "l2":
        return isis(ISIS_L2_LAN_IIH, ISIS_PTP_IIH, ISIS_L2_LSP, ISIS_L2_CSNP, ISIS_L2_PSNP);
      case "iih":
        return isis(ISIS_L1_LAN_IIH, ISIS_L2_LAN_IIH, ISIS_PTP_IIH);
      case "lsp":
        return isis(ISIS_L1_LSP, ISIS_L2_LSP);
      case "snp":
        return isis(ISIS_L1_CSNP, ISIS_L2_CSNP, ISIS_L1_PSNP, ISIS_L2_PSNP);
      case "csnp":
        return isis(ISIS_L1_CSNP, ISIS_L2_CSNP);
      case "psnp":
        return isis(ISIS_L1_PSNP, ISIS_L2_PSNP);
      case "stp":
        return this.#linktypeTest(LLCSAP_8021D);
      case "ipx":
        return this.#linktypeTest(LLCSAP_IPX);
      case "netbeui":
        return this.#linktypeTest(LLCSAP_NETBEUI);
      default:
        return this.#error(`'${proto}' is not a valid protocol type`);
    }
  }

  // ---- link-level primitives ----

  #broadcast(proto: QualProto): Frag {
    if (proto === "default" || proto === "link") {
      if (this.#linktype !== DLT_EN10MB) this.#error("not a broadcast link");
      return this.#ehostop([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "dst");
    }
    if (proto === "ip") {
      // tcpdump reading a file passes a netmask of 0: the host part is the whole address.
      const b0 = this.#linktypeTest(ETHERTYPE_IP);
      const b2 = or(
        this.#mcmp(Rel.LINKPL, 16, W, 0, 0xffffffff),
        this.#mcmp(Rel.LINKPL, 16, W, 0xffffffff, 0xffffffff),
      );
      return and(b0, b2);
    }
    return this.#error("only link-layer/IP broadcast filters supported");
  }

  #multicast(proto: QualProto): Frag {
    if (proto === "default" || proto === "link") {
      if (this.#linktype !== DLT_EN10MB) {
        this.#error(
          `link-layer multicast filters are not supported on ${this.#linkName()} captures`,
        );
      }
      return test(this.#load(Rel.LINKHDR, 0, B), JMP | JSET, 1);
    }
    if (proto === "ip") {
      return and(this.#linktypeTest(ETHERTYPE_IP), this.#cmpGe(Rel.LINKPL, 16, B, 224));
    }
    if (proto === "ip6") {
      return and(this.#linktypeTest(ETHERTYPE_IPV6), this.#cmp(Rel.LINKPL, 24, B, 255));
    }
    return this.#error(`'${proto} multicast' is not supported`);
  }

  /**
   * `byte N op V`. libpcap forgets to load the byte for `&` and `|` (it tests whatever A holds);
   * mxy loads it, which is what the manual describes.
   */
  #byteop(op: string, index: number, v: number): Frag {
    switch (op) {
      case "=":
        return this.#cmp(Rel.LINKHDR, index, B, v);
      case "<":
        return this.#cmpLt(Rel.LINKHDR, index, B, v);
      case ">":
        return this.#cmpGt(Rel.LINKHDR, index, B, v);
      default: {
        const stmts = this.#load(Rel.LINKHDR, index, B);
        stmts.push({ code: ALU | (op === "&" ? AND : OR) | 0, k: v >>> 0 });
        return not(test(stmts, JMP | JEQ, 0));
      }
    }
  }

  /** `llc [kind]` (gen_llc and friends): 802.2 frames on Ethernet, by format or command. */
  #llc(kind: string | null): Frag {
    if (this.#linktype !== DLT_EN10MB) {
      this.#error(`'llc' not supported for ${this.#linkName()}`);
    }
    const isLlc = () =>
      and(
        not(this.#cmpGt(Rel.LINKTYPE, 0, H, ETHERMTU)),
        not(this.#cmp(Rel.LLC, 0, H, 0xffff)),
      );
    if (kind === null) return isLlc();
    const lower = kind.toLowerCase();
    if (lower === "i") {
      const b0 = isLlc();
      return and(b0, not(test(this.#load(Rel.LLC, 2, B), JMP | JSET, 0x01)));
    }
    if (lower === "s") return and(isLlc(), this.#mcmp(Rel.LLC, 2, B, LLC_S_FMT, 0x03));
    if (lower === "u") return and(isLlc(), this.#mcmp(Rel.LLC, 2, B, LLC_U_FMT, 0x03));
    const s = LLC_S_COMMANDS[lower];
    if (s !== undefined) return and(isLlc(), this.#mcmp(Rel.LLC, 2, B, s, LLC_S_CMD_MASK));
    const u = LLC_U_COMMANDS[lower];
    if (u !== undefined) return and(isLlc(), this.#mcmp(Rel.LLC, 2, B, u, LLC_U_CMD_MASK));
    return this.#error(`unknown LLC type name "${kind}"`);
  }

  #inbound(outbound: boolean): Frag {
    let b: Frag;
    if (this.#linktype === DLT_LINUX_SLL) {
      b = this.#cmp(Rel.LINKHDR, 0, H, LINUX_SLL_OUTGOING);
    } else if (this.#linktype === DLT_LINUX_SLL2) {
      b = this.#cmp(Rel.LINKHDR, 10, B, LINUX_SLL_OUTGOING);
    } else {
      return this.#error(`inbound/outbound not supported on ${this.#linkName()} captures`);
    }
    return outbound ? b : not(b);
  }

  #vlan(n: number | null): Frag {
    if (this.#labelDepth > 0) this.#error("no VLAN match after MPLS");
    if (this.#linktype !== DLT_EN10MB) this.#error(`no VLAN support for ${this.#linkName()}`);
    const tpid = or(
      or(this.#linktypeTest(ETHERTYPE_8021Q), this.#linktypeTest(ETHERTYPE_8021AD)),
      this.#linktypeTest(ETHERTYPE_8021QINQ),
    );
    let b0 = tpid;
    if (n !== null) {
      if (n > 0x0fff) this.#error(`VLAN tag ${n} greater than maximum ${0x0fff}`);
      b0 = and(b0, this.#mcmp(Rel.LINKPL, 0, H, n, 0x0fff));
    }
    this.#offLinkpl += 4;
    this.#offLinktype += 4;
    this.#vlanDepth++;
    return b0;
  }

  #mpls(n: number | null): Frag {
    let b0: Frag;
    if (this.#labelDepth > 0) {
      // Inside a label stack: the previous label's bottom-of-stack bit is clear.
      b0 = this.#mcmp(Rel.PREVMPLSHDR, 2, B, 0, 0x01);
    } else if (this.#linktype === DLT_EN10MB) {
      b0 = this.#linktypeTest(ETHERTYPE_MPLS);
    } else if (this.#linktype === DLT_PPP) {
      b0 = this.#linktypeTest(PPP_MPLS_UCAST);
    } else {
      return this.#error(`no MPLS support for ${this.#linkName()}`);
    }
    if (n !== null) {
      if (n > 0xfffff) this.#error(`MPLS label ${n} greater than maximum ${0xfffff}`);
      b0 = and(b0, this.#mcmp(Rel.LINKPL, 0, W, (n << 12) >>> 0, 0xfffff000));
    }
    this.#offNlNosnap += 4;
    this.#offNl += 4;
    this.#labelDepth++;
    return b0;
  }

  #pppoes(n: number | null): Frag {
    let b0 = this.#linktypeTest(ETHERTYPE_PPPOES);
    if (n !== null) {
      if (n > 0xffff) this.#error(`PPPoE session number ${n} greater than maximum ${0xffff}`);
      b0 = and(b0, this.#mcmp(Rel.LINKPL, 0, W, n, 0x0000ffff));
    }
    // What follows is a PPP frame 6 bytes past the PPPoE header.
    this.#offLinkhdr = this.#plain(this.#offLinkpl) + this.#offNl + 6;
    this.#linktype = DLT_PPP;
    this.#offLinktype = this.#offLinkhdr;
    this.#offLinkpl = this.#offLinkhdr + 2;
    this.#offNl = 0;
    this.#offNlNosnap = 0;
    return b0;
  }

  // ---- arithmetic ----

  /** `l op r` (gen_relation): the protocol tests of both sides, then the comparison. */
  #relation(op: string, l: Arith, r: Arith): Frag {
    const a0 = this.#arith(l);
    const a1 = this.#arith(r);
    const [jtype, reversed] = op === ">"
      ? [JGT, false]
      : op === ">="
      ? [JGE, false]
      : op === "="
      ? [JEQ, false]
      : op === "<="
      ? [JGT, true]
      : op === "<"
      ? [JGE, true]
      : [JEQ, true];
    let b: Frag;
    const lv = a0.value, rv = a1.value;
    if (lv.k === "const" && rv.k === "const") {
      const a = lv.v, x = rv.v;
      b = (jtype === JGT ? a > x : jtype === JGE ? a >= x : a === x) ? TRUE : FALSE;
    } else if (rv.k === "const") {
      const stmts: Stmt[] = [];
      this.#emit(lv, stmts, 0);
      b = test(stmts, JMP | jtype, rv.v);
    } else {
      const stmts: Stmt[] = [];
      this.#emit(rv, stmts, 0);
      stmts.push({ code: ST, k: 0 });
      this.#emit(lv, stmts, 1);
      stmts.push({ code: LDX | MEM, k: 0 });
      b = test(stmts, JMP | jtype | X, 0);
    }
    if (reversed) b = not(b);
    let checks = a0.checks;
    if (a1.checks !== null) checks = checks === null ? a1.checks : and(checks, a1.checks);
    return checks === null ? b : and(checks, b);
  }

  #arith(a: Arith): ArithResult {
    this.#at = a.at;
    switch (a.t) {
      case "num":
        return { value: { k: "const", v: a.v >>> 0 }, checks: null };
      case "len":
        return { value: { k: "len" }, checks: null };
      case "neg": {
        const e = this.#arith(a.e);
        const value: Value = e.value.k === "const"
          ? { k: "const", v: (-e.value.v) >>> 0 }
          : { k: "neg", e: e.value };
        return { value, checks: e.checks };
      }
      case "bin": {
        const l = this.#arith(a.l);
        const r = this.#arith(a.r);
        this.#at = a.at;
        const op = ALU_OPS[a.op];
        // libpcap looks at the first statement of the right operand's code.
        const first = firstImmediate(a.r);
        if (op === DIV && first === 0) this.#error("division by zero");
        if (op === MOD && first === 0) this.#error("modulus by zero");
        if ((op === LSH || op === RSH) && first !== null && first > 31) {
          this.#error("shift by more than 31 bits");
        }
        // Only the left operand's protocol tests survive (gen_arth keeps a0's).
        return { value: this.#fold(op, l.value, r.value), checks: l.checks };
      }
      case "load":
        return this.#loadArith(a.proto, this.#arith(a.index), a.size, a.at);
    }
  }

  /** Folds `l op r` the way libpcap's optimizer does. */
  #fold(op: number, l: Value, r: Value): Value {
    if (l.k === "const" && r.k === "const") return { k: "const", v: this.#foldConst(op, l.v, r.v) };
    if (r.k === "const" && r.v === 0) {
      if (op === ADD || op === SUB || op === LSH || op === RSH || op === OR || op === XOR) return l;
      if (op === MUL || op === AND) return { k: "const", v: 0 };
      if (op === DIV) this.#error("division by zero");
      if (op === MOD) this.#error("modulus by zero");
    }
    if (r.k === "const" && (op === LSH || op === RSH) && r.v > 31) {
      this.#error("shift by more than 31 bits");
    }
    if (l.k === "const" && l.v === 0) {
      if (op === ADD || op === OR || op === XOR) return r;
      if (op === MUL || op === DIV || op === MOD || op === AND || op === LSH || op === RSH) {
        return { k: "const", v: 0 };
      }
    }
    return { k: "bin", op, l, r };
  }

  #foldConst(op: number, a: number, b: number): number {
    switch (op) {
      case ADD:
        return (a + b) >>> 0;
      case SUB:
        return (a - b) >>> 0;
      case MUL:
        return Math.imul(a, b) >>> 0;
      case DIV:
        if (b === 0) this.#error("division by zero");
        return Math.floor(a / b) >>> 0;
      case MOD:
        if (b === 0) this.#error("modulus by zero");
        return (a % b) >>> 0;
      case AND:
        return (a & b) >>> 0;
      case OR:
        return (a | b) >>> 0;
      case XOR:
        return (a ^ b) >>> 0;
      case LSH:
        return b < 32 ? (a << b) >>> 0 : 0;
      default:
        return b < 32 ? a >>> b : 0;
    }
  }

  /** `proto[index : size]` (gen_load): the value and the tests guarding it. */
  #loadArith(proto: QualProto, index: ArithResult, size: number, at: number): ArithResult {
    this.#at = at;
    const code = size === 1 ? B : size === 2 ? H : size === 4 ? W : -1;
    if (code < 0) this.#error("data size must be 1, 2, or 4");
    const load = (off: number, msh: number): Value => ({
      k: "load",
      size: code,
      off,
      msh,
      index: index.value,
    });
    switch (proto) {
      case "link":
        return { value: load(this.#offLinkhdr, NOT_SET), checks: index.checks };
      case "ip":
      case "arp":
      case "rarp":
      case "atalk":
      case "decnet":
      case "sca":
      case "lat":
      case "moprc":
      case "mopdl":
      case "ip6": {
        const off = this.#plain(this.#offLinkpl) + this.#offNl;
        const b = this.#protoAbbrev(proto);
        return {
          value: load(off, NOT_SET),
          checks: index.checks === null ? b : and(index.checks, b),
        };
      }
      case "sctp":
      case "tcp":
      case "udp":
      case "icmp":
      case "igmp":
      case "igrp":
      case "pim":
      case "vrrp":
      case "carp": {
        const nl = this.#plain(this.#offLinkpl) + this.#offNl;
        let b = and(this.#protoAbbrev(proto), this.#ipfrag());
        if (index.checks !== null) b = and(index.checks, b);
        b = and(this.#protoAbbrev("ip"), b);
        return { value: load(nl, nl), checks: b };
      }
      case "icmp6": {
        const nl = this.#plain(this.#offLinkpl) + this.#offNl;
        let b = this.#protoAbbrev("ip6");
        if (index.checks !== null) b = and(index.checks, b);
        b = and(b, this.#cmp(Rel.LINKPL, 6, B, IPPROTO_ICMPV6));
        return { value: load(nl + 40, NOT_SET), checks: b };
      }
      case "radio":
        return this.#error("radio information not present in capture");
      default:
        return this.#error("unsupported index operation");
    }
  }

  /** Appends statements computing `v` into A; temporaries use scratch words from `depth`. */
  #emit(v: Value, out: Stmt[], depth: number): void {
    if (depth >= MEMWORDS) this.#error("too many registers needed to evaluate expression");
    switch (v.k) {
      case "const":
        out.push({ code: LD | IMM, k: v.v });
        return;
      case "len":
        out.push({ code: LD | W | LEN, k: 0 });
        return;
      case "neg":
        this.#emit(v.e, out, depth);
        out.push({ code: ALU | NEG, k: 0 });
        return;
      case "bin":
        if (v.r.k === "const") {
          this.#emit(v.l, out, depth);
          out.push({ code: ALU | v.op | 0, k: v.r.v });
          return;
        }
        this.#emit(v.r, out, depth);
        out.push({ code: ST, k: depth });
        this.#emit(v.l, out, depth + 1);
        out.push({ code: LDX | MEM, k: depth });
        out.push({ code: ALU | v.op | X, k: 0 });
        return;
      case "load": {
        const idx = v.index;
        if (idx.k === "const") {
          if (v.msh === NOT_SET) {
            out.push({ code: LD | v.size | ABS, k: (v.off + idx.v) >>> 0 });
          } else {
            out.push({ code: LDX | B | MSH, k: v.msh });
            out.push({ code: LD | v.size | IND, k: (v.off + idx.v) >>> 0 });
          }
          return;
        }
        this.#emit(idx, out, depth);
        if (v.msh !== NOT_SET) {
          out.push({ code: LDX | B | MSH, k: v.msh });
          out.push({ code: ALU | ADD | X, k: 0 });
        }
        out.push({ code: MISC | TAX, k: 0 });
        out.push({ code: LD | v.size | IND, k: v.off >>> 0 });
        return;
      }
    }
  }
}

/**
 * libpcap's `gen_true`/`gen_false`: a real test of a constant (`ld #0` or `ld #1`, then
 * `jeq #0`), which its optimizer resolves in its first pass — after working out dominators with
 * it in place, which shapes what it does next. The branch optimizer folds these the same way.
 */
function constant(value: boolean): Frag {
  return test([{ code: LD | IMM, k: value ? 0 : 1 }], JMP | JEQ, 0);
}

/** The PPP protocol number for an Ethernet type (ethertype_to_ppptype). */
function pppType(proto: number): number {
  switch (proto) {
    case ETHERTYPE_IP:
      return PPP_IP;
    case ETHERTYPE_IPV6:
      return PPP_IPV6;
    case ETHERTYPE_DN:
      return PPP_DECNET;
    case ETHERTYPE_ATALK:
      return PPP_APPLE;
    case ETHERTYPE_NS:
      return PPP_NS;
    case LLCSAP_ISONS:
      return PPP_OSI;
    case LLCSAP_8021D:
      return PPP_BRPDU;
    case LLCSAP_IPX:
      return PPP_IPX;
    default:
      return proto;
  }
}

/** Six bytes from a MAC address in any of libpcap's forms (pcap_ether_aton). */
function etherAton(text: string): number[] {
  const out: number[] = [];
  let i = 0;
  const hex = (c: string) => parseInt(c, 16);
  while (i < text.length) {
    if (text[i] === ":" || text[i] === "." || text[i] === "-") i++;
    let d = hex(text[i++]);
    if (i < text.length && /[0-9A-Fa-f]/.test(text[i])) d = (d << 4) | hex(text[i++]);
    out.push(d);
  }
  return out;
}
