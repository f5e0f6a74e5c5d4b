/**
 * The worker module of the parallel capture pipeline in Deno: serves mxy's capture tasks
 * (`correlate`, `flows`, `filter`). `captureWorkers()` starts it; `deno compile` must include it
 * (`--include lib/runtime/_capture_worker.ts`).
 *
 * @module
 */
// The modules themselves, not the entry points: a worker loads only what its tasks need.
import { type CaptureWorkerScope, serveCaptureWorker } from "../pcap/capture_worker.ts";
import { CAPTURE_TASKS } from "../dpi/capture_tasks.ts";

serveCaptureWorker(globalThis as unknown as CaptureWorkerScope, CAPTURE_TASKS);
