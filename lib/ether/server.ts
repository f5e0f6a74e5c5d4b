/**
 * The Ether server core: remote memory blocks and database queries (protocol v1, see
 * `docs/PROTOCOL.md`) over any {@linkcode EtherByteStream}. Each connection is served in order;
 * many connections are served at once. It touches no network and no file: `serveEther` of
 * `@mxy/mxy/deno` gives it TCP connections and databases from files.
 *
 * @module
 */
import { VERSION } from "../core/version.ts";
import { FrameReader } from "./_frame_reader.ts";
import {
  FIELD_COMMAND,
  FIELD_FLAGS,
  FIELD_HANDLE,
  FIELD_MAGIC,
  FIELD_RESERVED,
  FIELD_SIZE,
  FIELD_VERSION,
} from "./_header_fields.ts";
import type { EtherByteStream, EtherListener } from "./byte_stream.ts";
import { ServerDatabases } from "./_server_databases.ts";
import type { EtherDatabaseEngine } from "./database_engine.ts";
import { printable } from "./_printable.ts";
import { EtherError, type EtherErrorCode, etherErrorName, EtherWireError } from "./ether_error.ts";
import { MemoryStore } from "./memory_store.ts";
import { ReplyJsonWriter } from "./_reply_json.ts";
import {
  encodeEtherCapabilities,
  ETHER_HEADER_SIZE,
  ETHER_KNOWN_FLAGS,
  ETHER_MAGIC,
  ETHER_MAX_PAYLOAD,
  ETHER_VERSION,
  EtherCapability,
  EtherCommand,
  etherCommandName,
  EtherFlag,
  etherHeaderProblem,
  etherSizeIsLength,
} from "./protocol.ts";

/**
 * Options for {@linkcode EtherServer} (and `serveEther`, which adds the address and files).
 *
 * @example
 * ```ts
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import type { EtherServerOptions } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const options: EtherServerOptions = { maxConnectionBytes: 1024, token: "s3cret" };
 * const server = await serveEther({ host: "127.0.0.1", port: 0, ...options });
 * const client = await connectEther("127.0.0.1", { port: server.port, token: "s3cret" });
 * await assert.rejects(client.alloc(2048), { code: "out-of-memory" });
 * client.close();
 * await server.close();
 * ```
 */
export interface EtherServerOptions {
  /** When set, AUTH with this token must be each connection's first request. */
  token?: string;
  /** Maximum simultaneous connections; more are answered ERROR BUSY and closed. Default 1024. */
  maxConnections?: number;
  /**
   * Memory the server may count for all connections together: block data plus a fixed overhead
   * per block ({@linkcode ETHER_BLOCK_OVERHEAD}), payloads being received, replies being sent and
   * databases opened or uploaded. Default 1 GiB.
   */
  maxTotalBytes?: number;
  /** The same for one connection. Default 256 MiB. */
  maxConnectionBytes?: number;
  /** Live blocks all connections together may hold. Default 1,048,576. */
  maxBlocks?: number;
  /** Live blocks one connection may hold. Default 65,536. */
  maxConnectionBlocks?: number;
  /** Databases open (DB_OPEN, DB_LOAD) on all connections together. Default 1024. */
  maxDatabases?: number;
  /** Databases open on one connection. Default 32. */
  maxConnectionDatabases?: number;
  /** Most values a DB_QUERY reply may hold (JSON nodes written). Default 1,048,576. */
  maxReplyValues?: number;
  /** Largest payload / size field. Default 16 MiB (the protocol's limit). */
  maxPayload?: number;
  /** Close a connection idle for this long (ms); 0 disables. Default 300000. */
  idleTimeoutMs?: number;
  /**
   * Close a connection that started a frame (header and payload) but has not finished it
   * within this time (ms), plus the time its payload takes at `minTransferRate`. Default 10000.
   */
  frameTimeoutMs?: number;
  /**
   * The slowest a payload may arrive, in bytes per second: a frame gets `frameTimeoutMs` plus
   * `size / minTransferRate` seconds. Default 65536 (a 16 MiB payload: 10 s + 256 s).
   */
  minTransferRate?: number;
  /**
   * How long {@linkcode EtherServer.close} waits for requests in flight before it closes every
   * connection (ms). Default 30000.
   */
  shutdownTimeoutMs?: number;
  /**
   * How often (ms) {@linkcode EtherServer.preload} asks the engine whether database 0 was
   * replaced ({@linkcode EtherDatabaseEngine.checkPreloaded}). Default 1000.
   */
  reloadIntervalMs?: number;
  /** The database engine; without it the database commands answer `denied`. */
  engine?: EtherDatabaseEngine;
  /** Where log lines go. Default: nowhere. */
  log?: (line: string) => void;
}

