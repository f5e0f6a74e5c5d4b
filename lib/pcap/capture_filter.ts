/**
 * Filtering captures: keep the packets a filter expression (compiled by `compileFilter`) or a
 * classic BPF program accepts, as `tcpdump -r IN -w OUT EXPR` does.
 *
 * @module
 */
import {
  BpfVm,
  type CbpfInstruction,
  type CbpfProgram,
  cbpfToEbpf,
  compileCbpf,
  type LoadedBpfProgram,
} from "../bpf/mod.ts";
import { ebpfAccepts } from "./_ebpf_packet_filter.ts";
import { type CaptureSource, forEachPacket, type ReadSummary } from "./capture_reader.ts";
import { CapturePipeline, type ParallelOptions } from "./capture_pipeline.ts";
import type { CaptureTaskFactory } from "./capture_worker.ts";
import { compileFilter } from "./filter_compiler.ts";
import { parseFilter } from "./_filter_parser.ts";
import { prefixWireLength, WIRE_PREFIX } from "./_filter_ebpf.ts";
import { FilterOutput, type OutputFormat } from "./_filter_output.ts";
import { PcapError } from "./pcap_error.ts";
import { LinkType, type PacketView } from "./packet_view.ts";

/** Module-level copy for the per-packet path (imported constants are not folded). */
const LINKTYPE_NULL = LinkType.NULL;
const LINKTYPE_ETHERNET = LinkType.ETHERNET;
/** The largest packet the eBPF engine is verified for (the pcap snapshot-length maximum). */
const MAX_PACKET = 262144;

/** Options for {@linkcode filterCapture}. */
export interface FilterCaptureOptions {
  /** The input's name in messages. */
  name?: string;
  /** Stop after this many kept packets (default: no limit). */
  limit?: number;
  /**
   * How to run the filter: `"classic"` (default: classic BPF compiled to JavaScript), or
   * `"ebpf"`: translated to eBPF, verified and run in the eBPF VM under the `cloud` profile.
   * Both see the captured bytes and the wire length (`len`).
   */
  engine?: "classic" | "ebpf";
  /** With `engine: "ebpf"`: run in the eBPF JIT instead of the interpreter. */
  jit?: boolean;
  /**
   * Receives the output in pieces as it is written (each valid only during the call: its memory
   * is reused), so that memory stays bounded; the result's `chunks` and `bytes` are then empty.
   */
  sink?: (chunk: Uint8Array) => void;
  /**
   * Run the filter in workers (`threads` above 1; the workers must serve {@linkcode PCAP_TASKS}'
   * `filter`): this thread reads and writes the kept packets, in the same order and bytes.
   */
  parallel?: ParallelOptions;
}

/** The configuration of the parallel pipeline's `filter` task. */
export interface FilterTaskConfig {
  /** A pcap-filter expression or a classic program. */
  filter: string | readonly CbpfInstruction[];
  /** The engine ({@linkcode PacketFilterOptions}). */
  engine?: "classic" | "ebpf";
  /** With `engine: "ebpf"`: the JIT. */
  jit?: boolean;
}

/**
 * The tasks of `@mxy/mxy/pcap` for the parallel pipeline's workers (`serveCaptureWorker`):
 * `filter` marks the packets a filter accepts ({@linkcode FilterTaskConfig}). `CAPTURE_TASKS` of
 * `@mxy/mxy/dpi` adds correlation and flows.
 *
 * @example
 * ```ts
 * import { PCAP_TASKS } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * assert.deepEqual(Object.keys(PCAP_TASKS), ["filter"]);
 * ```
 */
export const PCAP_TASKS: Readonly<Record<string, CaptureTaskFactory>> = {
  filter(ctx) {
    const c = ctx.config as FilterTaskConfig;
    const accept = createPacketFilter(c.filter, c);
    let packets = 0, kept = 0;
    return {
      decode: false,
      packet(p) {
        packets++;
        if (!accept(p.view!)) return false;
        kept++;
        return true;
      },
      stats: () => ({ packets, kept }),
    };
  },
};

