import assert from "node:assert/strict";
import {
  CapturePipeline,
  CORRELATE_MODES,
  type CorrelateMode,
  correlateStream,
  Correlator,
  filterCapture,
  formatFlow,
  formatPair,
  formatUnmatched,
  type OutputFormat,
  PcapError,
  PcapWriter,
  serveCaptureWorker,
  SessionTable,
  trackFlows,
} from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";
import { createSessionHooks, DpiEngine, type FlowsTaskConfig } from "../../lib/dpi/mod.ts";
import { captureWorkers } from "../../lib/runtime/mod.ts";
import { fixture } from "../_fixtures.ts";
import { manyFlowsCapture } from "./_many_flows.ts";

const LOOPBACK = fixture("pcap/loopback");

/** The shared loopback captures, by name (their times never go back by more than 5 s). */
function loopbackCaptures(only?: string[]): Uint8Array[] {
  const names = [...Deno.readDirSync(LOOPBACK!)].map((e) => e.name)
    .filter((n) => /\.pcap(ng)?$/.test(n) && (only === undefined || only.includes(n))).sort();
  assert.ok(names.length >= (only?.length ?? 5));
  return names.map((n) => Deno.readFileSync(`${LOOPBACK}/${n}`));
}

/** Three rotated captures of many interleaved flows, one after another in time. */
const GENERATED = [1, 2, 3].map((i) => manyFlowsCapture(300, i, 1_700_000_000 + 100 * i));

interface Output {
  text: string;
  stats: Record<string, number>;
}

/** One correlator on this thread: what `mxy pcap correlate --threads 1` does. */
async function correlateOnce(
  inputs: Uint8Array[],
  mode: CorrelateMode,
  windowNs: number,
  format: OutputFormat,
): Promise<Output> {
  let text = "";
  const c = new Correlator({
    mode,
    windowNs,
    onMatch: (pair) => (text += formatPair(pair, format)),
    onUnmatched: (p, reason) => (text += formatUnmatched(p, reason, { format, mode })),
  });
  for (const input of inputs) await correlateStream(input, c);
  return { text, stats: { ...c.finish() } };
}

async function inPipeline(
  inputs: Uint8Array[],
  threads: number,
  task: string,
  config: unknown,
  shard: "flow" | "payload",
): Promise<Output> {
  let text = "";
  const pipeline = new CapturePipeline({
    ...captureWorkers(threads),
    task,
    config,
    shard,
    onText: (t) => (text += t),
  });
  try {
    for (const input of inputs) await pipeline.run(input);
    return { text, stats: await pipeline.finish() };
  } finally {
    pipeline.close();
  }
}

async function assertCorrelationSame(
  inputs: Uint8Array[],
  windowNs: number,
  threads: number[],
): Promise<void> {
  let records = 0;
  for (const mode of CORRELATE_MODES) {
    const format: OutputFormat = mode === "http" ? "text" : "jsonl";
    const one = await correlateOnce(inputs, mode, windowNs, format);
    records += one.stats.matched + one.stats.unmatched;
    for (const n of threads) {
      const shard = mode === "payload" || mode === "seed" ? "payload" : "flow";
      const config = { mode, windowNs, format, unmatched: true };
      const many = await inPipeline(inputs, n, "correlate", config, shard);
      assert.equal(many.text, one.text, `${mode} with ${n} threads`);
      assert.deepEqual(many.stats, one.stats, `${mode} with ${n} threads`);
    }
  }
  assert.ok(records > 0, "something to compare");
}

/** One session table on this thread: what `mxy pcap flows --threads 1` does. */
async function flowsOnce(inputs: Uint8Array[], idleTimeoutNs: number): Promise<Output> {
  let text = "";
  let errors = 0;
  const engine = new DpiEngine();
  const table = new SessionTable({
    idleTimeoutNs,
    classify: (p) => (p.view ? engine.classify(p.view)?.name ?? "" : ""),
    hooks: createSessionHooks(engine.registry),
    reassemble: true,
    onClose: (s) => (text += formatFlow(s, "jsonl")),
  });
  for (const input of inputs) {
    await trackFlows(input, table, { onDecodeError: () => errors++ });
  }
  return { text, stats: { ...table.finish(), errors } };
}

async function assertFlowsSame(inputs: Uint8Array[], idleTimeoutNs: number): Promise<void> {
  const one = await flowsOnce(inputs, idleTimeoutNs);
  for (const threads of [1, 2, 4]) {
    const config: FlowsTaskConfig = { idleTimeoutNs, format: "jsonl" };
    const many = await inPipeline(inputs, threads, "flows", config, "flow");
    assert.equal(many.text, one.text, `flows with ${threads} threads`);
    assert.deepEqual(many.stats, one.stats, `flows with ${threads} threads`);
  }
}

Deno.test(
  "CapturePipeline gives every correlation mode's output of one thread on the loopback captures",
  { ignore: !LOOPBACK },
  async () => {
    // One after another, with the state carried over from capture to capture.
    await assertCorrelationSame(loopbackCaptures(), 5e9, [2, 4]);
    // One at a time, with a window of 1 ms that expires packets: the unmatched lines must come
    // in the same order.
    for (const name of ["linux-sll2.pcap", "mixed.pcapng", "relay-udp-to-tcp.pcap"]) {
      await assertCorrelationSame(loopbackCaptures([name]), 1e6, [2]);
    }
  },
);

Deno.test(
  "CapturePipeline gives every correlation mode's output of one thread on many interleaved flows",
  async () => {
    await assertCorrelationSame(GENERATED, 50e6, [1, 2, 4]);
  },
);

