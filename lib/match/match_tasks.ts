/**
 * The capture matcher as a task of the parallel capture pipeline (`CapturePipeline` of
 * `@mxy/mxy/pcap`): each worker opens the database over the bytes the reader shares (a
 * `SharedArrayBuffer`: no copy per worker) and matches the packets of the flows it owns with a
 * {@linkcode CaptureMatcher}; with `firstPerFlow`, time moving on in other workers' packets ends
 * idle sessions as it would on one thread, and sessions get the uids one thread gives them. The
 * records come back with order keys, so the output is the one of one thread.
 *
 * @module
 */
import {
  type CaptureTask,
  type CaptureTaskContext,
  type CaptureTaskFactory,
  type EmitOrder,
  PipelinePhase,
} from "../pcap/mod.ts";
import { UID_PLACEHOLDER } from "../pcap/capture_worker.ts";
import {
  CAPTURE_TASKS,
  type CorrelateTaskConfig,
  createCorrelateTask,
  createFlowsTask,
  type FlowsTaskConfig,
} from "../dpi/mod.ts";
import { IndicatorEnricher } from "./indicator_enricher.ts";
import { Database, type DatabaseChecks } from "../db/database.ts";
import { CaptureMatcher, type CaptureMatchStats } from "./capture_matcher.ts";
import { type CaptureHitFormat, formatCaptureHit } from "./capture_hit_format.ts";

const { END, END_DRAIN, EXPIRE } = PipelinePhase;

/**
 * Frame numbers start again with each capture of a run: inside a worker a packet's frame is
 * `capture × FRAME_RUN + frame`, which orders sessions across captures; the records get the
 * frame back (`% FRAME_RUN`).
 */
const FRAME_RUN = 2 ** 32;

/** The configuration of the `match` task (the {@linkcode CaptureMatcher}'s options). */
export interface MatchTaskConfig {
  /** The database's bytes: a `SharedArrayBuffer` (shared, not copied), or a copy. */
  db: SharedArrayBuffer | Uint8Array;
  /**
   * What the thread that read the database checked and built over those shared bytes
   * (`Database.shareChecks`, posted with them): the workers do not do it again.
   */
  checked?: DatabaseChecks;
  /** The built-in attributes to look at (default: all). */
  attributes?: readonly string[];
  /** Attributes of the built-in protocol plugins to look up as well. */
  pluginAttributes?: readonly string[];
  /** Look up parent domains (default: what the database asks for). */
  parentDomains?: boolean;
  /** One record per indicator and session, when the session ends. */
  firstPerFlow?: boolean;
  /** With `firstPerFlow`: idle time in ns of capture time after which a session ends. */
  idleTimeoutNs?: number;
  /** With `firstPerFlow`: most sessions open at once, per worker. */
  maxSessions?: number;
  /** Most bytes held for messages split over TCP segments, per worker. */
  maxHeldBytes?: number;
  /** `jsonl` (default), `csv` or `text`. */
  format?: CaptureHitFormat;
}

/**
 * The configuration of the `flows-db` and `correlate-db` tasks (`pcap flows --db` and
 * `pcap correlate --db`): the `flows` or `correlate` task's, and the database an
 * `IndicatorEnricher` adds to each record.
 */
export interface EnrichTaskConfig {
  /** The database's bytes: a `SharedArrayBuffer` (shared, not copied), or a copy. */
  db: SharedArrayBuffer | Uint8Array;
  /**
   * What the thread that read the database checked and built over those shared bytes
   * (`Database.shareChecks`, posted with them): the workers do not do it again.
   */
  checked?: DatabaseChecks;
  /** Look up parent domains of names (default: what the database asks for). */
  parentDomains?: boolean;
}

function openShared(db: SharedArrayBuffer | Uint8Array, checked?: DatabaseChecks): Database {
  return Database.fromBytes(db instanceof Uint8Array ? db : new Uint8Array(db), { checked });
}

function flowsDbTask(ctx: CaptureTaskContext): CaptureTask {
  const c = ctx.config as FlowsTaskConfig & EnrichTaskConfig;
  const enricher = new IndicatorEnricher(openShared(c.db, c.checked), {
    parentDomains: c.parentDomains,
  });
  return createFlowsTask(ctx, {
    flowHooks: (inner) => enricher.flowHooks(inner),
    formatFlow: (s, format, options) => enricher.formatFlow(s, format, options),
  });
}

function correlateDbTask(ctx: CaptureTaskContext): CaptureTask {
  const c = ctx.config as CorrelateTaskConfig & EnrichTaskConfig;
  const enricher = new IndicatorEnricher(openShared(c.db, c.checked), {
    parentDomains: c.parentDomains,
  });
  return createCorrelateTask(ctx, {
    formatPair: (pair, format) => enricher.formatPair(pair, format),
  });
}

/**
 * The counters of a {@linkcode CaptureMatcher} as one flat record (`lookups.ip.src`,
 * `hits.dns.qname` …), which the pipeline sums over the workers.
 *
 * @param s The counters.
 * @returns The flat record.
 */
