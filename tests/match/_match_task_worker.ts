/** A pipeline worker module for the match task tests: `MATCH_TASKS` of `@mxy/mxy/match`. */
import { type CaptureWorkerScope, serveCaptureWorker } from "../../lib/pcap/mod.ts";
import { MATCH_TASKS } from "../../lib/match/mod.ts";

serveCaptureWorker(globalThis as unknown as CaptureWorkerScope, MATCH_TASKS);
