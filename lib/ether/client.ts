/**
 * The Ether client: connect to a server (mxy's or the reference C one), ping it, allocate remote
 * memory blocks that keep a local mirror, and query databases. Requests may be issued
 * concurrently on one connection: they are pipelined and answered in order.
 *
 * @module
 */
import { FrameReader } from "./_frame_reader.ts";
import {
  decodeEtherCapabilities,
  ETHER_DEFAULT_PORT,
  ETHER_HEADER_SIZE,
  ETHER_MAGIC,
  ETHER_MAX_PAYLOAD,
  ETHER_VERSION,
  type EtherCapabilities,
  EtherCapability,
  EtherCommand,
  etherCommandName,
  EtherError,
  EtherErrorCode,
  etherErrorName,
  EtherFlag,
} from "./protocol.ts";
import { connectTcp, type TcpStream } from "../runtime/net.ts";

/** Options for {@linkcode connect}. */
export interface ConnectOptions {
  /** The port. Default 9999. */
  port?: number;
  /** The server's token, sent with AUTH as the first request. */
  token?: string;
  /** How long one request (and connecting) may take, in ms. Default 10000. */
  timeout?: number;
  /** Use the reference framing even if the server offers more (for interoperability tests). */
  legacy?: boolean;
}

/** A reply: its header fields and payload. */
export interface EtherReply {
  /** The reply's command (OK, PONG). */
  command: number;
  /** The reply's handle. */
  handle: bigint;
  /** The reply's payload. */
  payload: Uint8Array;
}

/** Options for {@linkcode EtherConnection.request}. */
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
 * Connects to an Ether server, authenticates when a token is given and negotiates capabilities
 * (falling back to the reference framing against a server that does not announce any).
 *
 * @param host Host name or address.
 * @param options Port, token and timeout.
 * @returns The connection.
 * @example
 * ```ts
 * import { EtherServer } from "./server.ts";
 * import { connect } from "./client.ts";
 * import assert from "node:assert/strict";
 * const server = EtherServer.listen({ port: 0 });
 * const c = await connect("127.0.0.1", { port: server.port });
 * const buf = await c.alloc(4);
 * await buf.write(new Uint8Array([1, 2, 3, 4]));
 * assert.deepEqual([...await buf.read()], [1, 2, 3, 4]);
 * await buf.free();
 * c.close();
 * await server.close();
 * ```
 */
