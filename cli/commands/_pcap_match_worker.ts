/**
 * The worker module of `mxy pcap match --threads N` (and of `pcap flows`/`pcap correlate` with
 * `--db` and `--threads`): serves the capture pipeline's tasks with the database tasks of
 * `@mxy/mxy/match` beside mxy's (`MATCH_TASKS`). `deno compile` includes it (cli/dev/compile.ts).
 *
 * @module
 */
import { type CaptureWorkerScope, serveCaptureWorker } from "../../lib/pcap/mod.ts";
import { MATCH_TASKS } from "../../lib/match/mod.ts";

serveCaptureWorker(globalThis as unknown as CaptureWorkerScope, MATCH_TASKS);
