/**
 * The native peers of the query reports (bench/peers/): builds them once per script with
 * bench/peers/build.sh and runs them on files the report writes, returning one result per
 * engine.
 *
 * @module
 */
import process from "node:process";

/** One engine's result line (see bench/peers/*.cpp). */
export interface PeerResult {
  /** The engine's name (`hyperscan`, `re2-set`, `unordered-set`, `libmaxminddb-…`). */
  engine: string;
  /** Queries per pass. */
  queries?: number;
  /** (query, pattern) pairs matched in one pass (pattern_peer). */
  matches?: number;
  /** Addresses found in one pass (ip_peer). */
  found?: number;
  /** Queries per second (wall clock of the measured passes). */
  qps?: number;
  /**
   * Queries per CPU-second of the measuring thread: on a shared machine this leaves out the
   * time other processes held the core.
   */
  cpuQps?: number;
  /** Why the engine gave no figure. */
  error?: string;
}

let dir: string | null | undefined;

/** The directory of the peer binaries, or null (with one line on stderr) when they cannot be built. */
export function peerDir(): string | null {
  if (dir !== undefined) return dir;
  const script = new URL("./peers/build.sh", import.meta.url).pathname;
  const out = new Deno.Command("sh", { args: [script], stdout: "piped", stderr: "piped" })
    .outputSync();
  if (!out.success) {
    console.error(`native peers not built: ${new TextDecoder().decode(out.stderr).trim()}`);
    return dir = null;
  }
  return dir = new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
}

/**
 * Runs a peer binary and parses its JSON lines, keyed by engine.
 *
 * @param program `pattern_peer` or `ip_peer`.
 * @param args Its arguments.
 */
export async function runPeer(program: string, args: string[]): Promise<Map<string, PeerResult>> {
  const results = new Map<string, PeerResult>();
  const d = peerDir();
  if (d === null) return results;
  const out = await new Deno.Command(`${d}/${program}`, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${program} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (!line.startsWith("{")) continue;
    const r = JSON.parse(line) as PeerResult;
    results.set(r.engine, r);
  }
  return results;
}

/**
 * Keeps the best wall-clock rate and the best CPU rate of each engine over several runs
 * (`best` is updated in place).
 *
 * @param best The results so far.
 * @param run One more run.
 */
export function keepBest(best: Map<string, PeerResult>, run: Map<string, PeerResult>): void {
  for (const [engine, r] of run) {
    const old = best.get(engine);
    if (old === undefined || old.error !== undefined) best.set(engine, r);
    else if (r.error === undefined) {
      best.set(engine, {
        ...old,
        qps: Math.max(old.qps ?? 0, r.qps ?? 0),
        cpuQps: Math.max(old.cpuQps ?? 0, r.cpuQps ?? 0),
      });
    }
  }
}

/**
 * CPU time of this process in seconds (user + system): with the loops measured here (no
 * allocation, so the collector's threads are idle), the main thread's time.
 *
 * @returns Seconds.
 */
export function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}
