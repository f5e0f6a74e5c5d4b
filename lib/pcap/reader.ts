/**
 * Reads captures (classic pcap or pcapng, plain or gzip) from bytes, a file (memory-mapped in
 * place or streamed in chunks with bounded memory) or a stream (`-` is standard input), calling
 * back with one reusable {@linkcode PacketView} per packet.
 *
 * @module
 */
import {
  CaptureParser,
  type InterfaceInfo,
  type PacketCallback,
  type TruncationInfo,
} from "./_parser.ts";
import { PcapError, PcapErrorCode } from "./errors.ts";
import { PacketView } from "./packet_view.ts";
import { canMmap, mapFile } from "../runtime/mmap.ts";
import {
  openRandomAccess,
  openReadStream,
  type RandomAccessFile,
  statFile,
} from "../runtime/fs.ts";

export type { InterfaceInfo, PacketCallback, TruncationInfo };

/** How a reader got its bytes. */
export type ReadMode = "bytes" | "mmap" | "read" | "stream";

/** Options for {@linkcode forEachPacket} and {@linkcode forEachPacketInBytes}. */
export interface ReadOptions {
  /** Decode headers before each callback (default `true`). With `false`, only record fields. */
  decode?: boolean;
  /**
   * For a path: `"auto"` (default: map files up to 1 GiB when FFI is allowed, stream larger
   * ones, `-` and `.gz`), `"mmap"`, `"read"` (whole file into memory) or `"stream"` (chunks).
   */
  mode?: "auto" | "mmap" | "read" | "stream";
  /** Stream buffer size in bytes (default 4 MiB); memory stays within about twice this. */
  chunkSize?: number;
  /** Largest record or block accepted, in bytes (default 16 MiB); larger ones are damage. */
  maxRecord?: number;
  /** The input's name in messages (default: the path, `"-"` or `"<bytes>"`). */
  name?: string;
  /** Throw a {@linkcode PcapError} when the input ends inside a record (default: report it). */
  strict?: boolean;
  /** The view to fill (default: a new one). */
  view?: PacketView;
}

/** What a reader saw. */
export interface ReadSummary {
  /** `"pcap"` or `"pcapng"`. */
  format: "pcap" | "pcapng";
  /** Format version (`"2.4"`, `"1.0"`). */
  version: string;
  /** How the bytes were obtained. */
  mode: ReadMode;
  /** Packets delivered to the callback. */
  packets: number;
  /** Sum of captured lengths. */
  capturedBytes: number;
  /** Sum of original (wire) lengths. */
  wireBytes: number;
  /** Bytes of (decompressed) input consumed. */
  bytesRead: number;
  /** Classic pcap: nanosecond timestamps. */
  nanos: boolean;
  /** pcapng sections (1 for classic pcap). */
  sections: number;
  /** Interfaces, in order of appearance across sections. */
  interfaces: InterfaceInfo[];
  /** Distinct link types, in order of appearance. */
  linktypes: number[];
  /** Name-resolution records from pcapng NRBs (address → names). */
  names: Map<string, string[]>;
  /** pcapng blocks skipped (unknown, custom, decryption secrets …). */
  skippedBlocks: number;
  /** Set when the input ended inside a record: where, and how many packets were read. */
  truncated: TruncationInfo | null;
  /** Whether the callback stopped the reading early. */
  stopped: boolean;
  /**
   * Largest read buffer used, in bytes, when streaming (the bound on the reader's memory: the
   * chunk size, or one record when a record is larger); 0 for bytes and mapped files.
   */
  bufferBytes: number;
}

const DEFAULT_MAX_RECORD = 16 * 1024 * 1024;
const DEFAULT_CHUNK = 4 * 1024 * 1024;
const MMAP_LIMIT = 1024 * 1024 * 1024;

function summarize(p: CaptureParser, mode: ReadMode, bytesRead: number): ReadSummary {
  const linktypes: number[] = [];
  for (const i of p.interfaces) if (!linktypes.includes(i.linktype)) linktypes.push(i.linktype);
  return {
    format: p.format === "pcapng" ? "pcapng" : "pcap",
    version: p.version,
    mode,
    packets: p.packets,
    capturedBytes: p.capturedBytes,
    wireBytes: p.wireBytes,
    bytesRead,
    nanos: p.nanos,
    sections: p.sections,
    interfaces: p.interfaces,
    linktypes,
    names: p.names,
    skippedBlocks: p.skippedBlocks,
    truncated: p.truncated,
    stopped: p.stopped,
    bufferBytes: 0,
  };
}

function finish(p: CaptureParser, name: string, strict: boolean): void {
  if (strict && p.truncated) {
    throw new PcapError(
      PcapErrorCode.TruncatedRecord,
      `Capture cut short: ${p.truncated.reason}`,
      { file: name, offset: p.truncated.offset, packets: p.truncated.packets },
    );
  }
}

