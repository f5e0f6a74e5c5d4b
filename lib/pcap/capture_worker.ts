/**
 * The worker half of the parallel capture pipeline ({@linkcode CapturePipeline}): a worker
 * receives batches of packets in shared memory, decodes the packets it owns, hands them to its
 * task (a correlator, a session table, a filter, yours), lets the task see every other packet's
 * time go by, and posts back the records the task emitted with their order keys. Runtime-neutral:
 * anything with `onmessage` and `postMessage` (a Web Worker's `self`, a Node `worker_threads`
 * adapter) can serve.
 *
 * @module
 */
import type { FromWorker, ToWorker } from "./_pipeline_batch.ts";
import * as batchLayout from "./_pipeline_batch.ts";
import { FlowPacket } from "./flow_packet.ts";
import { DecodeStatus, PacketView } from "./packet_view.ts";
import { decodePacket } from "./decode.ts";

// Module-level copies: V8 folds these into the per-packet path, not imported bindings.
const {
  BIT_LITTLE_ENDIAN,
  BIT_NANOS,
  BIT_PCAPNG,
  D_BITS,
  D_CAPLEN,
  D_FAMILY,
  D_FCS,
  D_IFACE,
  D_LINKTYPE,
  D_NSEC,
  D_NUMBER,
  D_OFFSET,
  D_ORIGLEN,
  D_OWNER,
  D_PORTS,
  D_PROTO,
  D_SEC,
  D_SECTION,
  D_SEQ,
  D_WORDS,
  DESCRIPTOR_BYTES,
  END_CHUNK_RECORDS,
  K_EXTRA_A,
  K_EXTRA_B,
  K_LENGTH,
  K_PHASE,
  K_SEQ,
  K_TIE_A,
  K_TIE_B,
  K_TIE_C,
  K_UID_AT,
  K_WORDS,
  SEQ_END,
} = batchLayout;

/**
 * The phases of one packet's handling, in the order one thread goes through them: the order key
 * of a record is the packet being handled, then the phase, then the task's tie words. Records
 * made while time moves on (expiry) come before those the packet itself makes.
 */
export const PipelinePhase = {
  /** Something waited too long and expired as time moved on (ties: its position in the queue). */
  EXPIRE: 0,
  /** A second expiry pass after {@linkcode PipelinePhase.EXPIRE} (stream reassembly). */
  EXPIRE_STREAMS: 1,
  /** The packet itself made the record (the default while a task handles a packet). */
  PACKET: 2,
  /** The end of the run (the default in `finish`). */
  END: 3,
  /** A second pass at the end, after every {@linkcode PipelinePhase.END} record. */
  END_DRAIN: 4,
} as const;

/** How a record sorts among those of other workers (see {@linkcode PipelinePhase}). */
export interface EmitOrder {
  /** The phase (default: the one the worker is in). */
  phase?: number;
  /** Up to three numbers that order records of one phase of one packet across workers. */
  tie?: readonly number[];
  /**
   * Flows: the session's key hash and creation number within this worker, so that the reader
   * can give it the uid one thread would (it replaces the text {@linkcode UID_PLACEHOLDER}).
   */
  session?: { keyHash: number; seq: number };
}

/**
 * Where a flow record's uid goes in the text a worker emits: the reader replaces it with the uid
 * the session has in a one-thread run (a session's creation number is known only there).
 */
export const UID_PLACEHOLDER = "C~~~~~~~~~~~";

/** What a task is given: who it is, its configuration, and where its records go. */
export interface CaptureTaskContext {
  /** This worker's number, 0 … `workers - 1`. */
  readonly index: number;
  /** How many workers share the run. */
  readonly workers: number;
  /** The configuration the reader passed (structured-cloned). */
  readonly config: unknown;
  /**
   * Which capture of the run the packets come from (0 for the first `run()`, 1 for the next …):
   * frame numbers start again with each capture, so a task that orders by frame across captures
   * pairs them with this.
   */
  readonly run: number;
  /**
   * Sends a record (a line of output) to the reader, which prints records of all workers in the
   * order one thread would have.
   *
   * @param text The record's text.
   * @param order How it sorts against other workers' records.
   */
  emit(text: string, order?: EmitOrder): void;
  /** Tells the reader a session was created by the packet being handled (flows' uids). */
  created(): void;
}

