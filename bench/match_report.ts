/**
 * The `mxy match` report: generates (once, in the git-ignored bench/data/) a feed of 100,000
 * literal domains, 10,000 globs and 100,000 networks, its database, and a web access log of at
 * least 200 MB with feed indicators planted in it; then runs, side by side in one run, `mxy match`
 * with 1 thread and with every CPU, and `grep -F -f` and `rg -F -f` on the same literal list
 * (bench/match_peers.sh), each `rounds` times, and prints MB/s (wall clock and CPU), ratios to
 * ripgrep, matching-line counts, peak RSS, and the GC events of a 1-thread run (`--trace-gc`).
 *
 * Scaling: each round also runs as many independent 1-thread scans of the whole log at once as
 * there are CPUs — what the machine gives separate processes in that round — and prints, per
 * round and as medians, N threads ÷ 1 thread and N processes' throughput ÷ 1 process, by wall
 * clock and projected from CPU time (1 thread and N threads run one after the other, in turn first
 * from one round to the next; each mxy run's threads are sampled from /proc: the main
 * thread, the match workers, V8's compiler and GC helpers; a run is projected to take its busiest
 * thread's CPU time or its CPU time over the cores, whichever is more). On a machine shared with
 * other work the wall-clock ratios mean little; compare within a round.
 *
 * grep and rg match substrings: `mail.com` inside `gmail.com` counts, and networks and globs are
 * out of their reach; mxy matches whole tokens, networks and globs.
 *
 * The tool's own clock: each `--stats` run prints the seconds it spent from the database opened
 * to the last byte scanned (start-up excluded: the runtime, the modules, reading the database);
 * the report gives N threads ÷ 1 thread by that clock too. Start-up is serial and the same for
 * any N, so on a short job it caps the whole-process ratio (with ~0.4 s of start-up and 1.4 s of
 * scanning, a perfect split gives 1.55×).
 *
 * A longer log for scaling: with `scaleMegabytes` > 0 (default 1000), each round also scans a log
 * of that size (generated once from the same feed) with 1 and with N threads, where the start-up
 * and each thread's JIT warm-up weigh less.
 *
 * Run: deno run -A bench/match_report.ts [megabytes=200] [rounds=3] [scaleMegabytes=1000]
 */
import { Database, DatabaseBuilder } from "../lib/db/mod.ts";
import { feedText, generateMatchLog, makeFeed } from "./_match_data.ts";

const megabytes = Number(Deno.args[0] ?? 200);
const rounds = Number(Deno.args[1] ?? 3);
const scaleMegabytes = Number(Deno.args[2] ?? 1000);
const ROOT = new URL("../", import.meta.url).pathname;
const DATA = `${ROOT}bench/data`;
const LOG = `${DATA}/match_${megabytes}mb.log`;
const DB = `${DATA}/match.mxy`;
const LITERALS = `${DATA}/match_literals.txt`;
const cpus = navigator.hardwareConcurrency;

await Deno.mkdir(DATA, { recursive: true });
const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
const t = performance.now();
if (!(await exists(DB)) || !(await exists(LOG)) || !(await exists(LITERALS))) {
  const feed = makeFeed();
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  for (const n of feed.networks) b.add(n, { kind: "network", source: "bench" });
  for (const l of feed.literals) b.add(l, { kind: "domain", source: "bench" });
  for (const g of feed.globs) b.add(`glob:${g}`, { kind: "glob", source: "bench" });
  await Deno.writeFile(DB, b.build());
  await Deno.writeTextFile(LITERALS, feed.literals.join("\n") + "\n");
  await Deno.writeTextFile(`${DATA}/match_feed.txt`, feedText(feed));
  await Deno.writeFile(LOG, generateMatchLog(feed, megabytes * 1e6));
}
const SCALE_LOG = `${DATA}/match_${scaleMegabytes}mb.log`;
if (scaleMegabytes > 0 && !(await exists(SCALE_LOG))) {
  await Deno.writeFile(SCALE_LOG, generateMatchLog(makeFeed(), scaleMegabytes * 1e6));
}
const size = (await Deno.stat(LOG)).size;
const db = Database.fromBytes(await Deno.readFile(DB));
const counts = db.metadata.mxyCounts;
console.log(
  `log ${(size / 1e6).toFixed(1)} MB; database ${
    ((await Deno.stat(DB)).size / 1e6).toFixed(1)
  } MB: ${JSON.stringify(counts)}; ready in ${((performance.now() - t) / 1000).toFixed(1)} s; ` +
    `${cpus} CPUs, load average ${Deno.loadavg()[0].toFixed(1)}`,
);

