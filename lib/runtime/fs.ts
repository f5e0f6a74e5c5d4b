/**
 * File-system access for mxy. Everything in `lib/` that touches files goes through here, so the
 * rest of the library stays runtime-neutral.
 *
 * @module
 */
import { deno } from "./_deno.ts";

/** Information about a file, as {@linkcode statFile} returns it. */
export interface FileInfo {
  /** Size in bytes. */
  size: number;
  /** Whether it is a regular file. */
  isFile: boolean;
  /** Whether it is a directory. */
  isDirectory: boolean;
  /** Last modification time in milliseconds since the epoch, or `null` when unknown. */
  mtimeMs: number | null;
}

/**
 * Reads a whole file into one buffer. `-` reads standard input to its end.
 *
 * @param path The file to read, or `-` for standard input.
 * @returns The file's bytes.
 */
export async function readFile(path: string): Promise<Uint8Array> {
  const d = deno("readFile()");
  if (path === "-") return await new Response(d.stdin.readable).bytes();
  return await d.readFile(path);
}

/**
 * Reads a whole file, decompressing it when its name ends in `.gz` or its bytes start with the
 * gzip magic.
 *
 * @param path The file to read, or `-` for standard input.
 * @returns The (decompressed) bytes.
 */
export async function readMaybeGzip(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return await gunzip(bytes);
  return bytes;
}

/**
 * Decompresses gzip bytes with the web-standard `DecompressionStream`.
 *
 * @param bytes gzip-compressed bytes.
 * @returns The decompressed bytes.
 */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return await new Response(stream).bytes();
}

/**
 * Opens a file (or standard input for `-`) as a stream of byte chunks, gunzipping `.gz` files.
 *
 * @param path The file to read, or `-` for standard input.
 * @returns A readable stream of the file's (decompressed) bytes.
 */
export async function openReadStream(path: string): Promise<ReadableStream<Uint8Array>> {
  const d = deno("openReadStream()");
  const raw = path === "-" ? d.stdin.readable : (await d.open(path, { read: true })).readable;
  if (path.endsWith(".gz")) {
    return raw.pipeThrough(new DecompressionStream("gzip")) as ReadableStream<Uint8Array>;
  }
  return raw;
}

/**
 * Writes a file atomically: the bytes go to a temporary file beside the target, which is then
 * renamed over it, so a failed write never leaves a half-written file or loses the old one.
 *
 * @param path The file to write.
 * @param data The bytes to write.
 * @returns A promise that settles once the file is in place.
 * @example
 * ```ts
 * import { writeFileAtomic } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile();
 * await writeFileAtomic(path, new TextEncoder().encode("x"));
 * assert.equal(await Deno.readTextFile(path), "x");
 * await Deno.remove(path);
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const d = deno("writeFileAtomic()");
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  const base = slash >= 0 ? path.slice(slash + 1) : path;
  const tmp = `${dir}.tmp-${base}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await d.writeFile(tmp, data);
    await d.rename(tmp, path);
  } catch (err) {
    await d.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Returns size and kind of a file, or `null` when it does not exist.
 *
 * @param path The file to look at.
 * @returns Its {@linkcode FileInfo}, or `null`.
 */
export async function statFile(path: string): Promise<FileInfo | null> {
  const d = deno("statFile()");
  try {
    const s = await d.stat(path);
    return {
      size: s.size,
      isFile: s.isFile,
      isDirectory: s.isDirectory,
      mtimeMs: s.mtime ? s.mtime.getTime() : null,
    };
  } catch (err) {
    if (err instanceof d.errors.NotFound) return null;
    throw err;
  }
}

/**
 * Lists the names of the entries of a directory.
 *
 * @param path The directory.
 * @returns Entry names, sorted.
 */
export async function listDir(path: string): Promise<string[]> {
  const d = deno("listDir()");
  const names: string[] = [];
  for await (const e of d.readDir(path)) names.push(e.name);
  return names.sort();
}

/**
 * Renames (moves) a file.
 *
 * @param from The current path.
 * @param to The new path.
 * @returns A promise that settles once renamed.
 */
export async function renameFile(from: string, to: string): Promise<void> {
  const d = deno("renameFile()");
  await d.rename(from, to);
}

/**
 * Removes a file, ignoring a file that is already gone.
 *
 * @param path The file to remove.
 * @returns A promise that settles once removed.
 */
export async function removeFile(path: string): Promise<void> {
  const d = deno("removeFile()");
  try {
    await d.remove(path);
  } catch (err) {
    if (!(err instanceof d.errors.NotFound)) throw err;
  }
}

/**
 * Opens a file for random-access reads (used for captures larger than memory).
 *
 * @param path The file.
 * @returns A reader with `readAt` and `close`.
 */
export async function openRandomAccess(path: string): Promise<RandomAccessFile> {
  const d = deno("openRandomAccess()");
  const file = await d.open(path, { read: true });
  const size = (await file.stat()).size;
  return {
    size,
    async readAt(buf: Uint8Array, position: number): Promise<number> {
      await file.seek(position, d.SeekMode.Start);
      let done = 0;
      while (done < buf.length) {
        const n = await file.read(buf.subarray(done));
        if (n === null) break;
        done += n;
      }
      return done;
    },
    close(): void {
      file.close();
    },
  };
}

/** A file opened for reads at arbitrary positions. */
export interface RandomAccessFile {
  /** The file's size in bytes when it was opened. */
  readonly size: number;
  /** Fills `buf` from `position`; returns the number of bytes read (fewer at end of file). */
  readAt(buf: Uint8Array, position: number): Promise<number>;
  /** Closes the file. */
  close(): void;
}
