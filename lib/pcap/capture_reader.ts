/**
 * Reads captures (classic pcap or pcapng, plain or gzip) from bytes in memory, a web
 * `ReadableStream`, or a {@linkcode PositionalSource} read straight into the reader's buffer,
 * calling back with one reusable {@linkcode PacketView} per packet. Runs in any JavaScript
 * runtime; reading files by path (`-` for standard input, `.gz`, mmap) is
 * `forEachPacketInFile` in `@mxy/mxy/deno`.
 *
 * @module
 */
import {
  CaptureParser,
  type InterfaceInfo,
  type PacketCallback,
  type TruncationInfo,
} from "./_capture_parser.ts";
import { PcapError } from "./pcap_error.ts";
import { PacketView } from "./packet_view.ts";
import { GZIP_MAGIC_0, GZIP_MAGIC_1 } from "./_capture_format.ts";

export type { InterfaceInfo, PacketCallback, TruncationInfo };

/**
 * A source the reader pulls from by position, straight into its own fixed buffer: no chunk is
 * allocated per read, so memory stays bounded whatever the capture's size. A file opened for
 * positional reads is one (`openCaptureFile` in `@mxy/mxy/deno` makes one), a `Blob` another.
 */
export interface PositionalSource {
  /**
   * Fills `into` with the bytes from `position` on.
   *
   * @param into Where to write (a part of the reader's buffer).
   * @param position The absolute byte offset to read from.
   * @returns How many bytes were written: `into.length`, fewer only at the end, 0 past it.
   */
  readAt(into: Uint8Array, position: number): Promise<number>;
}

/** What {@linkcode forEachPacket} reads: bytes, a stream of byte chunks, or a positional source. */
export type CaptureSource = Uint8Array | ReadableStream<Uint8Array> | PositionalSource;

/**
 * How a reader got its bytes: `"bytes"` (in memory), `"stream"` (chunks through a fixed buffer),
 * and from files, `"read"` (the whole file read into memory) or `"mmap"` (mapped in place).
 */
export type ReadMode = "bytes" | "stream" | "read" | "mmap";

