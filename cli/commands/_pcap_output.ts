/**
 * Where the `mxy pcap` commands' records and statistics go: a buffer that hands large chunks to
 * standard output or an output file, and the final statistics on standard error.
 *
 * @module
 */
import { writeSync } from "../_io.ts";
import type { Logger } from "./_pcap_logger.ts";

const encoder = new TextEncoder();

/**
 * Gathers text and hands it to a sink in large chunks; {@linkcode OutputBuffer.flush} sends
 * what is left (call it on exit and on SIGINT/SIGTERM).
 */
export class OutputBuffer {
  #sink: (bytes: Uint8Array) => void;
  #parts: string[] = [];
  #size = 0;
  #limit: number;
  #bytes: Uint8Array;
  #bytesUsed = 0;
  /** UTF-16 code units handed to the sink so far. */
  written = 0;

  /**
   * @param sink Receives the encoded chunks.
   * @param bufferBytes Text gathered before it is handed to the sink (default 65,536).
   */
  constructor(sink: (bytes: Uint8Array) => void, bufferBytes = 65_536) {
    this.#sink = sink;
    this.#limit = bufferBytes;
    this.#bytes = new Uint8Array(bufferBytes);
  }

  /**
   * Appends text; hands the buffer to the sink once it is full.
   *
   * @param text The text.
   */
  write(text: string): void {
    if (this.#bytesUsed > 0) this.#flushBytes();
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= this.#limit) this.flush();
  }

  /**
   * Appends bytes already encoded (UTF-8), after the text written before them; hands the
   * buffer to the sink once it is full.
   *
   * @param bytes The bytes (copied: valid during the call only).
   */
  writeBytes(bytes: Uint8Array): void {
    if (this.#size > 0) this.#flushText();
    if (this.#bytesUsed + bytes.length > this.#bytes.length) {
      this.#flushBytes();
      if (bytes.length >= this.#bytes.length) {
        this.#sink(bytes);
        return;
      }
    }
    this.#bytes.set(bytes, this.#bytesUsed);
    this.#bytesUsed += bytes.length;
  }

  /** Hands everything buffered to the sink. */
  flush(): void {
    this.#flushBytes();
    this.#flushText();
  }

  #flushBytes(): void {
    if (this.#bytesUsed === 0) return;
    this.#sink(this.#bytes.subarray(0, this.#bytesUsed));
    this.#bytesUsed = 0;
  }

  #flushText(): void {
    if (this.#size === 0) return;
    const text = this.#parts.join("");
    this.#parts = [];
    this.written += this.#size;
    this.#size = 0;
    this.#sink(encoder.encode(text));
  }
}

/**
 * Formats run statistics: one `name: value` per line.
 *
 * @param stats The counters.
 * @returns The text.
 */
export function formatStats(stats: Readonly<Record<string, number>>): string {
  let s = "";
  for (const [k, v] of Object.entries(stats)) s += `${k}: ${v}\n`;
  return s;
}

/**
 * Writes final statistics to standard error: `name: value` lines, or one JSON line with the
 * JSON log format.
 *
 * @param log The logger (for its format).
 * @param stats The counters.
 */
export function writeStats(log: Logger, stats: Record<string, number>): void {
  if (log.format === "json") {
    writeSync("stderr", JSON.stringify({ time: new Date().toISOString(), stats }) + "\n");
  } else writeSync("stderr", formatStats(stats));
}