/** The result of {@linkcode filterCapture}. */
export interface FilterCaptureResult {
  /**
   * The kept packets in the input's format: classic pcap with the input's link type, FCS length,
   * byte order and timestamp resolution (its records are copied as they are), or pcapng with one
   * interface for each link type and FCS length among them (nanosecond timestamps).
   */
  readonly bytes: Uint8Array;
  /**
   * The same output in pieces, in order (`bytes` is their concatenation, made when first read):
   * write them one after the other to avoid the copy.
   */
  chunks: readonly Uint8Array[];
  /** `"pcap"` or `"pcapng"`: the input's format. */
  format: "pcap" | "pcapng";
  /** Packets read. */
  packets: number;
  /** Packets kept. */
  kept: number;
  /** The input's link type (of its first packet; Ethernet when there is none). */
  linktype: number;
  /** The link types of the input's packets, in order of appearance. */
  linktypes: number[];
}

type Accept = (v: PacketView) => boolean;

/** Builds the function that runs one classic program on a packet with the chosen engine. */
function acceptor(program: readonly CbpfInstruction[], options: PacketFilterOptions): Accept {
  if (options.engine === "ebpf") {
    const loaded = new BpfVm({ profile: "cloud" }).load(
      cbpfToEbpf(prefixWireLength(program), { maxPacket: MAX_PACKET + WIRE_PREFIX }),
      {
        input: { kind: "packet", size: MAX_PACKET + WIRE_PREFIX },
        jit: options.jit ?? false,
        name: "classic filter",
      },
    );
    const scratch = new Uint8Array(MAX_PACKET + WIRE_PREFIX);
    const dv = new DataView(scratch.buffer);
    return (v) => {
      const n = Math.min(v.caplen, MAX_PACKET);
      dv.setUint32(0, v.origlen >>> 0);
      scratch.set(v.buf.subarray(v.dataOffset, v.dataOffset + n), WIRE_PREFIX);
      return loaded.run(scratch.subarray(0, n + WIRE_PREFIX)) !== 0n;
    };
  }
  const classic: CbpfProgram = compileCbpf(program);
  return (v) => classic.runAt(v.buf, v.dataOffset, v.caplen, v.origlen) !== 0;
}

/** Options for {@linkcode createPacketFilter}. */
export interface PacketFilterOptions {
  /** `"classic"` (default: classic BPF compiled to JavaScript) or `"ebpf"` (verified eBPF). */
  engine?: "classic" | "ebpf";
  /** With `engine: "ebpf"`: run in the eBPF JIT instead of the interpreter. */
  jit?: boolean;
}

/**
 * Makes the test {@linkcode filterCapture} runs on each packet: an expression is compiled for
 * each link type (and byte order, for `NULL`) on first use; a classic program runs as it is.
 * The parallel pipeline's `filter` task runs it in workers.
 *
 * @param filter A pcap-filter expression or a classic BPF program.
 * @param options {@linkcode PacketFilterOptions}.
 * @returns Whether a packet (a view with its record fields set) passes.
 * @throws {PcapError} `filter-syntax` for an expression that does not parse (at once), or
 *   `bad-filter-expression` when it cannot apply to a packet's link type (on that packet).
 * @example
 * ```ts
 * import { createPacketFilter, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const accept = createPacketFilter("udp port 53");
 * const v = new PacketView();
 * const dns = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5000, dstPort: 53 });
 * v.setRecord(dns, 0, dns.length, dns.length);
 * assert.equal(accept(v), true);
 * ```
 */
