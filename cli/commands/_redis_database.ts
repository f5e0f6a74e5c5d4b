/**
 * Database versions shared by the workers of a stream: a publisher sets a Redis hash (`--db-key`)
 * to the path of the new file (on storage every worker reads) and its SHA-256; each worker checks
 * the key between batches and switches to the new version once the file it reads has that
 * checksum and opens, keeping the old one until then. A version is named by the first 16 hex
 * digits of its SHA-256, which every hit record carries.
 *
 * @module
 */
import { Database, FormatError } from "../../lib/db/mod.ts";
import { writeSync } from "../_io.ts";
import { type RedisConnection, type RedisReply, text } from "./_redis_connect.ts";

/** A published file: where it is and what it must hash to. */
export interface PublishedFile {
  /** The absolute path. */
  path: string;
  /** SHA-256 of its bytes, lower-case hex. */
  sha256: string;
}

/**
 * The SHA-256 of bytes, lower-case hex.
 *
 * @param bytes The bytes.
 * @returns 64 hex digits.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The version name of a checksum: its first 16 hex digits.
 *
 * @param sha256 The checksum.
 * @returns The version.
 */
export function versionOf(sha256: string): string {
  return sha256.slice(0, 16);
}

/**
 * Publishes a file under a key (a hash with `path`, `sha256`, `size` and `published`).
 *
 * @param redis The connection.
 * @param key The key.
 * @param file The file, as the workers will find it.
 * @param bytes Its bytes (to hash).
 * @returns What was published.
 */
export async function publishFile(
  redis: RedisConnection,
  key: string,
  file: string,
  bytes: Uint8Array,
): Promise<PublishedFile> {
  const path = await Deno.realPath(file);
  const sha256 = await sha256Hex(bytes);
  await redis.command([
    "HSET",
    key,
    "path",
    path,
    "sha256",
    sha256,
    "size",
    String(bytes.length),
    "published",
    new Date().toISOString(),
  ]);
  return { path, sha256 };
}

/**
 * Reads a published file's key.
 *
 * @param redis The connection.
 * @param key The key.
 * @returns The path and checksum, or `null` when the key is missing or incomplete.
 */
export async function readPublished(
  redis: RedisConnection,
  key: string,
): Promise<PublishedFile | null> {
  const r = await redis.command(["HMGET", key, "path", "sha256"]) as RedisReply[];
  const path = text(r?.[0]), sha256 = text(r?.[1]).toLowerCase();
  if (path === "" || !/^[0-9a-f]{64}$/.test(sha256)) return null;
  return { path, sha256 };
}

/** The version a worker runs: what was opened, and from which bytes. */
export interface LoadedVersion<T> {
  /** What `open` made of the bytes. */
  value: T;
  /** Its checksum. */
  sha256: string;
  /** The file it came from. */
  path: string;
}

/** How long a version that failed to load is left alone before trying it again. */
const RETRY_MS = 1000;

/** Follows a published-file key: {@linkcode PublishedFileWatch.check} between batches. */
export class PublishedFileWatch<T> {
  #redis: RedisConnection;
  #key: string;
  #open: (bytes: Uint8Array, path: string) => T;
  #current: LoadedVersion<T>;
  #failed = new Map<string, number>();
  /** Versions loaded after the first. */
  reloads = 0;

  /**
   * @param redis The connection.
   * @param key The key.
   * @param open Opens a version's bytes (throws when they are not valid).
   * @param first The version to start with.
   */
  constructor(
    redis: RedisConnection,
    key: string,
    open: (bytes: Uint8Array, path: string) => T,
    first: LoadedVersion<T>,
  ) {
    this.#redis = redis;
    this.#key = key;
    this.#open = open;
    this.#current = first;
  }

  /** The version in use. */
  get current(): LoadedVersion<T> {
    return this.#current;
  }

  /**
   * Switches to the published version when it differs from the current one, its file has the
   * published checksum and it opens; otherwise keeps the current one (saying why, once).
   *
   * @returns `true` when it switched.
   */
  async check(): Promise<boolean> {
    const p = await readPublished(this.#redis, this.#key);
    if (p === null || p.sha256 === this.#current.sha256) return false;
    const failedAt = this.#failed.get(p.sha256);
    if (failedAt !== undefined && performance.now() - failedAt < RETRY_MS) return false;
    const loaded = await loadVersion(p.path, p.sha256, this.#open).catch((err: Error) => err);
    if (loaded instanceof Error) {
      if (failedAt === undefined) {
        writeSync(
          "stderr",
          `mxy: keeping database version ${versionOf(this.#current.sha256)}: version ` +
            `${versionOf(p.sha256)} published at "${this.#key}" cannot be loaded yet ` +
            `(${loaded.message})\n`,
        );
      }
      this.#failed.set(p.sha256, performance.now());
      return false;
    }
    this.#failed.delete(p.sha256);
    this.#current = loaded;
    this.reloads++;
    writeSync(
      "stderr",
      `mxy: database version ${versionOf(p.sha256)} (${p.path}) published at "${this.#key}" ` +
        `loaded\n`,
    );
    return true;
  }
}

/**
 * Reads a file, checks its checksum when one is given, and opens it.
 *
 * @param path The file.
 * @param sha256 The checksum it must have, or `null`.
 * @param open Opens the bytes.
 * @returns The version.
 */
export async function loadVersion<T>(
  path: string,
  sha256: string | null,
  open: (bytes: Uint8Array, path: string) => T,
): Promise<LoadedVersion<T>> {
  const bytes = await Deno.readFile(path);
  const actual = await sha256Hex(bytes);
  if (sha256 !== null && actual !== sha256) {
    throw new Error(
      `"${path}" has SHA-256 ${versionOf(actual)}…, not the published ${versionOf(sha256)}… ` +
        `(still being copied?)`,
    );
  }
  return { value: open(bytes, path), sha256: actual, path };
}

/**
 * Opens a database version from its bytes; bytes that are not a database are a `FormatError`
 * naming the file.
 *
 * @param bytes The file's bytes.
 * @param path The file, for the message.
 * @returns The database.
 */
export function openDatabaseVersion(bytes: Uint8Array, path: string): Database {
  try {
    return Database.fromBytes(bytes);
  } catch (err) {
    if (err instanceof FormatError) {
      throw new FormatError(err.code, `Cannot open database "${path}": ${err.message}`);
    }
    throw err;
  }
}