/** The work a worker does on the packets it owns. */
export interface CaptureTask {
  /** Decode the packets before {@linkcode CaptureTask.packet} (default `true`). */
  readonly decode?: boolean;
  /**
   * Fill the packet's flow facts (addresses, ports, payload …) before
   * {@linkcode CaptureTask.packet} (default `true`); `false` sets only `p.view`, for tasks that
   * read the view itself (a capture matcher).
   */
  readonly flowFacts?: boolean;
  /**
   * Handles one packet this worker owns.
   *
   * @param p Its flow facts (`p.view` is the decoded view, valid during the call).
   * @param ok Whether it decoded cleanly.
   * @returns `true` to mark the packet for the reader (filters: keep it).
   */
  packet(p: FlowPacket, ok: boolean): boolean | void;
  /**
   * Sees the time of a packet another worker owns (with its addresses left out), so that
   * expiry happens when one thread would do it.
   */
  advance?(p: FlowPacket): void;
  /** Ends the run: emit what is still open. */
  finish?(): void;
  /** The task's counters (summed over the workers by the reader). */
  stats(): Record<string, number>;
}

/**
 * Makes a task in a worker from its context; it may be async (e.g. to import what the task needs
 * only in the workers that run it): the worker reports ready once the task is made.
 */
export type CaptureTaskFactory = (
  context: CaptureTaskContext,
) => CaptureTask | Promise<CaptureTask>;

