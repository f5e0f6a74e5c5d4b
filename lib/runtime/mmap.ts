/**
 * Memory-maps files through Deno's FFI (`mmap(2)` from libc) when asked to and `--allow-ffi` is
 * granted, and reads them into one buffer otherwise.
 *
 * A mapping is never unmapped while JavaScript can still reach it: it is released by the
 * garbage collector once no view of its bytes remains, so a view kept past the owner's `close()`
 * stays valid and never crashes the process.
 *
 * What a mapping cannot survive is its file being truncated or rewritten in place by another
 * program (`cp new.mxy served.mxy`, `truncate`, an editor saving in place): pages that no longer
 * exist in the file raise SIGBUS, which no JavaScript code can catch. That is why mapping is
 * opt-in (`mode: "mmap"` or `"auto"`) and reading is the default: map only files that are
 * replaced by renaming a complete new file over them (as `mxy build` and every atomic writer
 * do), never modified in place.
 *
 * @module
 */
import { deno } from "./_deno.ts";
import { RuntimeError } from "./runtime_error.ts";

/** How a file's bytes were obtained by {@linkcode mapFile}. */
export type MapMode = "mmap" | "read";

/** A file's bytes, mapped or read. */
export interface MappedFile {
  /**
   * The file's bytes. With `mmap`, a view straight onto the page cache, valid for as long as
   * any view of it is reachable (the mapping is released by the garbage collector).
   */
  readonly bytes: Uint8Array;
  /** `"mmap"` when memory-mapped, `"read"` when read into a buffer. */
  readonly mode: MapMode;
}

/** Options for {@linkcode mapFile}. */
export interface MapFileOptions {
  /**
   * `"read"` (default) reads the file into one buffer; `"mmap"` maps it and throws a
   * {@linkcode RuntimeError} when FFI is not granted; `"auto"` maps when FFI is granted and
   * reads otherwise. Map only files that are never modified in place (see the module docs).
   */
  mode?: "auto" | MapMode;
}

const PROT_READ = 1;
const MAP_PRIVATE = 2;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;
let libc: Libc | null | undefined;

/** Unmaps a region once the ArrayBuffer over it has been garbage-collected. */
let unmapper: FinalizationRegistry<{ ptr: Deno.PointerObject; size: number }> | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  try {
    const d = deno("mapFile()");
    if (d.permissions.querySync({ name: "ffi" }).state !== "granted") return libc;
    if (d.build.os === "windows") return libc;
    const name = d.build.os === "darwin" ? "libSystem.B.dylib" : "libc.so.6";
    const lib = d.dlopen(name, SYMBOLS);
    unmapper = new FinalizationRegistry(({ ptr, size }) => {
      lib.symbols.munmap(ptr, BigInt(size));
    });
    libc = lib;
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    libc = null;
  }
  return libc;
}

/**
 * Reports whether {@linkcode mapFile} can memory-map in this process (Deno with FFI granted,
 * libc found).
 *
 * @returns `true` when mmap is available.
 * @throws {RuntimeError} `unsupported-runtime` outside Deno.
 * @example
 * ```ts
 * import { canMmap } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * assert.equal(typeof canMmap(), "boolean");
 * ```
 */
export function canMmap(): boolean {
  return loadLibc() !== null;
}

/**
 * Reads a file into one buffer, or maps it into memory read-only when asked to. Mapping takes
 * constant time whatever the file's size: pages are loaded as they are touched.
 *
 * @param path The file.
 * @param options {@linkcode MapFileOptions}.
 * @returns The {@linkcode MappedFile}.
 * @throws {RuntimeError} `permission` when `mode` is `"mmap"` and FFI is not granted;
 *   `unsupported-runtime` outside Deno. A missing file throws Deno's `NotFound`.
 * @example
 * ```ts
 * import { mapFile } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array([9, 8, 7]));
 * const f = await mapFile(path);
 * assert.deepEqual([...f.bytes], [9, 8, 7]);
 * assert.equal(f.mode, "read");
 * await Deno.remove(path);
 * ```
 */
export async function mapFile(path: string, options: MapFileOptions = {}): Promise<MappedFile> {
  const d = deno("mapFile()");
  const mode = options.mode ?? "read";
  if (mode !== "read") {
    const lib = loadLibc();
    if (lib) {
      const mapped = mmapWith(d, lib, path);
      if (mapped) return mapped;
    } else if (mode === "mmap") {
      throw new RuntimeError(
        "permission",
        `Cannot memory-map "${path}": FFI is not allowed (run with --allow-ffi)`,
      );
    }
  }
  const bytes = await d.readFile(path);
  return { bytes, mode: "read" };
}

function mmapWith(d: typeof Deno, lib: Libc, path: string): MappedFile | null {
  const size = d.statSync(path).size;
  if (size === 0) return null;
  const cpath = new TextEncoder().encode(path + "\0");
  const fd = lib.symbols.open(cpath, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) throw new d.errors.NotFound(`Cannot open "${path}" for mapping`);
  const ptr = lib.symbols.mmap(null, BigInt(size), PROT_READ, MAP_PRIVATE, fd, 0n);
  lib.symbols.close(fd);
  const addr = ptr === null ? 0n : d.UnsafePointer.value(ptr);
  if (ptr === null || addr === 0xffffffffffffffffn) return null;
  const buffer = d.UnsafePointerView.getArrayBuffer(ptr, size);
  unmapper!.register(buffer, { ptr, size });
  return { bytes: new Uint8Array(buffer), mode: "mmap" };
}
