/**
 * A worker of `mxy match --threads N`: opens the database once over the shared bytes the main
 * thread read and checked (no copy, and no second check: `DatabaseOptions.checked`), then scans
 * the byte ranges of files it is sent, one at a time, and posts back each range's hits and
 * counts.
 *
 * @module
 */
import { Database, type DatabaseChecks } from "../../lib/db/mod.ts";
import {
  Matcher,
  type MatcherOptions,
  type PublicSuffixTableShare,
  usePublicSuffixTable,
} from "../../lib/match/mod.ts";
import { RangeScanner, type ScanConfig } from "./_match_scan.ts";

/** The first message: the database and what to do. */
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
}

/** A range to scan. */
export interface WorkerJob {
  /** The job's number (echoed back). */
  id: number;
  /** The file. */
  path: string;
  /** First byte (at a line start). */
  start: number;
  /** One past the last byte (after a newline, or the end of the file). */
  end: number;
}

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}

const scope = self as unknown as WorkerScope;
let scanner: RangeScanner | null = null;
let file: { path: string; handle: Deno.FsFile } | null = null;
let queue: Promise<void> = Promise.resolve();

async function run(job: WorkerJob): Promise<void> {
  try {
    if (file === null || file.path !== job.path) {
      file?.handle.close();
      file = { path: job.path, handle: await Deno.open(job.path, { read: true }) };
    }
    const result = await scanner!.scanRange(file.handle, job.start, job.end);
    scope.postMessage({ id: job.id, result });
  } catch (err) {
    scope.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
}

scope.onmessage = (e: MessageEvent) => {
  const msg = e.data as { init?: WorkerInit; job?: WorkerJob };
  if (msg.init) {
    usePublicSuffixTable(msg.init.psl);
    const db = Database.fromBytes(new Uint8Array(msg.init.db), { checked: msg.init.checked });
    scanner = new RangeScanner(db, new Matcher(db, msg.init.matcher), msg.init.config);
    return;
  }
  if (msg.job) {
    const job = msg.job;
    queue = queue.then(() => run(job));
  }
};