export function createPacketFilter(
  filter: string | readonly CbpfInstruction[],
  options: PacketFilterOptions = {},
): (view: PacketView) => boolean {
  if (typeof filter !== "string") return acceptor(filter, options);
  const expression = filter;
  parseFilter(expression);
  const compiled = new Map<number, Accept>();
  let currentKey = -1;
  let current: Accept = () => false;
  return (v) => {
    const key = v.linktype * 2 + (v.linktype === LINKTYPE_NULL && !v.littleEndian ? 1 : 0);
    if (key !== currentKey) {
      let a = compiled.get(key);
      if (a === undefined) {
        a = acceptor(
          compileFilter(expression, { linkType: v.linktype, littleEndian: v.littleEndian }),
          options,
        );
        compiled.set(key, a);
      }
      currentKey = key;
      current = a;
    }
    return current(v);
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Runs a filter on every packet of a capture and writes the accepted ones in the capture's format,
 * as libpcap's offline filter does: the filter sees the captured bytes, `len` is the original
 * (wire) length, and the packet is kept whole. The filter is a pcap-filter expression, compiled
 * with {@linkcode compileFilter} for the link type (and, for `NULL`, the byte order) of each
 * interface — so a pcapng capture mixing link types is filtered too — or a classic BPF program,
 * which fits one link type: a capture with several is refused.
 *
 * @param source The capture: bytes (plain or gzip), a stream or a positional source.
 * @param filter A filter expression (`"tcp port 80"`), classic instructions (validated here),
 *   or a loaded eBPF program (`BpfVm.load`, `loadElf`): an `xdp` program keeps the packets it
 *   passes (`XDP_PASS`, `XDP_TX`), a `sched_cls` program those it does not drop, a socket
 *   filter (or an `unspec` program) those it returns non-zero for; typed programs need
 *   Ethernet captures.
 * @param options A name for messages, a limit and the engine.
 * @returns The output bytes and counts.
 * @throws {PcapError} `filter-syntax` or `bad-filter-expression` for an expression that does not
 *   compile (with its column), `mixed-link-types` for a program and a capture with several link
 *   types, or the reader's errors.
 * @throws {BpfError} `cbpf-invalid` for a program that does not validate.
 * @example
 * ```ts
 * import { filterCapture, forEachPacketInBytes, PcapWriter } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: 1 });
 * w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.53", proto: "udp", dstPort: 53 }));
 * w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.80", proto: "tcp", dstPort: 80 }));
 * const r = await filterCapture(w.toBytes(), "udp port 53");
 * assert.deepEqual([r.packets, r.kept], [2, 1]);
 * forEachPacketInBytes(r.bytes, (v) => assert.equal(v.caplen, 42));
 * ```
 */
export async function filterCapture(
  source: CaptureSource,
  filter: string | readonly CbpfInstruction[] | LoadedBpfProgram,
  options: FilterCaptureOptions = {},
): Promise<FilterCaptureResult> {
  const expression = typeof filter === "string" ? filter : null;
  // A syntax error is reported before anything is read.
  if (expression !== null) parseFilter(expression);
  const ebpf = typeof filter === "object" && !Array.isArray(filter)
    ? filter as LoadedBpfProgram
    : null;
  if (ebpf !== null && options.parallel !== undefined && options.parallel.threads > 1) {
    throw new PcapError(
      "bad-filter-expression",
      "A loaded eBPF program runs on one thread: give it without parallel workers (--threads 1)",
      { file: options.name },
    );
  }
  const fixed = ebpf !== null
    ? (v: PacketView) => ebpfAccepts(ebpf, v)
    : expression === null
    ? acceptor(filter as readonly CbpfInstruction[], options)
    : null;
  const compiled = new Map<number, Accept>();
  const output = new FilterOutput(options.sink ?? null);
  const linktypes: number[] = [];
  let first = null as OutputFormat | null;
  let accept: Accept = () => false;
  let currentType = -1;
  let currentLe = true;
  let packets = 0;
  let kept = 0;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const parallel = options.parallel !== undefined && options.parallel.threads > 1;
  /** Notes a packet's link type; returns the mixed-link-types error it causes, if any. */
  const see = (v: PacketView): PcapError | null => {
    packets++;
    if (v.linktype === currentType && v.littleEndian === currentLe) return null;
    currentType = v.linktype;
    currentLe = v.littleEndian;
    // One program per link type, and per byte order where NULL needs it.
    const key = v.linktype * 2 + (v.linktype === LINKTYPE_NULL && !v.littleEndian ? 1 : 0);
    if (!linktypes.includes(v.linktype)) linktypes.push(v.linktype);
    first ??= {
      linktype: v.linktype,
      fcsLen: v.fcsLen,
      format: v.format,
      nanos: v.nanos,
      littleEndian: v.littleEndian,
    };
    if (fixed !== null) {
      if (ebpf !== null && ebpf.programType !== "unspec" && v.linktype !== LINKTYPE_ETHERNET) {
        return new PcapError(
          "mixed-link-types",
          `Packet ${v.number} has link type ${v.linktype}: ${ebpf.programType} programs read Ethernet frames (link type 1)`,
          { file: options.name, packets: packets - 1 },
        );
      }
      if (linktypes.length > 1) {
        return new PcapError(
          "mixed-link-types",
          `Packet ${v.number} has link type ${v.linktype} but the first packet has ${
            linktypes[0]
          }: one classic program cannot filter both`,
          { file: options.name, packets: packets - 1 },
        );
      }
      accept = fixed;
    } else {
      // Also with workers: an expression that cannot apply to a link type fails here, at the
      // packet that brings it, as with one thread.
      let a = compiled.get(key);
      if (a === undefined) {
        a = acceptor(
          compileFilter(expression!, { linkType: v.linktype, littleEndian: v.littleEndian }),
          options,
        );
        compiled.set(key, a);
      }
      accept = a;
    }
    return null;
  };
  let summary: ReadSummary;
  if (parallel) {
    // The workers run the filter; this thread reads, and writes the kept packets in order.
    let mixed: PcapError | null = null;
    let limitAt = -1;
    const pipeline = new CapturePipeline({
      ...options.parallel!,
      task: "filter",
      config: {
        filter: filter as string | readonly CbpfInstruction[], // not an eBPF program: refused above
        engine: options.engine,
        jit: options.jit,
      } satisfies FilterTaskConfig,
      shard: "spread",
      onMarked: (v) => {
        output.write(v);
        kept++;
        if (kept < limit) return true;
        limitAt = v.number;
        return false;
      },
      onRelease: () => output.flush(),
    });
    try {
      summary = await pipeline.run(source, {
        name: options.name,
        onPacket: (v) => {
          const err = see(v);
          if (err === null) return true;
          mixed = err;
          packets--;
          return false;
        },
      });
      await pipeline.finish();
    } finally {
      pipeline.close();
    }
    if (limitAt >= 0) packets = limitAt;
    else if (mixed !== null) throw mixed;
  } else {
    summary = await forEachPacket(source, (v) => {
      const err = see(v);
      if (err !== null) throw err;
      if (!accept(v)) return true;
      output.write(v);
      kept++;
      return kept < limit;
    }, { decode: false, name: options.name, onRefill: () => output.flush() });
  }
  const linktype = linktypes[0] ?? summary.linktypes[0] ?? LinkType.ETHERNET;
  output.finish(
    first ?? {
      linktype,
      fcsLen: 0,
      format: summary.format,
      nanos: summary.nanos,
      littleEndian: true,
    },
  );
  let joined: Uint8Array | null = null;
  return {
    get bytes(): Uint8Array {
      return joined ??= concat(output.chunks);
    },
    chunks: output.chunks,
    format: first?.format ?? summary.format,
    packets,
    kept,
    linktype,
    linktypes,
  };
}

/**
 * Returns the link type of a capture's first packet (Ethernet when it has none). Reads only up
 * to the first packet.
 *
 * @param source The capture: bytes, a stream or a positional source.
 * @returns The link type number.
 * @throws {PcapError} When the input is not a capture.
 * @example
 * ```ts
 * import { captureLinkType, LinkType, PcapWriter } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: LinkType.LINUX_SLL });
 * w.writePacket(new Uint8Array(16));
 * assert.equal(await captureLinkType(w.toBytes()), LinkType.LINUX_SLL);
 * ```
 */
export async function captureLinkType(source: CaptureSource): Promise<number> {
  let linktype = -1;
  const s = await forEachPacket(source, (v) => {
    linktype = v.linktype;
    return false;
  }, { decode: false });
  return linktype >= 0 ? linktype : (s.linktypes[0] ?? LinkType.ETHERNET);
}
