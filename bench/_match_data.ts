/**
 * The data of the `mxy match` benchmark, made from fixed seeds: a feed of literal domains, glob
 * patterns and IPv4/IPv6 networks, and a web access log (bench/_access_log.ts) with indicators of
 * the feed planted in some lines — client addresses inside feed networks, referrers and query
 * strings naming feed domains, their subdomains, and names that merely contain a feed domain
 * (`xmail.com` for `mail.com`, the substring hits of `grep -F`).
 */
import { accessLogLines } from "./_access_log.ts";
import { makeGlobs, makeLiterals, Names } from "./_pattern_data.ts";

/** The feed. */
export interface MatchFeed {
  /** Literal domains. */
  literals: string[];
  /** Glob patterns. */
  globs: string[];
  /** CIDR networks (IPv4 mostly, some IPv6). */
  networks: string[];
}

/**
 * Makes the feed.
 *
 * @param literals How many literal domains.
 * @param globs How many globs.
 * @param networks How many networks.
 */
export function makeFeed(literals = 100_000, globs = 10_000, networks = 100_000): MatchFeed {
  const lits = makeLiterals(literals, 11);
  const gl = makeGlobs("mixed", globs, 12);
  const g = new Names(13);
  const nets = new Set<string>();
  while (nets.size < networks) {
    if (g.int(20) === 0) {
      nets.add(`2001:db8:${g.int(0x10000).toString(16)}::/48`);
      continue;
    }
    // a /32, /24 or /16 network in public space
    const len = [32, 32, 24, 24, 24, 16][g.int(6)];
    const a = 1 + g.int(222), b = g.int(256), c = g.int(256), d = g.int(256);
    const net = len === 32
      ? `${a}.${b}.${c}.${d}`
      : len === 24
      ? `${a}.${b}.${c}.0/24`
      : `${a}.${b}.0.0/16`;
    nets.add(net);
  }
  return { literals: lits, globs: gl, networks: [...nets] };
}

/** The feed as the text a `mxy build` reads (one entry per line). */
export function feedText(feed: MatchFeed): string {
  return [
    ...feed.networks,
    ...feed.literals,
    ...feed.globs.map((x) => `glob:${x}`),
  ].join("\n") + "\n";
}

/**
 * About `size` bytes of access log, whole lines, with about one line in 20 carrying something of
 * the feed.
 *
 * @param feed The feed to plant.
 * @param size How many bytes.
 * @param seed The seed.
 */
export function generateMatchLog(feed: MatchFeed, size: number, seed = 0x5eed): Uint8Array {
  const out = new Uint8Array(size + (1 << 17));
  const enc = new TextEncoder();
  const g = new Names(seed ^ 0x77);
  const v4 = feed.networks.filter((n) => !n.includes(":"));
  let at = 0;
  let batch: string[] = [];
  let batchLength = 0;
  for (let line of accessLogLines(seed)) {
    const r = g.int(100);
    if (r < 2) {
      // a client inside a feed network
      const net = v4[g.int(v4.length)].replace(/\/\d+$/, "");
      line = net + line.slice(line.indexOf(" "));
    } else if (r < 4) {
      line += ` "https://${feed.literals[g.int(feed.literals.length)]}/login"`;
    } else if (r < 5) {
      line += ` "ref=www.${feed.literals[g.int(feed.literals.length)]}"`;
    } else if (r < 6) {
      // a name that contains a feed domain without being it (a substring hit for grep -F)
      line += ` "http://x${feed.literals[g.int(feed.literals.length)]}/"`;
    }
    batch.push(line);
    batchLength += line.length + 1;
    if (batchLength >= 1 << 16 || at + batchLength >= size) {
      const { written } = enc.encodeInto(batch.join("\n") + "\n", out.subarray(at));
      at += written;
      batch = [];
      batchLength = 0;
      if (at >= size) break;
    }
  }
  return out.subarray(0, at);
}
