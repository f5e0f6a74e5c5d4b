/**
 * A program that runs a capture through a pipeline whose worker's plugin throws at packet 50,
 * for the test that it exits non-zero with the error (and does not hang).
 *
 * @module
 */
import { CapturePipeline } from "../../lib/pcap/mod.ts";
import { captureWorkers } from "../../lib/runtime/mod.ts";
import { manyFlowsCapture } from "./_many_flows.ts";

const pipeline = new CapturePipeline({
  ...captureWorkers(2, { module: new URL("./_failing_worker.ts", import.meta.url) }),
  task: "boom",
  config: { at: 50 },
});
await pipeline.run(manyFlowsCapture(200));
await pipeline.finish();
