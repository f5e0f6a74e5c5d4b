/**
 * Output files written piece by piece and put in place atomically: the bytes go to a temporary
 * file beside the target, which is renamed over it on {@linkcode OutputFile.commit}.
 *
 * @module
 */
import { deno } from "./_deno.ts";
import { RuntimeError } from "./runtime_error.ts";

/** A file being written; nothing appears at the target path until `commit`. */
export interface OutputFile {
  /** The target path. */
  readonly path: string;
  /** Appends bytes (synchronously, completely). */
  write(bytes: Uint8Array): void;
  /** Closes the temporary file and renames it to the target. Safe to call twice. */
  commit(): void;
  /** Closes and removes the temporary file, leaving the target untouched. */
  abort(): void;
}

/**
 * Opens a target path for piecewise, atomic writing.
 *
 * @param path The file to produce.
 * @returns The {@linkcode OutputFile}.
 * @example
 * ```ts
 * import { openOutputFile } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const f = openOutputFile(`${dir}/out.txt`);
 * f.write(new TextEncoder().encode("a"));
 * f.write(new TextEncoder().encode("b"));
 * f.commit();
 * assert.equal(await Deno.readTextFile(`${dir}/out.txt`), "ab");
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.txt"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function openOutputFile(path: string): OutputFile {
  const d = deno("openOutputFile()");
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  const base = slash >= 0 ? path.slice(slash + 1) : path;
  const tmp = `${dir}.tmp-${base}-${crypto.randomUUID().slice(0, 8)}`;
  const file = d.openSync(tmp, { write: true, create: true, truncate: true });
  let open = true;
  return {
    path,
    write(bytes: Uint8Array): void {
      if (!open) {
        throw new RuntimeError("closed", `Cannot write "${path}": the file is already closed`);
      }
      let done = 0;
      while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
    },
    commit(): void {
      if (!open) return;
      open = false;
      file.close();
      d.renameSync(tmp, path);
    },
    abort(): void {
      if (!open) return;
      open = false;
      file.close();
      try {
        d.removeSync(tmp);
      } catch {
        // already gone
      }
    },
  };
}