function flatStats(s: CaptureMatchStats): Record<string, number> {
  const out: Record<string, number> = {
    packets: s.packets,
    selected: s.selected,
    hits: s.hits,
    cached: s.cached,
    malformed: s.malformed,
    incomplete: s.incomplete,
    retransmitted: s.retransmitted,
    selectFaults: s.selectFaults,
  };
  for (const [k, v] of Object.entries(s.lookups)) out[`lookups.${k}`] = v;
  for (const [k, v] of Object.entries(s.hitsByAttribute)) out[`hits.${k}`] = v;
  return out;
}

/**
 * The counters of a parallel `match` run (the pipeline's summed record) as the
 * {@linkcode CaptureMatchStats} of one matcher.
 *
 * @param record What `CapturePipeline.finish()` returned for the `match` task.
 * @returns The counters.
 * @example
 * ```ts
 * import { matchStatsFromRecord } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * const s = matchStatsFromRecord({ packets: 4, selected: 4, hits: 1, "lookups.ip.src": 4, "hits.ip.src": 1 });
 * assert.deepEqual([s.packets, s.lookups["ip.src"], s.hitsByAttribute["ip.src"]], [4, 4, 1]);
 * ```
 */
export function matchStatsFromRecord(record: Readonly<Record<string, number>>): CaptureMatchStats {
  const lookups: Record<string, number> = {};
  const hitsByAttribute: Record<string, number> = {};
  for (const [k, v] of Object.entries(record)) {
    if (k.startsWith("lookups.")) lookups[k.slice(8)] = v;
    else if (k.startsWith("hits.")) hitsByAttribute[k.slice(5)] = v;
  }
  return {
    packets: record.packets ?? 0,
    selected: record.selected ?? 0,
    hits: record.hits ?? 0,
    lookups,
    hitsByAttribute,
    cached: record.cached ?? 0,
    malformed: record.malformed ?? 0,
    incomplete: record.incomplete ?? 0,
    retransmitted: record.retransmitted ?? 0,
    selectFaults: record.selectFaults ?? 0,
  };
}

function matchTask(ctx: CaptureTaskContext): CaptureTask {
  const c = ctx.config as MatchTaskConfig;
  const db = openShared(c.db, c.checked);
  const format = c.format ?? "jsonl";
  // Where the matcher is: handling a packet, moving time on, or ending.
  let advancing = false, ending = false;
  // How the hits of the session that is ending sort.
  let sessionOrder: EmitOrder | undefined;
  /** Hits outside a session at the end (plugin values) come before the sessions'. */
  const lone: EmitOrder = { phase: END, tie: [-1] };
  const firstPerFlow = c.firstPerFlow === true;
  const matcher = new CaptureMatcher(db, {
    attributes: c.attributes,
    pluginAttributes: c.pluginAttributes,
    parentDomains: c.parentDomains,
    firstPerFlow,
    idleTimeoutNs: c.idleTimeoutNs,
    maxSessions: c.maxSessions,
    maxHeldBytes: c.maxHeldBytes,
    onSessionOpen: () => ctx.created(),
    onSessionEnd: (s) => {
      const session = { keyHash: s.keyHash, seq: s.seq };
      // Idle sessions end least recently active first; at the end, oldest first.
      sessionOrder = advancing
        ? { phase: EXPIRE, tie: [s.lastFrame], session }
        : ending
        ? { phase: END_DRAIN, tie: [s.firstSec, s.firstNsec, s.firstFrame], session }
        : { session };
      s.uid = UID_PLACEHOLDER;
    },
    onHit: (h) => {
      h.frame %= FRAME_RUN;
      h.lastFrame %= FRAME_RUN;
      const order = h.uid === UID_PLACEHOLDER ? sessionOrder : ending ? lone : undefined;
      ctx.emit(formatCaptureHit(h, format), order);
    },
  });
  return {
    flowFacts: false,
    packet(p) {
      const v = p.view!;
      v.number += ctx.run * FRAME_RUN;
      matcher.process(v);
    },
    advance: firstPerFlow
      ? (p) => {
        advancing = true;
        matcher.advance(p.sec, p.nsec);
        advancing = false;
      }
      : undefined,
    finish() {
      ending = true;
      matcher.finish();
    },
    stats: () => flatStats(matcher.stats),
  };
}

/**
 * The tasks of the parallel pipeline's workers that look packets up in a database: `match`
 * (`mxy pcap match --threads N`, {@linkcode MatchTaskConfig}), `flows-db` and `correlate-db`
 * (`pcap flows`/`pcap correlate` with `--db`: the `flows`/`correlate` configuration and
 * {@linkcode EnrichTaskConfig}), beside `CAPTURE_TASKS` of `@mxy/mxy/dpi` (`correlate`,
 * `flows`, `filter`). A worker module serves them: `serveCaptureWorker(self, MATCH_TASKS)`.
 *
 * @example
 * ```ts
 * import { MATCH_TASKS } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Object.keys(MATCH_TASKS).sort(), [
 *   "correlate",
 *   "correlate-db",
 *   "filter",
 *   "flows",
 *   "flows-db",
 *   "match",
 * ]);
 * ```
 */
export const MATCH_TASKS: Readonly<Record<string, CaptureTaskFactory>> = {
  ...CAPTURE_TASKS,
  match: matchTask,
  "flows-db": flowsDbTask,
  "correlate-db": correlateDbTask,
};
