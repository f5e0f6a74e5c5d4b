/**
 * The threads of `mxy match --threads N`: the files worth splitting are cut into line-aligned
 * ranges that shrink towards the end (so that the threads finish together), and the main thread
 * and N-1 workers take them one at a time from a shared counter — no thread waits for another to
 * hand it work. The main thread writes the results in file order; a thread takes a range at most
 * a window of ranges past the last one written, so memory stays bounded.
 *
 * @module
 */
import type { RangeScanner, ScanResult } from "./_match_scan.ts";
import type { WorkerInit, WorkerResult } from "./_match_worker.ts";

/** Indexes of the shared counters ({@linkcode WorkerInit.control}). */
export const Control = {
  /** The next range to take: a thread adds 1 and takes the range it had. */
  NEXT: 0,
  /** How many ranges the main thread has written, in order. */
  EMITTED: 1,
  /** Non-zero: stop taking ranges. */
  STOP: 2,
  /** How many results the workers have posted (the main thread counts those delivered). */
  POSTED: 3,
  /** How many counters. */
  SIZE: 4,
} as const;

/** The smallest range (but for a file's last): a few milliseconds of scanning. */
export const MIN_RANGE = 1 << 20;
/** The largest range: bounds the memory of a range's results. */
export const MAX_RANGE = 16 << 20;

/** A file to split. */
export interface SplitInput {
  /** Its path. */
  path: string;
  /** Its size in bytes. */
  size: number;
}

/** Ranges of several files: `ranges` holds (file, start, end) triples. */
export interface RangePlan {
  /** (index of the file, first byte, one past the last byte) for each range, in file order. */
  ranges: Float64Array;
  /** The index of each file's first range; `first[k + 1]` is one past its last. */
  first: number[];
}

/**
 * The size of the next range when `left` bytes remain to be scanned by `threads` threads: a
 * quarter of each thread's share of what is left, within [{@linkcode MIN_RANGE},
 * {@linkcode MAX_RANGE}] — large while much is left, smaller towards the end, so that the last
 * ranges taken are short and no thread waits long for the others.
 *
 * @param left Bytes left, this range included.
 * @param threads Threads scanning.
 * @returns The range's size before it is moved to a line start.
 */
export function rangeSize(left: number, threads: number): number {
  return Math.max(MIN_RANGE, Math.min(MAX_RANGE, Math.ceil(left / (threads * 4))));
}

/**
 * Cuts files into line-aligned ranges of {@linkcode rangeSize} (each ends after a newline, or at
 * the end of its file; an empty file gets no range).
 *
 * @param files The files, in output order.
 * @param threads Threads scanning.
 * @returns The ranges.
 */
export async function planRanges(files: SplitInput[], threads: number): Promise<RangePlan> {
  const out: number[] = [];
  const first: number[] = [];
  let left = files.reduce((a, f) => a + f.size, 0);
  const buf = new Uint8Array(1 << 16);
  for (let k = 0; k < files.length; k++) {
    first.push(out.length / 3);
    const { path, size } = files[k];
    let start = 0;
    const file = size > MIN_RANGE ? await Deno.open(path, { read: true }) : null;
    try {
      while (start < size) {
        let end = size;
        const want = start + rangeSize(left, threads);
        if (file !== null && want < size) {
          // the first line start at or after `want`
          let at = want - 1;
          end = -1;
          while (end < 0 && at < size) {
            await file.seek(at, Deno.SeekMode.Start);
            const n = await file.read(buf);
            if (n === null) break;
            const i = buf.subarray(0, n).indexOf(10);
            if (i >= 0) end = at + i + 1;
            else at += n;
          }
          if (end < 0 || end > size) end = size;
        }
        out.push(k, start, end);
        left -= end - start;
        start = end;
      }
    } finally {
      file?.close();
    }
  }
  first.push(out.length / 3);
  const ranges = new Float64Array(new SharedArrayBuffer(out.length * 8));
  ranges.set(out);
  return { ranges, first };
}

/** A range's result; `local` when the main thread's scanner (whose counts --stats reads) made it. */
export interface RangeResult {
  /** Counts and hits. */
  result?: ScanResult;
  /** Why it failed. */
  error?: string;
  /** Scanned by the main thread. */
  local?: boolean;
}

/**
 * Starts `n` match workers: they load their modules while this thread opens the database, and
 * wait for their {@linkcode WorkerInit}.
 *
 * @param n How many.
 * @returns The workers.
 */
export function startWorkers(n: number): Worker[] {
  const url = new URL("./_match_worker.ts", import.meta.url).href;
  return Array.from({ length: n }, () => new Worker(url, { type: "module" }));
}

/**
 * The main thread's side: gives the workers the plan, scans ranges itself while the result it
 * needs next is not in, and hands results out in order.
 */
