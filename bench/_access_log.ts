/**
 * A realistic web access log (Apache/nginx "combined" format) made in memory from a fixed seed,
 * for the extractor benchmarks: client addresses (IPv4, some IPv6), timestamps, requests with
 * paths and query strings (some carrying URLs, domains, hashes), status, size, referrers and
 * real-world User-Agent strings. Same bytes on every run.
 */

const UAS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2.1 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
  "curl/8.5.0",
  "python-requests/2.31.0",
  "Go-http-client/1.1",
  "-",
];
const PATHS = [
  "/",
  "/index.html",
  "/favicon.ico",
  "/robots.txt",
  "/wp-login.php",
  "/wp-admin/admin-ajax.php",
  "/static/js/app.3f2a1b9c.js",
  "/static/css/main.8e1f2a.css",
  "/images/logo.png",
  "/api/v1/users/%d",
  "/api/v1/orders/%d/items?limit=50&offset=%d",
  "/search?q=cheap+flights&page=%d",
  "/products/%d/reviews",
  "/login?next=%2Faccount%2Fsettings",
  "/.env",
  "/cgi-bin/luci/;stok=/locale",
  "/download?file=report-%d.pdf",
  "/redirect?url=https%3A%2F%2Fpartner.example.org%2Flanding",
  "/out?to=http://tracker.shop-deals.net/c/%d",
  "/files/%h",
  "/share?via=newsletter@mailer.example.com",
  "/track.gif?uid=%h&ref=m.facebook.com",
];
const REFERRERS = [
  "-",
  "-",
  "-",
  "https://www.google.com/",
  "https://www.bing.com/search?q=example",
  "https://example.com/products/42",
  "https://t.co/aBcD12",
  "http://news.ycombinator.com/item?id=38752312",
  "https://duckduckgo.com/",
  "https://www.example.co.uk/blog/2024/01/a-post.html",
];
const METHODS = ["GET", "GET", "GET", "GET", "POST", "HEAD", "PUT"];
const STATUS = ["200", "200", "200", "304", "301", "404", "403", "500"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A fixed-seed xorshift generator. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** One log line at a time (without the newline). */
export function* accessLogLines(seed = 0x5eed): Generator<string> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[r() % xs.length];
  const hex = (n: number) => {
    let s = "";
    while (s.length < n) s += r().toString(16).padStart(8, "0");
    return s.slice(0, n);
  };
  let t = 0;
  while (true) {
    const ip = r() % 10 === 0
      ? `2001:db8:${(r() & 0xffff).toString(16)}::${(r() & 0xffff).toString(16)}`
      : `${r() % 223 + 1}.${r() & 255}.${r() & 255}.${r() & 255}`;
    t += r() % 3;
    const day = 1 + (t / 86400 | 0) % 28;
    const hh = String((t / 3600 | 0) % 24).padStart(2, "0");
    const mm = String((t / 60 | 0) % 60).padStart(2, "0");
    const ss = String(t % 60).padStart(2, "0");
    const path = pick(PATHS).replace(/%d/g, () => String(r() % 100000)).replace(
      /%h/g,
      () => hex(pick([32, 40, 64])),
    );
    const user = r() % 50 === 0 ? "alice" : "-";
    yield `${ip} - ${user} [${String(day).padStart(2, "0")}/${
      pick(MONTHS)
    }/2024:${hh}:${mm}:${ss} +0000] ` +
      `"${pick(METHODS)} ${path} HTTP/1.1" ${pick(STATUS)} ${r() % 50000} "${pick(REFERRERS)}" "${
        pick(UAS)
      }"`;
  }
}

/** About `size` bytes of access log, whole lines, each ending with "\n". */
export function generateAccessLog(size: number, seed = 0x5eed): Uint8Array {
  const out = new Uint8Array(size + (1 << 17));
  const enc = new TextEncoder();
  let at = 0;
  let batch: string[] = [];
  let batchLength = 0;
  for (const line of accessLogLines(seed)) {
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
