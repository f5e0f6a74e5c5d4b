/**
 * The builder's output, byte for byte: fixed inputs of every shape (IPv4 and IPv6 trees, the
 * IPv4 aliases, each record size, literals and globs in both match modes, merged duplicates)
 * are built with a fixed build epoch and their SHA-256 compared with the digests the builder
 * gave before its code was split into files (#11). A change here is a change of the file
 * format's bytes: it needs a reason, not a new digest. Changes so far: #13 adds the Teredo
 * alias (`2001::/32`) in IPv6 trees with IPv4 entries, as MaxMind's writers do (the six IPv6
 * digests changed; with that alias left out they are the #11 digests again).
 */
import assert from "node:assert/strict";
import { DatabaseBuilder, type DatabaseBuilderOptions } from "../../lib/db/mod.ts";

/** xorshift32 from a fixed seed: the same entries on every run. */
function random(seed: number): () => number {
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

function ipv4Network(next: () => number): string {
  const prefix = 8 + (next() % 25);
  const a = next();
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const m = (a & mask) >>> 0;
  return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${prefix}`;
}

function ipv6Network(next: () => number): string {
  const words = [0x2001, 0x0db8, next() & 0xffff, next() & 0xffff, next() & 0xffff, 0, 0, 0];
  const prefix = 32 + (next() % 33);
  for (let bit = prefix; bit < 128; bit++) words[bit >> 4] &= ~(1 << (15 - (bit & 15)));
  return `${words.map((w) => w.toString(16)).join(":")}/${prefix}`;
}

const WORDS = ["evil", "login", "mail", "cdn", "shop", "api", "Pay", "secure", "ümlaut", "x"];

function word(next: () => number): string {
  return WORDS[next() % WORDS.length] + (next() % 100);
}

function glob(next: () => number): string {
  switch (next() % 6) {
    case 0:
      return `*.${word(next)}.com`;
    case 1:
      return `${word(next)}.*`;
    case 2:
      return `*${word(next)}*`;
    case 3:
      return `${word(next)}-[0-9]?.${word(next)}.*`;
    case 4:
      return `*.${word(next)}.[!a-c]*.net`;
    default:
      return `[a-z]*${word(next)}?`;
  }
}

/** Builds `n` mixed entries from `seed` with the given options; returns the file's SHA-256. */
async function digest(seed: number, n: number, options: DatabaseBuilderOptions): Promise<string> {
  const next = random(seed);
  const b = new DatabaseBuilder({ buildEpoch: 1_700_000_000, ...options });
  for (let i = 0; i < n; i++) {
    const value = { id: i % 97, tag: WORDS[i % WORDS.length], score: (i % 13) / 4 };
    const kind = next() % 10;
    if (kind < 4) b.add(ipv4Network(next), value);
    else if (kind < 5 && options.ipVersion !== 4) b.add(ipv6Network(next), value);
    else if (kind < 8) b.add(`${word(next)}.${word(next)}.example`, value);
    else b.add(glob(next), value);
  }
  const bytes = b.build();
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(hash, (x) => x.toString(16).padStart(2, "0")).join("");
}

const CASES: [string, number, number, DatabaseBuilderOptions, string][] = [
  [
    "IPv4 tree, strings, 24-bit records",
    1,
    3000,
    { ipVersion: 4 },
    "a5143aa3880dca0a44d3d7dfae96ada43106016623e8dc673cc3abdf143f583e",
  ],
  [
    "IPv6 tree with the IPv4 aliases",
    2,
    3000,
    {},
    "f0b44be9bd95eac685921989b931894045467fa1d1424b6633b01c58140008a8",
  ],
  [
    "IPv6 tree without aliases",
    3,
    2000,
    { ipv4Aliases: false },
    "2d6f48a61f13aa5398ee33334de0ac0ad060e892d3e68f116508ac064719a3d4",
  ],
  [
    "28-bit records",
    4,
    1500,
    { recordSize: 28 },
    "9d4ff49408b6c07e7d28340006849c64c07c24515b7707a10f7bbc462fe1a064",
  ],
  [
    "32-bit records",
    5,
    1500,
    { recordSize: 32 },
    "6e60d68244a454cb2ec82fe8df5544e9c001f00cd24159f6a85bcef5587e112f",
  ],
  [
    "case-insensitive strings",
    6,
    3000,
    { matchMode: "case-insensitive" },
    "b92e982d73ead3045c2e8fcb720eb80f977d9ea2473b92040f011d514792431a",
  ],
  [
    "merged duplicates",
    7,
    4000,
    { onDuplicate: "merge" },
    "63b0c1e671720fb1b370dfe9fde25ada7159b6019adc0419e961684e279fbe06",
  ],
  [
    "first of duplicates, normalized",
    8,
    2000,
    { onDuplicate: "first", normalize: true },
    "b5b9299f67795b10fc58abea8692b650154fc852aa8a330785712a652bf61fab",
  ],
];

for (const [name, seed, n, options, want] of CASES) {
  Deno.test(`build() writes the same bytes as before the split: ${name}`, async () => {
    assert.equal(await digest(seed, n, options), want);
  });
}