Deno.test(
  "CapturePipeline gives the flows (uids, hooks' attributes, idle closes) of one thread",
  { ignore: !LOOPBACK },
  async () => {
    await assertFlowsSame(loopbackCaptures(), 300e9);
    await assertFlowsSame(GENERATED, 1e9);
  },
);

Deno.test("filterCapture with workers writes the bytes one thread writes", {
  ignore: !LOOPBACK,
}, async () => {
  const inputs = [...loopbackCaptures(["mixed.pcapng"]), GENERATED[0]];
  for (const input of inputs) {
    for (const expr of ["tcp or udp port 53", "tcp[tcpflags] & tcp-syn != 0"]) {
      for (const limit of [undefined, 7]) {
        const one = await filterCapture(input, expr, { limit });
        for (const threads of limit === undefined ? [2, 4] : [2]) {
          const many = await filterCapture(input, expr, {
            limit,
            parallel: captureWorkers(threads),
          });
          assert.deepEqual(many.bytes, one.bytes, `${expr} with ${threads} threads`);
          assert.deepEqual(
            [many.packets, many.kept, many.format, many.linktype],
            [one.packets, one.kept, one.format, one.linktype],
          );
        }
      }
    }
  }
});

Deno.test("filterCapture with workers refuses mixed link types for one classic program", async () => {
  const { LinkType, PcapWriter } = await import("../../lib/pcap/mod.ts");
  const w = new PcapWriter({ format: "pcapng" });
  w.addInterface(LinkType.RAW);
  w.writePacket(new Uint8Array(20), { iface: 0 });
  w.writePacket(new Uint8Array(60), { iface: 1 });
  const program = [{ code: 6, jt: 0, jf: 0, k: 65535 }];
  await assert.rejects(
    filterCapture(w.toBytes(), program, { parallel: captureWorkers(2) }),
    (e: unknown) => e instanceof PcapError && e.code === "mixed-link-types",
  );
});

const FAILING = new URL("./_failing_worker.ts", import.meta.url);

Deno.test("CapturePipeline stops with worker-failed when a task throws in a worker", async () => {
  const pipeline = new CapturePipeline({
    ...captureWorkers(2, { module: FAILING }),
    task: "boom",
    config: { at: 500 },
  });
  const err = await pipeline.run(GENERATED[0]).then(() => null, (e) => e);
  assert.ok(err instanceof PcapError, String(err));
  assert.equal(err.code, "worker-failed");
  assert.equal(err.number, 501);
  assert.match(
    err.message,
    /Worker [01] failed at packet 500: DpiError \(session-hook-failed\): Session hook of plugin "boom" failed: boom at packet 500/,
  );
  // The pipeline is closed: nothing more runs, and finishing reports the same failure.
  await assert.rejects(pipeline.finish(), (e: unknown) => e === err);
});

Deno.test("CapturePipeline stops with worker-failed when a worker dies", async () => {
  const pipeline = new CapturePipeline({
    ...captureWorkers(2, { module: FAILING }),
    task: "die",
  });
  await assert.rejects(
    pipeline.run(GENERATED[0]),
    (e: unknown) =>
      e instanceof PcapError && e.code === "worker-failed" && /stopped/.test(e.message),
  );
});

Deno.test("a program whose pipeline worker throws exits non-zero with the error", async () => {
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_failing_run.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(child.stderr);
  assert.notEqual(child.code, 0);
  assert.match(stderr, /worker-failed|Worker [01] failed at packet 50: DpiError/);
});

/** A worker in this thread (messages as microtasks) serving `tasks`. */
function inThreadWorker(tasks: Parameters<typeof serveCaptureWorker>[1]) {
  type Handler = ((e: MessageEvent) => void) | null;
  const scope = {
    onmessage: null as Handler,
    postMessage: (m: unknown) =>
      queueMicrotask(() => port.onmessage?.({ data: m } as MessageEvent)),
  };
  const port = {
    onmessage: null as Handler,
    onerror: null,
    postMessage: (m: unknown) =>
      queueMicrotask(() => scope.onmessage?.({ data: m } as MessageEvent)),
    terminate() {},
  };
  serveCaptureWorker(scope, tasks);
  return port;
}

Deno.test("CapturePipeline waits for tasks made asynchronously, and stops when one fails", async () => {
  const w = new PcapWriter();
  for (let i = 0; i < 5; i++) {
    w.writePacket(
      buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1000 + i, dstPort: 80 }),
    );
  }
  let out = "";
  const ok = new CapturePipeline({
    threads: 2,
    createWorker: () =>
      inThreadWorker({
        late: async (ctx) => {
          await new Promise((r) => setTimeout(r, 5));
          let n = 0;
          return {
            packet: () => void n++,
            finish: () => ctx.emit(`${n}\n`, { tie: [ctx.index] }),
            stats: () => ({ n }),
          };
        },
      }),
    task: "late",
    onText: (t) => (out += t),
  });
  await ok.run(w.toBytes());
  assert.equal((await ok.finish()).n, 5);
  assert.equal(out.trim().split("\n").map(Number).reduce((a, b) => a + b), 5);

  const bad = new CapturePipeline({
    threads: 2,
    createWorker: () =>
      inThreadWorker({
        late: () => Promise.reject(new TypeError("cannot load the task's module")),
      }),
    task: "late",
  });
  await assert.rejects(
    bad.run(w.toBytes()),
    (e: unknown) =>
      e instanceof PcapError && e.code === "worker-failed" &&
      e.message.includes("cannot load the task's module"),
  );
});
