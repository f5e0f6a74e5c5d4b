/** In-process streams for the database command tests. */
import type { CliIo } from "../../cli/commands/_db_io.ts";

/** Streams that collect output and serve `input` as standard input. */
export function captureIo(input = ""): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: (t: string) => void (out += t),
    stderr: (t: string) => void (err += t),
    stdin: () => new Blob([input]).stream(),
    out: () => out,
    err: () => err,
  };
}
