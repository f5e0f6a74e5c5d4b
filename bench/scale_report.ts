/**
 * How `mxy match` scales as workers of a Redis Streams consumer group (docs/SCALING.md): on the
 * data of the `mxy match` benchmark (bench/_match_data.ts: a 210,000-entry feed and a web access
 * log with feed indicators planted in it, made once in the git-ignored bench/data/), runs in one
 * script, `rounds` times each:
 *
 * - `mxy match DB LOG --threads 1` (the direct scan, the peer), hits to /dev/null;
 * - two such scans at once, of a half of the log each: how far this machine lets two processes
 *   scale without Redis;
 * - the producer `mxy match --to-redis` (chunks of 1 MiB, the default), timed on its own;
 * - 1 worker, then 2 workers at once (2 workers first in even rounds, so that a drifting load
 *   favours neither), `--drain`, each group reading the whole stream, hits to an output stream
 *   (`--to-stream`, in the MULTI with the XACK);
 * - 1 worker on the same text split one line per entry (`--split lines`), on a slice of it;
 * - 1 worker, then 2 workers, on 4 MiB ranges of the log file (`--split ranges`: Redis hands out
 *   work and carries no text).
 *
 * Each round prints its own ratios (the rounds run minutes apart on a shared machine, so a ratio is
 * only sound between runs of one round), then the medians of those and the best of the rounds.
 * It prints lines/s by wall clock from process start to exit (start-up included) and by each
 * worker's own clock (its `--stats`: from its first read to the end), the CPU seconds of the
 * workers and of redis-server, and the ratios the targets name: 2 workers ÷ 1 worker (≥ 1.7) and
 * 1 worker ÷ direct (≥ 0.8). The machine has 2 cores shared with other work: compare within a run.
 *
 * The default log is 200 MB: the targets are about throughput, and with 40 MB a process's
 * start-up (printed: about 0.17 s of CPU for `mxy match`, 0.4 s for a worker) and its compiler's
 * warm-up weigh as much as a fifth of the scan.
 *
 * Run: deno run -A bench/scale_report.ts [megabytes=200] [rounds=3]
 */
import { DatabaseBuilder } from "../lib/db/mod.ts";
import { generateMatchLog, makeFeed } from "./_match_data.ts";
import { startRedis } from "../tests/cli/_redis_server.ts";

const megabytes = Number(Deno.args[0] ?? 200);
const rounds = Number(Deno.args[1] ?? 3);
const ROOT = new URL("../", import.meta.url).pathname;
const DATA = `${ROOT}bench/data`;
const DB = `${DATA}/match.mxy`;
const LOG = `${DATA}/scale_${megabytes}mb.log`;
const LINES_LOG = `${DATA}/scale_${megabytes}mb_slice.log`;
const MXY = [Deno.execPath(), "run", "-A", `${ROOT}cli/main.ts`, "match"];

await Deno.mkdir(DATA, { recursive: true });
const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
if (!(await exists(DB)) || !(await exists(LOG))) {
  const feed = makeFeed();
  if (!(await exists(DB))) {
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    for (const n of feed.networks) b.add(n, { kind: "network", source: "bench" });
    for (const l of feed.literals) b.add(l, { kind: "domain", source: "bench" });
    for (const g of feed.globs) b.add(`glob:${g}`, { kind: "glob", source: "bench" });
    await Deno.writeFile(DB, b.build());
  }
  await Deno.writeFile(LOG, generateMatchLog(feed, megabytes * 1e6));
}
const HALVES = [`${DATA}/scale_${megabytes}mb_half1.log`, `${DATA}/scale_${megabytes}mb_half2.log`];
{
  // a slice for the line-per-entry run: a tenth of the log, whole lines; and the two halves
  // (written when missing or of another size)
  const all = await Deno.readFile(LOG);
  const cut = all.indexOf(0x0a, Math.floor(all.length / 10)) + 1;
  const half = all.indexOf(0x0a, Math.floor(all.length / 2)) + 1;
  const parts: [string, Uint8Array][] = [
    [LINES_LOG, all.subarray(0, cut)],
    [HALVES[0], all.subarray(0, half)],
    [HALVES[1], all.subarray(half)],
  ];
  for (const [path, bytes] of parts) {
    const size = await Deno.stat(path).then((s) => s.size, () => -1);
    if (size !== bytes.length) await Deno.writeFile(path, bytes);
  }
}
const countLines = async (p: string) => {
  const b = await Deno.readFile(p);
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
};
const lines = await countLines(LOG);
const sliceLines = await countLines(LINES_LOG);
const cpus = navigator.hardwareConcurrency;
console.log(
  `log ${(((await Deno.stat(LOG)).size) / 1e6).toFixed(1)} MB, ${lines} lines; database ` +
    `${((await Deno.stat(DB)).size / 1e6).toFixed(1)} MB; ${cpus} CPUs, load average ` +
    `${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")}`,
);