/**
 * Reads every packet of a capture held in memory, synchronously. The callback receives the
 * same {@linkcode PacketView} each time, pointing into `bytes`.
 *
 * @param bytes The capture file's bytes (pcap or pcapng, not compressed).
 * @param onPacket Called per packet; return `false` to stop.
 * @param options {@linkcode ReadOptions} (`mode` and `chunkSize` are ignored).
 * @returns The {@linkcode ReadSummary}.
 * @example
 * ```ts
 * import { forEachPacketInBytes } from "./reader.ts";
 * import { PcapWriter } from "./writer.ts";
 * import { LinkType } from "./packet_view.ts";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: LinkType.RAW });
 * w.writePacket(new Uint8Array([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]), {
 *   tsSec: 10,
 *   tsNsec: 5000,
 * });
 * const seen: string[] = [];
 * const s = forEachPacketInBytes(w.toBytes(), (v) => {
 *   seen.push(`${v.tsSec}.${v.tsNsec} ${v.ip4Src.toString(16)}`);
 * });
 * assert.deepEqual(seen, ["10.5000 1020304"]);
 * assert.equal(s.packets, 1);
 * ```
 */
export function forEachPacketInBytes(
  bytes: Uint8Array,
  onPacket: PacketCallback,
  options: ReadOptions = {},
): ReadSummary {
  const name = options.name ?? "<bytes>";
  const p = new CaptureParser(name, options.view ?? new PacketView(), onPacket, {
    decode: options.decode ?? true,
    maxRecord: options.maxRecord ?? DEFAULT_MAX_RECORD,
  });
  const pos = p.parse(bytes, 0, bytes.length, 0, true);
  finish(p, name, options.strict ?? false);
  return summarize(p, "bytes", pos);
}

/**
 * Reads every packet of a capture from a path (`-` for standard input; `.gz` or gzip magic is
 * decompressed on the fly), from bytes, or from a stream of byte chunks. Files are mapped in
 * place or streamed through a fixed buffer, so memory stays bounded whatever the file's size.
 *
 * @param source A path, the capture's bytes, or a `ReadableStream` of its bytes.
 * @param onPacket Called per packet with the reusable view; return `false` to stop.
 * @param options {@linkcode ReadOptions}.
 * @returns The {@linkcode ReadSummary}. Damaged input throws a {@linkcode PcapError}.
 * @example
 * ```ts
 * import { forEachPacket } from "./reader.ts";
 * import { PcapWriter } from "./writer.ts";
 * import { LinkType } from "./packet_view.ts";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: LinkType.ETHERNET, nanos: true });
 * w.writePacket(new Uint8Array(60), { tsSec: 1, tsNsec: 2 });
 * w.writePacket(new Uint8Array(60), { tsSec: 3, tsNsec: 4 });
 * const stream = new Blob([w.toBytes()]).stream();
 * let n = 0;
 * const s = await forEachPacket(stream, () => {
 *   n++;
 * });
 * assert.equal(n, 2);
 * assert.equal(s.mode, "stream");
 * ```
 */
