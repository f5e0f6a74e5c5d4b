/**
 * The Ether client core: talks to a server (mxy's or the reference C one) over any
 * {@linkcode EtherByteStream}: ping it, allocate remote memory blocks that keep a local mirror,
 * and query databases. Requests may be issued concurrently on one client: they are pipelined and
 * answered in order. `connectEther` of `@mxy/mxy/deno` opens one over TCP.
 *
 * @module
 */
import { FrameReader } from "./_frame_reader.ts";
import { printable } from "./_printable.ts";
import {
  FIELD_COMMAND,
  FIELD_FLAGS,
  FIELD_HANDLE,
  FIELD_MAGIC,
  FIELD_RESERVED,
  FIELD_SIZE,
  FIELD_VERSION,
} from "./_header_fields.ts";
import type { EtherByteStream } from "./byte_stream.ts";
import { EtherError, type EtherErrorCode, etherErrorName } from "./ether_error.ts";
import {
  decodeEtherCapabilities,
  ETHER_HEADER_SIZE,
  ETHER_MAGIC,
  ETHER_MAX_PAYLOAD,
  ETHER_VERSION,
  type EtherCapabilities,
  EtherCapability,
  EtherCommand,
  etherCommandName,
  EtherFlag,
  etherHeaderProblem,
  etherSizeIsLength,
} from "./protocol.ts";

/**
 * Options for {@linkcode EtherClient} and {@linkcode EtherClient.open}.
 *
 * @example
 * ```ts
 * import { EtherClient, type EtherClientOptions, EtherServer } from "@mxy/mxy/ether";
 * import { connectTcp, listenTcp } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const server = new EtherServer();
 * server.listen(listenTcp(0, { host: "127.0.0.1" }));
 * const options: EtherClientOptions = { address: `127.0.0.1:${server.port}`, timeout: 2000 };
 * const client = await EtherClient.open(await connectTcp("127.0.0.1", { port: server.port }), options);
 * assert.equal(client.address, options.address);
 * client.close();
 * await server.close();
 * ```
 */
export interface EtherClientOptions {
  /** The server's address (`host:port`), for messages. Default `"the server"`. */
  address?: string;
  /** The server's token, sent with AUTH as the first request by {@linkcode EtherClient.open}. */
  token?: string;
  /** How long one request may wait for its reply, in ms; 0 waits forever. Default 10000. */
  timeout?: number;
  /**
   * Use the reference framing even if the server offers more: {@linkcode EtherClient.open} skips
   * the capability negotiation (for interoperability tests).
   */
  legacy?: boolean;
}

/**
 * A reply: its header fields and payload.
 *
 * @example
 * ```ts
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import { EtherCommand, type EtherReply } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * const reply: EtherReply = await client.request(EtherCommand.STATS);
 * assert.equal(reply.command, EtherCommand.OK);
 * assert.equal(JSON.parse(new TextDecoder().decode(reply.payload)).connections, 1);
 * client.close();
 * await server.close();
 * ```
 */
export interface EtherReply {
  /** The reply's command (OK, PONG). */
  command: number;
  /** The reply's handle. */
  handle: bigint;
  /** The reply's payload. */
  payload: Uint8Array;
}

/**
 * Options for {@linkcode EtherClient.request}.
 *
 * @example
 * ```ts
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import { EtherCommand, type EtherRequestOptions } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * const { handle } = await client.request(EtherCommand.ALLOC, { size: 4 });
 * const write: EtherRequestOptions = { handle, payload: new Uint8Array([1, 2]) };
 * await client.request(EtherCommand.WRITE, write);
 * const read = await client.request(EtherCommand.READ, { handle, size: 2 });
 * assert.deepEqual([...read.payload], [1, 2]);
 * client.close();
 * await server.close();
 * ```
 */
export interface EtherRequestOptions {
  /** The handle field. Default 0. */
  handle?: bigint;
  /** The size field for ALLOC, REALLOC and READ (a length). */
  size?: number;
  /** The payload for other commands (its length becomes `size`). */
  payload?: Uint8Array;
  /** Extra flag bits. */
  flags?: number;
}

