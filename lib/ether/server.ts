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
import { EtherError, etherErrorName, EtherWireError } from "./ether_error.ts";
import { MemoryStore } from "./memory_store.ts";
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
  /** Memory all blocks together may use. Default 1 GiB. */
  maxTotalBytes?: number;
  /** Memory one connection may use. Default 256 MiB. */
  maxConnectionBytes?: number;
  /** Largest payload / size field. Default 16 MiB (the protocol's limit). */
  maxPayload?: number;
  /** Close a connection idle for this long (ms); 0 disables. Default 300000. */
  idleTimeoutMs?: number;
  /** Close a connection that started a frame but has not finished it within this time (ms). Default 10000. */
  frameTimeoutMs?: number;
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
 * import type { EtherServerStats } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * await client.alloc(100);
 * assert.equal((await client.stats()).memoryInUse, 100);
 * client.close();
 * const stats: EtherServerStats = await server.close();
 * assert.equal(stats.memoryInUse, 0);
 * assert.equal(stats.memoryPeak, 100);
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
  /** Bytes in live blocks. */
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
  #maxPayload: number;
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
    });
    this.#databases = new ServerDatabases(
      options.engine,
      options.reloadIntervalMs ?? 1000,
      (line) => this.#log(line),
    );
    this.#idleMs = options.idleTimeoutMs ?? 300_000;
    this.#frameMs = options.frameTimeoutMs ?? 10_000;
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
    return {
      connections: this.#conns.size,
      ...this.#s,
      blocks: m.blocks,
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
   * statistics. Safe to call twice.
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
    this.#closedPromise = (async () => {
      await this.#done;
      while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
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
      reader: new FrameReader(stream, 128 * 1024),
      authed: this.#token === null,
      frameStart: 0,
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
      if (c.frameStart !== 0 && !c.busy && now - c.frameStart > frame) {
        this.#s.timeouts++;
        this.#log(`connection ${c.id}: partial frame not completed within ${frame} ms, closing`);
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
    this.#conns.delete(c);
    this.#store.releaseOwner(c.id);
    this.#databases.releaseOwner(c.id);
  }

  async #send(c: Conn, data: Uint8Array): Promise<void> {
    this.#s.bytesOut += data.length;
    await c.stream.writeAll(data);
  }

  async #serve(c: Conn): Promise<void> {
    const r = c.reader;
    const maxPayload = this.#maxPayload;
    while (!c.closed) {
      if (this.#stopping && r.buffered === 0) return;
      const hb = await r.readExact(ETHER_HEADER_SIZE);
      if (!hb || c.closed) return; // end of stream (perhaps mid-header): nothing to answer
      c.busy = true;
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

      // 1. header validation: failure closes the connection
      const bad = etherHeaderProblem(magic, version, size, maxPayload);
      if (bad) {
        this.#s.errors++;
        this.#log(`connection ${c.id}: ${bad}; closing`);
        await this.#send(c, errorFrame(handle, EtherWireError.INVALID, wantMsg ? bad : null))
          .catch(() => {});
        return;
      }

      // 2. the payload (legacy framing: `size` bytes follow unless NO_PAYLOAD on a length command)
      const lengthCmd = etherSizeIsLength(command);
      let payload: Uint8Array | null = null;
      if (size > 0) {
        if (lengthCmd) {
          if ((flags & EtherFlag.NO_PAYLOAD) === 0) {
            if (!(await r.skip(size))) return;
            this.#s.bytesIn += size;
          }
        } else {
          payload = await r.readExact(size);
          if (!payload) return; // disconnected mid-payload
          this.#s.bytesIn += size;
        }
      }
      c.frameStart = r.buffered > 0 ? this.#clock : 0;

      // 3. authentication
      if (!c.authed) {
        if (command !== EtherCommand.AUTH) {
          this.#s.errors++;
          await this.#send(
            c,
            errorFrame(
              handle,
              EtherWireError.AUTH,
              wantMsg
                ? `${etherCommandName(command)} refused: AUTH must be the first request`
                : null,
            ),
          ).catch(() => {});
          return;
        }
        if (!constantTimeEqual(payload ?? new Uint8Array(0), this.#token!)) {
          this.#s.errors++;
          await this.#send(
            c,
            errorFrame(handle, EtherWireError.AUTH, wantMsg ? "Wrong token" : null),
          )
            .catch(() => {});
          return;
        }
        c.authed = true;
        await this.#send(c, this.#ok(handle));
        c.busy = false;
        continue;
      }

      // 4. the request
      let reply: Uint8Array;
      try {
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
        this.#s.errors++;
        let wire: number;
        let text: string;
        if (err instanceof EtherError) {
          wire = err.wireCode;
          text = err.message;
        } else {
          // not the client's fault: a failure of the server itself
          wire = EtherWireError.INTERNAL;
          text = `${etherCommandName(command)} failed inside the server: ${msg(err)}`;
          this.#log(`connection ${c.id}: ${text}${err instanceof Error ? `\n${err.stack}` : ""}`);
        }
        reply = errorFrame(handle, wire, wantMsg ? text : null);
      }
      try {
        await this.#send(c, reply);
      } catch {
        return;
      }
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
      case EtherCommand.READ:
        return this.#dataReply(c, handle, store.read(c.id, handle, size));
      case EtherCommand.DB_OPEN:
        return this.#databases.open(c.id, text(payload, "DB_OPEN", "path"), () => c.closed)
          .then((h) => this.#ok(h));
      case EtherCommand.DB_LOAD: {
        // the database keeps its own copy: the block may be freed or rewritten
        const bytes = store.read(c.id, handle, store.sizeOf(c.id, handle)).slice();
        return this.#ok(this.#databases.load(c.id, bytes, handle));
      }
      case EtherCommand.DB_QUERY: {
        const json = this.#databases.queryJson(c.id, handle, text(payload, "DB_QUERY", "query"));
        return frame(EtherCommand.OK, handle, 0, encoder.encode(json));
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