export class Pool {
  #workers: Worker[];
  #plan: RangePlan;
  #paths: string[];
  #control: Int32Array;
  #results: (RangeResult | undefined)[] = [];
  #wake: (() => void) | null = null;
  #failure: string | null = null;
  #local: RangeScanner;
  #localFile: { path: string; handle: Deno.FsFile } | null = null;
  /** Results delivered to this thread so far (see {@linkcode Control.POSTED}). */
  #delivered = 0;
  /** A channel to itself: a message through it is a turn of the event loop. */
  #turns = new MessageChannel();
  #turned: (() => void) | null = null;

  /**
   * @param workers The workers, from {@linkcode startWorkers} (they may still be loading).
   * @param init What each worker opens (all but the plan and the counters).
   * @param local The main thread's scanner.
   * @param paths The files of the plan.
   * @param plan The ranges.
   */
  constructor(
    workers: Worker[],
    init: Omit<WorkerInit, "paths" | "ranges" | "control" | "window">,
    local: RangeScanner,
    paths: string[],
    plan: RangePlan,
  ) {
    this.#workers = workers;
    this.#plan = plan;
    this.#paths = paths;
    this.#local = local;
    this.#control = new Int32Array(new SharedArrayBuffer(Control.SIZE * 4));
    this.#turns.port1.onmessage = () => {
      const turned = this.#turned;
      this.#turned = null;
      turned?.();
    };
    const window = 4 * (workers.length + 1);
    for (const w of workers) {
      w.onmessage = (e: MessageEvent) => {
        const { index, result, error } = e.data as WorkerResult;
        this.#delivered++;
        this.#results[index] = { result, error };
        this.#wakeUp();
      };
      // a result that cannot be read fails the scan (and counts as delivered)
      w.onmessageerror = () => {
        this.#delivered++;
        this.#failure ??= "a worker's result could not be read";
        this.#wakeUp();
      };
      // a worker that dies fails the scan, rather than leaving the ranges it held hanging
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#failure ??= `a worker failed: ${e.message}`;
        this.#wakeUp();
      };
      w.postMessage(
        {
          ...init,
          paths,
          ranges: plan.ranges,
          control: this.#control,
          window,
        } satisfies WorkerInit,
      );
    }
  }

  /** The ranges of the plan's file `k`: `[from, to)`. */
  rangesOf(k: number): [number, number] {
    return [this.#plan.first[k], this.#plan.first[k + 1]];
  }

  /**
   * The result of range `index`, scanning ranges on this thread while it is not in. Call for
   * each range in order, then {@linkcode Pool.written}.
   */
  async result(index: number): Promise<RangeResult> {
    const count = this.#plan.ranges.length / 3;
    for (;;) {
      const r = this.#results[index];
      if (r !== undefined) {
        this.#results[index] = undefined;
        return r;
      }
      if (this.#failure !== null) return { error: this.#failure };
      // what the workers have posted is delivered first: a range scanned here awaits only
      // operations that complete at once, and messages come in a turn of the event loop at a
      // time — without this, results waited seconds while this thread scanned range after
      // range, and the workers, a window past the last written range, sat idle
      if (this.#delivered < Atomics.load(this.#control, Control.POSTED)) {
        await this.#turn();
        continue;
      }
      const next = Atomics.add(this.#control, Control.NEXT, 1);
      if (next < count) {
        this.#results[next] = await this.#scanLocal(next);
        continue;
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** Says that the results of ranges before `count` are written: workers may take further. */
  written(count: number): void {
    Atomics.store(this.#control, Control.EMITTED, count);
    Atomics.notify(this.#control, Control.EMITTED);
  }

  /** Resolves after a turn of the event loop. */
  #turn(): Promise<void> {
    return new Promise((resolve) => {
      this.#turned = resolve;
      this.#turns.port2.postMessage(null);
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #scanLocal(index: number): Promise<RangeResult> {
    const ranges = this.#plan.ranges;
    try {
      const path = this.#paths[ranges[3 * index]];
      if (this.#localFile === null || this.#localFile.path !== path) {
        this.#localFile?.handle.close();
        this.#localFile = null;
        this.#localFile = { path, handle: await Deno.open(path, { read: true }) };
      }
      const result = await this.#local.scanRange(
        this.#localFile.handle,
        ranges[3 * index + 1],
        ranges[3 * index + 2],
      );
      return { result, local: true };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Stops the workers and closes this thread's file. */
  close(): void {
    Atomics.store(this.#control, Control.STOP, 1);
    Atomics.notify(this.#control, Control.EMITTED);
    for (const w of this.#workers) w.terminate();
    this.#turns.port1.close();
    this.#turns.port2.close();
    this.#localFile?.handle.close();
    this.#localFile = null;
  }
}
