/**
 * Build rate of `mxy build` on IPv4 addresses and CIDR networks.
 *
 * - `deno bench -A bench/build_bench.ts`: DatabaseBuilder on 1,000,000 entries given as strings
 *   and pooled values (the library's own cost), and CSV parsing + building of the same feed.
 * - `deno run -A bench/build_bench.ts [N]`: a report in entries per second — mxy on N entries
 *   (default 1,000,000) from a CSV file to a written `.mxy`, and, on a 200,000-entry sample of the
 *   same feed, mxy against MaxMind's own Perl writer (`MaxMind::DB::Writer::Tree`, Debian package
 *   `libmaxmind-db-writer-perl`) started from this process, each reading the same file and writing
 *   a database (with `remove_reserved_networks => 0`, so both keep every network). The two
 *   writers resolve overlapping networks differently — mxy gives each address the most specific
 *   network whatever the order, the Perl writer lets a later network overwrite the earlier ones
 *   inside it — so sizes and some answers differ; one answer of each is shown via `mmdblookup`.
 *
 * @module
 */
import { DatabaseBuilder } from "../lib/db/mod.ts";
import { parseCsvFeed } from "../lib/db/feeds/csv.ts";
import { streamFeed } from "../lib/runtime/mod.ts";

const THREATS = [
  "botnet-c2",
  "scanner",
  "phishing",
  "spam",
  "tor-exit",
  "malware",
  "proxy",
  "brute",
];
const SOURCES = ["honeypot", "sinkhole", "blocklist", "analyst", "partner"];