export async function connect(
  host: string,
  options: ConnectOptions = {},
): Promise<EtherConnection> {
  const port = options.port ?? ETHER_DEFAULT_PORT;
  const timeout = options.timeout ?? 10_000;
  let stream: TcpStream;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = connectTcp(host, { port });
  try {
    stream = await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new EtherError(
                EtherErrorCode.TIMEOUT,
                `Connecting to ${host}:${port} timed out after ${timeout} ms`,
              ),
            ),
          timeout,
        );
      }),
    ]);
  } catch (err) {
    if (err instanceof EtherError) {
      connecting.then((late) => late.close(), () => {}); // do not leak a late connection
      throw err;
    }
    throw new EtherError(
      EtherErrorCode.NETWORK,
      `Cannot connect to ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    clearTimeout(timer);
  }
  const conn = new EtherConnection(stream, `${host}:${port}`, timeout);
  try {
    if (options.token !== undefined) {
      await conn.request(EtherCommand.AUTH, { payload: encoder.encode(options.token) });
    }
    if (!options.legacy) await conn.negotiate();
  } catch (err) {
    conn.close();
    throw err;
  }
  return conn;
}

/**
 * A connection to an Ether server. Create it with {@linkcode connect}.
 *
 * @example
 * ```ts
 * import { EtherServer } from "./server.ts";
 * import { connect } from "./client.ts";
 * import assert from "node:assert/strict";
 * const server = EtherServer.listen({ port: 0 });
 * const c = await connect("127.0.0.1", { port: server.port });
 * assert.equal(c.capabilities?.software, "mxy/0.1.0");
 * c.close();
 * await server.close();
 * ```
 */
export class EtherConnection {
  #stream: TcpStream;
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
  /** `host:port` of the server. */
  readonly address: string;

  /**
   * @param stream A connected stream.
   * @param address `host:port`, for messages.
   * @param timeout Per-request timeout in ms.
   */
  constructor(stream: TcpStream, address: string, timeout: number) {
    this.#stream = stream;
    this.#reader = new FrameReader(stream, 128 * 1024, 16 * 1024);
    this.address = address;
    this.#timeout = timeout;
    if (timeout > 0) {
      this.#timer = setInterval(
        () => this.#checkTimeout(),
        Math.max(20, Math.min(1000, timeout / 4)),
      );
    }
    this.#readLoop().catch((err) => this.#fail(EtherErrorCode.NETWORK, `${err}`));
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
   * short framing when it supports it. Called by {@linkcode connect}.
   *
   * @returns The capabilities, or `null` against a reference server.
   * @example
   * ```ts ignore
   * const caps = await conn.negotiate();
   * ```
   */
  async negotiate(): Promise<EtherCapabilities | null> {
    let reply: EtherReply;
    try {
      reply = await this.request(EtherCommand.PING, { flags: EtherFlag.CAPABILITIES });
    } catch (err) {
      if (
        err instanceof EtherError &&
        (err.code === EtherErrorCode.INVALID || err.code === EtherErrorCode.UNKNOWN_COMMAND)
      ) {
        return null; // a server that refuses the flag: stay with the legacy framing
      }
      throw err;
    }
    const caps = reply.command === EtherCommand.PONG
      ? decodeEtherCapabilities(reply.payload)
      : null;
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
        EtherErrorCode.TIMEOUT,
        `${etherCommandName(p.command)} to ${this.address} got no reply within ${this.#timeout} ms`,
      );
    }
  }

  #fail(code: number, message: string): void {
    if (!this.#failure) this.#failure = new EtherError(code, message);
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
          this.#fail(EtherErrorCode.NETWORK, `Connection to ${this.address} closed by the server`);
        }
        return;
      }
      const v = new DataView(hb.buffer, hb.byteOffset, ETHER_HEADER_SIZE);
      const magic = v.getUint32(0);
      const version = hb[4];
      const command = hb[5];
      const handle = v.getBigUint64(8);
      const size = v.getUint32(16);
      const reserved = v.getInt32(20);
      if (magic !== ETHER_MAGIC || version !== ETHER_VERSION || size > ETHER_MAX_PAYLOAD) {
        this.#fail(
          EtherErrorCode.CORRUPT,
          `Reply from ${this.address} has a bad header (magic 0x${
            magic.toString(16)
          }, version ${version}, size ${size})`,
        );
        return;
      }
      let payload: Uint8Array = new Uint8Array(0);
      if (size > 0) {
        const p = await r.readExact(size);
        if (!p) {
          this.#fail(
            EtherErrorCode.NETWORK,
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
        this.#fail(
          command === EtherCommand.ERROR ? reserved : EtherErrorCode.CORRUPT,
          `Server ${this.address} sent ${why} without a request`,
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
        const text = payload.length > 0 ? decoder.decode(payload) : etherErrorName(reserved);
        pending.reject(
          new EtherError(
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
        EtherErrorCode.NETWORK,
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
   * import { EtherServer } from "./server.ts";
   * import { connect } from "./client.ts";
   * import { EtherCommand } from "./protocol.ts";
   * import assert from "node:assert/strict";
   * const server = EtherServer.listen({ port: 0 });
   * const c = await connect("127.0.0.1", { port: server.port });
   * assert.equal((await c.request(EtherCommand.PING)).command, EtherCommand.PONG);
   * c.close();
   * await server.close();
   * ```
   */
  request(command: number, options: EtherRequestOptions = {}): Promise<EtherReply> {
    if (this.#closed) {
      return Promise.reject(
        this.#failure ??
          new EtherError(EtherErrorCode.NETWORK, `Connection to ${this.address} is closed`),
      );
    }
    const lengthCmd = command === EtherCommand.ALLOC || command === EtherCommand.REALLOC ||
      command === EtherCommand.READ;
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
    v.setUint32(0, ETHER_MAGIC);
    out[4] = ETHER_VERSION;
    out[5] = command;
    v.setUint16(6, flags);
    v.setBigUint64(8, BigInt.asUintN(64, options.handle ?? 0n));
    v.setUint32(16, size);
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
   * ```ts ignore
   * const ms = await conn.ping();
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
   * ```ts ignore
   * const buf = await conn.alloc(64);
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
   * ```ts ignore
   * const same = conn.buffer(buf.handle, buf.size);
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
   * ```ts ignore
   * const db = await conn.openDatabase("geo.mxy");
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
   * ```ts ignore
   * const db = await conn.loadDatabase(await Deno.readFile("geo.mxy"));
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
   * ```ts ignore
   * const json = await conn.queryJson(0n, "1.2.3.4");
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
   * ```ts ignore
   * const result = await conn.query(0n, "1.2.3.4");
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
   * ```ts ignore
   * await conn.closeDatabase(db);
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
   * ```ts ignore
   * const { connections } = await conn.stats();
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
   * ```ts ignore
   * conn.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    if (this.#head < this.#pending.length) {
      this.#fail(EtherErrorCode.NETWORK, `Connection to ${this.address} closed by the client`);
      return;
    }
    this.#shutdown();
  }
}

/**
 * A block of remote memory with a local mirror of its contents (the last bytes written or read)
 * and its handle. Get one from {@linkcode EtherConnection.alloc}.
 *
 * @example
 * ```ts
 * import { EtherServer } from "./server.ts";
 * import { connect } from "./client.ts";
 * import assert from "node:assert/strict";
 * const server = EtherServer.listen({ port: 0 });
 * const c = await connect("127.0.0.1", { port: server.port });
 * const b = await c.alloc(2);
 * await b.write(new Uint8Array([7]));
 * assert.deepEqual([...b.mirror], [7, 0]);
 * await b.realloc(3);
 * assert.deepEqual([...await b.read()], [7, 0, 0]);
 * await b.free();
 * c.close();
 * await server.close();
 * ```
 */
export class RemoteBuffer {
  #conn: EtherConnection;
  #mirror: Uint8Array;
  #freed = false;
  /** The block's handle on the server. */
  readonly handle: bigint;

  /**
   * @param conn The connection that owns the block.
   * @param handle The block's handle.
   * @param size The block's size.
   */
  constructor(conn: EtherConnection, handle: bigint, size: number) {
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
   * ```ts ignore
   * await buf.write(new TextEncoder().encode("hi"));
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
   * ```ts ignore
   * buf.mirror[0] = 1;
   * await buf.sync();
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
   * ```ts ignore
   * const bytes = await buf.read();
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
   * ```ts ignore
   * await buf.realloc(128);
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
   * ```ts ignore
   * await buf.free();
   * ```
   */
  async free(): Promise<void> {
    await this.#conn.request(EtherCommand.FREE, { handle: this.handle });
    this.#freed = true;
  }
}
