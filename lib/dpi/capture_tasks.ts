/**
 * The tasks the parallel capture pipeline's workers run (`serveCaptureWorker` of
 * `@mxy/mxy/pcap`): `correlate` (a {@linkcode Correlator} per worker, the DPI engine naming
 * protocols when asked), `flows` (a {@linkcode SessionTable} with the DPI engine's session hooks)
 * and `filter`. Each emits its records with the order keys that make the reader print them as
 * one thread would.
 *
 * @module
 */
// The pcap modules the tasks use, not `../pcap/mod.ts`: a worker then loads only these (the
// filter task's BPF compiler is loaded by the workers that run it).
import {
  type CaptureTask,
  type CaptureTaskContext,
  type CaptureTaskFactory,
  PipelinePhase,
  UID_PLACEHOLDER,
} from "../pcap/capture_worker.ts";
import type { CorrelatedPair, CorrelateMode } from "../pcap/correlated_pair.ts";
import { Correlator } from "../pcap/correlator.ts";
import { type FlowFormatOptions, formatFlow } from "../pcap/flow_format.ts";
import type { FlowPacket } from "../pcap/flow_packet.ts";
import type { FlowSession } from "../pcap/flow_session.ts";
import { formatPair, formatUnmatched } from "../pcap/correlation_format.ts";
import type { OutputFormat } from "../pcap/record_format.ts";
import { SessionTable, type SessionTableHooks } from "../pcap/session_table.ts";
import { parseCidr } from "../core/ip.ts";
import { DpiEngine } from "./dpi_engine.ts";
import { createSessionHooks } from "./session_hooks.ts";

const { END, END_DRAIN, EXPIRE, EXPIRE_STREAMS } = PipelinePhase;

/**
 * Frame numbers start again with each capture of a run: inside a worker, a packet's frame is
 * `capture × FRAME_RUN + frame`, which orders packets across captures; the output gets the
 * frame back (`% FRAME_RUN`).
 */
const FRAME_RUN = 2 ** 32;

/** The configuration of the `correlate` task (the `Correlator`'s options, and the output's). */
export interface CorrelateTaskConfig {
  /** The matching rule (default `payload`). */
  mode?: CorrelateMode;
  /** How long a request waits, in ns of capture time. */
  windowNs?: number;
  /** Most packets waiting at once, per worker. */
  maxPending?: number;
  /** `http` mode: most bytes held out of order, per worker. */
  maxReassemblyMemory?: number;
  /** Inside networks (CIDR text). */
  internal?: readonly string[];
  /** `text` (default), `jsonl` or `csv`. */
  format?: OutputFormat;
  /** Also emit the packets that waited in vain. */
  unmatched?: boolean;
  /** Name protocols with the DPI engine's registry. */
  dpi?: boolean;
}

/** The configuration of the `flows` task (the `SessionTable`'s options, and the output's). */
export interface FlowsTaskConfig {
  /** Idle time after which a session closes, in ns of capture time. */
  idleTimeoutNs?: number;
  /** Most sessions open at once, per worker. */
  maxSessions?: number;
  /** Name services with the DPI engine and run its session hooks (default `true`). */
  dpi?: boolean;
  /** Follow TCP sequence numbers (default `true`). */
  reassemble?: boolean;
  /** Most bytes of sequence bookkeeping held out of order, per worker. */
  maxReassemblyMemory?: number;
  /** `jsonl` (default) or `csv`. */
  format?: OutputFormat;
  /** Inside networks (CIDR text): fills `local_orig`/`local_resp`. */
  internal?: readonly string[];
}

/**
 * What a task built on `correlate` or `flows` changes (e.g. `pcap flows --db` in workers: the
 * session hooks and the record of an `IndicatorEnricher` of `@mxy/mxy/match`).
 */