interface Run {
  name: string;
  wall: number;
  cpu: number;
  rss: number;
  lines: number;
  extra?: string;
  /** Seconds by the tool's own clock (`--stats`: database opened to the last byte scanned). */
  scan?: number;
  /** CPU seconds by thread, sampled (mxy only). */
  threads?: ThreadCpu[];
}

/** CPU seconds of each thread of a running process, by thread (name and CPU), from /proc. */
async function threadCpu(pid: number, into: Map<string, ThreadCpu>): Promise<void> {
  let tids: string[];
  try {
    tids = [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      const stat = await Deno.readTextFile(`/proc/${pid}/task/${tid}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      into.set(tid, { name, cpu: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // the thread ended
    }
  }
}

/** The seconds of a `--stats` line (`… 1.41 s, 141.3 MB/s with 1 thread …`), if any. */
function scanSeconds(stderr: string): number | undefined {
  const m = stderr.match(/ ([0-9.]+) s, [0-9.]+ MB\/s with /);
  return m ? Number(m[1]) : undefined;
}

/** A thread's name and CPU seconds. */
interface ThreadCpu {
  name: string;
  cpu: number;
}

/**
 * Runs a command under /usr/bin/time; for mxy, samples the CPU time of each of its threads every
 * 20 ms (/proc/PID/task: the main thread, the match workers, V8's compiler and GC helpers).
 */
async function timed(name: string, argv: string[]): Promise<Run> {
  const child = new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %U %S %M", "-o", "/dev/stderr", ...argv],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const threads = new Map<string, ThreadCpu>();
  let done = false;
  const output = child.output().finally(() => done = true);
  if (argv[0] === Deno.execPath()) {
    let pid = 0;
    while (!done) {
      if (pid === 0) {
        try {
          const kids = (await Deno.readTextFile(`/proc/${child.pid}/task/${child.pid}/children`))
            .trim();
          if (kids) pid = Number(kids.split(" ")[0]);
        } catch {
          // not started yet, or ended
        }
      }
      if (pid !== 0) await threadCpu(pid, threads);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const out = await output;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n");
  const [wall, user, sys, rss] = err.at(-1)!.split(" ").map(Number);
  const stdout = new TextDecoder().decode(out.stdout).trim();
  return {
    name,
    wall,
    cpu: user + sys,
    rss,
    lines: Number(stdout.split("\n").at(-1)),
    extra: err.slice(0, -1).join(" "),
    scan: scanSeconds(err.join("\n")),
    threads: [...threads.values()],
  };
}

const MXY = [Deno.execPath(), "run", "-A", `${ROOT}cli/main.ts`, "match", DB, LOG, "-c"];
/**
 * Wall seconds a run would take with a core of its own per thread: its busiest thread's CPU time,
 * or its CPU time shared over the machine's cores, whichever is more (a projection that ignores
 * the waits between threads).
 */
function projected(...procs: Run[]): number {
  const busiest = Math.max(...procs.flatMap((p) => (p.threads ?? []).map((t) => t.cpu)));
  return Math.max(busiest, procs.reduce((a, p) => a + p.cpu, 0) / cpus);
}
/** Per round: 1 thread ÷ N threads (wall, projected); N independent 1-thread scans (likewise). */
interface Scaling {
  wall: number;
  scan: number;
  projected: number;
  pairWall: number;
  pairProjected: number;
}
const scaling: Scaling[] = [];
/** The same ratios (but the processes') on the longer log, per round. */
const bigScaling: Omit<Scaling, "pairWall" | "pairProjected">[] = [];
const BIG = [...MXY.slice(0, 6), SCALE_LOG, ...MXY.slice(7)];
let bigRuns: Run[] = [];
const all: Run[][] = [];
let lastPair: Run[] = [];
for (let r = 0; r < rounds; r++) {
  const runs: Run[] = [];
  // 1 thread first in odd rounds, N threads first in even ones: a machine whose load drifts
  // within a round favours neither
  const pairOf = async (first: () => Promise<Run>, second: () => Promise<Run>) => {
    if (r % 2 === 0) {
      const a = await first();
      return [a, await second()];
    }
    const b = await second();
    return [await first(), b];
  };
  runs.push(
    ...await pairOf(
      () => timed("mxy match, 1 thread", [...MXY, "--threads", "1", "--stats"]),
      () => timed(`mxy match, ${cpus} threads`, [...MXY, "--threads", String(cpus), "--stats"]),
    ),
  );
  // what the machine gives independent processes in this round: N whole 1-thread scans at once
  const pair = await Promise.all(
    Array.from(
      { length: cpus },
      (_, i) => timed(`mxy match, 1 thread, process ${i + 1}`, [...MXY, "--threads", "1"]),
    ),
  );
  lastPair = pair;
  const [one, many] = runs;
  scaling.push({
    wall: one.wall / many.wall,
    scan: one.scan! / many.scan!,
    projected: projected(one) / projected(many),
    pairWall: cpus * one.wall / Math.max(...pair.map((p) => p.wall)),
    pairProjected: cpus * projected(one) / projected(...pair),
  });
  runs.push(
    await timed("mxy match --extract domain,url, 1 thread", [
      ...MXY,
      "--threads",
      "1",
      "--extract",
      "domain,url",
    ]),
  );
  const peers = await new Deno.Command("bash", {
    args: [`${ROOT}bench/match_peers.sh`, LOG, LITERALS],
    stdout: "piped",
  }).output();
  for (const line of new TextDecoder().decode(peers.stdout).trim().split("\n")) {
    const [name, wall, user, sys, rss, lines] = line.split(" ");
    runs.push({
      name: `${name} -F -f (${counts?.literal ?? "?"} literals)`,
      wall: Number(wall),
      cpu: Number(user) + Number(sys),
      rss: Number(rss),
      lines: Number(lines),
    });
  }
  all.push(runs);
  const sc = scaling[r];
  console.log(
    `round ${r + 1} (load average ${Deno.loadavg()[0].toFixed(1)}): ${
      runs.map((x) => `${x.name} ${x.wall.toFixed(2)} s`).join("; ")
    }; ${cpus} independent 1-thread scans ${
      pair.map((p) => p.wall.toFixed(2)).join(" / ")
    } s; ${cpus} threads ÷ 1 thread: wall ${sc.wall.toFixed(2)}, own clock ${
      sc.scan.toFixed(2)
    }, projected from CPU time ${
      sc.projected.toFixed(2)
    }; ${cpus} processes ÷ 1 (throughput): wall ${sc.pairWall.toFixed(2)}, projected ${
      sc.pairProjected.toFixed(2)
    }`,
  );
  if (scaleMegabytes > 0) {
    // alternating with the short log's runs, so both see the same machine
    const [big1, bigN] = await pairOf(
      () => timed(`${scaleMegabytes} MB, 1 thread`, [...BIG, "--threads", "1", "--stats"]),
      () =>
        timed(`${scaleMegabytes} MB, ${cpus} threads`, [
          ...BIG,
          "--threads",
          String(cpus),
          "--stats",
        ]),
    );
    bigRuns = [big1, bigN];
    const b = {
      wall: big1.wall / bigN.wall,
      scan: big1.scan! / bigN.scan!,
      projected: projected(big1) / projected(bigN),
    };
    bigScaling.push(b);
    console.log(
      `  ${scaleMegabytes} MB log: 1 thread ${big1.wall.toFixed(2)} s (own clock ${
        big1.scan!.toFixed(2)
      }), ${cpus} threads ${bigN.wall.toFixed(2)} s (${
        bigN.scan!.toFixed(2)
      }); ${cpus} threads ÷ 1: ` +
        `wall ${b.wall.toFixed(2)}, own clock ${b.scan.toFixed(2)}, projected from CPU time ${
          b.projected.toFixed(2)
        }`,
    );
  }
}

// best of the rounds, per tool
const best = all[0].map((_, i) => {
  const xs = all.map((runs) => runs[i]);
  return xs.reduce((a, b) => (b.wall < a.wall ? b : a));
});
const rg = best.find((x) => x.name.startsWith("rg"))!;
console.log("\n| tool | MB/s (wall) | MB/s (CPU) | × rg (wall) | matching lines | peak RSS |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const x of best) {
  console.log(
    `| ${x.name} | ${(size / 1e6 / x.wall).toFixed(0)} | ${(size / 1e6 / x.cpu).toFixed(0)} | ${
      (rg.wall / x.wall).toFixed(2)
    } | ${x.lines.toLocaleString("en-US")} | ${(x.rss / 1024).toFixed(0)} MB |`,
  );
}
const one = best[0], many = best[1];
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const med = (k: keyof Scaling) => median(scaling.map((x) => x[k])).toFixed(2);
console.log(
  `\nscaling with ${cpus} threads: best of the rounds ${(one.wall / many.wall).toFixed(2)}× ` +
    `(wall); medians of the rounds' ratios: wall ${med("wall")}, own clock ${med("scan")}, ` +
    `projected from CPU time ` +
    `${med("projected")} (target ≥ 1.7). ${cpus} independent 1-thread processes scanning the ` +
    `whole log at once, throughput ÷ 1 process in the same rounds: wall ${med("pairWall")}, ` +
    `projected ${med("pairProjected")}`,
);
if (bigScaling.length > 0) {
  const bmed = (k: "wall" | "scan" | "projected") => median(bigScaling.map((x) => x[k])).toFixed(2);
  console.log(
    `scaling with ${cpus} threads on the ${scaleMegabytes} MB log: medians of the rounds' ratios: ` +
      `wall ${bmed("wall")}, own clock ${bmed("scan")}, projected from CPU time ${
        bmed("projected")
      } (target ≥ 1.7)`,
  );
}
for (const x of [...best.slice(0, 2), ...lastPair, ...bigRuns]) {
  const threads = (x.threads ?? []).filter((t) => t.cpu >= 0.01)
    .sort((a, b) => b.cpu - a.cpu)
    .map((t) => `${t.name} ${t.cpu.toFixed(2)}`).join(", ");
  console.log(
    `${x.name}: CPU ${x.cpu.toFixed(2)} s (by thread: ${threads})${x.extra ? `; ${x.extra}` : ""}`,
  );
}

// GC events of a 1-thread run (count only), from V8's trace through an unbuffered pipe
const gc = await new Deno.Command("stdbuf", {
  args: [
    "-oL",
    "-eL",
    ...MXY.slice(0, 2),
    "--v8-flags=--trace-gc",
    ...MXY.slice(2),
    "--threads",
    "1",
  ],
  stdout: "piped",
  stderr: "piped",
}).output();
const trace = new TextDecoder().decode(gc.stdout) + new TextDecoder().decode(gc.stderr);
const events = trace.split("\n").filter((l) => /Scavenge|Mark-Compact|Mark-sweep/i.test(l));
console.log(
  `GC events in a whole 1-thread run (start-up, database, PSL table and scanning): ${events.length} ` +
    `(${events.filter((l) => /Scavenge/.test(l)).length} scavenges)`,
);
