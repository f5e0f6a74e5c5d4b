/**
 * The parser of the pcap-filter language: libpcap's grammar (grammar.y) by recursive descent
 * with backtracking where the LALR parser decides by lookahead. It keeps libpcap's quirks, since
 * tcpdump is the judge of what an expression means:
 *
 * - `and` and `or` have the same precedence and group from the left (`a or b and c` is
 *   `(a or b) and c`); `not` binds tighter.
 * - A bare address or number after `and`/`or` (or inside parentheses after a qualifier) takes the
 *   qualifiers in force (`host a or b`, `port 80 or 443`, `host a and (b or c)`); after a
 *   parenthesized expression the qualifiers are those before its `(`.
 * - `%` and `^` have no precedence in libpcap's grammar, so their right operand reaches as far
 *   as it can and their left operand is the nearest operand (`1 + 2 % 3 + 4` is
 *   `1 + (2 % (3 + 4))`).
 *
 * @module
 */
import {
  type Arith,
  type ArithOp,
  type FilterNode,
  PROTO_KEYWORDS,
  QERR,
  type Qual,
  type QualAddr,
  type QualDir,
  type QualProto,
  type RelOp,
} from "./_filter_ast.ts";
import { filterSyntaxError, type FilterToken, tokenizeFilter } from "./_filter_lexer.ts";

/** A failed attempt at a grammar rule: where, and what was expected. */
class Mismatch {
  constructor(readonly token: FilterToken, readonly message: string) {}
}

const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  "|": 1,
  "&": 2,
  "<<": 3,
  ">>": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
};
const RELOPS: ReadonlySet<string> = new Set([">", ">=", "=", "<=", "<", "!="]);
const DIR_KEYWORDS: ReadonlySet<string> = new Set([
  "src",
  "dst",
  "addr1",
  "addr2",
  "addr3",
  "addr4",
  "ra",
  "ta",
]);
const ADDR_KEYWORDS: ReadonlySet<string> = new Set(["host", "net", "port", "portrange"]);
const NDADDR_KEYWORDS: ReadonlySet<string> = new Set(["proto", "protochain", "gateway"]);
/** Keywords of libpcap features mxy does not compile, with what they are. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  geneve: "Geneve",
  lane: "ATM",
  metac: "ATM",
  bcc: "ATM",
  oam: "ATM",
  oamf4: "ATM",
  oamf4ec: "ATM",
  oamf4sc: "ATM",
  sc: "ATM",
  ilmic: "ATM",
  vpi: "ATM",
  vci: "ATM",
  connectmsg: "ATM",
  metaconnect: "ATM",
  ifname: "pf log",
  ruleset: "pf log",
  rnr: "pf log",
  srnr: "pf log",
  reason: "pf log",
  action: "pf log",
  fisu: "SS7 MTP",
  lssu: "SS7 MTP",
  msu: "SS7 MTP",
  hfisu: "SS7 MTP",
  hlssu: "SS7 MTP",
  hmsu: "SS7 MTP",
  sio: "SS7 MTP",
  opc: "SS7 MTP",
  dpc: "SS7 MTP",
  sls: "SS7 MTP",
  hsio: "SS7 MTP",
  hopc: "SS7 MTP",
  hdpc: "SS7 MTP",
  hsls: "SS7 MTP",
  type: "802.11",
  subtype: "802.11",
  dir: "802.11",
};

interface Parsed {
  node: FilterNode;
  q: Qual;
}

/**
 * Parses a filter expression into its syntax tree.
 *
 * @param expression The expression (`""` or only blanks: accept everything).
 * @returns The tree, or `null` for an empty expression.
 * @throws {PcapError} `filter-syntax` with the column of the offending token.
 */
export function parseFilter(expression: string): FilterNode | null {
  return new Parser(expression, tokenizeFilter(expression)).program();
}

