/**
 * A worker of `mxy match --threads N`: opens the database once over the shared bytes the main
 * thread read and checked (no copy, and no second check: `DatabaseOptions.checked`), then takes
 * the byte ranges of the files to scan one at a time from a shared counter (as the main thread
 * does), and posts back each range's hits and counts.
 *
 * @module
 */
import { Database, type DatabaseChecks } from "../../lib/db/mod.ts";
import { Matcher, type MatcherOptions } from "../../lib/match/matcher.ts";
import { type PublicSuffixTableShare, usePublicSuffixTable } from "../../lib/match/_psl.ts";
import { RangeScanner, type ScanConfig, type ScanResult } from "./_match_scan.ts";
import { Control } from "./_match_pool.ts";

/** The one message a worker gets: the database, what to do, and the ranges to take. */
export interface WorkerInit {
  /** The database file's bytes, shared. */
  db: SharedArrayBuffer;
  /** What the main thread checked and built over those bytes (`Database.shareChecks`). */
  checked: DatabaseChecks;
  /** The Public Suffix List table the main thread built, shared. */
  psl: PublicSuffixTableShare;
  /** Kinds and parent-domain matching. */
  matcher: MatcherOptions;
  /** Output format and filters. */
  config: ScanConfig;
  /** The files the ranges are in. */
  paths: string[];
  /** The ranges, as (index into `paths`, first byte, one past the last byte) triples. */
  ranges: Float64Array;
  /** Shared counters (indexes in {@linkcode Control}). */
  control: Int32Array;
  /** How many ranges past the last written one a thread may take. */
  window: number;
}

/** What a worker posts for each range it scanned. */
export interface WorkerResult {
  /** The range's index. */
  index: number;
  /** Its counts and hits. */
  result?: ScanResult;
  /** Why it could not be scanned. */
  error?: string;
}

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;

/** Takes ranges until none is left (or the main thread says stop), scanning each. */
async function work(init: WorkerInit, scanner: RangeScanner): Promise<void> {
  const { control, ranges, paths, window } = init;
  const count = ranges.length / 3;
  let file: { path: string; handle: Deno.FsFile } | null = null;
  try {
    while (Atomics.load(control, Control.STOP) === 0) {
      const index = Atomics.add(control, Control.NEXT, 1);
      if (index >= count) break;
      // no further ahead of what the main thread has written than the window
      for (;;) {
        const emitted = Atomics.load(control, Control.EMITTED);
        if (index < emitted + window || Atomics.load(control, Control.STOP) !== 0) break;
        Atomics.wait(control, Control.EMITTED, emitted, 1000);
      }
      if (Atomics.load(control, Control.STOP) !== 0) break;
      const path = paths[ranges[3 * index]];
      try {
        if (file === null || file.path !== path) {
          file?.handle.close();
          file = null;
          file = { path, handle: await Deno.open(path, { read: true }) };
        }
        const result = await scanner.scanRange(
          file.handle,
          ranges[3 * index + 1],
          ranges[3 * index + 2],
        );
        // the records' bytes move to the main thread, not copied
        const moved = result.records.byteLength > 0 ? [result.records.buffer as ArrayBuffer] : [];
        scope.postMessage({ index, result } satisfies WorkerResult, moved);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        scope.postMessage({ index, error } satisfies WorkerResult);
      }
      // posted: the main thread has it delivered before it scans a range of its own
      Atomics.add(control, Control.POSTED, 1);
    }
  } finally {
    file?.handle.close();
  }
}

scope.onmessage = (e: MessageEvent) => {
  const init = e.data as WorkerInit;
  usePublicSuffixTable(init.psl);
  const db = Database.fromBytes(new Uint8Array(init.db), { checked: init.checked });
  const scanner = new RangeScanner(db, new Matcher(db, init.matcher), init.config);
  work(init, scanner);
};
