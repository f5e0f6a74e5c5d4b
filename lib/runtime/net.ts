/**
 * TCP sockets for mxy's services and clients: listening, accepting and connecting. Nothing else in
 * `lib/` touches the network directly. The streams and listeners are the
 * {@linkcode EtherByteStream} and {@linkcode EtherListener} the Ether cores take.
 *
 * @module
 */
import { deno } from "./_deno.ts";
import { parseIpInto } from "../core/ip.ts";
import type { EtherByteStream, EtherListener } from "../ether/mod.ts";

/**
 * A connected TCP stream (Nagle's algorithm off): reads into a buffer, writes all, closes. A
 * reset or closed connection reads as the end of the stream.
 *
 * @example
 * ```ts
 * import { connectTcp, listenTcp, type TcpStream } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const listener = listenTcp(0, { host: "127.0.0.1" });
 * const accepted = listener.accept();
 * const stream: TcpStream = await connectTcp("127.0.0.1", { port: listener.port });
 * assert.match(stream.remote, /^127\.0\.0\.1:\d+$/);
 * stream.close();
 * (await accepted)?.close();
 * listener.close();
 * ```
 */
export interface TcpStream extends EtherByteStream {
  /** The peer's address as `host:port`. */
  readonly remote: string;
}

/**
 * A listening TCP socket.
 *
 * @example
 * ```ts
 * import { listenTcp, type TcpListener } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const listener: TcpListener = listenTcp(0, { host: "127.0.0.1" });
 * const next = listener.accept();
 * listener.close();
 * assert.equal(await next, null);
 * ```
 */
export interface TcpListener extends EtherListener {
  /**
   * Waits for the next connection.
   *
   * @returns The connection, or `null` once the listener is closed.
   */
  accept(): Promise<TcpStream | null>;
}

class DenoStream implements TcpStream {
  #conn: Deno.TcpConn;
  #closed = false;
  readonly remote: string;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    try {
      conn.setNoDelay(true);
    } catch {
      // not fatal
    }
    const a = conn.remoteAddr;
    this.remote = `${a.hostname}:${a.port}`;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    if (this.#closed) return null;
    try {
      return await this.#conn.read(buffer);
    } catch (err) {
      if (this.#closed) return null;
      if (
        err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BadResource ||
        err instanceof Deno.errors.Interrupted || err instanceof Deno.errors.BrokenPipe
      ) return null;
      throw err;
    }
  }

  async writeAll(data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) done += await this.#conn.write(data.subarray(done));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
  }
}

class DenoListener implements TcpListener {
  #listener: Deno.TcpListener;
  #closed = false;
  readonly host: string;
  readonly port: number;

  constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
    const a = listener.addr as Deno.NetAddr;
    this.host = a.hostname;
    this.port = a.port;
  }

  async accept(): Promise<TcpStream | null> {
    while (!this.#closed) {
      try {
        return new DenoStream(await this.#listener.accept());
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return null;
        // transient accept failure (e.g. too many open files): retry after a pause
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    return null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Options for {@linkcode listenTcp}.
 *
 * @example
 * ```ts
 * import { listenTcp, type ListenTcpOptions } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const options: ListenTcpOptions = { host: "127.0.0.1" };
 * const listener = listenTcp(0, options);
 * assert.equal(listener.host, "127.0.0.1");
 * listener.close();
 * ```
 */
export interface ListenTcpOptions {
  /** The address to bind. Default `127.0.0.1`. */
  host?: string;
}

/**
 * Listens for TCP connections.
 *
 * @param port The port; 0 picks a free one (read it back from `listener.port`).
 * @param options The host to bind.
 * @returns The listener.
 * @example
 * ```ts
 * import { listenTcp } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const l = listenTcp(0);
 * assert.ok(l.port > 0);
 * l.close();
 * ```
 */
export function listenTcp(port: number, options: ListenTcpOptions = {}): TcpListener {
  const d = deno("listenTcp()");
  const host = options.host ?? "127.0.0.1";
  return new DenoListener(d.listen({ hostname: host, port, transport: "tcp" }));
}

/**
 * Options for {@linkcode connectTcp}.
 *
 * @example
 * ```ts
 * import { connectTcp, type ConnectTcpOptions, listenTcp } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const listener = listenTcp(0, { host: "127.0.0.1" });
 * const options: ConnectTcpOptions = { port: listener.port };
 * const stream = await connectTcp("127.0.0.1", options);
 * const accepted = (await listener.accept())!;
 * await stream.writeAll(new Uint8Array([42]));
 * const buf = new Uint8Array(1);
 * assert.equal(await accepted.read(buf), 1);
 * assert.equal(buf[0], 42);
 * stream.close();
 * accepted.close();
 * listener.close();
 * ```
 */
export interface ConnectTcpOptions {
  /** The port. */
  port: number;
}

/**
 * Opens a TCP connection.
 *
 * @param host The host name or address.
 * @param options The port.
 * @returns The connected stream.
 * @example
 * ```ts
 * import { connectTcp, listenTcp } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const l = listenTcp(0);
 * const accepted = l.accept();
 * const c = await connectTcp("127.0.0.1", { port: l.port });
 * const s = (await accepted)!;
 * await c.writeAll(new Uint8Array([7]));
 * const buf = new Uint8Array(1);
 * assert.equal(await s.read(buf), 1);
 * c.close(); s.close(); l.close();
 * ```
 */
export async function connectTcp(host: string, options: ConnectTcpOptions): Promise<TcpStream> {
  const d = deno("connectTcp()");
  return new DenoStream(
    await d.connect({ hostname: host, port: options.port, transport: "tcp" }),
  );
}

/**
 * Tells whether a host string is a loopback address (`127.0.0.0/8`, `::1`, `::ffff:127.0.0.0/104`).
 * A name is not judged by its text: `localhost` may resolve to anything, so it gives `false`
 * (`serveEther` checks the address a name was bound to instead).
 *
 * @param host The host.
 * @returns `true` for a loopback address.
 */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  const b = LOOPBACK_SCRATCH;
  const version = parseIpInto(h, b);
  if (version === 4) return b[0] === 127;
  if (version !== 6) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  if (b[10] === 0xff && b[11] === 0xff) return b[12] === 127; // ::ffff:127.0.0.0/104
  for (let i = 10; i < 15; i++) if (b[i] !== 0) return false;
  return b[15] === 1; // ::1
}

const LOOPBACK_SCRATCH = new Uint8Array(16);