export async function forEachPacket(
  source: string | Uint8Array | ReadableStream<Uint8Array>,
  onPacket: PacketCallback,
  options: ReadOptions = {},
): Promise<ReadSummary> {
  if (source instanceof Uint8Array) {
    if (isGzip(source)) {
      return await forEachPacket(
        new Blob([source as Uint8Array<ArrayBuffer>]).stream(),
        onPacket,
        options,
      );
    }
    return forEachPacketInBytes(source, onPacket, options);
  }
  if (typeof source !== "string") {
    return await readStream(source, options.name ?? "<stream>", onPacket, options);
  }
  const path = source;
  const name = options.name ?? path;
  const mode = options.mode ?? "auto";
  let useStream = mode === "stream" || path === "-" || path.endsWith(".gz");
  if (!useStream && mode === "auto") {
    let size = 0;
    try {
      const st = await statFile(path);
      if (st === null) throw new Error("no such file");
      size = st.size;
    } catch (err) {
      throw new PcapError(PcapErrorCode.ReadFailed, `Cannot open capture: ${errText(err)}`, {
        file: name,
        cause: err,
      });
    }
    if (size > MMAP_LIMIT || !canMmap()) useStream = true;
  }
  if (useStream) {
    if (path !== "-" && !path.endsWith(".gz")) {
      // plain file: read straight into the reader's buffer (no per-chunk allocations)
      let file: RandomAccessFile;
      try {
        file = await openRandomAccess(path);
      } catch (err) {
        throw new PcapError(PcapErrorCode.ReadFailed, `Cannot open capture: ${errText(err)}`, {
          file: name,
          cause: err,
        });
      }
      try {
        const head = new Uint8Array(2);
        const n = await file.readAt(head, 0);
        if (!(n === 2 && isGzip(head))) {
          let pos = 0;
          const pull = async (into: Uint8Array): Promise<number> => {
            let got: number;
            try {
              got = await file.readAt(into, pos);
            } catch (err) {
              throw new PcapError(
                PcapErrorCode.ReadFailed,
                `Cannot read capture: ${errText(err)}`,
                {
                  file: name,
                  offset: pos,
                  cause: err,
                },
              );
            }
            pos += got;
            return got;
          };
          return await readPulled(pull, name, onPacket, options);
        }
      } finally {
        file.close();
      }
    }
    let stream: ReadableStream<Uint8Array>;
    try {
      stream = await openReadStream(path);
    } catch (err) {
      throw new PcapError(PcapErrorCode.ReadFailed, `Cannot open capture: ${errText(err)}`, {
        file: name,
        cause: err,
      });
    }
    return await readStream(stream, name, onPacket, options);
  }
  let mapped;
  try {
    mapped = await mapFile(path, {
      mode: mode === "read" ? "read" : mode === "mmap" ? "mmap" : "auto",
    });
  } catch (err) {
    throw new PcapError(PcapErrorCode.ReadFailed, `Cannot open capture: ${errText(err)}`, {
      file: name,
      cause: err,
    });
  }
  try {
    if (isGzip(mapped.bytes)) {
      const copy = new Blob([mapped.bytes as Uint8Array<ArrayBuffer>]).stream();
      return await readStream(copy, name, onPacket, options);
    }
    const s = forEachPacketInBytes(mapped.bytes, onPacket, { ...options, name });
    s.mode = mapped.mode;
    return s;
  } finally {
    // the mapping is released by the garbage collector once no packet view refers to it
  }
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readStream(
  stream: ReadableStream<Uint8Array>,
  name: string,
  onPacket: PacketCallback,
  options: ReadOptions,
): Promise<ReadSummary> {
  let reader = stream.getReader();
  let pending: Uint8Array = new Uint8Array(0);
  let first = true;
  let consumed = 0;
  const pull = async (into: Uint8Array): Promise<number> => {
    while (pending.length === 0) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (err) {
        throw new PcapError(
          PcapErrorCode.BadCompression,
          `Cannot read capture stream: ${errText(err)}`,
          { file: name, offset: consumed, cause: err },
        );
      }
      if (r.done) return 0;
      pending = r.value;
      if (first && pending.length > 0) {
        first = false;
        if (isGzip(pending)) {
          // put the chunk back in front of the rest and decompress the whole stream
          const rest = reader, head = pending;
          pending = new Uint8Array(0);
          const replay = new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(head);
            },
            async pull(c) {
              const x = await rest.read();
              if (x.done) c.close();
              else c.enqueue(x.value);
            },
            cancel(reason) {
              return rest.cancel(reason);
            },
          });
          const gz = new DecompressionStream("gzip") as unknown as ReadableWritablePair<
            Uint8Array,
            Uint8Array
          >;
          reader = replay.pipeThrough(gz).getReader();
        }
      }
    }
    const n = Math.min(into.length, pending.length);
    into.set(n === pending.length ? pending : pending.subarray(0, n));
    pending = pending.subarray(n);
    consumed += n;
    return n;
  };
  let stopped = false;
  try {
    const s = await readPulled(pull, name, onPacket, options);
    stopped = s.stopped;
    return s;
  } finally {
    if (stopped) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * The streaming loop: fills a fixed buffer from `pull`, parses complete records, moves the
 * unparsed tail (at most one record) to the front, and grows only for a record larger than the
 * buffer (up to `maxRecord`).
 */
async function readPulled(
  pull: (into: Uint8Array) => Promise<number>,
  name: string,
  onPacket: PacketCallback,
  options: ReadOptions,
): Promise<ReadSummary> {
  const maxRecord = options.maxRecord ?? DEFAULT_MAX_RECORD;
  const p = new CaptureParser(name, options.view ?? new PacketView(), onPacket, {
    decode: options.decode ?? true,
    maxRecord,
  });
  let buf = new Uint8Array(Math.max(64 * 1024, options.chunkSize ?? DEFAULT_CHUNK));
  let start = 0, end = 0, base = 0;
  while (!p.stopped) {
    if (start > 0) {
      buf.copyWithin(0, start, end);
      base += start;
      end -= start;
      start = 0;
    }
    if (end === buf.length) {
      // one incomplete record fills the buffer: grow, within the limit
      if (buf.length >= maxRecord + 128) {
        throw new PcapError(
          PcapErrorCode.BufferLimit,
          `Record larger than the buffer limit of ${maxRecord} bytes`,
          { file: name, offset: base, packets: p.packets },
        );
      }
      const grown = new Uint8Array(Math.min(buf.length * 2, maxRecord + 128));
      grown.set(buf.subarray(0, end));
      buf = grown;
    }
    const n = await pull(buf.subarray(end));
    if (n === 0) break;
    end += n;
    start = p.parse(buf, start, end, base, false);
  }
  if (!p.stopped) {
    if (p.format === "" && end - start === 0) {
      throw new PcapError(PcapErrorCode.TruncatedHeader, "Capture is empty", {
        file: name,
        offset: 0,
      });
    }
    start = p.parse(buf, start, end, base, true);
  }
  finish(p, name, options.strict ?? false);
  const summary = summarize(p, "stream", base + start);
  summary.bufferBytes = buf.length;
  return summary;
}