export interface CaptureTaskExtensions {
  /** `correlate`: formats a pair (default `formatPair` of `@mxy/mxy/pcap`). */
  formatPair?: (pair: CorrelatedPair, format: OutputFormat) => string;
  /** `flows`: the session hooks, around the DPI engine's (`undefined` without DPI). */
  flowHooks?: (inner: SessionTableHooks | undefined) => SessionTableHooks;
  /** `flows`: formats a closed session (default `formatFlow` of `@mxy/mxy/pcap`). */
  formatFlow?: (s: FlowSession, format: OutputFormat, options: FlowFormatOptions) => string;
}

/** Names a packet's protocol with the DPI engine (the commands' `--dpi`). */
function classifier(): (p: FlowPacket) => string {
  const engine = new DpiEngine();
  return (p) => (p.view ? engine.classify(p.view)?.name ?? "" : "");
}

/**
 * The `correlate` task of {@linkcode CAPTURE_TASKS} ({@linkcode CorrelateTaskConfig} in
 * `ctx.config`), with what `extensions` changes: for a task of your own that builds on it.
 *
 * @param ctx The task's context in its worker.
 * @param extensions {@linkcode CaptureTaskExtensions} (`formatPair`).
 * @returns The task.
 * @example
 * ```ts
 * import { CAPTURE_TASKS, createCorrelateTask } from "@mxy/mxy/dpi";
 * import { formatPair } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * // In a worker module: pairs with a marker at the end of each record.
 * const tasks = {
 *   ...CAPTURE_TASKS,
 *   marked: (ctx: Parameters<typeof createCorrelateTask>[0]) =>
 *     createCorrelateTask(ctx, { formatPair: (p, f) => formatPair(p, f) + "# marked\n" }),
 * };
 * assert.equal(typeof tasks.marked, "function");
 * ```
 */
export function createCorrelateTask(
  ctx: CaptureTaskContext,
  extensions: CaptureTaskExtensions = {},
): CaptureTask {
  const c = ctx.config as CorrelateTaskConfig;
  const format1 = extensions.formatPair ?? formatPair;
  const format = c.format ?? "text", mode = c.mode ?? "payload";
  // Where the correlator is: handling a packet, moving time on, or ending (streams, then drain).
  let advancing = false, ending = 0;
  const correlator = new Correlator({
    mode,
    windowNs: c.windowNs,
    maxPending: c.maxPending,
    maxReassemblyMemory: c.maxReassemblyMemory,
    internal: c.internal,
    onMatch: (pair) => {
      const tie = [pair.request.frame];
      pair.request.frame %= FRAME_RUN;
      pair.response.frame %= FRAME_RUN;
      pair.lastByteFrame %= FRAME_RUN;
      ctx.emit(format1(pair, format), { phase: advancing ? EXPIRE_STREAMS : undefined, tie });
    },
    onUnmatched: c.unmatched === true
      ? (packet, reason) => {
        // Waiting packets expire and drain oldest first: their frames order them.
        const tie = [packet.frame];
        packet.frame %= FRAME_RUN;
        ctx.emit(formatUnmatched(packet, reason, { format, mode }), {
          phase: advancing
            ? (reason === "expired" ? EXPIRE : EXPIRE_STREAMS)
            : ending === 2
            ? END_DRAIN
            : undefined,
          tie,
        });
      }
      : undefined,
  });
  const classify = c.dpi === true ? classifier() : undefined;
  const stats = correlator.stats;
  return {
    packet(p, ok) {
      if (!ok) stats.errors++;
      if (classify !== undefined && p.payLen > 0) p.service = classify(p);
      p.frame += ctx.run * FRAME_RUN;
      correlator.push(p);
    },
    advance(p) {
      advancing = true;
      p.frame += ctx.run * FRAME_RUN;
      correlator.advance(p);
      advancing = false;
    },
    finish() {
      ending = 1;
      correlator.finishStreams();
      ending = 2;
      correlator.finish();
    },
    stats: () => ({ ...correlator.snapshot() }),
  };
}