/**
 * Counters reported by {@linkcode EtherServer.stats} and the STATS command (as JSON).
 *
 * @example
 * ```ts
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import { ETHER_BLOCK_OVERHEAD, type EtherServerStats } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * await client.alloc(100);
 * const now = await client.stats();
 * assert.equal(now.blockBytes, 100);
 * assert.equal(now.memoryInUse, 100 + ETHER_BLOCK_OVERHEAD);
 * client.close();
 * const stats: EtherServerStats = await server.close();
 * assert.equal(stats.memoryInUse, 0);
 * assert.equal(stats.memoryPeak, 100 + ETHER_BLOCK_OVERHEAD);
 * ```
 */
export interface EtherServerStats {
  /** Open connections. */
  connections: number;
  /** Connections accepted since start. */
  connectionsTotal: number;
  /** Connections refused at the limit. */
  connectionsRefused: number;
  /** Requests handled. */
  requests: number;
  /** ERROR replies sent. */
  errors: number;
  /** Connections closed for a timeout. */
  timeouts: number;
  /** Bytes received. */
  bytesIn: number;
  /** Bytes sent. */
  bytesOut: number;
  /** Live memory blocks. */
  blocks: number;
  /** Bytes of data in live blocks. */
  blockBytes: number;
  /** Bytes of databases opened or uploaded by connections (database 0 not counted). */
  databaseBytes: number;
  /** Bytes of payloads being received and replies being sent (beyond the fixed buffers). */
  bufferedBytes: number;
  /**
   * Everything counted against `maxTotalBytes`: block data and per-block overhead, databases
   * and buffered bytes.
   */
  memoryInUse: number;
  /** Peak of `memoryInUse`. */
  memoryPeak: number;
  /** Open databases (not counting the preloaded one). */
  databases: number;
  /** Whether a preloaded database is loaded. */
  preloaded: boolean;
  /** Times the preloaded database was reloaded. */
  reloads: number;
  /** Milliseconds since start. */
  uptimeMs: number;
}

interface Conn {
  id: number;
  stream: EtherByteStream;
  reader: FrameReader;
  authed: boolean;
  /** Time the current frame's first byte arrived, 0 when between frames. */
  frameStart: number;
  /** How long (ms) the current frame may take to arrive: the frame timeout plus its payload's share. */
  frameAllowed: number;
  /** Bytes counted against the quotas for the request in hand (payload, reply). */
  held: number;
  /** Close once the reply to the request in hand is sent (a wrong second AUTH). */
  closeAfterReply: boolean;
  /** Last time anything happened. */
  lastActivity: number;
  busy: boolean;
  closed: boolean;
  reply: Uint8Array;
}

/** The software name announced in PONG's capabilities. */
const SOFTWARE = `mxy/${VERSION}`;
/** Replies up to this size are built in a per-connection buffer that is reused. */
const REUSABLE_REPLY = 256 * 1024 + ETHER_HEADER_SIZE;
/** Each connection's read buffer; payloads up to this size are received in it. */
const READ_BUFFER = 128 * 1024;
/** The largest frame (payload) accepted before AUTH on a server with a token (or the token's length). */
const MAX_AUTH_PAYLOAD = 4096;
/** Longest stretch (ms) a DB_QUERY reply is written before other connections get a turn. */
const SLICE_MS = 2;
/**
 * What identifies a lookup result across queries: its `data` (a decoded record, which engines
 * cache and share), or the result itself; `null` for a scalar.
 */
function replyKey(result: unknown): object | null {
  if (typeof result !== "object" || result === null) return null;
  const data = (result as { data?: unknown }).data;
  return typeof data === "object" && data !== null ? data : result;
}

