/**
 * `mxy match --follow`: reads a file as it grows, as `tail -F` does — from its start, then each
 * new byte as it is appended, reopening it from the start when it is replaced (rotated: another
 * inode) or truncated. Runs until the process is interrupted.
 *
 * @module
 */
import type { HitSink, RangeScanner, ScanResult } from "./_match_scan.ts";
import { newResult } from "./_match_scan.ts";

/** How often the file is checked for new bytes, in milliseconds. */
const POLL_MS = 200;

/**
 * Follows a file until the process ends.
 *
 * @param path The file.
 * @param scanner The scanner.
 * @param sink Where hits go.
 * @param flush Called after each batch of new bytes (to write the hits out).
 * @param onScanned Called with the counts of each batch.
 * @param options `live.current` is set to a function giving the counts so far (for the
 *   statistics on SIGINT).
 */
export async function followFile(
  path: string,
  scanner: RangeScanner,
  sink: HitSink,
  flush: () => void,
  onScanned: (r: ScanResult) => void,
  options: { live?: { current: (() => ScanResult) | null } } = {},
): Promise<void> {
  for (;;) {
    // one generation of the file: from its start until it is rotated or truncated
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch {
      await sleep(POLL_MS);
      continue;
    }
    const ino = (await file.stat()).ino;
    const result = newResult();
    const sm = scanner.open(result, sink, 0);
    let pos = 0;
    if (options.live) {
      options.live.current = () => ({ ...result, lines: sm.lines, bytes: sm.bytesWritten });
    }
    try {
      for (;;) {
        const space = sm.space;
        const n = await file.read(space);
        if (n !== null && n > 0) {
          pos += n;
          sm.commit(n);
          continue;
        }
        sm.flush();
        flush();
        await sleep(POLL_MS);
        const now = await Deno.stat(path).catch(() => null);
        if (now !== null && (now.ino !== ino || now.size < pos)) break; // rotated or truncated
      }
    } finally {
      file.close();
    }
    sm.end();
    flush();
    result.lines = sm.lines;
    result.bytes = sm.bytesWritten;
    onScanned(result);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
