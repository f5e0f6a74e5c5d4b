/**
 * Reading captures by path: `-` for standard input, plain files read by position straight into
 * the reader's fixed buffer (the default: bounded memory, whatever the size), the whole file
 * read into memory, or memory-mapped when asked; gzip is decompressed on the fly in every mode.
 * The runtime-neutral readers over bytes and streams are in `@mxy/mxy/pcap`.
 *
 * @module
 */
import {
  type CaptureSource,
  correlateStream,
  type CorrelateStreamOptions,
  type Correlator,
  forEachPacket,
  type PacketCallback,
  PcapError,
  type ReadOptions,
  type ReadSummary,
  type SessionTable,
  trackFlows,
  type TrackFlowsOptions,
} from "../pcap/mod.ts";
import { openRandomAccess, openReadStream } from "./fs.ts";
import { mapFile } from "./mmap.ts";
import { RuntimeError } from "./runtime_error.ts";

/**
 * How a capture file is read:
 *
 * - `"stream"` (default): positional reads into the reader's buffer (`chunkSize`, 4 MiB), so
 *   memory stays bounded for a capture larger than memory. Packet bytes are valid only during
 *   the callback.
 * - `"read"`: the whole file read into one buffer first.
 * - `"mmap"`: the file mapped into memory (needs `--allow-ffi`); constant-time to open, and
 *   packet bytes stay valid as long as you hold them. A mapped file must not be truncated or
 *   rewritten in place while mapped (the process would die of SIGBUS): only map captures that
 *   are complete and replaced by renaming, never ones being written.
 */
export type CaptureFileMode = "stream" | "read" | "mmap";

/** Options for {@linkcode openCaptureFile}. */
export interface OpenCaptureFileOptions {
  /** How to read the file (default `"stream"`); standard input is always streamed. */
  mode?: CaptureFileMode;
}