function describe(t: FilterToken): string {
  return t.kind === "eof" ? "end of expression" : `"${t.text}"`;
}

class Parser {
  #pos = 0;
  /** The mismatch furthest into the expression: the best error to report. */
  #furthest: Mismatch | null = null;

  constructor(readonly expression: string, readonly tokens: FilterToken[]) {}

  program(): FilterNode | null {
    if (this.#peek().kind === "eof") return null;
    try {
      const r = this.#expr(QERR);
      this.#expect("eof", "and, or or the end of the expression");
      return r.node;
    } catch (e) {
      if (!(e instanceof Mismatch)) throw e;
      const m = this.#furthest ?? e;
      throw filterSyntaxError(this.expression, m.token.start, m.message);
    }
  }

  // ---- tokens ----

  #peek(ahead = 0): FilterToken {
    return this.tokens[Math.min(this.#pos + ahead, this.tokens.length - 1)];
  }

  #next(): FilterToken {
    const t = this.#peek();
    if (this.#pos < this.tokens.length - 1) this.#pos++;
    return t;
  }

  #fail(expected: string, token: FilterToken = this.#peek()): never {
    const m = new Mismatch(token, `expected ${expected}, found ${describe(token)}`);
    if (this.#furthest === null || token.start > this.#furthest.token.start) this.#furthest = m;
    throw m;
  }

  #expect(kind: string, what: string = `"${kind}"`): FilterToken {
    if (this.#peek().kind !== kind) this.#fail(what);
    return this.#next();
  }

  /** Runs `first`; on a mismatch, rewinds and runs `second`. */
  #either<T>(first: () => T, second: () => T): T {
    const save = this.#pos;
    try {
      return first();
    } catch (e) {
      if (!(e instanceof Mismatch)) throw e;
      this.#pos = save;
      return second();
    }
  }

  // ---- boolean expressions ----

  #expr(q0: Qual): Parsed {
    let { node, q } = this.#term(q0);
    for (;;) {
      const op = this.#peek();
      if (op.kind !== "and" && op.kind !== "or") return { node, q };
      this.#next();
      const qBefore = q;
      const rhs = this.#either(() => this.#term(qBefore), () => this.#id(qBefore));
      node = { t: op.kind, l: node, r: rhs.node, at: node.at };
      q = rhs.q;
    }
  }