/** Options for {@linkcode forEachPacket} and {@linkcode forEachPacketInBytes}. */
export interface ReadOptions {
  /** Decode headers before each callback (default `true`). With `false`, only record fields. */
  decode?: boolean;
  /** Stream buffer size in bytes (default 4 MiB); memory stays within about twice this. */
  chunkSize?: number;
  /** Largest record or block accepted, in bytes (default 16 MiB); larger ones are damage. */
  maxRecord?: number;
  /** The input's name in messages (default `"<bytes>"` or `"<stream>"`). */
  name?: string;
  /** Throw a {@linkcode PcapError} when the input ends inside a record (default: report it). */
  strict?: boolean;
  /** The view to fill (default: a new one). */
  view?: PacketView;
  /**
   * Called before a stream or positional reader reuses its buffer, overwriting the bytes of the
   * packets it delivered since the previous call (never for bytes in memory): the moment to copy
   * what is still needed of them.
   */
  onRefill?: () => void;
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
const MIN_CHUNK = 64 * 1024;
/** Room over `maxRecord` for a record's own header when a buffer grows to hold one record. */
const RECORD_HEADER_SLACK = 128;
const EMPTY = new Uint8Array(0);

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === GZIP_MAGIC_0 && b[1] === GZIP_MAGIC_1;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function newParser(name: string, onPacket: PacketCallback, options: ReadOptions): CaptureParser {
  return new CaptureParser(name, options.view ?? new PacketView(), onPacket, {
    decode: options.decode ?? true,
    maxRecord: options.maxRecord ?? DEFAULT_MAX_RECORD,
  });
}

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

function finish(p: CaptureParser, strict: boolean): void {
  if (strict && p.truncated) {
    throw new PcapError("truncated-record", `Capture cut short: ${p.truncated.reason}`, {
      file: p.name,
      offset: p.truncated.offset,
      packets: p.truncated.packets,
    });
  }
}

/**
 * Reads every packet of a capture held in memory, synchronously. The callback receives the
 * same {@linkcode PacketView} each time, pointing into `bytes` (see its lifetime note).
 *
 * @param bytes The capture file's bytes (pcap or pcapng, not compressed).
 * @param onPacket Called per packet; return `false` to stop.
 * @param options {@linkcode ReadOptions} (`chunkSize` is ignored).
 * @returns The {@linkcode ReadSummary}.
 * @throws {PcapError} When the bytes are not a capture or are damaged.
 * @example
 * ```ts
 * import { forEachPacketInBytes, formatSrc, LinkType, PcapWriter } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: LinkType.RAW });
 * w.writePacket(buildPacket({ linktype: LinkType.RAW, src: "1.2.3.4", dst: "5.6.7.8" }), {
 *   tsSec: 10,
 *   tsNsec: 5000,
 * });
 * const seen: string[] = [];
 * const s = forEachPacketInBytes(w.toBytes(), (v) => {
 *   seen.push(`${v.tsSec}.${v.tsNsec} ${formatSrc(v)}`);
 * });
 * assert.deepEqual(seen, ["10.5000 1.2.3.4"]);
 * assert.equal(s.packets, 1);
 * ```
 */
export function forEachPacketInBytes(
  bytes: Uint8Array,
  onPacket: PacketCallback,
  options: ReadOptions = {},
): ReadSummary {
  const p = newParser(options.name ?? "<bytes>", onPacket, options);
  const pos = p.parse(bytes, 0, bytes.length, 0, true);
  finish(p, options.strict ?? false);
  return summarize(p, "bytes", pos);
}

/**
 * Reads every packet of a capture from bytes, a stream of byte chunks or a positional source;
 * gzip (recognised by its magic) is decompressed on the fly. Streams and positional sources go
 * through one fixed buffer (`chunkSize`), so memory stays bounded whatever the capture's size;
 * the {@linkcode PacketView} then points into that buffer, which later packets overwrite: copy
 * bytes you keep with `.slice()`.
 *
 * @param source The capture's bytes, a `ReadableStream` of them, or a {@linkcode PositionalSource}.
 * @param onPacket Called per packet with the reusable view; return `false` to stop.
 * @param options {@linkcode ReadOptions}.
 * @returns The {@linkcode ReadSummary}.
 * @throws {PcapError} When the input is not a capture, is damaged, or cannot be read
 *   (`read-failed`, `bad-compression`).
 * @example
 * ```ts
 * import { forEachPacket, LinkType, PcapWriter } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: LinkType.ETHERNET, nanos: true });
 * w.writePacket(new Uint8Array(60), { tsSec: 1, tsNsec: 2 });
 * w.writePacket(new Uint8Array(60), { tsSec: 3, tsNsec: 4 });
 * const gzipped = new Blob([w.toBytes()]).stream().pipeThrough(new CompressionStream("gzip"));
 * let n = 0;
 * const s = await forEachPacket(gzipped, () => {
 *   n++;
 * });
 * assert.equal(n, 2);
 * assert.equal(s.mode, "stream");
 * ```
 */
export async function forEachPacket(
  source: CaptureSource,
  onPacket: PacketCallback,
  options: ReadOptions = {},
): Promise<ReadSummary> {
  if (source instanceof Uint8Array) {
    if (!isGzip(source)) return forEachPacketInBytes(source, onPacket, options);
    const stream = new Blob([source as Uint8Array<ArrayBuffer>]).stream();
    return await readStream(stream, onPacket, { name: "<bytes>", ...options });
  }
  if (source instanceof ReadableStream) {
    return await readStream(source, onPacket, { name: "<stream>", ...options });
  }
  if (typeof (source as Partial<PositionalSource>)?.readAt !== "function") {
    throw new TypeError(
      "forEachPacket() reads a Uint8Array, a ReadableStream or an object with readAt(); " +
        "to read a file by its path use forEachPacketInFile() from @mxy/mxy/deno",
    );
  }
  return await readPositional(source, onPacket, { name: "<stream>", ...options });
}

/** Reads a positional source: straight into the buffer, or through gunzip when compressed. */
async function readPositional(
  source: PositionalSource,
  onPacket: PacketCallback,
  options: ReadOptions & { name: string },
): Promise<ReadSummary> {
  const name = options.name;
  const readAt = async (into: Uint8Array, position: number): Promise<number> => {
    try {
      return await source.readAt(into, position);
    } catch (err) {
      throw new PcapError("read-failed", `Cannot read capture: ${errorText(err)}`, {
        file: name,
        offset: position,
        cause: err,
      });
    }
  };
  const head = new Uint8Array(2);
  if (isGzip(head.subarray(0, await readAt(head, 0)))) {
    let position = 0;
    const chunk = Math.max(MIN_CHUNK, options.chunkSize ?? DEFAULT_CHUNK);
    const compressed = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const into = new Uint8Array(chunk);
        const n = await readAt(into, position);
        position += n;
        if (n === 0) controller.close();
        else controller.enqueue(into.subarray(0, n));
      },
    });
    return await readStream(compressed, onPacket, options);
  }
  let position = 0;
  return await readPulled(
    async (into) => {
      const n = await readAt(into, position);
      position += n;
      return n;
    },
    onPacket,
    options,
  );
}