interface Pending {
  command: number;
  resolve: (r: EtherReply) => void;
  reject: (e: Error) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A client of an Ether server over one byte stream. {@linkcode EtherClient.open} authenticates
 * and negotiates capabilities; `connectEther` of `@mxy/mxy/deno` connects over TCP first.
 *
 * @example
 * ```ts
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import { VERSION } from "@mxy/mxy";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * assert.equal(client.capabilities?.software, `mxy/${VERSION}`);
 * const block = await client.alloc(4);
 * await block.write(new Uint8Array([1, 2, 3, 4]));
 * assert.deepEqual([...await block.read()], [1, 2, 3, 4]);
 * client.close();
 * await server.close();
 * ```
 */
export class EtherClient {
  #stream: EtherByteStream;
  #reader: FrameReader;
  #pending: Pending[] = [];
  #head = 0;
  #writeQueue: Uint8Array[] = [];
  #writing = false;
  /** Requests fully sent whose reply has not been read yet. */
  #inFlight = 0;
  #wakeReader: (() => void) | null = null;
  #headSeen: Pending | null = null;
  #headSince = 0;
  #closed = false;
  #failure: EtherError | null = null;
  #timeout: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #caps: EtherCapabilities | null = null;
  #noPayload = false;
  #errorMessages = false;
  /** The server's address (`host:port`), for messages. */
  readonly address: string;

  /**
   * Starts a client on a connected stream, in the reference framing, without AUTH or
   * negotiation (see {@linkcode EtherClient.open} for both).
   *
   * @param stream The connection to the server; the client closes it when closed.
   * @param options Address for messages and request timeout.
   */
  constructor(stream: EtherByteStream, options: EtherClientOptions = {}) {
    this.#stream = stream;
    this.#reader = new FrameReader(stream, 128 * 1024, 16 * 1024);
    this.address = options.address ?? "the server";
    const timeout = this.#timeout = options.timeout ?? 10_000;
    if (timeout > 0) {
      this.#timer = setInterval(
        () => this.#checkTimeout(),
        Math.max(20, Math.min(1000, timeout / 4)),
      );
    }
    this.#readLoop().catch((err) => this.#fail("network", `${err}`));
  }

  /**
   * Starts a client on a connected stream: sends AUTH when a token is given, then negotiates
   * capabilities ({@linkcode EtherClient.negotiate}), falling back to the reference framing
   * against a server that announces none. On failure the stream is closed.
   *
   * @param stream The connection to the server.
   * @param options Token, timeout, address for messages, legacy framing.
   * @returns The client, ready for requests.
   * @throws {EtherError} `auth-failed` for a refused token, `network` or `timeout` when the
   *   server does not answer.
   * @example
   * ```ts
   * import { connectTcp, serveEther } from "@mxy/mxy/deno";
   * import { EtherClient } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0, token: "s3cret" });
   * const stream = await connectTcp("127.0.0.1", { port: server.port });
   * const client = await EtherClient.open(stream, { token: "s3cret" });
   * assert.equal(typeof (await client.ping()), "number");
   * client.close();
   * await server.close();
   * ```
   */
  static async open(
    stream: EtherByteStream,
    options: EtherClientOptions = {},
  ): Promise<EtherClient> {
    const client = new EtherClient(stream, options);
    try {
      if (options.token !== undefined) {
        await client.request(EtherCommand.AUTH, { payload: encoder.encode(options.token) });
      }
      if (!options.legacy) await client.negotiate();
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** What the server announced, or `null` for a reference server (legacy framing). */
  get capabilities(): EtherCapabilities | null {
    return this.#caps;
  }

  /** Whether the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Asks the server for its capabilities (PING with the CAPABILITIES flag) and switches to the
   * short framing when it supports it. Called by {@linkcode EtherClient.open}.
   *
   * @returns The capabilities, or `null` against a reference server.
   * @example
   * ```ts
   * import { connectTcp, serveEther } from "@mxy/mxy/deno";
   * import { EtherClient, EtherCapability } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = new EtherClient(await connectTcp("127.0.0.1", { port: server.port }));
   * const caps = await client.negotiate();
   * assert.ok(caps !== null && (caps.bits & EtherCapability.NO_PAYLOAD) !== 0);
   * client.close();
   * await server.close();
   * ```
   */
  async negotiate(): Promise<EtherCapabilities | null> {
    let reply: EtherReply;
    try {
      reply = await this.request(EtherCommand.PING, { flags: EtherFlag.CAPABILITIES });
    } catch (err) {
      if (
        err instanceof EtherError &&
        (err.code === "invalid-request" || err.code === "unknown-command")
      ) {
        return null; // a server that refuses the flag: stay with the legacy framing
      }
      throw err;
    }
    const caps = reply.command === EtherCommand.PONG
      ? decodeEtherCapabilities(reply.payload)
      : null;
    if (caps) caps.software = printable(caps.software);
    this.#caps = caps;
    this.#noPayload = caps !== null && (caps.bits & EtherCapability.NO_PAYLOAD) !== 0;
    this.#errorMessages = caps !== null && (caps.bits & EtherCapability.ERROR_MESSAGE) !== 0;
    return caps;
  }

  #checkTimeout(): void {
    if (this.#head >= this.#pending.length) {
      this.#headSeen = null;
      return;
    }
    // the oldest unanswered request, and since when this check has seen it there
    const p = this.#pending[this.#head];
    const now = performance.now();
    if (p !== this.#headSeen) {
      this.#headSeen = p;
      this.#headSince = now;
      return;
    }
    if (now - this.#headSince > this.#timeout) {
      this.#fail(
        "timeout",
        `${etherCommandName(p.command)} to ${this.address} got no reply within ${this.#timeout} ms`,
      );
    }
  }

