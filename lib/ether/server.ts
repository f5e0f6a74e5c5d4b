/**
 * The Ether server: remote memory blocks and database queries over TCP (protocol v1, see
 * `docs/PROTOCOL.md`). Each connection is served in order; many connections are served at once.
 *
 * @module
 */
import { FrameReader } from "./_frame_reader.ts";
import { type DatabaseEngine, type QueryableDatabase, resolveUnder } from "./database_engine.ts";
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
  EtherError,
  EtherErrorCode,
  etherErrorName,
  EtherFlag,
} from "./protocol.ts";
import { isLoopback, listenTcp, type TcpListener, type TcpStream } from "../runtime/net.ts";
import { statFile } from "../runtime/fs.ts";

/** Options for {@linkcode EtherServer.listen}. */
export interface EtherServerOptions {
  /** Address to bind. Default `127.0.0.1`. A non-loopback address requires `token`. */
  host?: string;
  /** Port; 0 picks a free one. Default 9999. */
  port?: number;
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
  /** Folder DB_OPEN may open files from. DB_OPEN is refused without it. */
  dbDir?: string;
  /** A database file to preload as database 0, reloaded when the file is replaced. */
  dbFile?: string;
  /** How often to look for a replaced `dbFile` (ms). Default 1000. */
  reloadIntervalMs?: number;
  /** The database engine; without it the database commands answer DENIED. */
  engine?: DatabaseEngine;
  /** Where log lines go. Default: nowhere. */
  log?: (line: string) => void;
}

/** Counters reported by {@linkcode EtherServer.stats} and the STATS command. */
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
  stream: TcpStream;
  reader: FrameReader;
  authed: boolean;
  /** Time the current frame's first byte arrived, 0 when between frames. */
  frameStart: number;
  /** Last time anything happened. */
  lastActivity: number;
  busy: boolean;
  closed: boolean;
  databases: Set<bigint>;
  reply: Uint8Array;
}

const SOFTWARE = "mxy/0.1.0";
/** Replies up to this size are built in a per-connection buffer that is reused. */
const REUSABLE_REPLY = 256 * 1024 + ETHER_HEADER_SIZE;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * An Ether server. Start one with {@linkcode EtherServer.listen}; stop it with
 * {@linkcode EtherServer.close}, which stops accepting, lets requests in flight finish and
 * resolves to the final statistics.
 *
 * @example
 * ```ts
 * import { EtherServer } from "./server.ts";
 * import { connect } from "./client.ts";
 * import assert from "node:assert/strict";
 * const server = EtherServer.listen({ port: 0 });
 * const c = await connect("127.0.0.1", { port: server.port });
 * await c.ping();
 * c.close();
 * const stats = await server.close();
 * assert.ok(stats.requests >= 1);
 * ```
 */
