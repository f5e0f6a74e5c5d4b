/**
 * Standard streams for the database commands (query, inspect, validate, export), swappable so
 * tests can run the commands in-process and read what they print.
 *
 * @module
 */
import { stdinStream, writeSync } from "../_io.ts";

/** Where a command reads queries from and writes results to. */
export interface CliIo {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Standard input. */
  stdin(): ReadableStream<Uint8Array>;
}

/** The process's real streams. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => writeSync("stdout", text),
  stderr: (text) => writeSync("stderr", text),
  stdin: () => stdinStream(),
};

/** Collects output into 64 KiB chunks before writing, for commands that print many lines. */
export class BufferedOut {
  #io: CliIo;
  #parts: string[] = [];
  #size = 0;

  /** @param io Where to write. */
  constructor(io: CliIo) {
    this.#io = io;
  }

  /**
   * Adds one line (a newline is appended).
   *
   * @param line The text.
   */
  line(line: string): void {
    this.write(line + "\n");
  }

  /**
   * Adds text as is.
   *
   * @param text The text.
   */
  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= 65536) this.flush();
  }

  /** Writes what is buffered. */
  flush(): void {
    if (this.#parts.length === 0) return;
    this.#io.stdout(this.#parts.join(""));
    this.#parts = [];
    this.#size = 0;
  }
}

/**
 * Reads a stream line by line (`\n` or `\r\n`), without holding it all in memory.
 *
 * @param stream The bytes.
 * @returns The lines, without their terminators.
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    if (rest.indexOf("\n") < 0) continue;
    const lines = rest.split("\n");
    rest = lines.pop()!;
    for (const line of lines) yield line.endsWith("\r") ? line.slice(0, -1) : line;
  }
  rest += decoder.decode();
  if (rest.length > 0) yield rest.endsWith("\r") ? rest.slice(0, -1) : rest;
}
