/**
 * The parallel capture pipeline: one reader (the calling thread) reads a capture — bytes, a
 * stream or a positional source, gzip or not — and hands batches of packets to N workers through
 * a bounded queue of `SharedArrayBuffer` slots (the packets' bytes are copied into a slot a run of
 * consecutive records at a time, never one copy per packet; the reader waits for a free slot when
 * the workers fall behind). Each packet is owned by one worker, chosen by its canonical flow key
 * (both directions of a conversation on one worker) or, for modes that pair packets of unrelated
 * flows, by its payload; every worker sees every packet's time, so expiry happens when one thread
 * would do it. The records workers emit come back with order keys, and the reader prints them in
 * the order one thread would have. Runtime-neutral: workers come from a factory (a Web Worker in
 * Deno and browsers; `createCapturePipeline` in `@mxy/mxy/deno` makes Deno's).
 *
 * @module
 */
import {
  flowShardHash,
  type FromWorker,
  payloadShardHash,
  quickFlowFacts,
  shardOf,
  type ToWorker,
} from "./_pipeline_batch.ts";
import * as batchLayout from "./_pipeline_batch.ts";
import { type CaptureSource, forEachPacket, type PositionalSource } from "./capture_reader.ts";
import type { ReadSummary } from "./capture_reader.ts";
import { FlowPacket } from "./flow_packet.ts";
import { UID_BYTES, writeSessionUid } from "./_session_uid.ts";
import { PacketView } from "./packet_view.ts";
import { decodePacket } from "./decode.ts";
import { PcapError } from "./pcap_error.ts";

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
  MAX_BATCH_PACKETS,
  RECORD_HEADER_ROOM,
  SLOT_DATA_BYTES,
} = batchLayout;

/** A worker as the pipeline sees it: the shape of a Web Worker. */
export interface PipelinePort {
  /** Sends a message to the worker. */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** Receives the worker's messages. */
  onmessage: ((event: MessageEvent) => void) | null;
  /** Receives an error the worker did not catch (the pipeline calls `preventDefault()`). */
  onerror: ((event: ErrorEvent) => void) | null;
  /** Stops the worker. */
  terminate(): void;
}

/**
 * How packets are spread over the workers: `"flow"` by canonical flow key (both directions of a
 * conversation on one worker), `"payload"` by the transport payload's bytes (equal payloads on one
 * worker, whatever their flows), `"spread"` in turn (tasks without state across packets).
 */
export type PipelineShard = "flow" | "payload" | "spread";

/** Options for {@linkcode CapturePipeline}. */
export interface CapturePipelineOptions {
  /** Number of workers (at least 1). */
  threads: number;
  /** Makes worker `index` (a module that calls `serveCaptureWorker`). */
  createWorker: (index: number) => PipelinePort;
  /** The task's name in the workers' table of tasks (`"correlate"`, `"flows"`, `"filter"` …). */
  task: string;
  /** The task's configuration, structured-cloned to each worker. */
  config?: unknown;
  /** How packets are spread over the workers (default `"flow"`). */
  shard?: PipelineShard;
  /**
   * Receives the workers' records, merged into the order of one thread, as UTF-8 bytes (valid
   * during the call only: copy what you keep). The fast way to write them out.
   */
  onBytes?: (bytes: Uint8Array) => void;
  /** Receives the workers' records, merged into the order of one thread, as text. */
  onText?: (text: string) => void;
  /**
   * Receives each packet a worker marked (filters: kept), in capture order, as a view into the
   * shared slot (valid during the call and until `onRelease`); return `false` to stop the run.
   */
  onMarked?: (view: PacketView) => boolean | void;
  /** Called before a slot's bytes are reused: copy what is still needed of marked packets. */
  onRelease?: () => void;
  /** Batches in flight at most before the reader waits (default `2 × threads + 2`). */
  queueDepth?: number;
}

/** Options for {@linkcode CapturePipeline.run}. */
export interface PipelineRunOptions {
  /** The input's name in messages. */
  name?: string;
  /** Checked before each packet; `true` stops the reading (the queue is still drained). */
  shouldStop?: () => boolean;
  /**
   * Sees each packet on the reader before it is queued (its record fields: the reader decodes
   * only what sharding needs); returning `false` stops the reading before this packet.
   */
  onPacket?: (view: PacketView) => boolean | void;
  /**
   * Runs on each packet on the reader, before it is queued (on its bytes: the view is not
   * decoded); a packet it does not select goes to no worker, and its time does not go by there
   * (a capture matcher's `select`, run once per packet instead of in a worker).
   */
  select?: (view: PacketView) => boolean;
}