  #term(q: Qual): Parsed {
    const t = this.#peek();
    if (t.kind === "not") {
      this.#next();
      const r = this.#term(q);
      return { node: { t: "not", e: r.node, at: t.start }, q: r.q };
    }
    return this.#rterm(q);
  }

  #rterm(q: Qual): Parsed {
    const t = this.#peek();
    const k = t.kind;
    if (k === "(") {
      return this.#either(
        () => ({ node: this.#relation(), q: QERR }),
        () => {
          this.#next();
          const r = this.#expr(q);
          this.#expect(")", '")"');
          return { node: r.node, q };
        },
      );
    }
    if (k === "num" || k === "len" || k === "-") return { node: this.#relation(), q: QERR };
    if (PROTO_KEYWORDS.has(k)) {
      const k2 = this.#peek(1).kind;
      if (k2 === "[") return { node: this.#relation(), q: QERR };
      if (DIR_KEYWORDS.has(k2) || ADDR_KEYWORDS.has(k2) || NDADDR_KEYWORDS.has(k2)) {
        return this.#head();
      }
      if (k2 === "broadcast" || k2 === "multicast") {
        this.#next();
        this.#next();
        return { node: { t: k2, proto: k as QualProto, at: t.start }, q: QERR };
      }
      if (k2 === "type" || k2 === "subtype" || k2 === "dir") this.#unsupported(this.#peek(1));
      this.#next();
      return { node: { t: "proto", proto: k as QualProto, at: t.start }, q: QERR };
    }
    if (DIR_KEYWORDS.has(k) || ADDR_KEYWORDS.has(k) || NDADDR_KEYWORDS.has(k)) return this.#head();
    return { node: this.#other(), q: QERR };
  }

  #unsupported(t: FilterToken): never {
    throw filterSyntaxError(
      this.expression,
      t.start,
      `"${t.text}" (${UNSUPPORTED[t.kind] ?? t.kind} filtering) is not supported by mxy`,
    );
  }

  #other(): FilterNode {
    const t = this.#peek();
    const at = t.start;
    switch (t.kind) {
      case "broadcast":
      case "multicast":
        this.#next();
        return { t: t.kind, proto: "default", at };
      case "less":
      case "greater":
        this.#next();
        return { t: t.kind, n: this.#expect("num", "a number").value, at };
      case "byte": {
        this.#next();
        const index = this.#expect("num", "a number").value;
        const op = this.#peek().kind;
        if (op !== "&" && op !== "|" && op !== "<" && op !== ">" && op !== "=") {
          this.#fail("&, |, <, > or =");
        }
        this.#next();
        return { t: "byte", index, op, v: this.#expect("num", "a number").value, at };
      }
      case "inbound":
      case "outbound":
        this.#next();
        return { t: t.kind, at };
      case "ifindex":
        this.#next();
        return { t: "ifindex", n: this.#expect("num", "a number").value, at };
      case "vlan":
      case "mpls":
      case "pppoes": {
        this.#next();
        const k2 = this.#peek().kind;
        const n = k2 === "num" || k2 === "(" ? this.#pnum() : null;
        return { t: t.kind, n, at };
      }
      case "pppoed":
        this.#next();
        return { t: "pppoed", at };
      case "llc": {
        this.#next();
        const k2 = this.#peek();
        if (k2.kind === "id" || k2.kind === "rnr") {
          this.#next();
          return { t: "llc", kind: k2.kind === "rnr" ? "rnr" : k2.text, at };
        }
        return { t: "llc", kind: null, at };
      }
      case "aid":
        throw filterSyntaxError(this.expression, at, "ARCnet addresses are not supported by mxy");
      default:
        if (UNSUPPORTED[t.kind] !== undefined) this.#unsupported(t);
        if (t.kind === "protochain") {
          throw filterSyntaxError(this.expression, at, "protochain is not supported by mxy");
        }
        return this.#fail("a filter primitive");
    }
  }

  /** `[proto] [dir] [addr] id`, `[proto] proto id` and friends. */
  #head(): Parsed {
    let proto: QualProto = "default";
    let dir: QualDir = "default";
    let addr: QualAddr = "default";
    if (PROTO_KEYWORDS.has(this.#peek().kind)) proto = this.#next().kind as QualProto;
    const k = this.#peek().kind;
    if (DIR_KEYWORDS.has(k)) {
      dir = this.#next().kind as QualDir;
      const k2 = this.#peek().kind;
      if ((dir === "src" || dir === "dst") && (k2 === "and" || k2 === "or")) {
        this.#next();
        const other = dir === "src" ? "dst" : "src";
        this.#expect(other, `"${other}"`);
        dir = k2;
      }
      if (ADDR_KEYWORDS.has(this.#peek().kind)) addr = this.#next().kind as QualAddr;
    } else if (ADDR_KEYWORDS.has(k) || NDADDR_KEYWORDS.has(k)) {
      addr = this.#next().kind as QualAddr;
    } else this.#fail("src, dst, host, net, port, portrange or proto");
    const q: Qual = { proto, dir, addr };
    return { node: this.#id(q).node, q };
  }

  /** An address, number or name with the qualifiers `q` (libpcap's `id`). */
  #id(q: Qual): Parsed {
    const t = this.#peek();
    const at = t.start;
    switch (t.kind) {
      case "not": {
        this.#next();
        const r = this.#id(q);
        return { node: { t: "not", e: r.node, at }, q };
      }
      case "(": {
        this.#next();
        let node = this.#id(q).node;
        for (;;) {
          const op = this.#peek().kind;
          if (op !== "and" && op !== "or") break;
          this.#next();
          node = { t: op, l: node, r: this.#id(q).node, at: node.at };
        }
        this.#expect(")", '")"');
        return { node, q };
      }
      case "num":
        this.#next();
        return { node: { t: "num", v: t.value, q, at }, q };
      case "id":
        this.#next();
        return { node: { t: "name", name: t.text, q, at }, q };
      case "hid": {
        this.#next();
        let maskText: string | null = null;
        let masklen: number | null = null;
        if (this.#peek().kind === "/") {
          this.#next();
          masklen = this.#expect("num", "a prefix length").value;
        } else if (this.#peek().kind === "mask") {
          this.#next();
          maskText = this.#expect("hid", "a dotted netmask").text;
        }
        return { node: { t: "ipv4", text: t.text, maskText, masklen, q, at }, q };
      }
      case "hid6": {
        this.#next();
        let masklen = 128;
        if (this.#peek().kind === "/") {
          this.#next();
          masklen = this.#expect("num", "a prefix length").value;
        }
        return { node: { t: "ipv6", text: t.text, masklen, q, at }, q };
      }
      case "eid":
        this.#next();
        return { node: { t: "mac", text: t.text, q, at }, q };
      case "aid":
        throw filterSyntaxError(this.expression, at, "ARCnet addresses are not supported by mxy");
      default:
        return this.#fail("an address, a number or a name");
    }
  }

  #pnum(): number {
    if (this.#peek().kind === "(") {
      this.#next();
      const v = this.#pnum();
      this.#expect(")", '")"');
      return v;
    }
    return this.#expect("num", "a number").value;
  }

  // ---- arithmetic ----

  #relation(): FilterNode {
    const at = this.#peek().start;
    const l = this.#arth(0);
    const op = this.#peek();
    if (!RELOPS.has(op.kind)) this.#fail("a comparison (>, >=, =, <=, < or !=)");
    this.#next();
    const r = this.#arth(0);
    return { t: "rel", op: op.kind as RelOp, l, r, at };
  }

  #arth(minPrec: number): Arith {
    let left = this.#operand();
    for (;;) {
      const op = this.#peek().kind;
      const prec = BINARY_PRECEDENCE[op];
      if (prec === undefined || prec < minPrec) return left;
      this.#next();
      const right = this.#arth(prec + 1);
      left = { t: "bin", op: op as ArithOp, l: left, r: right, at: left.at };
    }
  }

  #operand(): Arith {
    const t = this.#peek();
    if (t.kind === "-") {
      this.#next();
      return { t: "neg", e: this.#operand(), at: t.start };
    }
    const p = this.#primary();
    const op = this.#peek().kind;
    if (op === "%" || op === "^") {
      this.#next();
      return { t: "bin", op, l: p, r: this.#arth(0), at: p.at };
    }
    return p;
  }

  #primary(): Arith {
    const t = this.#peek();
    if (t.kind === "num") {
      this.#next();
      return { t: "num", v: t.value, at: t.start };
    }
    if (t.kind === "len") {
      this.#next();
      return { t: "len", at: t.start };
    }
    if (t.kind === "(") {
      this.#next();
      const e = this.#arth(0);
      this.#expect(")", '")"');
      return e;
    }
    if (PROTO_KEYWORDS.has(t.kind) && this.#peek(1).kind === "[") {
      this.#next();
      this.#next();
      const index = this.#arth(0);
      let size = 1;
      if (this.#peek().kind === ":") {
        this.#next();
        size = this.#expect("num", "a size (1, 2 or 4)").value;
      }
      this.#expect("]", '"]"');
      return { t: "load", proto: t.kind as QualProto, index, size, at: t.start };
    }
    return this.#fail("a number, len or a header field such as ip[9]");
  }
}