/** Reads a stream of chunks, decompressing it when its first bytes are the gzip magic. */
async function readStream(
  stream: ReadableStream<Uint8Array>,
  onPacket: PacketCallback,
  options: ReadOptions & { name: string },
): Promise<ReadSummary> {
  const name = options.name;
  let reader = stream.getReader();
  let pending: Uint8Array = EMPTY;
  let first = true;
  let gzip = false;
  let consumed = 0;
  const pull = async (into: Uint8Array): Promise<number> => {
    while (pending.length === 0) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (err) {
        throw new PcapError(
          gzip ? "bad-compression" : "read-failed",
          `Cannot read capture ${gzip ? "(gzip) " : ""}stream: ${errorText(err)}`,
          { file: name, offset: consumed, cause: err },
        );
      }
      if (r.done) return 0;
      pending = r.value;
      if (first && pending.length > 0) {
        first = false;
        if (isGzip(pending)) {
          // put the chunk back in front of the rest and decompress the whole stream
          gzip = true;
          const rest = reader, head = pending;
          pending = EMPTY;
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
          const gunzip = new DecompressionStream("gzip") as unknown as ReadableWritablePair<
            Uint8Array,
            Uint8Array
          >;
          reader = replay.pipeThrough(gunzip).getReader();
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
    const s = await readPulled(pull, onPacket, options);
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
  onPacket: PacketCallback,
  options: ReadOptions & { name: string },
): Promise<ReadSummary> {
  const p = newParser(options.name, onPacket, options);
  const limit = p.maxRecord + RECORD_HEADER_SLACK;
  let buf = new Uint8Array(Math.max(MIN_CHUNK, options.chunkSize ?? DEFAULT_CHUNK));
  let start = 0, end = 0, base = 0;
  while (!p.stopped) {
    if (start > 0) {
      options.onRefill?.();
      buf.copyWithin(0, start, end);
      base += start;
      end -= start;
      start = 0;
    }
    if (end === buf.length) {
      // one incomplete record fills the buffer: grow, within the limit
      if (buf.length >= limit) {
        throw new PcapError(
          "buffer-limit",
          `Record larger than the buffer limit of ${p.maxRecord} bytes`,
          { file: p.name, offset: base, packets: p.packets },
        );
      }
      const grown = new Uint8Array(Math.min(buf.length * 2, limit));
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
      throw new PcapError("truncated-header", "Capture is empty", { file: p.name, offset: 0 });
    }
    start = p.parse(buf, start, end, base, true);
  }
  finish(p, options.strict ?? false);
  const summary = summarize(p, "stream", base + start);
  summary.bufferBytes = buf.length;
  return summary;
}