/** Lets timers and I/O run before going on (a macrotask, unlike `await` alone). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * An Ether server over any byte streams. Give it connections with
 * {@linkcode EtherServer.listen} (a listener) or {@linkcode EtherServer.serveConnection} (one
 * stream); stop it with {@linkcode EtherServer.close}, which stops accepting, lets requests in
 * flight finish and resolves to the final statistics. `serveEther` of `@mxy/mxy/deno` starts one
 * on a TCP port.
 *
 * @example
 * ```ts
 * import { serveEther } from "@mxy/mxy/deno";
 * import { EtherServer } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * assert.ok(server instanceof EtherServer);
 * assert.ok(server.port > 0);
 * assert.equal((await server.close()).connections, 0);
 * ```
 */
export class EtherServer {
  #listener: EtherListener | null = null;
  #options: EtherServerOptions;
  #store: MemoryStore;
  #conns = new Set<Conn>();
  #nextId = 1;
  #stopping = false;
  #done: Promise<void> = Promise.resolve();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #idleMs: number;
  #frameMs: number;
  #msPerByte: number;
  #maxPayload: number;
  #maxReplyValues: number;
  #shutdownTimer: ReturnType<typeof setTimeout> | undefined;
  /** Decoded values found over the reply budget (the engine shares decoded records). */
  #tooLarge = new WeakMap<object, { code: EtherErrorCode; why: string }>();
  #token: Uint8Array | null;
  #databases: ServerDatabases;
  #startedAt = performance.now();
  /** A coarse clock (ms), advanced by the sweeper: activity stamps cost no system call. */
  #clock = performance.now();
  #closedPromise: Promise<EtherServerStats> | null = null;
  #running = new Map<Conn, Promise<void>>();
  #s = {
    connectionsTotal: 0,
    connectionsRefused: 0,
    requests: 0,
    errors: 0,
    timeouts: 0,
    bytesIn: 0,
    bytesOut: 0,
  };

  /**
   * Creates a server that serves nothing yet; it starts no timer until it gets a connection.
   *
   * @param options Limits, token, database engine and log.
   */
  constructor(options: EtherServerOptions = {}) {
    this.#options = options;
    this.#maxPayload = Math.min(options.maxPayload ?? ETHER_MAX_PAYLOAD, ETHER_MAX_PAYLOAD);
    this.#token = options.token ? encoder.encode(options.token) : null;
    this.#store = new MemoryStore({
      maxTotalBytes: options.maxTotalBytes,
      maxOwnerBytes: options.maxConnectionBytes,
      maxBlockBytes: this.#maxPayload,
      maxBlocks: options.maxBlocks,
      maxOwnerBlocks: options.maxConnectionBlocks,
    });
    this.#databases = new ServerDatabases(options.engine, {
      reloadMs: options.reloadIntervalMs ?? 1000,
      log: (line) => this.#log(line),
      store: this.#store,
      maxDatabases: options.maxDatabases ?? 1024,
      maxOwnerDatabases: options.maxConnectionDatabases ?? 32,
    });
    this.#idleMs = options.idleTimeoutMs ?? 300_000;
    this.#frameMs = options.frameTimeoutMs ?? 10_000;
    this.#msPerByte = 1000 / Math.max(1, options.minTransferRate ?? 65536);
    this.#maxReplyValues = options.maxReplyValues ?? 1 << 20;
  }

  /**
   * Serves the connections a listener accepts, until the listener ends or the server closes
   * (which closes the listener). A server takes one listener.
   *
   * @param listener Where connections come from.
   * @throws {TypeError} When the server already has a listener or is closed.
   * @example
   * ```ts
   * import { listenTcp } from "@mxy/mxy/deno";
   * import { EtherServer } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const server = new EtherServer();
   * server.listen(listenTcp(0, { host: "127.0.0.1" }));
   * assert.ok(server.port > 0);
   * await server.close();
   * ```
   */
  listen(listener: EtherListener): void {
    if (this.#listener || this.#stopping) {
      listener.close();
      throw new TypeError(
        this.#stopping ? "The Ether server is closed" : "The Ether server already has a listener",
      );
    }
    this.#listener = listener;
    this.#done = this.#acceptLoop(listener);
  }

  /**
   * Serves one connection (from any transport) until it ends. Beyond `maxConnections` it is
   * answered ERROR BUSY and closed; after {@linkcode EtherServer.close} it is closed at once.
   *
   * @param stream The connection.
   * @returns A promise that settles once the connection is closed and its memory freed.
   * @example
   * ```ts
   * import { type EtherByteStream, EtherServer } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * // a peer that sends nothing and hangs up
   * const stream: EtherByteStream = {
   *   read: () => Promise.resolve(null),
   *   writeAll: () => Promise.resolve(),
   *   close() {},
   * };
   * const server = new EtherServer();
   * await server.serveConnection(stream);
   * assert.equal((await server.close()).connectionsTotal, 1);
   * ```
   */
  serveConnection(stream: EtherByteStream): Promise<void> {
    return this.#admit(stream);
  }

  /**
   * Loads database 0 from the engine ({@linkcode EtherDatabaseEngine.checkPreloaded}) and then
   * asks the engine every `reloadIntervalMs` whether it was replaced. `serveEther` calls it;
   * without an engine, or one that preloads nothing, it does nothing.
   *
   * @returns A promise that settles once database 0 is loaded.
   * @throws What the engine throws when database 0 cannot be opened.
   * @example
   * ```ts
   * import { EtherServer, mxyDatabaseEngine } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const engine = {
   *   ...mxyDatabaseEngine,
   *   checkPreloaded: () => Promise.resolve({ lookup: () => null, close() {} }),
   * };
   * const server = new EtherServer({ engine });
   * await server.preload();
   * assert.equal(server.stats().preloaded, true);
   * await server.close();
   * ```
   */
  async preload(): Promise<void> {
    await this.#databases.preload();
  }

  /** The listener's port, 0 without a listener. */
  get port(): number {
    return this.#listener?.port ?? 0;
  }

  /** The listener's host, `""` without a listener. */
  get host(): string {
    return this.#listener?.host ?? "";
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }

  /**
   * Current statistics.
   *
   * @returns Counters.
   * @example
   * ```ts
   * import { EtherServer } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const server = new EtherServer();
   * assert.equal(server.stats().connections, 0);
   * await server.close();
   * ```
   */
  stats(): EtherServerStats {
    const m = this.#store.stats();
    const databaseBytes = this.#databases.bytes;
    return {
      connections: this.#conns.size,
      ...this.#s,
      blocks: m.blocks,
      blockBytes: m.blockBytes,
      databaseBytes,
      bufferedBytes: Math.max(0, m.reservedBytes - databaseBytes),
      memoryInUse: m.bytesInUse,
      memoryPeak: m.peakBytes,
      databases: this.#databases.count,
      preloaded: this.#databases.preloaded,
      reloads: this.#databases.reloads,
      uptimeMs: Math.round(performance.now() - this.#startedAt),
    };
  }

  /**
   * Stops accepting (closing the listener), lets requests in flight finish, closes every
   * connection (freeing its memory and databases) and database 0, and resolves to the final
   * statistics. Connections still open after `shutdownTimeoutMs` (a peer trickling a request or
   * not reading its reply) are closed then. Safe to call twice.
   *
   * @returns The final statistics.
   * @example
   * ```ts
   * import { serveEther } from "@mxy/mxy/deno";
   * import assert from "node:assert/strict";
   * const server = await serveEther({ host: "127.0.0.1", port: 0 });
   * assert.equal((await server.close()).connections, 0);
   * ```
   */
  close(): Promise<EtherServerStats> {
    if (this.#closedPromise) return this.#closedPromise;
    this.#stopping = true;
    this.#listener?.close();
    for (const c of this.#conns) {
      if (!c.busy && c.frameStart === 0 && c.reader.buffered === 0) this.#drop(c);
    }
    const deadline = this.#options.shutdownTimeoutMs ?? 30_000;
    this.#shutdownTimer = setTimeout(() => {
      if (this.#conns.size > 0) {
        this.#log(
          `shutdown: closing ${this.#conns.size} connections still open after ${deadline} ms`,
        );
      }
      for (const c of this.#conns) this.#drop(c);
    }, deadline);
    this.#closedPromise = (async () => {
      await this.#done;
      while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
      clearTimeout(this.#shutdownTimer);
      clearInterval(this.#sweeper);
      this.#databases.shutdown();
      return this.stats();
    })();
    return this.#closedPromise;
  }

  async #acceptLoop(listener: EtherListener): Promise<void> {
    for (;;) {
      const stream = await listener.accept();
      if (!stream) return;
      void this.#admit(stream);
    }
  }

  #startSweeper(): void {
    if (this.#sweeper !== undefined) return;
    const idle = this.#idleMs;
    const frame = this.#frameMs;
    const period = Math.max(5, Math.min(1000, Math.floor(Math.min(idle || frame, frame) / 4)));
    this.#sweeper = setInterval(() => this.#sweep(idle, frame), period);
  }

  /** Takes a new connection: refused when stopping or full, otherwise served. */
  #admit(stream: EtherByteStream): Promise<void> {
    if (this.#stopping) {
      stream.close();
      return Promise.resolve();
    }
    const max = this.#options.maxConnections ?? 1024;
    if (this.#conns.size >= max) {
      this.#s.connectionsRefused++;
      const reply = errorFrame(0n, EtherWireError.BUSY, null);
      return stream.writeAll(reply).catch(() => {}).finally(() => stream.close());
    }
    this.#startSweeper();
    const now = this.#clock = performance.now();
    const conn: Conn = {
      id: this.#nextId++,
      stream,
      reader: new FrameReader(stream, READ_BUFFER),
      authed: this.#token === null,
      frameStart: 0,
      frameAllowed: this.#frameMs,
      held: 0,
      closeAfterReply: false,
      lastActivity: now,
      busy: false,
      closed: false,
      reply: new Uint8Array(ETHER_HEADER_SIZE),
    };
    conn.reader.onData = () => {
      conn.lastActivity = this.#clock;
      if (conn.frameStart === 0) conn.frameStart = this.#clock;
    };
    this.#conns.add(conn);
    this.#s.connectionsTotal++;
    const p = this.#serve(conn).catch((err) => {
      this.#log(`connection ${conn.id} (${stream.remote ?? "?"}) failed: ${msg(err)}`);
    }).finally(() => {
      this.#cleanup(conn);
      this.#running.delete(conn);
    });
    this.#running.set(conn, p);
    return p;
  }

  #sweep(idle: number, frame: number): void {
    const now = this.#clock = performance.now();
    for (const c of this.#conns) {
      if (c.closed) continue;
      if (c.frameStart !== 0 && !c.busy && now - c.frameStart > c.frameAllowed) {
        this.#s.timeouts++;
        this.#log(
          `connection ${c.id}: partial frame not completed within ${
            Math.round(c.frameAllowed)
          } ms, closing`,
        );
        this.#timeoutDrop(c);
      } else if (idle > 0 && now - c.lastActivity > idle && (c.frameStart === 0 || c.busy)) {
        this.#s.timeouts++;
        this.#log(`connection ${c.id}: idle for ${idle} ms, closing`);
        this.#timeoutDrop(c);
      } else if (this.#stopping && c.busy && now - c.lastActivity > frame) {
        // shutting down: a reply the peer does not read may hold us up to the frame timeout
        this.#log(
          `connection ${c.id}: reply not taken within ${frame} ms during shutdown, closing`,
        );
        this.#drop(c);
      }
    }
  }

  #timeoutDrop(c: Conn): void {
    const frame = errorFrame(0n, EtherWireError.TIMEOUT, null);
    c.closed = true;
    // best effort: the peer may not be reading
    const t = setTimeout(() => c.stream.close(), 50);
    c.stream.writeAll(frame).catch(() => {}).finally(() => {
      clearTimeout(t);
      c.stream.close();
    });
  }

  #drop(c: Conn): void {
    c.closed = true;
    c.stream.close();
  }

  #cleanup(c: Conn): void {
    c.closed = true;
    c.stream.close();
    this.#release(c);
    this.#conns.delete(c);
    this.#store.releaseOwner(c.id);
    this.#databases.releaseOwner(c.id);
  }

  async #send(c: Conn, data: Uint8Array): Promise<void> {
    this.#s.bytesOut += data.length;
    await c.stream.writeAll(data);
  }

  /** Counts `bytes` held for the request in hand against the connection's quota. */
  #hold(c: Conn, bytes: number, what: string): void {
    this.#store.reserve(c.id, bytes, what);
    c.held += bytes;
  }

  /** Gives back what the request in hand held. */
  #release(c: Conn): void {
    if (c.held === 0) return;
    this.#store.unreserve(c.id, c.held);
    c.held = 0;
  }

  /** Answers an error to a request whose payload was not read, then closes. */
  async #refuse(c: Conn, handle: bigint, wire: number, text: string | null): Promise<void> {
    this.#s.errors++;
    await this.#send(c, errorFrame(handle, wire, text)).catch(() => {});
  }

  async #serve(c: Conn): Promise<void> {
    const r = c.reader;
    const maxPayload = this.#maxPayload;
    while (!c.closed) {
      if (this.#stopping && r.buffered === 0) return;
      const hb = await r.readExact(ETHER_HEADER_SIZE);
      if (!hb || c.closed) return; // end of stream (perhaps mid-header): nothing to answer
      if (c.frameStart === 0) c.frameStart = this.#clock;
      this.#s.requests++;
      this.#s.bytesIn += ETHER_HEADER_SIZE;
      const v = new DataView(hb.buffer, hb.byteOffset, ETHER_HEADER_SIZE);
      const magic = v.getUint32(FIELD_MAGIC);
      const version = hb[FIELD_VERSION];
      const command = hb[FIELD_COMMAND];
      const flags = v.getUint16(FIELD_FLAGS);
      const handle = v.getBigUint64(FIELD_HANDLE);
      const size = v.getUint32(FIELD_SIZE);
      const wantMsg = (flags & EtherFlag.ERROR_MESSAGE) !== 0;
      // ALLOC, REALLOC and READ carry a length in `size`; the bytes that follow them (legacy
      // framing) are filler, and with NO_PAYLOAD nothing follows
      const lengthCmd = etherSizeIsLength(command);
      const follows = lengthCmd && (flags & EtherFlag.NO_PAYLOAD) !== 0 ? 0 : size;

      // 1. header validation: failure closes the connection
      const bad = etherHeaderProblem(magic, version, follows, maxPayload);
      if (bad) {
        this.#log(`connection ${c.id}: ${bad}; closing`);
        await this.#refuse(c, handle, EtherWireError.INVALID, wantMsg ? bad : null);
        return;
      }

      // 2. before AUTH, only a small AUTH frame is read
      if (!c.authed) {
        const maxAuth = Math.max(MAX_AUTH_PAYLOAD, this.#token?.length ?? 0);
        if (command !== EtherCommand.AUTH || follows > maxAuth) {
          await this.#refuse(
            c,
            handle,
            EtherWireError.AUTH,
            wantMsg
              ? command === EtherCommand.AUTH
                ? `AUTH refused: a token of ${follows} bytes is over the limit of ${maxAuth}`
                : `${etherCommandName(command)} refused: AUTH must be the first request`
              : null,
          );
          return;
        }
      }

      // 3. the payload: the whole frame must arrive within the frame timeout plus the time its
      // payload takes at the minimum transfer rate; a payload larger than the read buffer is
      // counted against the quotas before it is received (and skipped, unread, when over)
      let payload: Uint8Array | null = null;
      let refused: EtherError | null = null;
      if (follows > 0) {
        c.frameAllowed = this.#frameMs + follows * this.#msPerByte;
        if (lengthCmd) {
          if (!(await r.skip(follows))) return;
        } else {
          if (follows > READ_BUFFER) {
            try {
              this.#hold(c, follows, `${etherCommandName(command)} payload of ${follows} bytes`);
            } catch (err) {
              if (!(err instanceof EtherError)) throw err;
              refused = err;
            }
          }
          if (refused) {
            if (!(await r.skip(follows))) return;
          } else {
            payload = await r.readExact(follows);
            if (!payload) return; // disconnected mid-payload
          }
        }
        this.#s.bytesIn += follows;
        c.frameAllowed = this.#frameMs;
      }
      c.busy = true;
      c.frameStart = r.buffered > 0 ? this.#clock : 0;

      // 4. authentication
      if (!c.authed) {
        if (!constantTimeEqual(payload ?? new Uint8Array(0), this.#token!)) {
          await this.#refuse(c, handle, EtherWireError.AUTH, wantMsg ? "Wrong token" : null);
          return;
        }
        c.authed = true;
        await this.#send(c, this.#ok(handle));
        c.busy = false;
        continue;
      }

      // 5. the request
      let reply: Uint8Array;
      try {
        if (refused) throw refused;
        if ((flags & ~ETHER_KNOWN_FLAGS) !== 0) {
          throw new EtherError(
            "invalid-request",
            `Unknown flag bits 0x${
              (flags & ~ETHER_KNOWN_FLAGS).toString(16)
            } at byte ${FIELD_FLAGS} of the header`,
          );
        }
        const r = this.#handle(c, command, flags, handle, size, payload);
        reply = r instanceof Promise ? await r : r;
      } catch (err) {
        this.#release(c);
        this.#s.errors++;
        let wire: number;
        let text: string;
        if (err instanceof EtherError) {
          wire = err.wireCode;
          text = err.message;
        } else {
          // not the client's fault: a failure of the server itself, logged, not told
          wire = EtherWireError.INTERNAL;
          text = `${etherCommandName(command)} failed inside the server (see its log)`;
          this.#log(
            `connection ${c.id}: ${etherCommandName(command)} failed inside the server: ${
              msg(err)
            }${err instanceof Error ? `\n${err.stack}` : ""}`,
          );
        }
        reply = errorFrame(handle, wire, wantMsg ? text : null);
      }
      payload = null;
      try {
        await this.#send(c, reply);
      } catch {
        return;
      } finally {
        this.#release(c);
      }
      if (c.closeAfterReply) return;
      c.busy = false;
      c.lastActivity = this.#clock;
    }
  }

  #ok(handle: bigint): Uint8Array {
    const out = new Uint8Array(ETHER_HEADER_SIZE);
    writeHeader(out, EtherCommand.OK, 0, handle, 0, 0);
    return out;
  }

  #handle(
    c: Conn,
    command: number,
    flags: number,
    handle: bigint,
    size: number,
    payload: Uint8Array | null,
  ): Uint8Array | Promise<Uint8Array> {
    const store = this.#store;
    switch (command) {
      case EtherCommand.PING: {
        if ((flags & EtherFlag.CAPABILITIES) === 0) {
          const out = new Uint8Array(ETHER_HEADER_SIZE);
          writeHeader(out, EtherCommand.PONG, 0, handle, 0, 0);
          return out;
        }
        let bits = EtherCapability.NO_PAYLOAD | EtherCapability.ERROR_MESSAGE |
          EtherCapability.REALLOC;
        if (this.#databases.available) bits |= EtherCapability.DATABASE;
        if (this.#token) bits |= EtherCapability.AUTH;
        const caps = encodeEtherCapabilities({
          bits,
          maxPayload: this.#maxPayload,
          software: SOFTWARE,
        });
        return frame(EtherCommand.PONG, handle, 0, caps);
      }
      case EtherCommand.AUTH:
        // already authenticated (or no token): accept a repeated AUTH only if it matches
        if (this.#token && !constantTimeEqual(payload ?? new Uint8Array(0), this.#token)) {
          c.closeAfterReply = true; // as for a wrong first AUTH
          throw new EtherError("auth-failed", "Wrong token");
        }
        return this.#ok(handle);
      case EtherCommand.ALLOC: {
        const h = store.alloc(c.id, size);
        return this.#ok(h);
      }
      case EtherCommand.FREE:
        store.free(c.id, handle);
        return this.#ok(handle);
      case EtherCommand.REALLOC:
        store.realloc(c.id, handle, size);
        return this.#ok(handle);
      case EtherCommand.WRITE:
        store.write(c.id, handle, payload ?? new Uint8Array(0));
        return this.#ok(handle);
      case EtherCommand.READ: {
        const data = store.read(c.id, handle, size);
        if (data.length + ETHER_HEADER_SIZE > REUSABLE_REPLY) {
          this.#hold(c, data.length + ETHER_HEADER_SIZE, `READ of ${data.length} bytes`);
        }
        return this.#dataReply(c, handle, data);
      }
      case EtherCommand.DB_OPEN:
        return this.#databases.open(c.id, text(payload, "DB_OPEN", "path"), () => c.closed)
          .then((h) => this.#ok(h));
      case EtherCommand.DB_LOAD:
        return this.#ok(
          this.#databases.load(c.id, store.read(c.id, handle, store.sizeOf(c.id, handle)), handle),
        );
      case EtherCommand.DB_QUERY: {
        const query = text(payload, "DB_QUERY", "query");
        const result = this.#databases.query(c.id, handle, query);
        const what = `DB_QUERY "${printable(query.slice(0, 100))}"`;
        return result instanceof Promise
          ? result.then((r) => this.#jsonReply(c, handle, r, what))
          : this.#jsonReply(c, handle, result, what);
      }
      case EtherCommand.DB_CLOSE:
        this.#databases.close(c.id, handle);
        return this.#ok(handle);
      case EtherCommand.STATS:
        return frame(EtherCommand.OK, handle, 0, encoder.encode(JSON.stringify(this.stats())));
      default:
        throw new EtherError(
          "unknown-command",
          `Unknown command ${etherCommandName(command)} at byte ${FIELD_COMMAND} of the header`,
        );
    }
  }

  /**
   * OK + the JSON text of a lookup result, written under the reply budget (the payload limit,
   * `maxReplyValues`, the connection's memory quota) in slices of {@linkcode SLICE_MS} ms, so
   * that other connections are served while a large reply is written.
   */
  #jsonReply(
    c: Conn,
    handle: bigint,
    result: unknown,
    what: string,
  ): Uint8Array | Promise<Uint8Array> {
    const key = replyKey(result);
    const known = key === null ? undefined : this.#tooLarge.get(key);
    if (known) throw new EtherError(known.code, `${what}: ${known.why}`);
    const w = new ReplyJsonWriter(result, {
      maxBytes: this.#maxPayload,
      maxNodes: this.#maxReplyValues,
      headerRoom: ETHER_HEADER_SIZE,
      grow: (bytes) => this.#hold(c, bytes, what),
      what,
    });
    const finish = (): Uint8Array => {
      const out = w.result();
      writeHeader(out, EtherCommand.OK, 0, handle, out.length - ETHER_HEADER_SIZE, 0);
      return out;
    };
    const step = (): boolean => {
      try {
        return w.step(performance.now() + SLICE_MS);
      } catch (err) {
        // a value over the budget is remembered (weakly): asked again, it fails at once
        if (w.overBudget && err instanceof EtherError && key !== null) {
          this.#tooLarge.set(key, { code: err.code, why: err.message.slice(what.length + 2) });
        }
        throw err;
      }
    };
    if (step()) return finish();
    return (async () => {
      do {
        await yieldToEventLoop();
        if (c.closed) throw new EtherError("network", `${what}: the connection closed`);
      } while (!step());
      return finish();
    })();
  }

  /** OK + payload in the connection's reusable reply buffer (safe: one reply in flight). */
  #dataReply(c: Conn, handle: bigint, payload: Uint8Array): Uint8Array {
    const need = ETHER_HEADER_SIZE + payload.length;
    if (need > REUSABLE_REPLY) return frame(EtherCommand.OK, handle, 0, payload);
    if (c.reply.length < need) c.reply = new Uint8Array(Math.max(need, c.reply.length * 2));
    const out = c.reply.subarray(0, need);
    writeHeader(out, EtherCommand.OK, 0, handle, payload.length, 0);
    out.set(payload, ETHER_HEADER_SIZE);
    return out;
  }
}