interface Proc {
  wall: number;
  cpu: number;
  stderr: string;
}

/** Runs a command under /usr/bin/time; stdout to /dev/null; exit 1 is fine when `noHits`. */
function timed(argv: string[], noHits = false): Promise<Proc> {
  const t = performance.now();
  return new Deno.Command("/usr/bin/time", {
    args: ["-f", "TIME %U %S", ...argv],
    stdout: "null",
    stderr: "piped",
  }).output().then((out) => {
    const wall = (performance.now() - t) / 1000;
    const err = new TextDecoder().decode(out.stderr);
    if (!out.success && !(noHits && out.code === 1)) {
      throw new Error(`${argv.slice(4).join(" ")} failed: ${err}`);
    }
    const m = err.match(/TIME ([\d.]+) ([\d.]+)/)!;
    return { wall, cpu: Number(m[1]) + Number(m[2]), stderr: err };
  });
}

/** CPU seconds a process has used so far (utime + stime). */
async function cpuOf(pid: number): Promise<number> {
  const stat = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

/** The worker's own rate from its --stats line. */
function ownSeconds(stderr: string): number {
  return Number(stderr.match(/ ([\d.]+) s, \d+ lines\/s/)![1]);
}

interface Row {
  name: string;
  lines: number;
  /** Wall seconds from the start of the processes to the exit of the last. */
  wall: number;
  /** Wall seconds by the workers' own clocks (the longest), or the direct scan's. */
  own: number;
  /** CPU seconds of each process, start-up excluded. */
  cpus: number[];
  /** CPU seconds of redis-server during the run. */
  redis: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** Range size of the `--split ranges` runs: 48 entries for 200 MB, so that two workers end together. */
const RANGE = 4 << 20;
const redis = await startRedis();
const results: Row[][] = [];
try {
  const url = redis.url;
  const produce = async (stream: string, file: string, split: string, chunk?: number) => {
    await redis.client.command(["DEL", stream]);
    return await timed([
      ...MXY,
      "--to-redis",
      url,
      "--stream",
      stream,
      "--split",
      split,
      ...(chunk ? ["--chunk-size", String(chunk)] : []),
      "--max-backlog",
      "0",
      file,
    ]);
  };
  const workerArgs = (stream: string, group: string, i: number) => [
    ...MXY,
    DB,
    "--from-redis",
    url,
    "--stream",
    stream,
    "--group",
    group,
    "--consumer",
    `w${i}`,
    "--create-group",
    "--drain",
    "--to-stream",
    `out-${group}`,
    "--stats",
  ];
  // start-up CPU (modules, database, Redis client), taken off each run's CPU time
  await redis.client.command(["XADD", "empty", "*", "x", "y"]);
  await redis.client.command(["XTRIM", "empty", "MAXLEN", "0"]);
  const startup = { direct: Infinity, worker: Infinity };
  for (let r = 0; r < 3; r++) {
    startup.direct = Math.min(startup.direct, (await timed([...MXY, DB, "/dev/null"], true)).cpu);
    startup.worker = Math.min(startup.worker, (await timed(workerArgs("empty", `e${r}`, 0))).cpu);
  }
  const workers = async (n: number, stream: string, group: string, want: number) => {
    await redis.client.command(["DEL", `out-${group}`]);
    const before = await cpuOf(redis.pid);
    const t = performance.now();
    const procs = await Promise.all(
      Array.from({ length: n }, (_, i) => timed(workerArgs(stream, group, i))),
    );
    const wall = (performance.now() - t) / 1000;
    const done = procs.reduce((a, p) => a + Number(p.stderr.match(/, (\d+) lines,/)![1]), 0);
    if (done !== want) throw new Error(`${n} workers scanned ${done} lines, not ${want}`);
    await redis.client.command(["DEL", `out-${group}`]);
    return {
      wall,
      own: Math.max(...procs.map((p) => ownSeconds(p.stderr))),
      cpus: procs.map((p) => Math.max(0, p.cpu - startup.worker)),
      redis: (await cpuOf(redis.pid)) - before,
    };
  };
  for (let r = 0; r < rounds; r++) {
    const rows: Row[] = [];
    const direct = await timed([...MXY, DB, LOG, "--threads", "1", "--stats"]);
    rows.push({
      name: "mxy match --threads 1 (direct)",
      lines,
      wall: direct.wall,
      own: Number(direct.stderr.match(/ ([\d.]+) s, [\d.]+ MB\/s/)![1]),
      cpus: [Math.max(0, direct.cpu - startup.direct)],
      redis: 0,
    });
    // the machine's own scaling, without Redis: two direct scans of a half each, at once
    const t = performance.now();
    const pair = await Promise.all(
      HALVES.map((h) => timed([...MXY, DB, h, "--threads", "1", "--stats"])),
    );
    rows.push({
      name: "2 × mxy match --threads 1, a half each (direct)",
      lines,
      wall: (performance.now() - t) / 1000,
      own: Math.max(...pair.map((x) => Number(x.stderr.match(/ ([\d.]+) s, [\d.]+ MB\/s/)![1]))),
      cpus: pair.map((x) => Math.max(0, x.cpu - startup.direct)),
      redis: 0,
    });
    const before = await cpuOf(redis.pid);
    const p = await produce("s", LOG, "chunks");
    rows.push({
      name: "producer (1 MiB chunks)",
      lines,
      wall: p.wall,
      own: p.wall,
      cpus: [p.cpu],
      redis: (await cpuOf(redis.pid)) - before,
    });
    // 1 worker first in odd rounds, 2 workers first in even ones: a machine whose load drifts
    // within a round favours neither
    const inTurn = async <T>(first: () => Promise<T>, second: () => Promise<T>) => {
      if (r % 2 === 0) {
        const a = await first();
        return [a, await second()];
      }
      const b = await second();
      return [await first(), b];
    };
    const [one, two] = await inTurn(
      () => workers(1, "s", `one${r}`, lines),
      () => workers(2, "s", `two${r}`, lines),
    );
    rows.push({ name: "1 worker", lines, ...one });
    rows.push({ name: "2 workers", lines, ...two });
    await produce("l", LINES_LOG, "lines");
    rows.push({
      name: "1 worker, a line per entry (a tenth of the log)",
      lines: sliceLines,
      ...await workers(1, "l", `lines${r}`, sliceLines),
    });
    // ranges of the log file (4 MiB) instead of its text: Redis only hands out work
    await produce("r", LOG, "ranges", RANGE);
    const [oneR, twoR] = await inTurn(
      () => workers(1, "r", `r1${r}`, lines),
      () => workers(2, "r", `r2${r}`, lines),
    );
    rows.push({ name: "1 worker, 4 MiB ranges", lines, ...oneR });
    rows.push({ name: "2 workers, 4 MiB ranges", lines, ...twoR });
    results.push(rows);
    console.log(
      `round ${r + 1} (load average ${Deno.loadavg()[0].toFixed(1)}): ` +
        rows.map((x) => `${x.name} ${x.own.toFixed(2)} s`).join("; ") +
        `; in this round: 1 worker ÷ direct ${(rows[0].own / rows[3].own).toFixed(2)}, ` +
        `2 workers ÷ 1 worker ${(rows[3].own / rows[4].own).toFixed(2)}, ` +
        `2 direct ÷ 1 direct ${(rows[0].own / rows[1].own).toFixed(2)}; from CPU time ` +
        `(a core each): 2 workers ÷ 1 worker ${
          (sum(rows[3].cpus) / Math.max(...rows[4].cpus)).toFixed(2)
        }, 2 direct ÷ 1 direct ${(sum(rows[0].cpus) / Math.max(...rows[1].cpus)).toFixed(2)}; ` +
        `ranges: 2 workers ÷ 1 worker ${(rows[6].own / rows[7].own).toFixed(2)} (own clock), ${
          (sum(rows[6].cpus) / Math.max(...rows[7].cpus)).toFixed(2)
        } (CPU)`,
    );
  }
  console.log(
    `start-up CPU: ${startup.direct.toFixed(2)} s direct, ${startup.worker.toFixed(2)} s worker`,
  );
} finally {
  await redis.stop();
}

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
console.log(
  `medians of the rounds' ratios (own clock): 1 worker ÷ direct ` +
    `${median(results.map((x) => x[0].own / x[3].own)).toFixed(2)}; 2 workers ÷ 1 worker ` +
    `${median(results.map((x) => x[3].own / x[4].own)).toFixed(2)}; 2 direct ÷ 1 direct ` +
    `${median(results.map((x) => x[0].own / x[1].own)).toFixed(2)}; with 4 MiB ranges, ` +
    `2 workers ÷ 1 worker ${median(results.map((x) => x[6].own / x[7].own)).toFixed(2)}`,
);
/** Best of the rounds: by own clock for the wall figures, by CPU for the CPU figures. */
const bestWall = results[0].map((_, i) =>
  results.map((rows) => rows[i]).reduce((a, b) => (b.own < a.own ? b : a))
);
const bestCpu = results[0].map((_, i) =>
  results.map((rows) => rows[i]).reduce((a, b) => (sum(b.cpus) < sum(a.cpus) ? b : a))
);
console.log(
  "\n| run | lines/s (wall, own clock) | lines/s (wall, whole processes) | lines per CPU-second " +
    "(mxy) | redis-server CPU per 10⁶ lines |",
);
console.log("| --- | ---: | ---: | ---: | ---: |");
for (let i = 0; i < bestWall.length; i++) {
  const w = bestWall[i], c = bestCpu[i];
  console.log(
    `| ${w.name} | ${(w.lines / w.own).toFixed(0)} | ${(w.lines / w.wall).toFixed(0)} | ` +
      `${(c.lines / sum(c.cpus)).toFixed(0)} | ${(c.redis / c.lines * 1e6).toFixed(2)} s |`,
  );
}
const [direct, pair, , one, two] = bestWall;
const [directC, pairC, , oneC, twoC] = bestCpu;
console.log(
  `\n2 workers ÷ 1 worker, measured: ${(one.own / two.own).toFixed(2)} (own clock), ` +
    `${(one.wall / two.wall).toFixed(2)} (whole processes); from CPU time, with a core each: ` +
    `${(sum(oneC.cpus) / Math.max(...twoC.cpus)).toFixed(2)} (target ≥ 1.7)`,
);
console.log(
  `the same for two direct scans of a half each (no Redis), measured: ` +
    `${(direct.own / pair.own).toFixed(2)} (own clock); from CPU time: ` +
    `${(sum(directC.cpus) / Math.max(...pairC.cpus)).toFixed(2)}`,
);
console.log(
  `2 workers ÷ 1 worker as a share of what the machine gave two direct scans in this run: ` +
    `${((one.own / two.own) / (direct.own / pair.own)).toFixed(2)} (own clock); from CPU time: ` +
    `${
      ((sum(oneC.cpus) / Math.max(...twoC.cpus)) / (sum(directC.cpus) / Math.max(...pairC.cpus)))
        .toFixed(2)
    }`,
);
console.log(
  `with 4 MiB ranges of the file (Redis hands out work, carries no text): 2 workers ÷ 1 worker ` +
    `${(bestWall[6].own / bestWall[7].own).toFixed(2)} (own clock), ${
      (bestWall[6].wall / bestWall[7].wall).toFixed(2)
    } (whole processes); from CPU time: ${
      (sum(bestCpu[6].cpus) / Math.max(...bestCpu[7].cpus)).toFixed(2)
    }; 1 worker ÷ direct ${(direct.own / bestWall[6].own).toFixed(2)} (own clock), ${
      (sum(directC.cpus) / sum(bestCpu[6].cpus)).toFixed(2)
    } per CPU-second`,
);
console.log(
  `1 worker ÷ direct, measured: ${(direct.own / one.own).toFixed(2)} (own clock), ` +
    `${(direct.wall / one.wall).toFixed(2)} (whole processes); per CPU-second: ` +
    `${(sum(directC.cpus) / sum(oneC.cpus)).toFixed(2)} (target ≥ 0.8)`,
);
console.log(
  `redis-server: ${(oneC.redis / oneC.lines * 1e6).toFixed(2)} CPU-seconds per million lines ` +
    `with chunks (${(oneC.lines / Math.max(oneC.redis, 1e-6)).toFixed(0)} lines per CPU-second ` +
    `of Redis), ${
      (bestCpu[5].redis / bestCpu[5].lines * 1e6).toFixed(2)
    } with a line per entry; producer ${(bestCpu[2].redis / lines * 1e6).toFixed(2)}`,
);