/** Where a parallel run's workers come from: how many, and how to start one. */
export interface ParallelOptions {
  /** Number of workers. */
  threads: number;
  /** Makes worker `index` (a module that calls `serveCaptureWorker`). */
  createWorker: (index: number) => PipelinePort;
}

interface Done {
  keys: Float64Array;
  bytes: Uint8Array;
  marked: Uint32Array;
  created: Float64Array;
}

interface Pending {
  slot: number;
  count: number;
  left: number;
  results: (Done | undefined)[];
}

/** A worker's list of records being merged: its keys, its text, and how far it is used. */
class Cursor {
  readonly keys: Float64Array;
  readonly bytes: Uint8Array;
  readonly count: number;
  at = 0;
  pos = 0;
  constructor(keys: Float64Array, bytes: Uint8Array) {
    this.keys = keys;
    this.bytes = bytes;
    this.count = keys.length / K_WORDS;
  }
}

const EMPTY_BYTES = new Uint8Array(0);

/** Compares the order keys of record `a` of `ka` and record `b` of `kb`. */
function compareKeys(ka: Float64Array, a: number, kb: Float64Array, b: number): number {
  const oa = a * K_WORDS, ob = b * K_WORDS;
  return ka[oa + K_SEQ] - kb[ob + K_SEQ] || ka[oa + K_PHASE] - kb[ob + K_PHASE] ||
    ka[oa + K_TIE_A] - kb[ob + K_TIE_A] || ka[oa + K_TIE_B] - kb[ob + K_TIE_B] ||
    ka[oa + K_TIE_C] - kb[ob + K_TIE_C];
}

/**
 * A pool of workers that process captures in parallel and give the output of one thread. Feed it
 * captures with {@linkcode CapturePipeline.run} (state carries over from one capture to the next,
 * as with one correlator or session table), then call {@linkcode CapturePipeline.finish}.
 *
 * @example
 * ```ts
 * import { CapturePipeline, PcapWriter, serveCaptureWorker } from "@mxy/mxy/pcap";
 * import { CAPTURE_TASKS } from "@mxy/mxy/dpi";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * // Two in-process "workers" over a MessageChannel-like pair (real code uses Web Workers).
 * function inProcessWorker() {
 *   const scope = { onmessage: null as ((e: MessageEvent) => void) | null,
 *     postMessage: (m: unknown) => queueMicrotask(() => port.onmessage?.({ data: m } as MessageEvent)) };
 *   const port = { onmessage: null as ((e: MessageEvent) => void) | null, onerror: null,
 *     postMessage: (m: unknown) => queueMicrotask(() => scope.onmessage?.({ data: m } as MessageEvent)),
 *     terminate() {} };
 *   serveCaptureWorker(scope, CAPTURE_TASKS);
 *   return port;
 * }
 * const w = new PcapWriter();
 * for (let i = 0; i < 4; i++) {
 *   w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1000 + i, dstPort: 80 }), { tsSec: i });
 * }
 * let out = "";
 * const pipeline = new CapturePipeline({
 *   threads: 2,
 *   createWorker: inProcessWorker,
 *   task: "flows",
 *   config: { dpi: false },
 *   onText: (t) => (out += t),
 * });
 * await pipeline.run(w.toBytes());
 * const stats = await pipeline.finish();
 * assert.equal(stats.sessions, 4);
 * assert.equal(out.trim().split("\n").length, 4);
 * ```
 */
export class CapturePipeline {
  #o: CapturePipelineOptions;
  #n: number;
  #depth: number;
  #ports: PipelinePort[] = [];
  #slots: SharedArrayBuffer[] = [];
  #fresh = new Set<number>();
  #free: number[] = [];
  #ready = 0;
  #failure: PcapError | null = null;
  #waiters: (() => void)[] = [];
  #batchNo = 0;
  #nextMerge = 0;
  #pending = new Map<number, Pending>();
  #seq = 0;
  /** Captures read so far (the current one's index while reading). */
  #run = -1;
  #uidNext = 0;
  #uids: number[][] = [];
  /** At the end: each worker's chunks of records not merged yet, and its counters once done. */
  #endChunks: { keys: Float64Array; bytes: Uint8Array }[][] = [];
  #decoder = new TextDecoder();
  #endStats: (Record<string, number> | undefined)[] = [];
  #stopped = false;
  #closed = false;
  #name = "<stream>";
  #view = new PacketView();