/** A capture file opened for reading: give its `source` to any reader of `@mxy/mxy/pcap`. */
export interface CaptureFile {
  /** What to read: a positional source, bytes (read or mapped) or standard input's stream. */
  readonly source: CaptureSource;
  /** How the file is read. */
  readonly mode: CaptureFileMode;
  /** The path, as given (`-` for standard input). */
  readonly path: string;
  /** Closes the file (a no-op for bytes; a mapping is released by the garbage collector). */
  close(): void;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Opens a capture file for the readers of `@mxy/mxy/pcap`: `-` is standard input.
 *
 * @param path The file, or `-` for standard input.
 * @param options {@linkcode OpenCaptureFileOptions}.
 * @returns The opened {@linkcode CaptureFile}; close it when done.
 * @throws {PcapError} `read-failed` when the file cannot be opened (the cause says why).
 * @throws {RuntimeError} `permission` for `mode: "mmap"` without `--allow-ffi`;
 *   `unsupported-runtime` outside Deno.
 * @example
 * ```ts
 * import { openCaptureFile } from "@mxy/mxy/deno";
 * import { forEachPacket, PcapWriter } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter();
 * w.writePacket(new Uint8Array(60));
 * const path = await Deno.makeTempFile({ suffix: ".pcap" });
 * await Deno.writeFile(path, w.toBytes());
 * const file = await openCaptureFile(path);
 * try {
 *   const summary = await forEachPacket(file.source, () => {}, { name: path });
 *   assert.equal(summary.packets, 1);
 * } finally {
 *   file.close();
 * }
 * await Deno.remove(path);
 * ```
 */
export async function openCaptureFile(
  path: string,
  options: OpenCaptureFileOptions = {},
): Promise<CaptureFile> {
  const mode = options.mode ?? "stream";
  if (mode !== "stream" && mode !== "read" && mode !== "mmap") {
    throw new TypeError(`Unknown capture file mode "${mode}": use stream, read or mmap`);
  }
  try {
    if (path === "-") {
      const stream = await openReadStream("-");
      return { source: stream, mode: "stream", path, close: () => {} };
    }
    if (mode === "stream") {
      const file = await openRandomAccess(path);
      return { source: file, mode, path, close: () => file.close() };
    }
    const mapped = await mapFile(path, { mode });
    return { source: mapped.bytes, mode: mapped.mode, path, close: () => {} };
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new PcapError("read-failed", `Cannot open capture: ${errorText(err)}`, {
      file: path,
      cause: err,
    });
  }
}

/** Opens a file, runs `read` on its source, closes it; names the input after the path. */
async function withCaptureFile(
  path: string,
  mode: CaptureFileMode | undefined,
  read: (source: CaptureSource, name: string) => Promise<ReadSummary>,
): Promise<ReadSummary> {
  const file = await openCaptureFile(path, { mode });
  try {
    const summary = await read(file.source, path);
    if (summary.mode === "bytes") summary.mode = file.mode;
    return summary;
  } finally {
    file.close();
  }
}

/** Options for {@linkcode forEachPacketInFile}. */
export interface ReadCaptureFileOptions extends ReadOptions {
  /** How to read the file (default `"stream"`); see {@linkcode CaptureFileMode}. */
  mode?: CaptureFileMode;
}

/**
 * Reads every packet of a capture file (pcap or pcapng, plain or gzip; `-` for standard input),
 * calling back with one reusable `PacketView`. By default the file is read by position through
 * one fixed buffer, so the view's bytes are valid only during the callback: copy what you keep
 * with `.slice()`.
 *
 * @param path The file, or `-` for standard input.
 * @param onPacket Called per packet; return `false` to stop.
 * @param options {@linkcode ReadCaptureFileOptions}.
 * @returns The reader's summary (`mode` says how the file was read).
 * @throws {PcapError} When the file cannot be opened or read, or is damaged.
 * @example
 * ```ts
 * import { forEachPacketInFile } from "@mxy/mxy/deno";
 * import { PcapWriter } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ nanos: true });
 * w.writePacket(new Uint8Array(60), { tsSec: 1, tsNsec: 2 });
 * const path = await Deno.makeTempFile({ suffix: ".pcap" });
 * await Deno.writeFile(path, w.toBytes());
 * const times: string[] = [];
 * const summary = await forEachPacketInFile(path, (v) => {
 *   times.push(`${v.tsSec}.${v.tsNsec}`);
 * });
 * assert.deepEqual(times, ["1.2"]);
 * assert.equal(summary.mode, "stream");
 * await Deno.remove(path);
 * ```
 */
export async function forEachPacketInFile(
  path: string,
  onPacket: PacketCallback,
  options: ReadCaptureFileOptions = {},
): Promise<ReadSummary> {
  return await withCaptureFile(
    path,
    options.mode,
    (source, name) => forEachPacket(source, onPacket, { name, ...options }),
  );
}

/** Options for {@linkcode correlateFile}. */
export interface CorrelateFileOptions extends CorrelateStreamOptions {
  /** How to read the file (default `"stream"`). */
  mode?: CaptureFileMode;
}

/**
 * Feeds every packet of a capture file to a correlator, as `correlateStream` of
 * `@mxy/mxy/pcap` does for bytes and streams. Call `finish()` on the correlator at the end.
 *
 * @param path The file, or `-` for standard input.
 * @param correlator The correlator.
 * @param options {@linkcode CorrelateFileOptions}.
 * @returns The reader's summary.
 * @throws {PcapError} When the file cannot be opened or read, or is damaged.
 * @example
 * ```ts
 * import { correlateFile } from "@mxy/mxy/deno";
 * import { Correlator, PcapWriter, TcpFlag } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ nanos: true });
 * const syn = { proto: "tcp" as const, tcpFlags: TcpFlag.SYN };
 * w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 9, dstPort: 80, ...syn }), {
 *   tsNsec: 0,
 * });
 * w.writePacket(
 *   buildPacket({ src: "10.0.0.2", dst: "10.0.0.1", srcPort: 80, dstPort: 9, ...syn, tcpFlags: 0x12 }),
 *   { tsNsec: 700 },
 * );
 * const path = await Deno.makeTempFile({ suffix: ".pcap" });
 * await Deno.writeFile(path, w.toBytes());
 * const c = new Correlator({ mode: "tcp-handshake" });
 * await correlateFile(path, c);
 * assert.equal(c.finish().matched, 1);
 * await Deno.remove(path);
 * ```
 */
export async function correlateFile(
  path: string,
  correlator: Correlator,
  options: CorrelateFileOptions = {},
): Promise<ReadSummary> {
  return await withCaptureFile(
    path,
    options.mode,
    (source, name) =>
      correlateStream(source, correlator, { ...options, read: { name, ...options.read } }),
  );
}

/** Options for {@linkcode trackFlowsInFile}. */
export interface TrackFlowsInFileOptions extends TrackFlowsOptions {
  /** How to read the file (default `"stream"`). */
  mode?: CaptureFileMode;
}

/**
 * Feeds every packet of a capture file to a session table, as `trackFlows` of `@mxy/mxy/pcap`
 * does for bytes and streams. Call `finish()` on the table at the end.
 *
 * @param path The file, or `-` for standard input.
 * @param table The session table.
 * @param options {@linkcode TrackFlowsInFileOptions}.
 * @returns The reader's summary.
 * @throws {PcapError} When the file cannot be opened or read, or is damaged.
 * @example
 * ```ts
 * import { trackFlowsInFile } from "@mxy/mxy/deno";
 * import { PcapWriter, SessionTable } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter();
 * w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5, dstPort: 53 }));
 * const path = await Deno.makeTempFile({ suffix: ".pcap" });
 * await Deno.writeFile(path, w.toBytes());
 * const table = new SessionTable();
 * await trackFlowsInFile(path, table);
 * assert.equal(table.finish().sessions, 1);
 * await Deno.remove(path);
 * ```
 */
export async function trackFlowsInFile(
  path: string,
  table: SessionTable,
  options: TrackFlowsInFileOptions = {},
): Promise<ReadSummary> {
  return await withCaptureFile(
    path,
    options.mode,
    (source, name) => trackFlows(source, table, { ...options, read: { name, ...options.read } }),
  );
}