/** A deterministic feed: random IPv4 hosts and networks (/12 … /32) with a few hundred values. */
function makeFeed(n: number, seed = 1): { csv: string; tsv: string } {
  let s = seed >>> 0;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const csv: string[] = ["entry,threat,confidence,source"];
  const tsv: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const prefix = r % 4 === 0 ? 32 : 12 + (rnd() % 21);
    const addr = prefix === 32 ? rnd() : (rnd() & (0xffffffff << (32 - prefix))) >>> 0;
    const ip = `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
    const entry = prefix === 32 ? ip : `${ip}/${prefix}`;
    const threat = THREATS[r % THREATS.length];
    const conf = (r >>> 8) % 101;
    const source = SOURCES[(r >>> 16) % SOURCES.length];
    csv.push(`${entry},${threat},${conf},${source}`);
    tsv.push(`${entry}\t${threat}\t${conf}\t${source}`);
  }
  return { csv: csv.join("\n") + "\n", tsv: tsv.join("\n") + "\n" };
}

/** What `mxy build FILE` does: stream the feed, build, and return the file's bytes. */
async function buildFromFile(path: string): Promise<Uint8Array> {
  const b = new DatabaseBuilder({ buildEpoch: 1700000000, extensions: [] });
  for await (const r of streamFeed(path)) b.add(r.entry, r.data, r);
  return b.build();
}

function buildFromCsv(csv: string): Uint8Array {
  const b = new DatabaseBuilder({ buildEpoch: 1700000000, extensions: [] });
  for (const r of parseCsvFeed(csv, { file: "bench.csv" })) b.add(r.entry, r.data, r);
  return b.build();
}

const PERL_WRITER = `
use strict; use warnings;
use MaxMind::DB::Writer::Tree;
my ($in, $out) = @ARGV;
my %types = (threat => 'utf8_string', confidence => 'uint16', source => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
  ip_version => 4, record_size => 24, database_type => 'bench',
  languages => ['en'], description => { en => 'bench' },
  remove_reserved_networks => 0,
  map_key_type_callback => sub { $types{ $_[0] } },
);
open(my $fh, '<', $in) or die $!;
while (my $line = <$fh>) {
  chomp $line;
  my ($net, $threat, $conf, $source) = split /\\t/, $line;
  $net .= '/32' unless $net =~ m{/};
  $tree->insert_network($net, { threat => $threat, confidence => $conf + 0, source => $source });
}
open(my $o, '>:raw', $out) or die $!;
$tree->write_tree($o);
close $o;
`;

async function perlAvailable(): Promise<boolean> {
  try {
    const r = await new Deno.Command("perl", {
      args: ["-MMaxMind::DB::Writer::Tree", "-e", "1"],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.success;
  } catch {
    return false;
  }
}

async function mmdbAnswer(path: string, ip: string): Promise<string> {
  const r = await new Deno.Command("mmdblookup", {
    args: ["--file", path, "--ip", ip, "threat"],
    stdout: "piped",
    stderr: "piped",
  }).output().catch(() => null);
  if (r === null) return "(mmdblookup missing)";
  return new TextDecoder().decode(r.stdout).trim() || "(none)";
}

async function report(n: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mxy-build-bench-" });
  try {
    const t0 = performance.now();
    const big = makeFeed(n);
    await Deno.writeTextFile(`${dir}/big.csv`, big.csv);
    console.log(
      `feed: ${n.toLocaleString("en-US")} IPv4 entries (${
        (performance.now() - t0).toFixed(0)
      } ms to make)`,
    );

    const t1 = performance.now();
    const bytes = await buildFromFile(`${dir}/big.csv`);
    await Deno.writeFile(`${dir}/big.mxy`, bytes);
    const ms = performance.now() - t1;
    console.log(
      `mxy build (read CSV, parse, build, write): ${(ms / 1000).toFixed(2)} s, ` +
        `${Math.round(n / ms * 1000).toLocaleString("en-US")} entries/s, ` +
        `${(bytes.length / 1048576).toFixed(1)} MiB`,
    );

    const m = Math.min(n, 200_000);
    const sample = makeFeed(m, 7);
    await Deno.writeTextFile(`${dir}/s.csv`, sample.csv);
    await Deno.writeTextFile(`${dir}/s.tsv`, sample.tsv);
    await Deno.writeTextFile(`${dir}/writer.pl`, PERL_WRITER);
    const t2 = performance.now();
    await Deno.writeFile(`${dir}/s.mxy`, await buildFromFile(`${dir}/s.csv`));
    const mxyMs = performance.now() - t2;
    const mxyRate = m / mxyMs * 1000;
    console.log(
      `\nsame-run comparison on ${m.toLocaleString("en-US")} entries:\n` +
        `  mxy:                       ${(mxyMs / 1000).toFixed(2)} s, ${
          Math.round(mxyRate).toLocaleString("en-US")
        } entries/s`,
    );
    if (!(await perlAvailable())) {
      console.log(
        "  MaxMind::DB::Writer (Perl): not installed (apt-get install libmaxmind-db-writer-perl)",
      );
      return;
    }
    const t3 = performance.now();
    const perl = await new Deno.Command("perl", {
      args: [`${dir}/writer.pl`, `${dir}/s.tsv`, `${dir}/s.mmdb`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const perlMs = performance.now() - t3;
    if (!perl.success) {
      console.log(`  Perl writer failed: ${new TextDecoder().decode(perl.stderr)}`);
      return;
    }
    const perlRate = m / perlMs * 1000;
    console.log(
      `  MaxMind::DB::Writer (Perl): ${(perlMs / 1000).toFixed(2)} s, ${
        Math.round(perlRate).toLocaleString("en-US")
      } entries/s\n` +
        `  ratio mxy / Perl writer:    ${(mxyRate / perlRate).toFixed(2)}×`,
    );
    const sizes = [(await Deno.stat(`${dir}/s.mxy`)).size, (await Deno.stat(`${dir}/s.mmdb`)).size];
    console.log(
      `  file sizes: mxy ${sizes[0].toLocaleString("en-US")} B, Perl ${
        sizes[1].toLocaleString("en-US")
      } B`,
    );
    const firstHost = sample.tsv.split("\n").find((l) => !l.split("\t")[0].includes("/"))!;
    const ip = firstHost.split("\t")[0];
    console.log(
      `  mmdblookup ${ip}: mxy ${await mmdbAnswer(`${dir}/s.mxy`, ip)} | Perl ${await mmdbAnswer(
        `${dir}/s.mmdb`,
        ip,
      )}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const N = 1_000_000;
let cached: { csv: string } | null = null;
function feed(): { csv: string } {
  cached ??= makeFeed(N);
  return cached;
}

let entries: { keys: string[]; values: Record<string, string | number>[] } | null = null;
/** The feed's entries as strings, and values drawn from a shared pool of 4,040 maps. */
function libraryInput(): { keys: string[]; values: Record<string, string | number>[] } {
  if (entries) return entries;
  const pool = new Map<string, Record<string, string | number>>();
  const keys: string[] = [];
  const values: Record<string, string | number>[] = [];
  for (const line of feed().csv.split("\n").slice(1)) {
    if (line === "") continue;
    const [entry, threat, conf, source] = line.split(",");
    const id = `${threat},${conf},${source}`;
    let v = pool.get(id);
    if (!v) {
      v = { threat, confidence: Number(conf), source };
      pool.set(id, v);
    }
    keys.push(entry);
    values.push(v);
  }
  entries = { keys, values };
  return entries;
}

Deno.bench({
  name: "DatabaseBuilder add() + build(): 1M IPv4 entries",
  n: 3,
  warmup: 1,
  fn(b) {
    const { keys, values } = libraryInput();
    b.start();
    const builder = new DatabaseBuilder({ buildEpoch: 1700000000, extensions: [] });
    for (let i = 0; i < keys.length; i++) builder.add(keys[i], values[i]);
    builder.build();
    b.end();
  },
});

Deno.bench({
  name: "parse CSV + build: 1M IPv4 entries",
  n: 3,
  warmup: 1,
  fn() {
    buildFromCsv(feed().csv);
  },
});

if (import.meta.main) await report(Number(Deno.args[0] ?? N));