  /**
   * Starts the workers.
   *
   * @param options {@linkcode CapturePipelineOptions}.
   * @throws {RangeError} When `threads` is not a whole number of at least 1.
   */
  constructor(options: CapturePipelineOptions) {
    const n = options.threads;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`Cannot start a pipeline of ${n} workers: threads must be >= 1`);
    }
    this.#o = options;
    this.#n = n;
    this.#depth = Math.max(2, options.queueDepth ?? 2 * n + 2);
    for (let i = 0; i < this.#depth; i++) this.#newSlot(SLOT_DATA_BYTES);
    this.#fresh.clear();
    this.#free = [...this.#slots.keys()].reverse();
    for (let i = 0; i < n; i++) {
      this.#uids.push([]);
      this.#endChunks.push([]);
      const port = options.createWorker(i);
      this.#ports.push(port);
      port.onmessage = (e) => this.#message(e.data as FromWorker);
      port.onerror = (e) => {
        e.preventDefault?.();
        this.#fail(`Worker ${i} stopped: ${e.message ?? String(e)}`);
      };
      const init: ToWorker = {
        type: "init",
        index: i,
        workers: n,
        task: options.task,
        config: options.config,
        slots: this.#slots,
      };
      port.postMessage(init);
    }
  }

  /** Number of workers. */
  get threads(): number {
    return this.#n;
  }

  #newSlot(dataBytes: number): number {
    this.#slots.push(new SharedArrayBuffer(DESCRIPTOR_BYTES + dataBytes));
    const i = this.#slots.length - 1;
    this.#fresh.add(i);
    return i;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  async #until(done: () => boolean): Promise<void> {
    while (true) {
      if (this.#failure !== null) throw this.#failure;
      if (done()) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #fail(message: string, cause?: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = new PcapError("worker-failed", message, { file: this.#name, cause });
    this.close();
    this.#wake();
  }

  #message(m: FromWorker): void {
    if (this.#failure !== null) return;
    switch (m.type) {
      case "ready":
        this.#ready++;
        break;
      case "done": {
        const p = this.#pending.get(m.batch);
        if (p === undefined) return;
        p.results[m.index] = m;
        p.left--;
        while (true) {
          const q = this.#pending.get(this.#nextMerge);
          if (q === undefined || q.left > 0) break;
          this.#merge(q);
          this.#pending.delete(this.#nextMerge);
          this.#nextMerge++;
        }
        break;
      }
      case "chunk":
        this.#endChunks[m.index].push(m);
        break;
      case "finished":
        this.#endChunks[m.index].push(m);
        this.#endStats[m.index] = m.stats;
        break;
      case "failed":
        this.#fail(
          `Worker ${m.index} failed at packet ${m.frame}: ${m.name}${
            m.code ? ` (${m.code})` : ""
          }: ${m.message}`,
        );
        return;
    }
    this.#wake();
  }

  /** Writes one batch's records in order, hands over marked packets, frees the slot. */
  #merge(q: Pending): void {
    const results = q.results as Done[];
    const n = this.#n;
    // Sessions created in this batch get the creation numbers one thread would give them.
    let any = false;
    for (const r of results) if (r.created.length > 0) any = true;
    if (any) {
      const at = new Array<number>(n).fill(0);
      while (true) {
        let best = -1;
        for (let w = 0; w < n; w++) {
          const c = results[w].created;
          if (at[w] < c.length && (best < 0 || c[at[w]] < results[best].created[at[best]])) {
            best = w;
          }
        }
        if (best < 0) break;
        at[best]++;
        this.#uids[best].push(this.#uidNext++);
      }
    }
    this.#emitMerged(results.map((r) => r.keys), results.map((r) => r.bytes));
    const onMarked = this.#o.onMarked;
    if (onMarked !== undefined && !this.#stopped) {
      const all: number[] = [];
      for (const r of results) for (const i of r.marked) all.push(i);
      all.sort((a, b) => a - b);
      const d = new Float64Array(this.#slots[q.slot], 0, DESCRIPTOR_BYTES / 8);
      const data = new Uint8Array(this.#slots[q.slot], DESCRIPTOR_BYTES);
      const v = this.#view;
      for (const i of all) {
        const o = i * D_WORDS;
        v.setRecord(data, d[o + D_OFFSET], d[o + D_CAPLEN], d[o + D_ORIGLEN]);
        v.number = d[o + D_NUMBER];
        v.tsSec = d[o + D_SEC];
        v.tsNsec = d[o + D_NSEC];
        v.linktype = d[o + D_LINKTYPE];
        v.fcsLen = d[o + D_FCS];
        v.iface = d[o + D_IFACE];
        v.section = d[o + D_SECTION];
        const bits = d[o + D_BITS];
        v.littleEndian = (bits & BIT_LITTLE_ENDIAN) !== 0;
        v.nanos = (bits & BIT_NANOS) !== 0;
        v.format = (bits & BIT_PCAPNG) !== 0 ? "pcapng" : "pcap";
        if (onMarked(v) === false) {
          this.#stopped = true;
          break;
        }
      }
    }
    this.#o.onRelease?.();
    this.#free.push(q.slot);
  }

  /** Merges workers' sorted record lists by order key and hands the records on. */
  #emitMerged(keys: Float64Array[], bytes: Uint8Array[]): void {
    const cursors = keys.map((k, w) => new Cursor(k, bytes[w]));
    this.#mergeCursors(cursors, () => false);
  }

  /**
   * Hands on records of the cursors in order of their keys until all are used up, or until
   * `wait(w)` says worker `w`, whose cursor ran out, has more to come.
   */
  #mergeCursors(cursors: Cursor[], wait: (w: number) => boolean): boolean {
    const onBytes = this.#o.onBytes, onText = this.#o.onText;
    const n = cursors.length;
    const parts: Uint8Array[] = [];
    let runBytes: Uint8Array = EMPTY_BYTES, runStart = 0, runEnd = 0;
    const flushRun = () => {
      if (runEnd > runStart) parts.push(runBytes.subarray(runStart, runEnd));
      runEnd = runStart = 0;
    };
    let stalled = false;
    while (true) {
      let best = -1;
      for (let w = 0; w < n; w++) {
        let c = cursors[w];
        if (c.at >= c.count) {
          if (wait(w)) {
            stalled = true;
            break;
          }
          c = cursors[w]; // `wait` may have given it its next chunk
          if (c.at >= c.count) continue;
        }
        if (best < 0 || compareKeys(c.keys, c.at, cursors[best].keys, cursors[best].at) < 0) {
          best = w;
        }
      }
      if (stalled || best < 0) break;
      const c = cursors[best], k = c.keys, o = c.at * K_WORDS;
      const start = c.pos, end = start + k[o + K_LENGTH];
      c.pos = end;
      c.at++;
      if (onBytes === undefined && onText === undefined) continue;
      const local = k[o + K_EXTRA_B], uidAt = k[o + K_UID_AT];
      if (local > 0 && uidAt >= 0) {
        // A flow record: its uid is the one of the session's creation number in one thread,
        // written in place (the worker handed the bytes over; no copy, no string per record).
        if (start + uidAt + UID_BYTES <= end) {
          writeSessionUid(c.bytes, start + uidAt, k[o + K_EXTRA_A], this.#uids[best][local - 1]);
        }
      }
      // Consecutive records of one worker go out as one piece.
      if (runBytes === c.bytes && runEnd === start) runEnd = end;
      else {
        flushRun();
        runBytes = c.bytes;
        runStart = start;
        runEnd = end;
      }
    }
    flushRun();
    if (parts.length > 0) {
      if (onBytes !== undefined) { for (const part of parts) onBytes(part); }
      if (onText !== undefined) {
        let text = "";
        for (const part of parts) text += this.#decoder.decode(part, { stream: true });
        onText(text + this.#decoder.decode());
      }
    }
    return !stalled;
  }

  #take(): number {
    const s = this.#free.pop();
    return s ?? this.#newSlot(SLOT_DATA_BYTES);
  }

  #dispatch(slot: number, count: number): void {
    const batch = this.#batchNo++;
    this.#pending.set(batch, { slot, count, left: this.#n, results: new Array(this.#n) });
    const buffer = this.#fresh.has(slot) ? this.#slots[slot] : undefined;
    this.#fresh.delete(slot);
    const m: ToWorker = { type: "batch", batch, slot, count, run: this.#run, buffer };
    for (const port of this.#ports) port.postMessage(m);
  }

  /**
   * The source, read through a gate that first hands the packets read so far to the workers
   * (live input must not wait in a half-full batch), then waits while the queue is full.
   */
  #gated(source: CaptureSource, ship: () => void): CaptureSource {
    const room = () => {
      ship();
      return this.#until(() => this.#pending.size < this.#depth);
    };
    if (source instanceof Uint8Array) {
      const bytes = source;
      return {
        async readAt(into: Uint8Array, position: number): Promise<number> {
          await room();
          const n = Math.max(0, Math.min(into.length, bytes.length - position));
          into.set(bytes.subarray(position, position + n));
          return n;
        },
      };
    }
    if (source instanceof ReadableStream) {
      const reader = source.getReader();
      // No read-ahead (high-water mark 0): a pull means the reader wants bytes now.
      return new ReadableStream<Uint8Array>({
        async pull(c) {
          await room();
          const r = await reader.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      }, { highWaterMark: 0 });
    }
    const positional = source as PositionalSource;
    return {
      async readAt(into: Uint8Array, position: number): Promise<number> {
        await room();
        return await positional.readAt(into, position);
      },
    };
  }

  /**
   * Reads one capture through the workers; returns once every packet is handled and its records
   * written. Records still open (pending requests, open sessions) stay with the workers for the
   * next capture or {@linkcode CapturePipeline.finish}.
   *
   * @param source The capture's bytes, a stream of them, or a positional source.
   * @param options {@linkcode PipelineRunOptions}.
   * @returns The reader's summary.
   * @throws {PcapError} When the capture is damaged (after the packets before the damage are
   *   handled), or `worker-failed` when a worker's task threw or the worker died.
   */
  async run(source: CaptureSource, options: PipelineRunOptions = {}): Promise<ReadSummary> {
    if (this.#closed && this.#failure === null) {
      throw new TypeError("Cannot run a capture pipeline that was finished or closed");
    }
    this.#name = options.name ?? "<stream>";
    this.#run++;
    await this.#until(() => this.#ready === this.#n);
    const n = this.#n, shard = this.#o.shard ?? "flow", stop = options.shouldStop;
    const onPacket = options.onPacket, select = options.select;
    const p = new FlowPacket();
    let slot = -1, count = 0, used = 0;
    let desc: Float64Array = new Float64Array(0), data: Uint8Array = new Uint8Array(0);
    let runBuf: Uint8Array | null = null, runStart = 0, runEnd = 0, runDest = 0;
    const flushRun = () => {
      if (runBuf !== null) {
        data.set(runBuf.subarray(runStart, runEnd), runDest);
        used = runDest + (runEnd - runStart);
        runBuf = null;
      }
    };
    const open = () => {
      slot = this.#take();
      desc = new Float64Array(this.#slots[slot], 0, DESCRIPTOR_BYTES / 8);
      data = new Uint8Array(this.#slots[slot], DESCRIPTOR_BYTES);
      count = used = 0;
      runBuf = null;
    };
    const ship = () => {
      if (slot < 0) return;
      flushRun();
      if (count > 0) this.#dispatch(slot, count);
      else this.#free.push(slot);
      slot = -1;
    };
    const decode = shard !== "spread";
    let summary: ReadSummary;
    try {
      summary = await forEachPacket(this.#gated(source, ship), (v) => {
        if (this.#failure !== null) throw this.#failure;
        if (this.#stopped || (stop !== undefined && stop())) return false;
        if (onPacket !== undefined && onPacket(v) === false) return false;
        if (select !== undefined && !select(v)) return true;
        const seq = ++this.#seq;
        if (slot < 0) open();
        const start = v.dataOffset - (v.format === "pcap" ? RECORD_HEADER_ROOM : 0);
        const end = v.dataOffset + v.caplen;
        let extend = runBuf === v.buf && start >= runEnd;
        let total = extend
          ? runDest + (end - runStart)
          : (runBuf === null ? used : runDest + runEnd - runStart) + end - start;
        if (count === MAX_BATCH_PACKETS || total > data.length) {
          ship();
          open();
          extend = false;
          total = end - start;
          if (total > data.length) {
            // One record larger than a slot: this slot grows to hold it.
            this.#slots[slot] = new SharedArrayBuffer(DESCRIPTOR_BYTES + total);
            this.#fresh.add(slot);
            desc = new Float64Array(this.#slots[slot], 0, DESCRIPTOR_BYTES / 8);
            data = new Uint8Array(this.#slots[slot], DESCRIPTOR_BYTES);
          }
        }
        if (!extend) {
          flushRun();
          runBuf = v.buf;
          runStart = start;
          runDest = used;
        }
        runEnd = end;
        const o = count * D_WORDS;
        let owner: number, family = 0, proto = 0, ports = 0;
        if (
          decode &&
          !quickFlowFacts(v.buf, v.dataOffset, v.caplen, v.origlen, v.fcsLen, v.linktype, p)
        ) {
          decodePacket(v);
          p.readView(v);
        }
        if (decode && p.family !== 0) {
          family = p.family;
          proto = p.proto;
          ports = p.sport * 65536 + p.dport;
          if (shard === "flow") owner = shardOf(flowShardHash(p), n);
          else if (p.payLen > 0 && (proto === 6 || proto === 17)) {
            owner = shardOf(payloadShardHash(v.buf, p.payOff, p.payLen), n);
          } else owner = seq % n;
        } else owner = decode ? seq % n : count % n;
        desc[o + D_SEQ] = seq;
        desc[o + D_NUMBER] = v.number;
        desc[o + D_SEC] = v.tsSec;
        desc[o + D_NSEC] = v.tsNsec;
        desc[o + D_OFFSET] = runDest + (v.dataOffset - runStart);
        desc[o + D_CAPLEN] = v.caplen;
        desc[o + D_ORIGLEN] = v.origlen;
        desc[o + D_LINKTYPE] = v.linktype;
        desc[o + D_FCS] = v.fcsLen;
        desc[o + D_IFACE] = v.iface;
        desc[o + D_SECTION] = v.section;
        desc[o + D_BITS] = (v.littleEndian ? BIT_LITTLE_ENDIAN : 0) | (v.nanos ? BIT_NANOS : 0) |
          (v.format === "pcapng" ? BIT_PCAPNG : 0);
        desc[o + D_OWNER] = owner;
        desc[o + D_FAMILY] = family;
        desc[o + D_PROTO] = proto;
        desc[o + D_PORTS] = ports;
        count++;
        return true;
      }, {
        name: this.#name,
        // The reader decodes only what sharding needs (see quickFlowFacts).
        decode: false,
        chunkSize: SLOT_DATA_BYTES,
        onRefill: flushRun,
      });
    } catch (err) {
      // What was read before the damage is still handled, as one thread would have.
      if (this.#failure === null) {
        ship();
        await this.#until(() => this.#pending.size === 0).catch(() => {});
      }
      throw this.#failure ?? err;
    }
    ship();
    await this.#until(() => this.#pending.size === 0);
    return summary;
  }

  /**
   * Ends the run: each worker's task finishes (pending requests, open sessions), their records
   * are written in order, and the workers stop.
   *
   * @returns The tasks' counters, summed over the workers.
   * @throws {PcapError} `worker-failed` when a worker's task threw or the worker died.
   */
  async finish(): Promise<Record<string, number>> {
    await this.#until(() => this.#ready === this.#n && this.#pending.size === 0);
    const m: ToWorker = { type: "finish" };
    for (const port of this.#ports) port.postMessage(m);
    // Merge the workers' end records as their chunks come: a worker whose chunk is used up and
    // that has not finished holds the merge until its next chunk.
    const n = this.#n, chunks = this.#endChunks;
    const cursors: Cursor[] = [];
    for (let w = 0; w < n; w++) cursors.push(new Cursor(new Float64Array(0), EMPTY_BYTES));
    const more = (w: number) => {
      const c = cursors[w];
      if (c.at < c.count) return true;
      const next = chunks[w].shift();
      if (next !== undefined) {
        cursors[w] = new Cursor(next.keys, next.bytes);
        return true;
      }
      return false;
    };
    const done = (w: number) => this.#endStats[w] !== undefined && chunks[w].length === 0;
    while (true) {
      await this.#until(() => cursors.every((_, w) => more(w) || done(w)));
      if (this.#mergeCursors(cursors, (w) => !more(w) && !done(w))) {
        if (cursors.every((c, w) => c.at === c.count && done(w))) break;
      }
    }
    const stats: Record<string, number> = {};
    for (const f of this.#endStats as Record<string, number>[]) {
      for (const [k, v] of Object.entries(f)) stats[k] = (stats[k] ?? 0) + v;
    }
    this.close();
    return stats;
  }

  /** Stops the workers at once (after a failure, or instead of `finish`). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const port of this.#ports) port.terminate();
  }
}