  #fail(code: EtherErrorCode | EtherError, message = ""): void {
    if (!this.#failure) {
      this.#failure = code instanceof EtherError ? code : new EtherError(code, message);
    }
    const err = this.#failure;
    const pending = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    for (const p of pending) p.reject(err);
    this.#shutdown();
  }

  #shutdown(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#stream.close();
    this.#wakeReader?.();
  }

  async #readLoop(): Promise<void> {
    const r = this.#reader;
    for (;;) {
      // Read only while a sent request awaits its reply: a read kept pending during writes slows
      // every round trip down (measured with Deno 2.9 over loopback).
      if (this.#inFlight === 0 && r.buffered === 0) {
        await new Promise<void>((resolve) => (this.#wakeReader = resolve));
        this.#wakeReader = null;
        if (this.#closed) return;
      }
      const hb = await r.readExact(ETHER_HEADER_SIZE);
      if (!hb) {
        if (!this.#closed || this.#head < this.#pending.length) {
          this.#fail("network", `Connection to ${this.address} closed by the server`);
        }
        return;
      }
      const v = new DataView(hb.buffer, hb.byteOffset, ETHER_HEADER_SIZE);
      const magic = v.getUint32(FIELD_MAGIC);
      const version = hb[FIELD_VERSION];
      const command = hb[FIELD_COMMAND];
      const handle = v.getBigUint64(FIELD_HANDLE);
      const size = v.getUint32(FIELD_SIZE);
      const reserved = v.getInt32(FIELD_RESERVED);
      const bad = etherHeaderProblem(magic, version, size, ETHER_MAX_PAYLOAD);
      if (bad) {
        this.#fail("corrupt", `Reply from ${this.address} has a bad header: ${bad}`);
        return;
      }
      let payload: Uint8Array = new Uint8Array(0);
      if (size > 0) {
        const p = await r.readExact(size);
        if (!p) {
          this.#fail(
            "network",
            `Connection to ${this.address} closed in the middle of a reply`,
          );
          return;
        }
        payload = r.owns(p) ? p : p.slice();
      }
      const pending = this.#head < this.#pending.length ? this.#pending[this.#head] : null;
      if (!pending) {
        // an unsolicited ERROR (timeout, busy) before the server closes
        const why = command === EtherCommand.ERROR
          ? etherErrorName(reserved)
          : etherCommandName(command);
        const message = `Server ${this.address} sent ${why} without a request`;
        this.#fail(
          command === EtherCommand.ERROR
            ? EtherError.fromWire(reserved, message)
            : new EtherError("corrupt", message),
        );
        return;
      }
      this.#head++;
      if (this.#inFlight > 0) this.#inFlight--;
      if (this.#head === this.#pending.length) {
        this.#pending.length = 0;
        this.#head = 0;
      } else if (this.#head > 1024) {
        this.#pending = this.#pending.slice(this.#head);
        this.#head = 0;
      }
      if (command === EtherCommand.ERROR) {
        // the server's words are escaped: they end up in terminals and logs
        const text = payload.length > 0
          ? printable(decoder.decode(payload))
          : reserved === 0
          ? "ERROR without an error code"
          : etherErrorName(reserved);
        pending.reject(
          EtherError.fromWire(
            reserved,
            `${etherCommandName(pending.command)} failed on ${this.address}: ${text}`,
          ),
        );
      } else {
        pending.resolve({ command, handle, payload });
      }
    }
  }

  #send(data: Uint8Array): void {
    if (this.#writing) {
      this.#writeQueue.push(data);
      return;
    }
    this.#writing = true;
    this.#drain(data).catch((err) => {
      this.#writing = false;
      this.#fail(
        "network",
        `Sending to ${this.address} failed: ${err instanceof Error ? err.message : err}`,
      );
    });
  }

  async #drain(first: Uint8Array): Promise<void> {
    let next: Uint8Array | undefined = first;
    while (next) {
      await this.#stream.writeAll(next);
      this.#inFlight++;
      this.#wakeReader?.();
      next = this.#writeQueue.length > 0 ? this.#writeQueue.shift() : undefined;
    }
    this.#writing = false;
  }

  /**
   * Sends one request and waits for its reply. ERROR replies reject with {@linkcode EtherError}.
   *
   * @param command The command code.
   * @param options Handle, size or payload, flags.
   * @returns The reply.
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import { EtherCommand } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * assert.equal((await client.request(EtherCommand.PING)).command, EtherCommand.PONG);
   * const alloc = await client.request(EtherCommand.ALLOC, { size: 16 });
   * assert.notEqual(alloc.handle, 0n);
   * client.close();
   * await server.close();
   * ```
   */
  request(command: number, options: EtherRequestOptions = {}): Promise<EtherReply> {
    if (this.#closed) {
      return Promise.reject(
        this.#failure ??
          new EtherError("network", `Connection to ${this.address} is closed`),
      );
    }
    const lengthCmd = etherSizeIsLength(command);
    let flags = options.flags ?? 0;
    if (this.#errorMessages) flags |= EtherFlag.ERROR_MESSAGE;
    let size: number;
    let body: number; // bytes after the header
    if (lengthCmd) {
      size = options.size ?? 0;
      if (this.#noPayload) {
        flags |= EtherFlag.NO_PAYLOAD;
        body = 0;
      } else {
        body = size; // legacy framing: `size` meaningless bytes follow
      }
    } else {
      size = options.payload?.length ?? 0;
      body = size;
    }
    if (size > ETHER_MAX_PAYLOAD || size < 0 || !Number.isInteger(size)) {
      return Promise.reject(
        new RangeError(
          `${etherCommandName(command)} size ${size} is outside 0 … ${ETHER_MAX_PAYLOAD}`,
        ),
      );
    }
    const out = new Uint8Array(ETHER_HEADER_SIZE + body);
    const v = new DataView(out.buffer, 0, ETHER_HEADER_SIZE);
    v.setUint32(FIELD_MAGIC, ETHER_MAGIC);
    out[FIELD_VERSION] = ETHER_VERSION;
    out[FIELD_COMMAND] = command;
    v.setUint16(FIELD_FLAGS, flags);
    v.setBigUint64(FIELD_HANDLE, BigInt.asUintN(64, options.handle ?? 0n));
    v.setUint32(FIELD_SIZE, size);
    if (!lengthCmd && options.payload) out.set(options.payload, ETHER_HEADER_SIZE);
    return new Promise<EtherReply>((resolve, reject) => {
      this.#pending.push({ command, resolve, reject });
      this.#send(out);
    });
  }

  /**
   * PING → PONG.
   *
   * @returns The round-trip time in milliseconds.
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const ms = await client.ping();
   * assert.ok(ms >= 0);
   * client.close();
   * await server.close();
   * ```
   */
  async ping(): Promise<number> {
    const t = performance.now();
    await this.request(EtherCommand.PING);
    return performance.now() - t;
  }

  /**
   * Allocates a remote block of `size` zeroed bytes.
   *
   * @param size Bytes wanted.
   * @returns The remote buffer (its mirror starts zeroed too).
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const block = await client.alloc(64);
   * assert.equal(block.size, 64);
   * assert.deepEqual(await block.read(), new Uint8Array(64)); // zeroed
   * client.close();
   * await server.close();
   * ```
   */
  async alloc(size: number): Promise<RemoteBuffer> {
    const r = await this.request(EtherCommand.ALLOC, { size });
    return new RemoteBuffer(this, r.handle, size);
  }

  /**
   * Re-attaches to a block by handle (e.g. one allocated earlier on this connection).
   *
   * @param handle The block's handle.
   * @param size Its size, for the mirror.
   * @returns The remote buffer.
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const block = await client.alloc(2);
   * await block.write(new Uint8Array([5, 6]));
   * const same = client.buffer(block.handle, 2);
   * assert.deepEqual([...await same.read()], [5, 6]);
   * client.close();
   * await server.close();
   * ```
   */
  buffer(handle: bigint, size: number): RemoteBuffer {
    return new RemoteBuffer(this, handle, size);
  }

  /**
   * Opens a database file from the server's `--db-dir`.
   *
   * @param path Its path relative to the server's database folder.
   * @returns The database handle.
   * @example
   * ```ts
   * import { DatabaseBuilder } from "@mxy/mxy/db";
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const dir = await Deno.makeTempDir();
   * const builder = new DatabaseBuilder();
   * builder.add("198.51.100.0/24", { owner: "lab" });
   * await Deno.writeFile(`${dir}/lab.mxy`, builder.build());
   * const server = await serveEther({ host: "127.0.0.1", port: 0, databaseDir: dir });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const db = await client.openDatabase("lab.mxy");
   * assert.equal((await client.query(db, "198.51.100.1") as { data: { owner: string } }).data.owner, "lab");
   * client.close();
   * await server.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async openDatabase(path: string): Promise<bigint> {
    return (await this.request(EtherCommand.DB_OPEN, { payload: encoder.encode(path) })).handle;
  }

  /**
   * Uploads database bytes (ALLOC + WRITE + DB_LOAD), frees the upload block and returns the
   * database handle.
   *
   * @param bytes The `.mxy` / `.mmdb` bytes.
   * @returns The database handle.
   * @example
   * ```ts
   * import { DatabaseBuilder } from "@mxy/mxy/db";
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const builder = new DatabaseBuilder();
   * builder.add("203.0.113.0/24", { tag: "uploaded" });
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const db = await client.loadDatabase(builder.build());
   * assert.equal(
   *   await client.queryJson(db, "203.0.113.5"),
   *   '{"kind":"ip","data":{"tag":"uploaded"},"network":"203.0.113.0/24","prefixLength":24}',
   * );
   * client.close();
   * await server.close();
   * ```
   */
  async loadDatabase(bytes: Uint8Array): Promise<bigint> {
    const buf = await this.alloc(bytes.length);
    try {
      await buf.write(bytes);
      return (await this.request(EtherCommand.DB_LOAD, { handle: buf.handle })).handle;
    } finally {
      await buf.free().catch(() => {});
    }
  }

  /**
   * Looks a query up in a database and returns the reply's JSON text.
   *
   * @param db The database handle; `0n` is the server's preloaded database.
   * @param query The query (an IP address, …).
   * @returns JSON text (`null` when nothing matches).
   * @example
   * ```ts
   * import { DatabaseBuilder } from "@mxy/mxy/db";
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const builder = new DatabaseBuilder();
   * builder.add("203.0.113.0/24", { n: 2n ** 64n - 1n });
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const db = await client.loadDatabase(builder.build());
   * // 64-bit integers keep every digit in the JSON text
   * assert.match(await client.queryJson(db, "203.0.113.5"), /"n":18446744073709551615/);
   * assert.equal(await client.queryJson(db, "192.0.2.1"), "null");
   * client.close();
   * await server.close();
   * ```
   */
  async queryJson(db: bigint, query: string): Promise<string> {
    const r = await this.request(EtherCommand.DB_QUERY, {
      handle: db,
      payload: encoder.encode(query),
    });
    return decoder.decode(r.payload);
  }

  /**
   * Looks a query up in a database.
   *
   * @param db The database handle; `0n` is the server's preloaded database.
   * @param query The query.
   * @returns The parsed JSON result, `null` when nothing matches.
   * @example
   * ```ts
   * import { DatabaseBuilder } from "@mxy/mxy/db";
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const builder = new DatabaseBuilder();
   * builder.add("203.0.113.0/24", { tag: "x" });
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const db = await client.loadDatabase(builder.build());
   * assert.deepEqual(await client.query(db, "203.0.113.5"), {
   *   kind: "ip",
   *   data: { tag: "x" },
   *   network: "203.0.113.0/24",
   *   prefixLength: 24,
   * });
   * client.close();
   * await server.close();
   * ```
   */
  async query(db: bigint, query: string): Promise<unknown> {
    return JSON.parse(await this.queryJson(db, query));
  }

  /**
   * Closes a database opened on this connection.
   *
   * @param db The database handle.
   * @returns A promise that settles once closed.
   * @example
   * ```ts
   * import { DatabaseBuilder } from "@mxy/mxy/db";
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const builder = new DatabaseBuilder();
   * builder.add("203.0.113.0/24", { tag: "x" });
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const db = await client.loadDatabase(builder.build());
   * await client.closeDatabase(db);
   * await assert.rejects(client.query(db, "203.0.113.5"), { code: "not-found" });
   * client.close();
   * await server.close();
   * ```
   */
  async closeDatabase(db: bigint): Promise<void> {
    await this.request(EtherCommand.DB_CLOSE, { handle: db });
  }

  /**
   * The server's statistics.
   *
   * @returns The parsed STATS reply.
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const { connections } = await client.stats();
   * assert.equal(connections, 1);
   * client.close();
   * await server.close();
   * ```
   */
  async stats(): Promise<Record<string, unknown>> {
    const r = await this.request(EtherCommand.STATS);
    return JSON.parse(decoder.decode(r.payload));
  }

  /**
   * Closes the connection; the server frees its blocks. Pending requests fail with NETWORK.
   *
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * client.close();
   * assert.equal(client.closed, true);
   * await assert.rejects(client.ping(), { code: "network" });
   * await server.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    if (this.#head < this.#pending.length) {
      this.#fail("network", `Connection to ${this.address} closed by the client`);
      return;
    }
    this.#shutdown();
  }
}

/**
 * A block of remote memory with a local mirror of its contents (the last bytes written or read)
 * and its handle. Get one from {@linkcode EtherClient.alloc}.
 *
 * @example
 * ```ts
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import { RemoteBuffer } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * const block = await client.alloc(2);
 * assert.ok(block instanceof RemoteBuffer);
 * await block.write(new Uint8Array([7]));
 * assert.deepEqual([...block.mirror], [7, 0]);
 * await block.realloc(3);
 * assert.deepEqual([...await block.read()], [7, 0, 0]);
 * await block.free();
 * client.close();
 * await server.close();
 * ```
 */
export class RemoteBuffer {
  #conn: EtherClient;
  #mirror: Uint8Array;
  #freed = false;
  /** The block's handle on the server. */
  readonly handle: bigint;

  /**
   * Attaches to a block: {@linkcode EtherClient.alloc} and {@linkcode EtherClient.buffer} call it.
   *
   * @param conn The client whose connection owns the block.
   * @param handle The block's handle.
   * @param size The block's size (of the mirror).
   */
  constructor(conn: EtherClient, handle: bigint, size: number) {
    this.#conn = conn;
    this.handle = handle;
    this.#mirror = new Uint8Array(size);
  }

  /** The block's size in bytes. */
  get size(): number {
    return this.#mirror.length;
  }

  /** The local copy of the block's bytes (updated by write, read and realloc). */
  get mirror(): Uint8Array {
    return this.#mirror;
  }

  /** Whether {@linkcode RemoteBuffer.free} has succeeded. */
  get freed(): boolean {
    return this.#freed;
  }

  /**
   * Writes bytes at the start of the block (WRITE) and into the mirror.
   *
   * @param data The bytes; more than the block holds fails with OVERFLOW.
   * @returns A promise that settles once the server acknowledged.
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const block = await client.alloc(4);
   * await block.write(new TextEncoder().encode("hi"));
   * assert.deepEqual([...block.mirror], [104, 105, 0, 0]);
   * await assert.rejects(block.write(new Uint8Array(5)), { code: "overflow" });
   * client.close();
   * await server.close();
   * ```
   */
  async write(data: Uint8Array): Promise<void> {
    await this.#conn.request(EtherCommand.WRITE, { handle: this.handle, payload: data });
    this.#mirror.set(data.subarray(0, this.#mirror.length));
  }

  /**
   * Sends the whole mirror to the server.
   *
   * @returns A promise that settles once written.
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const block = await client.alloc(2);
   * block.mirror[0] = 1;
   * await block.sync();
   * assert.deepEqual([...await client.buffer(block.handle, 2).read()], [1, 0]);
   * client.close();
   * await server.close();
   * ```
   */
  async sync(): Promise<void> {
    await this.write(this.#mirror);
  }

  /**
   * Reads the block (READ), refreshing the mirror.
   *
   * @param length Bytes wanted; default the whole block. The server caps it at the block size.
   * @returns The bytes read.
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const block = await client.alloc(3);
   * await block.write(new Uint8Array([1, 2, 3]));
   * assert.deepEqual([...await block.read(2)], [1, 2]);
   * assert.deepEqual([...await block.read(100)], [1, 2, 3]); // capped at the block's size
   * client.close();
   * await server.close();
   * ```
   */
  async read(length?: number): Promise<Uint8Array> {
    const r = await this.#conn.request(EtherCommand.READ, {
      handle: this.handle,
      size: length ?? this.#mirror.length,
    });
    this.#mirror.set(r.payload.subarray(0, this.#mirror.length));
    return r.payload;
  }

  /**
   * Resizes the block (REALLOC), keeping its contents; the mirror follows.
   *
   * @param size The new size.
   * @returns A promise that settles once resized.
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const block = await client.alloc(1);
   * await block.write(new Uint8Array([9]));
   * await block.realloc(3);
   * assert.deepEqual([...await block.read()], [9, 0, 0]);
   * client.close();
   * await server.close();
   * ```
   */
  async realloc(size: number): Promise<void> {
    await this.#conn.request(EtherCommand.REALLOC, { handle: this.handle, size });
    const m = new Uint8Array(size);
    m.set(this.#mirror.subarray(0, Math.min(size, this.#mirror.length)));
    this.#mirror = m;
  }

  /**
   * Frees the block (FREE).
   *
   * @returns A promise that settles once freed.
   * @example
   * ```ts
   * import { connectEther, serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * const client = await connectEther("127.0.0.1", { port: server.port });
   * const block = await client.alloc(8);
   * await block.free();
   * assert.equal(block.freed, true);
   * await assert.rejects(block.read(), { code: "corrupt" }); // use after free
   * client.close();
   * await server.close();
   * ```
   */
  async free(): Promise<void> {
    await this.#conn.request(EtherCommand.FREE, { handle: this.handle });
    this.#freed = true;
  }
}
