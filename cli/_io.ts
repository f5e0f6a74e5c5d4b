/**
 * The command line's own plumbing: arguments, environment, standard streams, exit. The CLI is a
 * Deno program, so this talks to `Deno` directly; the library reaches the OS only through
 * `lib/runtime/` (`@mxy/mxy/deno`).
 *
 * @module
 */

/** The command-line arguments after the script name. */
export function args(): string[] {
  return [...Deno.args];
}

/**
 * An environment variable, or `undefined` when unset or when reading it is not permitted.
 *
 * @param name The variable.
 * @returns Its value.
 */
export function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Ends the process.
 *
 * @param code The exit status.
 */
export function exit(code: number): never {
  Deno.exit(code);
}

/** Standard output or standard error. */
export type StdStream = "stdout" | "stderr";

const encoder = new TextEncoder();

/**
 * Whether an error is a write to a closed pipe (`mxy … | head -1`).
 *
 * @param err What was thrown.
 * @returns `true` for a broken pipe.
 */
export function isBrokenPipe(err: unknown): boolean {
  return err instanceof Deno.errors.BrokenPipe ||
    (err instanceof Error && /broken pipe|os error 32\b/i.test(err.message));
}

/**
 * Ends the process quietly with status 0 when standard output is a pipe whose reader has gone
 * (`mxy … | head -1`): the reader has all it wanted. A closed standard error is ignored.
 */
function onWriteError(stream: StdStream, err: unknown): void {
  if (!isBrokenPipe(err)) throw err;
  if (stream === "stdout") Deno.exit(0);
}

/**
 * Writes all of `data` to a standard stream. When standard output is a pipe that was closed
 * (`| head -1`), the process ends quietly with status 0.
 *
 * @param stream Which stream.
 * @param data Text (written as UTF-8) or bytes.
 */
export async function write(stream: StdStream, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const target = stream === "stdout" ? Deno.stdout : Deno.stderr;
  let done = 0;
  try {
    while (done < bytes.length) done += await target.write(bytes.subarray(done));
  } catch (err) {
    onWriteError(stream, err);
  }
}

/**
 * Writes all of `data` to a standard stream, synchronously. When standard output is a pipe that
 * was closed (`| head -1`), the process ends quietly with status 0.
 *
 * @param stream Which stream.
 * @param data Text (written as UTF-8) or bytes.
 */
export function writeSync(stream: StdStream, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const target = stream === "stdout" ? Deno.stdout : Deno.stderr;
  let done = 0;
  try {
    while (done < bytes.length) done += target.writeSync(bytes.subarray(done));
  } catch (err) {
    onWriteError(stream, err);
  }
}

/**
 * Prints a warning on standard error, worded as every command words them:
 * `mxy: warning: MESSAGE`.
 *
 * @param message What the user should know (the run goes on).
 */
export function warn(message: string): void {
  writeSync("stderr", `mxy: warning: ${message}\n`);
}

/**
 * Whether a standard stream is a terminal.
 *
 * @param stream Which stream.
 * @returns `true` for a terminal.
 */
export function isTerminal(stream: "stdin" | StdStream): boolean {
  const s = stream === "stdin" ? Deno.stdin : stream === "stdout" ? Deno.stdout : Deno.stderr;
  return s.isTerminal();
}

/** Standard input as a byte stream. */
export function stdinStream(): ReadableStream<Uint8Array> {
  return Deno.stdin.readable;
}

/** A monotonic clock in milliseconds. */
export function now(): number {
  return performance.now();
}

/**
 * Reads a whole file; `-` reads standard input to its end.
 *
 * @param path The file, or `-`.
 * @returns Its bytes.
 */
export async function readFile(path: string): Promise<Uint8Array> {
  if (path === "-") return await new Response(Deno.stdin.readable).bytes();
  return await Deno.readFile(path);
}

/** What {@linkcode statFile} tells of a file. */
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
 * Information about a file, or `null` when it does not exist.
 *
 * @param path The file.
 * @returns Its size, kind and modification time.
 */
export async function statFile(path: string): Promise<FileInfo | null> {
  try {
    const s = await Deno.stat(path);
    return {
      size: s.size,
      isFile: s.isFile,
      isDirectory: s.isDirectory,
      mtimeMs: s.mtime ? s.mtime.getTime() : null,
    };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/**
 * The names in a directory, sorted.
 *
 * @param path The directory.
 * @returns The entry names.
 */
export async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(path)) names.push(e.name);
  return names.sort();
}

/**
 * The absolute path of a file with every symbolic link resolved, or `null` when it does not
 * exist.
 *
 * @param path The file.
 * @returns Its real path.
 */
export async function realPath(path: string): Promise<string | null> {
  try {
    return await Deno.realPath(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}
