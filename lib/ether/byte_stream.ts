/**
 * What the Ether server and client cores need from the transport: a connected byte stream and a
 * listener that accepts them. Runtime adapters implement them (`serveEther` and `connectEther` of
 * `@mxy/mxy/deno` with TCP sockets); anything else that moves bytes in order does too — a pair of
 * in-memory pipes, a Node socket, a WebSocket wrapped in a few lines.
 *
 * @module
 */

/**
 * A connected, ordered, reliable byte stream (a TCP connection, a pipe).
 *
 * @example
 * ```ts
 * import type { EtherByteStream } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * // a stream that reads "hi" once, then reports its end
 * let sent = false;
 * const stream: EtherByteStream = {
 *   read(buffer) {
 *     if (sent) return Promise.resolve(null);
 *     sent = true;
 *     buffer.set([104, 105]);
 *     return Promise.resolve(2);
 *   },
 *   writeAll: () => Promise.resolve(),
 *   close() {},
 * };
 * const buf = new Uint8Array(8);
 * assert.equal(await stream.read(buf), 2);
 * assert.equal(await stream.read(buf), null);
 * ```
 */
export interface EtherByteStream {
  /**
   * Reads what is available into `buffer` (at least one byte, waiting for it).
   *
   * @param buffer Where to put the bytes.
   * @returns How many bytes were read, or `null` at the end of the stream (closed by either side,
   *   or reset by the peer).
   */
  read(buffer: Uint8Array): Promise<number | null>;
  /**
   * Writes all of `data`; the caller may reuse `data` once the promise settles.
   *
   * @param data The bytes.
   * @returns A promise that settles once every byte was handed to the transport; it rejects when
   *   the stream is closed or broken.
   */
  writeAll(data: Uint8Array): Promise<void>;
  /** Closes the stream (both directions); a pending read resolves to `null`. Safe to call twice. */
  close(): void;
  /** The peer's address for log lines (`host:port`), when the transport has one. */
  readonly remote?: string;
}

/**
 * A source of incoming connections (a listening TCP socket).
 *
 * @example
 * ```ts
 * import type { EtherByteStream, EtherListener } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * // a listener that never gets a connection and ends when closed
 * let stop = () => {};
 * const listener: EtherListener = {
 *   host: "memory",
 *   port: 0,
 *   accept: () => new Promise<EtherByteStream | null>((resolve) => (stop = () => resolve(null))),
 *   close: () => stop(),
 * };
 * const next = listener.accept();
 * listener.close();
 * assert.equal(await next, null);
 * ```
 */
export interface EtherListener {
  /**
   * Waits for the next connection.
   *
   * @returns The connection, or `null` once the listener is closed.
   */
  accept(): Promise<EtherByteStream | null>;
  /** Stops listening; a pending `accept` resolves to `null`. Safe to call twice. */
  close(): void;
  /** The bound host (for messages). */
  readonly host: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
}