/** A payload as UTF-8 text, `invalid-request` when it is not. */
function text(payload: Uint8Array | null, command: string, what: string): string {
  try {
    return decoder.decode(payload ?? new Uint8Array(0));
  } catch {
    throw new EtherError("invalid-request", `${command}: the ${what} is not valid UTF-8`);
  }
}

function writeHeader(
  out: Uint8Array,
  command: number,
  flags: number,
  handle: bigint,
  size: number,
  reserved: number,
): void {
  const v = new DataView(out.buffer, out.byteOffset, ETHER_HEADER_SIZE);
  v.setUint32(FIELD_MAGIC, ETHER_MAGIC);
  out[FIELD_VERSION] = ETHER_VERSION;
  out[FIELD_COMMAND] = command;
  v.setUint16(FIELD_FLAGS, flags);
  v.setBigUint64(FIELD_HANDLE, handle);
  v.setUint32(FIELD_SIZE, size);
  v.setInt32(FIELD_RESERVED, reserved);
}

function frame(command: number, handle: bigint, reserved: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ETHER_HEADER_SIZE + payload.length);
  writeHeader(out, command, 0, handle, payload.length, reserved);
  out.set(payload, ETHER_HEADER_SIZE);
  return out;
}

function errorFrame(handle: bigint, code: number, message: string | null): Uint8Array {
  return frame(
    EtherCommand.ERROR,
    handle,
    code,
    message ? encoder.encode(`${etherErrorName(code)}: ${message}`) : new Uint8Array(0),
  );
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i % Math.max(1, a.length)] ?? 0) ^ b[i];
  return diff === 0;
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
