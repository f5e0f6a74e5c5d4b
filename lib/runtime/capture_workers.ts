/**
 * Workers for the parallel capture pipeline (`CapturePipeline`, `filterCapture`'s `parallel` of
 * `@mxy/mxy/pcap`) in Deno: module Workers that serve mxy's capture tasks, or your module's
 * (one that calls `serveCaptureWorker` with `CAPTURE_TASKS` of `@mxy/mxy/dpi` and your tasks,
 * so that your plugins run inside the workers).
 *
 * @module
 */
import type { ParallelOptions, PipelinePort } from "../pcap/mod.ts";

/** Options for {@linkcode captureWorkers}. */
export interface CaptureWorkersOptions {
  /** The worker module (default: mxy's, serving `correlate`, `flows` and `filter`). */
  module?: string | URL;
}

/**
 * How many workers to start by default: the machine's logical processors
 * (`navigator.hardwareConcurrency`), at least 1.
 *
 * @returns The number of threads.
 * @example
 * ```ts
 * import { defaultThreads } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * assert.ok(defaultThreads() >= 1);
 * ```
 */
export function defaultThreads(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return typeof n === "number" && n >= 1 ? Math.floor(n) : 1;
}

/**
 * The workers of a parallel run: `threads` module Workers of mxy's worker module (or yours).
 *
 * @param threads How many workers.
 * @param options {@linkcode CaptureWorkersOptions}.
 * @returns What `CapturePipeline` and `filterCapture({ parallel })` take.
 * @example
 * ```ts
 * import { captureWorkers } from "@mxy/mxy/deno";
 * import { filterCapture, PcapWriter } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter();
 * for (let port = 50; port < 60; port++) {
 *   w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 9, dstPort: port }));
 * }
 * const r = await filterCapture(w.toBytes(), "udp port 53", { parallel: captureWorkers(2) });
 * assert.deepEqual([r.packets, r.kept], [10, 1]);
 * ```
 */
export function captureWorkers(
  threads: number,
  options: CaptureWorkersOptions = {},
): ParallelOptions {
  const url = options.module ?? new URL("./_capture_worker.ts", import.meta.url);
  return {
    threads,
    createWorker: (): PipelinePort =>
      new Worker(url, { type: "module", name: "mxy capture worker" }) as unknown as PipelinePort,
  };
}
