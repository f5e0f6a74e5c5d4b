/**
 * A pipeline worker module for the failure tests: mxy's tasks, plus `boom` (a session table whose
 * user plugin's session hook throws at packet `config.at`) and `die` (a worker that dies of an
 * uncaught error).
 *
 * @module
 */
import {
  type CaptureTaskContext,
  type CaptureWorkerScope,
  serveCaptureWorker,
  SessionTable,
} from "../../lib/pcap/mod.ts";
import { CAPTURE_TASKS, createDefaultRegistry, createSessionHooks } from "../../lib/dpi/mod.ts";

serveCaptureWorker(globalThis as unknown as CaptureWorkerScope, {
  ...CAPTURE_TASKS,
  boom(ctx: CaptureTaskContext) {
    const at = (ctx.config as { at: number }).at;
    const registry = createDefaultRegistry();
    registry.register({
      id: 4242,
      name: "boom",
      classify: () => true,
      attributes: {},
      session: {
        init: () => ({}),
        packet(_state, view) {
          if (view.number === at) throw new Error(`boom at packet ${at}`);
        },
        cleanup: () => {},
      },
    });
    const table = new SessionTable({ hooks: createSessionHooks(registry) });
    return { packet: (p) => void table.push(p), stats: () => ({ ...table.stats }) };
  },
  die() {
    setTimeout(() => {
      throw new Error("the worker dies");
    }, 0);
    return { packet() {}, stats: () => ({}) };
  },
});
