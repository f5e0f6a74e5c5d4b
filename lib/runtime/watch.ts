/**
 * Watches a directory for capture files: processes those already there and those that arrive,
 * oldest first, each once it has stopped growing, then renames it to `NAME.processed` (or
 * `NAME.failed` when processing threw). Stopping (through an `AbortSignal`) lets the current
 * file finish.
 *
 * @module
 */
import { deno } from "./_deno.ts";
import { listDir, renameFile, statFile } from "./fs.ts";

/** Options for {@linkcode watchDirectory}. */
export interface WatchDirectoryOptions {
  /** Called for each ready file (one at a time unless `concurrency`); a rejection marks it `.failed`. */
  onFile: (path: string) => Promise<void> | void;
  /** Called when a file could not be processed (after it was renamed to `.failed`). */
  onError?: (path: string, error: unknown) => void;
  /** Stops watching once aborted; the file being processed is finished first. */
  signal?: AbortSignal;
  /** How often to look at the directory, in ms (default 250). */
  pollMs?: number;
  /**
   * How long a file's size and modification time must stay unchanged before it is read, in ms
   * (default 1000).
   */
  stableMs?: number;
  /** Return once no file is waiting or growing, instead of watching for more (default false). */
  once?: boolean;
  /** Names to pick up (default: ending in `.pcap`, `.pcapng`, `.pcap.gz` or `.pcapng.gz`). */
  match?: (name: string) => boolean;
  /**
   * Files processed at once (default 1): `onFile` may run for up to this many files at a time,
   * each renamed as soon as its own `onFile` is done.
   */
  concurrency?: number;
}

/** What {@linkcode watchDirectory} did. */
export interface WatchSummary {
  /** Files processed and renamed to `.processed`. */
  processed: string[];
  /** Files that failed and were renamed to `.failed`. */
  failed: string[];
}

function isCaptureName(name: string): boolean {
  return /\.(pcap|pcapng)(\.gz)?$/.test(name) && !name.startsWith(".");
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

interface Seen {
  size: number;
  mtime: number;
  since: number;
}

/**
 * Processes capture files in a directory as they become complete, oldest first. Files are read
 * by `onFile`, after they stopped growing; read them in the default streaming mode (not mapped),
 * since a file still being written would kill a mapping with SIGBUS.
 *
 * @param dir The directory to watch.
 * @param options {@linkcode WatchDirectoryOptions}; `onFile` is required.
 * @returns Which files were processed and which failed.
 * @throws {Deno.errors.NotFound} When `dir` does not exist.
 * @throws {Deno.errors.NotADirectory} When `dir` is not a directory.
 * @example
 * ```ts
 * import { watchDirectory } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/a.pcap`, new Uint8Array([1]));
 * const seen: string[] = [];
 * const r = await watchDirectory(dir, {
 *   onFile: (p) => {
 *     seen.push(p);
 *   },
 *   once: true,
 *   stableMs: 0,
 *   pollMs: 10,
 * });
 * assert.deepEqual(seen, [`${dir}/a.pcap`]);
 * assert.deepEqual(r.processed, [`${dir}/a.pcap`]);
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.pcap.processed"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function watchDirectory(
  dir: string,
  options: WatchDirectoryOptions,
): Promise<WatchSummary> {
  const d = deno("watchDirectory()");
  const pollMs = options.pollMs ?? 250;
  const stableMs = options.stableMs ?? 1000;
  const match = options.match ?? isCaptureName;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const signal = options.signal;
  const seen = new Map<string, Seen>();
  const summary: WatchSummary = { processed: [], failed: [] };
  const info = await statFile(dir);
  if (info === null) throw new d.errors.NotFound(`Cannot watch "${dir}": it does not exist`);
  if (!info.isDirectory) {
    throw new d.errors.NotADirectory(`Cannot watch "${dir}": it is not a directory`);
  }
  while (!signal?.aborted) {
    const now = performance.now();
    const ready: { path: string; mtime: number; name: string }[] = [];
    let growing = 0;
    const names = (await listDir(dir)).filter(match);
    const present = new Set(names);
    for (const key of seen.keys()) if (!present.has(key)) seen.delete(key);
    for (const name of names) {
      const path = `${dir}/${name}`;
      const st = await statFile(path);
      if (!st || !st.isFile) continue;
      const mtime = st.mtimeMs ?? 0;
      const prev = seen.get(name);
      if (!prev || prev.size !== st.size || prev.mtime !== mtime) {
        seen.set(name, { size: st.size, mtime, since: now });
        if (stableMs > 0) {
          growing++;
          continue;
        }
      }
      const cur = seen.get(name)!;
      if (now - cur.since >= stableMs) ready.push({ path, mtime, name });
      else growing++;
    }
    ready.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const inFlight = new Set<Promise<void>>();
    for (const f of ready) {
      const job = (async () => {
        try {
          await options.onFile(f.path);
          await renameFile(f.path, `${f.path}.processed`);
          summary.processed.push(f.path);
        } catch (err) {
          await renameFile(f.path, `${f.path}.failed`).catch(() => {});
          summary.failed.push(f.path);
          options.onError?.(f.path, err);
        }
        seen.delete(f.name);
      })();
      inFlight.add(job);
      job.finally(() => inFlight.delete(job));
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (signal?.aborted) break;
    }
    // The files under way are finished before the next look (or the end, once aborted).
    await Promise.all(inFlight);
    if (options.once && ready.length === 0 && growing === 0) break;
    if (ready.length === 0) await sleep(pollMs, signal);
  }
  return summary;
}
