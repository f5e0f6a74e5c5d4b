/**
 * Deterministic data sets shaped like the published Matchy benchmarks: 50,000 literal strings;
 * 10,000 glob patterns in prefix, suffix, mixed and complex styles; query sets with a chosen
 * hit rate. Everything is generated from a seed, so runs are comparable.
 *
 * @module
 */

/** A small, fast, seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYL = [
  "ka",
  "lo",
  "mi",
  "net",
  "sec",
  "ver",
  "zo",
  "pha",
  "tri",
  "dex",
  "mal",
  "bot",
  "cd",
  "web",
  "log",
  "in",
  "pay",
  "cl",
  "oud",
  "dat",
  "ex",
  "fil",
  "ram",
  "qu",
  "ix",
  "sh",
  "op",
  "ur",
];
const TLDS = ["com", "net", "org", "io", "ru", "cn", "info", "biz", "xyz", "top"];

/** A generator of names (words, domains). */
export class Names {
  #r: () => number;
  /** @param seed The seed. */
  constructor(seed: number) {
    this.#r = rng(seed);
  }
  /** A random number in [0, 1). */
  next(): number {
    return this.#r();
  }
  /** A random integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#r() * n);
  }
  /** A pseudo-word of 2–4 syllables. */
  word(): string {
    let w = "";
    const n = 2 + this.int(3);
    for (let i = 0; i < n; i++) w += SYL[this.int(SYL.length)];
    return w;
  }
  /** A top-level domain. */
  tld(): string {
    return TLDS[this.int(TLDS.length)];
  }
  /** A random domain name, `www.`-style subdomain sometimes. */
  domain(): string {
    const sub = this.int(3) === 0 ? `${this.word()}.` : "";
    return `${sub}${this.word()}-${this.int(100000)}.${this.tld()}`;
  }
}

/** Glob styles of the Matchy benchmark. */
export type GlobStyle = "prefix" | "suffix" | "mixed" | "complex";

/** The four styles. */
export const GLOB_STYLES: GlobStyle[] = ["prefix", "suffix", "mixed", "complex"];

/**
 * `count` distinct literal strings (domains).
 *
 * @param count How many.
 * @param seed The seed.
 */
export function makeLiterals(count: number, seed = 1): string[] {
  const g = new Names(seed);
  const set = new Set<string>();
  while (set.size < count) set.add(g.domain());
  return [...set];
}

/**
 * `count` distinct globs of one style.
 *
 * @param style prefix (`word-123*`), suffix (`*.word-123.com`), mixed (prefix, suffix and
 *   contains `*word123*` mixed), complex (several wildcards, `?` and sets).
 * @param count How many.
 * @param seed The seed.
 */
export function makeGlobs(style: GlobStyle, count: number, seed = 2): string[] {
  const g = new Names(seed);
  const set = new Set<string>();
  while (set.size < count) {
    const w = g.word(), n = g.int(100000), t = g.tld();
    let p: string;
    const s = style === "mixed" ? (["prefix", "suffix", "contains"] as const)[g.int(3)] : style;
    if (s === "prefix") p = `${w}-${n}*`;
    else if (s === "suffix") p = `*.${w}-${n}.${t}`;
    else if (s === "contains") p = `*${w}${n}*`;
    else {
      const k = g.int(3);
      p = k === 0
        ? `*.${w}[0-9]${n}?.${t}`
        : k === 1
        ? `${w}-[a-f]?${n}*.${t}`
        : `*${w}*-${n}.[!x]?*`;
    }
    set.add(p);
  }
  return [...set];
}

/**
 * A string that the glob matches (stars become random words, `?` a letter, sets a member).
 *
 * @param glob The glob (from {@linkcode makeGlobs}).
 * @param g The name generator.
 */
export function instantiate(glob: string, g: Names): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") out += g.int(2) === 0 ? g.word() : `${g.word()}.`;
    else if (c === "?") out += "q";
    else if (c === "[") {
      const end = glob.indexOf("]", i);
      const body = glob.slice(i + 1, end);
      out += body.startsWith("!") ? "y" : body[0];
      i = end;
    } else out += c;
  }
  return out;
}

/**
 * Queries with about `hitRate` of them built to match: literal queries are stored strings,
 * glob queries are instantiations; misses are fresh random domains under `.invalid`.
 *
 * @param pool Strings or globs to draw hits from.
 * @param kind Whether `pool` holds literals or globs.
 * @param count How many queries.
 * @param hitRate Fraction in [0, 1].
 * @param seed The seed.
 */
export function makeQueries(
  pool: string[],
  kind: "literal" | "glob",
  count: number,
  hitRate: number,
  seed = 3,
): string[] {
  const g = new Names(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (g.next() < hitRate) {
      const p = pool[g.int(pool.length)];
      out.push(kind === "literal" ? p : instantiate(p, g));
    } else out.push(`${g.word()}-${g.int(1e6)}.z${g.word()}.invalid`);
  }
  // Fresh string objects (not the pool's own), as queries parsed from input would be.
  return out.map((s) => (" " + s).slice(1));
}

/**
 * Translates a glob to a RegExp source with mxy's semantics (`*` crosses `/` and `.`).
 *
 * @param glob The glob.
 */
export function globToRegExpSource(glob: string): string {
  let src = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") src += "[\\s\\S]*";
    else if (c === "?") src += "[\\s\\S]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      let body = glob.slice(i + 1, end);
      if (body.startsWith("!")) body = "^" + body.slice(1);
      src += `[${body}]`;
      i = end;
    } else if (c === "\\") {
      src += glob[++i].replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
    } else src += c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  return src;
}

/** The longest run of literal characters in a glob (its fixed piece for an Aho-Corasick peer). */
export function fixedPiece(glob: string): string {
  let best = "", cur = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" || c === "?") cur = "";
    else if (c === "[") {
      i = glob.indexOf("]", i + 1);
      cur = "";
    } else {
      cur += c === "\\" ? glob[++i] : c;
      if (cur.length > best.length) best = cur;
    }
  }
  return best;
}