/** What {@linkcode serveCaptureWorker} talks through: a Web Worker's global scope, or alike. */
export interface CaptureWorkerScope {
  /** Set to receive the reader's messages. */
  onmessage: ((event: MessageEvent) => void) | null;
  /** Posts a message to the reader. */
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

/**
 * The UTF-8 length of `text`'s first `end` code units, as `TextEncoder` encodes them (a lone
 * surrogate becomes U+FFFD, three bytes), without encoding them.
 */
function utf8Length(text: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n++;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Bytes of encoded records a worker starts a batch with (it grows as needed). */
const OUT_BYTES = 1 << 16;

class Context implements CaptureTaskContext {
  readonly index: number;
  readonly workers: number;
  readonly config: unknown;
  run = 0;
  seq = 0;
  phase: number = PipelinePhase.PACKET;
  keys = new Float64Array(1024 * K_WORDS);
  count = 0;
  /** The records' text, encoded here (UTF-8) so that the reader only copies bytes. */
  out = new Uint8Array(OUT_BYTES);
  used = 0;
  encoder = new TextEncoder();
  createdAt: number[] = [];
  /** At the end of the run: records go to the reader in chunks as they are made. */
  onFull: (() => void) | null = null;

  constructor(index: number, workers: number, config: unknown) {
    this.index = index;
    this.workers = workers;
    this.config = config;
  }

  emit(text: string, order?: EmitOrder): void {
    if ((this.count + 1) * K_WORDS > this.keys.length) {
      const grown = new Float64Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    if (this.used + text.length * 3 > this.out.length) {
      const grown = new Uint8Array(Math.max(this.out.length * 2, this.used + text.length * 3));
      grown.set(this.out.subarray(0, this.used));
      this.out = grown;
    }
    const k = this.keys, o = this.count * K_WORDS;
    k[o + K_SEQ] = this.seq;
    k[o + K_PHASE] = order?.phase ?? this.phase;
    const tie = order?.tie;
    k[o + K_TIE_A] = tie?.[0] ?? 0;
    k[o + K_TIE_B] = tie?.[1] ?? 0;
    k[o + K_TIE_C] = tie?.[2] ?? 0;
    const session = order?.session;
    k[o + K_EXTRA_A] = session ? session.keyHash : 0;
    k[o + K_EXTRA_B] = session ? session.seq + 1 : 0;
    let uidAt = -1;
    if (session) {
      const at = text.indexOf(UID_PLACEHOLDER);
      if (at >= 0) uidAt = utf8Length(text, at);
    }
    k[o + K_UID_AT] = uidAt;
    const { written } = this.encoder.encodeInto(text, this.out.subarray(this.used));
    k[o + K_LENGTH] = written;
    this.used += written;
    if (++this.count >= END_CHUNK_RECORDS && this.onFull !== null) this.onFull();
  }

  created(): void {
    this.createdAt.push(this.seq);
  }

  /** The records so far (the bytes handed over, to be transferred), and a fresh start. */
  take(): { keys: Float64Array; bytes: Uint8Array } {
    const keys = this.keys.slice(0, this.count * K_WORDS);
    const bytes = this.out.subarray(0, this.used);
    this.out = new Uint8Array(Math.max(OUT_BYTES, this.used));
    this.used = 0;
    this.count = 0;
    return { keys, bytes };
  }
}

/**
 * Serves the pipeline in a worker: waits for the reader's `init` (task name and configuration,
 * the shared batch slots), then handles batches until `finish`. A task that throws stops the
 * worker's part with a `failed` message naming the error and the packet; the reader then stops
 * the whole run with a `worker-failed` {@linkcode PcapError}.
 *
 * @param scope The worker's global scope (`self`), or anything alike.
 * @param tasks The tasks it can run, by name (e.g. `CAPTURE_TASKS` of `@mxy/mxy/dpi`, plus yours).
 * @example
 * ```ts
 * import { type CaptureTaskContext, type FlowPacket, serveCaptureWorker } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * // In a worker module: count the TCP packets of the flows this worker owns.
 * const scope = { onmessage: null, postMessage() {} };
 * serveCaptureWorker(scope, {
 *   tcp: (ctx: CaptureTaskContext) => {
 *     let n = 0;
 *     return {
 *       packet: (p: FlowPacket) => void (p.proto === 6 && n++),
 *       finish: () => ctx.emit(`${ctx.index}: ${n}\n`),
 *       stats: () => ({ tcp: n }),
 *     };
 *   },
 * });
 * assert.equal(typeof scope.onmessage, "function");
 * ```
 */
export function serveCaptureWorker(
  scope: CaptureWorkerScope,
  tasks: Readonly<Record<string, CaptureTaskFactory>>,
): void {
  let ctx: Context | null = null;
  let task: CaptureTask | null = null;
  let slots: SharedArrayBuffer[] = [];
  let datas: Uint8Array[] = [];
  let descs: Float64Array[] = [];
  let failed = false;
  const view = new PacketView();
  const p = new FlowPacket();
  const time = new FlowPacket();
  const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

  const setSlot = (i: number, sab: SharedArrayBuffer) => {
    slots[i] = sab;
    descs[i] = new Float64Array(sab, 0, DESCRIPTOR_BYTES / 8);
    datas[i] = new Uint8Array(sab, DESCRIPTOR_BYTES);
  };

  const batch = (slot: number, count: number) => {
    const c = ctx!, t = task!, me = c.index;
    const d = descs[slot], data = datas[slot];
    const decode = t.decode !== false, facts = t.flowFacts !== false;
    const advance = t.advance;
    const marked: number[] = [];
    for (let i = 0; i < count; i++) {
      const o = i * D_WORDS;
      c.seq = d[o + D_SEQ];
      const family = d[o + D_FAMILY];
      if (advance !== undefined && family !== 0) {
        time.family = family === 6 ? 6 : 4;
        time.proto = d[o + D_PROTO];
        const ports = d[o + D_PORTS];
        time.sport = ports >>> 16;
        time.dport = ports & 0xffff;
        time.sec = d[o + D_SEC];
        time.nsec = d[o + D_NSEC];
        time.frame = d[o + D_NUMBER];
        time.wireLen = d[o + D_ORIGLEN];
        c.phase = PipelinePhase.EXPIRE;
        advance.call(t, time);
      }
      if (d[o + D_OWNER] !== me) continue;
      view.setRecord(data, d[o + D_OFFSET], d[o + D_CAPLEN], d[o + D_ORIGLEN]);
      view.number = d[o + D_NUMBER];
      view.tsSec = d[o + D_SEC];
      view.tsNsec = d[o + D_NSEC];
      view.linktype = d[o + D_LINKTYPE];
      view.fcsLen = d[o + D_FCS];
      view.iface = d[o + D_IFACE];
      view.section = d[o + D_SECTION];
      const bits = d[o + D_BITS];
      view.littleEndian = (bits & BIT_LITTLE_ENDIAN) !== 0;
      view.nanos = (bits & BIT_NANOS) !== 0;
      view.format = (bits & BIT_PCAPNG) !== 0 ? "pcapng" : "pcap";
      if (decode) decodePacket(view);
      let ok: boolean;
      if (facts) ok = p.readView(view);
      else {
        p.view = view;
        const status = view.status;
        ok = status === DecodeStatus.OK || status === DecodeStatus.NOT_IP;
      }
      c.phase = PipelinePhase.PACKET;
      if (t.packet(p, ok) === true) marked.push(i);
    }
    return marked;
  };

  const fail = (err: unknown) => {
    failed = true;
    const e = err as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
    let message = typeof e?.message === "string" ? e.message : String(err);
    // The error underneath says what the plugin said.
    const cause = e?.cause as { message?: unknown } | undefined;
    if (typeof cause?.message === "string") message += `: ${cause.message}`;
    post({
      type: "failed",
      index: ctx?.index ?? -1,
      name: typeof e?.name === "string" ? e.name : "Error",
      code: typeof e?.code === "string" ? e.code : "",
      message,
      frame: view.number,
    });
  };

  scope.onmessage = (event: MessageEvent) => {
    if (failed) return;
    const m = event.data as ToWorker;
    try {
      if (m.type === "init") {
        const make = tasks[m.task];
        if (make === undefined) {
          throw new TypeError(
            `Unknown pipeline task "${m.task}" (this worker has ${Object.keys(tasks).join(", ")})`,
          );
        }
        ctx = new Context(m.index, m.workers, m.config);
        slots = [];
        datas = [];
        descs = [];
        m.slots.forEach((s, i) => setSlot(i, s));
        const made = make(ctx);
        if (made instanceof Promise) {
          made.then((t) => {
            task = t;
            post({ type: "ready", index: m.index });
          }, fail);
        } else {
          task = made;
          post({ type: "ready", index: m.index });
        }
      } else if (m.type === "batch") {
        if (m.buffer !== undefined) setSlot(m.slot, m.buffer);
        ctx!.createdAt = [];
        ctx!.run = m.run;
        const marked = batch(m.slot, m.count);
        const { keys, bytes } = ctx!.take();
        const created = Float64Array.from(ctx!.createdAt);
        const marks = Uint32Array.from(marked);
        post(
          { type: "done", index: ctx!.index, batch: m.batch, keys, bytes, marked: marks, created },
          [
            keys.buffer as ArrayBuffer,
            bytes.buffer as ArrayBuffer,
            marks.buffer as ArrayBuffer,
            created.buffer as ArrayBuffer,
          ],
        );
      } else if (m.type === "finish") {
        const c = ctx!;
        c.seq = SEQ_END;
        c.phase = PipelinePhase.END;
        // The end may make many records (every open session): they go in chunks.
        c.onFull = () => {
          const { keys, bytes } = c.take();
          post({ type: "chunk", index: c.index, keys, bytes }, [
            keys.buffer as ArrayBuffer,
            bytes.buffer as ArrayBuffer,
          ]);
        };
        task!.finish?.();
        c.onFull = null;
        const { keys, bytes } = c.take();
        post({ type: "finished", index: c.index, keys, bytes, stats: task!.stats() }, [
          keys.buffer as ArrayBuffer,
          bytes.buffer as ArrayBuffer,
        ]);
      }
    } catch (err) {
      fail(err);
    }
  };
}