/**
 * The `flows` task of {@linkcode CAPTURE_TASKS} ({@linkcode FlowsTaskConfig} in `ctx.config`),
 * with what `extensions` changes: for a task of your own that builds on it.
 *
 * @param ctx The task's context in its worker.
 * @param extensions {@linkcode CaptureTaskExtensions} (`flowHooks`, `formatFlow`).
 * @returns The task.
 * @example
 * ```ts
 * import { CAPTURE_TASKS, createFlowsTask } from "@mxy/mxy/dpi";
 * import { formatFlow } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * // In a worker module: flows with the number of packets in front.
 * const tasks = {
 *   ...CAPTURE_TASKS,
 *   counted: (ctx: Parameters<typeof createFlowsTask>[0]) =>
 *     createFlowsTask(ctx, {
 *       formatFlow: (s, f, o) => `${s.origPkts + s.respPkts} ${formatFlow(s, f, o)}`,
 *     }),
 * };
 * assert.equal(typeof tasks.counted, "function");
 * ```
 */
export function createFlowsTask(
  ctx: CaptureTaskContext,
  extensions: CaptureTaskExtensions = {},
): CaptureTask {
  const c = ctx.config as FlowsTaskConfig;
  const format1 = extensions.formatFlow ?? formatFlow;
  const format = c.format ?? "jsonl";
  const internal = (c.internal ?? []).map((t) => parseCidr(t));
  let classify: ((p: FlowPacket) => string) | undefined;
  let hooks: SessionTableHooks | undefined;
  if (c.dpi !== false) {
    const engine = new DpiEngine();
    classify = (p) => (p.view ? engine.classify(p.view)?.name ?? "" : "");
    hooks = createSessionHooks(engine.registry);
  }
  if (extensions.flowHooks !== undefined) hooks = extensions.flowHooks(hooks);

  let advancing = false, ending = false, errors = 0;
  const table = new SessionTable({
    idleTimeoutNs: c.idleTimeoutNs,
    maxSessions: c.maxSessions,
    classify,
    hooks,
    reassemble: c.reassemble !== false,
    maxReassemblyMemory: c.maxReassemblyMemory,
    onClose: (s) => {
      const session = { keyHash: s.keyHash, seq: s.seq };
      // Idle sessions close least recently active first; at the end, oldest first.
      const order = advancing
        ? { phase: EXPIRE, tie: [s.lastFrame], session }
        : ending
        ? { phase: END, tie: [s.firstSec, s.firstNsec, s.firstFrame], session }
        : { session };
      s.uid = UID_PLACEHOLDER;
      s.firstFrame %= FRAME_RUN;
      s.lastFrame %= FRAME_RUN;
      ctx.emit(format1(s, format, { internal }), order);
    },
  });
  const st = table.stats;
  return {
    packet(p, ok) {
      if (!ok) errors++;
      p.frame += ctx.run * FRAME_RUN;
      const before = st.sessions;
      table.push(p);
      if (st.sessions !== before) ctx.created();
    },
    advance(p) {
      if (p.family === 0 || table.size === 0) return;
      advancing = true;
      table.expire(p.sec, p.nsec);
      advancing = false;
    },
    finish() {
      ending = true;
      table.finish();
    },
    stats: () => ({ ...st, errors }),
  };
}

/**
 * The tasks mxy's capture commands run in the parallel pipeline's workers: `correlate`
 * ({@linkcode CorrelateTaskConfig}), `flows` ({@linkcode FlowsTaskConfig}) and `filter`
 * (`PCAP_TASKS` of `@mxy/mxy/pcap`). A worker module serves them, and yours beside them:
 * `serveCaptureWorker(self, { ...CAPTURE_TASKS, mine })`.
 *
 * @example
 * ```ts
 * import { CAPTURE_TASKS } from "@mxy/mxy/dpi";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Object.keys(CAPTURE_TASKS).sort(), ["correlate", "filter", "flows"]);
 * ```
 */
export const CAPTURE_TASKS: Readonly<Record<string, CaptureTaskFactory>> = {
  correlate: (ctx) => createCorrelateTask(ctx),
  // `PCAP_TASKS`' filter, loaded with the BPF compiler by the workers that run it.
  filter: async (ctx) => (await import("../pcap/capture_filter.ts")).PCAP_TASKS.filter(ctx),
  flows: (ctx) => createFlowsTask(ctx),
};
