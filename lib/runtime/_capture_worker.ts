/**
 * The worker module of the parallel capture pipeline in Deno: serves mxy's capture tasks
 * (`correlate`, `flows`, `filter`). `captureWorkers()` starts it; `deno compile` must include it
 * (`--include lib/runtime/_capture_worker.ts`).
 *
 * @module
 */
import { type CaptureWorkerScope, serveCaptureWorker } from "../pcap/mod.ts";
import { CAPTURE_TASKS } from "../dpi/mod.ts";

serveCaptureWorker(globalThis as unknown as CaptureWorkerScope, CAPTURE_TASKS);