export class EtherServer {
  #listener: TcpListener;
  #options: EtherServerOptions;
  #store: MemoryStore;
  #conns = new Set<Conn>();
  #nextId = 1;
  #stopping = false;
  #done: Promise<void>;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #reloader: ReturnType<typeof setInterval> | undefined;
  #maxPayload: number;
  #token: Uint8Array | null;
  #databases = new Map<bigint, { db: QueryableDatabase; owner: number; name: string }>();
  #preloaded: QueryableDatabase | null = null;
  #preloadSig = "";
  #reloading = false;
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
    reloads: 0,
  };

  private constructor(listener: TcpListener, options: EtherServerOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#maxPayload = Math.min(options.maxPayload ?? ETHER_MAX_PAYLOAD, ETHER_MAX_PAYLOAD);
    this.#token = options.token ? encoder.encode(options.token) : null;
    this.#store = new MemoryStore({
      maxTotalBytes: options.maxTotalBytes,
      maxOwnerBytes: options.maxConnectionBytes,
      maxBlockBytes: this.#maxPayload,
    });
    const idle = options.idleTimeoutMs ?? 300_000;
    const frame = options.frameTimeoutMs ?? 10_000;
    const period = Math.max(5, Math.min(1000, Math.floor(Math.min(idle || frame, frame) / 4)));
    this.#sweeper = setInterval(() => this.#sweep(idle, frame), period);
    this.#done = this.#acceptLoop();
  }

  /**
   * Starts a server. Refuses a non-loopback address without a token.
   *
   * @param options Address, limits, token and databases.
   * @returns The running server (its real port in {@linkcode EtherServer.port}).
   * @example
   * ```ts
   * import { EtherServer } from "./server.ts";
   * import assert from "node:assert/strict";
   * assert.throws(() => EtherServer.listen({ host: "0.0.0.0", port: 0 }), /token/);
   * ```
   */
  static listen(options: EtherServerOptions = {}): EtherServer {
    const host = options.host ?? "127.0.0.1";
    if (!isLoopback(host) && !options.token) {
      throw new EtherError(
        EtherErrorCode.DENIED,
        `Refusing to listen on non-loopback address ${host} without a token (set --token or MXY_TOKEN)`,
      );
    }
    const listener = listenTcp(options.port ?? 9999, { host });
    return new EtherServer(listener, options);
  }

  /**
   * Loads the preloaded database (`dbFile`) now, and starts watching it for replacement. Called by
   * the CLI after {@linkcode EtherServer.listen}; failures throw.
   *
   * @returns A promise that settles once loaded.
   * @example
   * ```ts ignore
   * const server = EtherServer.listen({ port: 0, dbFile: "x.mxy", engine });
   * await server.preload();
   * ```
   */
  async preload(): Promise<void> {
    const file = this.#options.dbFile;
    if (!file) return;
    if (!this.#options.engine) {
      throw new EtherError(EtherErrorCode.DENIED, "No database engine available for --db");
    }
    const info = await statFile(file);
    if (!info) {
      throw new EtherError(EtherErrorCode.NOTFOUND, `Database file "${file}" does not exist`);
    }
    this.#preloaded = await this.#options.engine.open(file);
    this.#preloadSig = `${info.size}:${info.mtimeMs}`;
    const every = this.#options.reloadIntervalMs ?? 1000;
    this.#reloader = setInterval(() => void this.#checkReload(), every);
  }

  async #checkReload(): Promise<void> {
    const file = this.#options.dbFile;
    if (!file || this.#reloading || this.#stopping) return;
    this.#reloading = true;
    try {
      const info = await statFile(file);
      if (!info) return;
      const sig = `${info.size}:${info.mtimeMs}`;
      if (sig === this.#preloadSig) return;
      let fresh: QueryableDatabase;
      try {
        fresh = await this.#options.engine!.open(file);
      } catch (err) {
        this.#preloadSig = sig; // do not retry the same broken file every tick
        this.#log(`reload of "${file}" failed, keeping the previous one: ${msg(err)}`);
        return;
      }
      const old = this.#preloaded;
      this.#preloaded = fresh; // atomic swap: queries are synchronous
      this.#preloadSig = sig;
      this.#s.reloads++;
      old?.close();
      this.#log(`reloaded "${file}"`);
    } finally {
      this.#reloading = false;
    }
  }

  /** The bound port. */
  get port(): number {
    return this.#listener.port;
  }

  /** The bound host. */
  get host(): string {
    return this.#listener.host;
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
   * import { EtherServer } from "./server.ts";
   * import assert from "node:assert/strict";
   * const s = EtherServer.listen({ port: 0 });
   * assert.equal(s.stats().connections, 0);
   * await s.close();
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
      databases: this.#databases.size,
      preloaded: this.#preloaded !== null,
      uptimeMs: Math.round(performance.now() - this.#startedAt),
    };
  }

  /**
   * Stops accepting, lets requests in flight finish, closes every connection (freeing its
   * memory) and resolves to the final statistics. Safe to call twice.
   *
   * @returns The final statistics.
   * @example
   * ```ts
   * import { EtherServer } from "./server.ts";
   * import assert from "node:assert/strict";
   * const s = EtherServer.listen({ port: 0 });
   * assert.equal((await s.close()).connections, 0);
   * ```
   */
  close(): Promise<EtherServerStats> {
    if (this.#closedPromise) return this.#closedPromise;
    this.#stopping = true;
    this.#listener.close();
    for (const c of this.#conns) {
      if (!c.busy && c.frameStart === 0 && c.reader.buffered === 0) this.#drop(c);
    }
    this.#closedPromise = (async () => {
      await this.#done;
      while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
      clearInterval(this.#sweeper);
      if (this.#reloader !== undefined) clearInterval(this.#reloader);
      this.#preloaded?.close();
      this.#preloaded = null;
      return this.stats();
    })();
    return this.#closedPromise;
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      const stream = await this.#listener.accept();
      if (!stream) return;
      if (this.#stopping) {
        stream.close();
        continue;
      }
      const max = this.#options.maxConnections ?? 1024;
      if (this.#conns.size >= max) {
        this.#s.connectionsRefused++;
        const reply = errorFrame(0n, EtherErrorCode.BUSY, null);
        stream.writeAll(reply).catch(() => {}).finally(() => stream.close());
        continue;
      }
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
        databases: new Set(),
        reply: new Uint8Array(ETHER_HEADER_SIZE),
      };
      conn.reader.onData = () => {
        conn.lastActivity = this.#clock;
        if (conn.frameStart === 0) conn.frameStart = this.#clock;
      };
      this.#conns.add(conn);
      this.#s.connectionsTotal++;
      const p = this.#serve(conn).catch((err) => {
        this.#log(`connection ${conn.id} (${stream.remote}) failed: ${msg(err)}`);
      }).finally(() => {
        this.#cleanup(conn);
        this.#running.delete(conn);
      });
      this.#running.set(conn, p);
    }
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
    const frame = errorFrame(0n, EtherErrorCode.TIMEOUT, null);
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
    for (const h of c.databases) {
      const d = this.#databases.get(h);
      if (d) {
        this.#databases.delete(h);
        try {
          d.db.close();
        } catch {
          // ignore
        }
      }
    }
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
      const magic = v.getUint32(0);
      const version = hb[4];
      const command = hb[5];
      const flags = v.getUint16(6);
      const handle = v.getBigUint64(8);
      const size = v.getUint32(16);
      const wantMsg = (flags & EtherFlag.ERROR_MESSAGE) !== 0;

      // 1. header validation: failure closes the connection
      let bad: string | null = null;
      if (magic !== ETHER_MAGIC) {
        bad = `Bad magic 0x${magic.toString(16).padStart(8, "0")} at byte 0 of the header`;
      } else if (version !== ETHER_VERSION) {
        bad = `Unsupported version ${version} at byte 4 of the header (expected ${ETHER_VERSION})`;
      } else if (size > maxPayload) {
        bad = `Size ${size} at byte 16 of the header is over the limit of ${maxPayload} bytes`;
      }
      if (bad) {
        this.#s.errors++;
        this.#log(`connection ${c.id}: ${bad}; closing`);
        await this.#send(c, errorFrame(handle, EtherErrorCode.INVALID, wantMsg ? bad : null))
          .catch(() => {});
        return;
      }

      // 2. the payload (legacy framing: `size` bytes follow unless NO_PAYLOAD on a length command)
      const lengthCmd = command === EtherCommand.ALLOC || command === EtherCommand.REALLOC ||
        command === EtherCommand.READ;
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
              EtherErrorCode.AUTH,
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
            errorFrame(handle, EtherErrorCode.AUTH, wantMsg ? "Wrong token" : null),
          )
            .catch(() => {});
          return;
        }
        c.authed = true;
        await this.#send(c, this.#ok(c, handle, 0));
        c.busy = false;
        continue;
      }

      // 4. the request
      let reply: Uint8Array;
      try {
        if ((flags & ~ETHER_KNOWN_FLAGS) !== 0) {
          throw new EtherError(
            EtherErrorCode.INVALID,
            `Unknown flag bits 0x${
              (flags & ~ETHER_KNOWN_FLAGS).toString(16)
            } at byte 6 of the header`,
          );
        }
        const r = this.#handle(c, command, flags, handle, size, payload);
        reply = r instanceof Promise ? await r : r;
      } catch (err) {
        this.#s.errors++;
        const code = err instanceof EtherError ? err.code : EtherErrorCode.INVALID;
        const text = err instanceof EtherError ? err.message : msg(err);
        reply = errorFrame(handle, code, wantMsg ? text : null);
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

  #ok(c: Conn, handle: bigint, size: number): Uint8Array {
    const out = new Uint8Array(ETHER_HEADER_SIZE);
    writeHeader(out, EtherCommand.OK, 0, handle, size, 0);
    void c;
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
        if (this.#options.engine) bits |= EtherCapability.DATABASE;
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
          throw new EtherError(EtherErrorCode.AUTH, "Wrong token");
        }
        return this.#ok(c, handle, 0);
      case EtherCommand.ALLOC: {
        const h = store.alloc(c.id, size);
        return this.#ok(c, h, 0);
      }
      case EtherCommand.FREE:
        store.free(c.id, handle);
        return this.#ok(c, handle, 0);
      case EtherCommand.REALLOC:
        store.realloc(c.id, handle, size);
        return this.#ok(c, handle, 0);
      case EtherCommand.WRITE:
        store.write(c.id, handle, payload ?? new Uint8Array(0));
        return this.#ok(c, handle, 0);
      case EtherCommand.READ:
        return this.#dataReply(c, handle, store.read(c.id, handle, size));
      case EtherCommand.DB_OPEN:
        return this.#dbOpen(c, payload);
      case EtherCommand.DB_LOAD:
        return this.#dbLoad(c, handle);
      case EtherCommand.DB_QUERY:
        return this.#dbQuery(c, handle, payload);
      case EtherCommand.DB_CLOSE: {
        const d = this.#databases.get(handle);
        if (handle === 0n || !d || d.owner !== c.id) {
          throw new EtherError(
            EtherErrorCode.NOTFOUND,
            `DB_CLOSE: no database ${hex(handle)} on this connection`,
          );
        }
        this.#databases.delete(handle);
        c.databases.delete(handle);
        d.db.close();
        return this.#ok(c, handle, 0);
      }
      case EtherCommand.STATS:
        return frame(EtherCommand.OK, handle, 0, encoder.encode(JSON.stringify(this.stats())));
      default:
        throw new EtherError(
          EtherErrorCode.UNKNOWN_COMMAND,
          `Unknown command ${etherCommandName(command)} at byte 5 of the header`,
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

  #engine(what: string): DatabaseEngine {
    const e = this.#options.engine;
    if (!e) {
      throw new EtherError(EtherErrorCode.DENIED, `${what}: this server has no database engine`);
    }
    return e;
  }

  #register(c: Conn, db: QueryableDatabase, name: string): bigint {
    const id = new BigUint64Array(1);
    do crypto.getRandomValues(id); while (id[0] === 0n || this.#databases.has(id[0]));
    this.#databases.set(id[0], { db, owner: c.id, name });
    c.databases.add(id[0]);
    return id[0];
  }

  async #dbOpen(c: Conn, payload: Uint8Array | null): Promise<Uint8Array> {
    const engine = this.#engine("DB_OPEN");
    const dir = this.#options.dbDir;
    if (!dir) throw new EtherError(EtherErrorCode.DENIED, "DB_OPEN: this server has no --db-dir");
    let rel: string;
    try {
      rel = decoder.decode(payload ?? new Uint8Array(0));
    } catch {
      throw new EtherError(EtherErrorCode.INVALID, "DB_OPEN: the path is not valid UTF-8");
    }
    const path = resolveUnder(dir, rel);
    if (path.startsWith("!")) {
      throw new EtherError(EtherErrorCode.DENIED, `DB_OPEN: ${path.slice(1)}`);
    }
    const info = await statFile(path);
    if (!info || !info.isFile) {
      throw new EtherError(
        EtherErrorCode.NOTFOUND,
        `DB_OPEN: no database file "${rel}" in the database folder`,
      );
    }
    let db: QueryableDatabase;
    try {
      db = await engine.open(path);
    } catch (err) {
      throw new EtherError(EtherErrorCode.DATABASE, `DB_OPEN: cannot open "${rel}": ${msg(err)}`);
    }
    return this.#ok(c, this.#register(c, db, rel), 0);
  }

  #dbLoad(c: Conn, handle: bigint): Uint8Array {
    const engine = this.#engine("DB_LOAD");
    const size = this.#store.sizeOf(c.id, handle);
    const bytes = this.#store.read(c.id, handle, size).slice();
    let db: QueryableDatabase;
    try {
      db = engine.fromBytes(bytes);
    } catch (err) {
      throw new EtherError(
        EtherErrorCode.DATABASE,
        `DB_LOAD: block ${hex(handle)} is not a valid database: ${msg(err)}`,
      );
    }
    return this.#ok(c, this.#register(c, db, `block ${hex(handle)}`), 0);
  }

  #dbQuery(c: Conn, handle: bigint, payload: Uint8Array | null): Uint8Array {
    const engine = this.#engine("DB_QUERY");
    let db: QueryableDatabase | null;
    if (handle === 0n) {
      db = this.#preloaded;
      if (!db) {
        throw new EtherError(EtherErrorCode.NOTFOUND, "DB_QUERY: no preloaded database (--db)");
      }
    } else {
      const d = this.#databases.get(handle);
      if (!d || d.owner !== c.id) {
        throw new EtherError(
          EtherErrorCode.NOTFOUND,
          `DB_QUERY: no database ${hex(handle)} on this connection`,
        );
      }
      db = d.db;
    }
    let q: string;
    try {
      q = decoder.decode(payload ?? new Uint8Array(0));
    } catch {
      throw new EtherError(EtherErrorCode.INVALID, "DB_QUERY: the query is not valid UTF-8");
    }
    let result: unknown;
    try {
      result = db.lookup(q);
    } catch (err) {
      const name = err instanceof Error ? err.name : "";
      throw new EtherError(
        name === "FormatError" ? EtherErrorCode.DATABASE : EtherErrorCode.INVALID,
        `DB_QUERY "${q.slice(0, 100)}": ${msg(err)}`,
      );
    }
    return frame(EtherCommand.OK, handle, 0, encoder.encode(engine.toJson(result)));
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
  v.setUint32(0, ETHER_MAGIC);
  out[4] = ETHER_VERSION;
  out[5] = command;
  v.setUint16(6, flags);
  v.setBigUint64(8, handle);
  v.setUint32(16, size);
  v.setInt32(20, reserved);
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

function hex(h: bigint): string {
  return `0x${h.toString(16).padStart(16, "0")}`;
}
