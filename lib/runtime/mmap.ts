/**
 * Memory-maps files through Deno's FFI (`mmap(2)` from libc) when `--allow-ffi` is granted, and
 * falls back to reading the file into one buffer otherwise.
 *
 * @module
 */

/** How a file's bytes were obtained by {@linkcode mapFile}. */
export type MapMode = "mmap" | "read";

/** A file's bytes, mapped or read, and how to release them. */
export interface MappedFile {
  /** The file's bytes. With `mmap`, a view straight onto the page cache. */
  readonly bytes: Uint8Array;
  /** `"mmap"` when memory-mapped, `"read"` when read into a buffer. */
  readonly mode: MapMode;
  /** Unmaps the file. After this, `bytes` must not be touched. Safe to call twice. */
  close(): void;
}

/** Options for {@linkcode mapFile}. */
export interface MapFileOptions {
  /** `"auto"` (default) maps when FFI is allowed; `"mmap"` requires it; `"read"` never maps. */
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

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return libc;
    if (Deno.build.os === "windows") return libc;
    const name = Deno.build.os === "darwin" ? "libSystem.B.dylib" : "libc.so.6";
    libc = Deno.dlopen(name, SYMBOLS);
  } catch {
    libc = null;
  }
  return libc;
}

/**
 * Reports whether {@linkcode mapFile} can memory-map in this process (FFI granted, libc found).
 *
 * @returns `true` when mmap is available.
 * @example
 * ```ts
 * import { canMmap } from "./mmap.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof canMmap(), "boolean");
 * ```
 */
export function canMmap(): boolean {
  return loadLibc() !== null;
}

/**
 * Maps a file into memory read-only, or reads it when mapping is not possible. Mapping takes
 * constant time whatever the file's size: pages are loaded as they are touched.
 *
 * @param path The file to map.
 * @param options {@linkcode MapFileOptions}.
 * @returns The {@linkcode MappedFile}.
 * @example
 * ```ts
 * import { mapFile } from "./mmap.ts";
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array([9, 8, 7]));
 * const f = await mapFile(path);
 * assert.deepEqual([...f.bytes], [9, 8, 7]);
 * f.close();
 * await Deno.remove(path);
 * ```
 */
export async function mapFile(path: string, options: MapFileOptions = {}): Promise<MappedFile> {
  const mode = options.mode ?? "auto";
  if (mode !== "read") {
    const lib = loadLibc();
    if (lib) {
      const mapped = mmapWith(lib, path);
      if (mapped) return mapped;
    } else if (mode === "mmap") {
      throw new Error(`Cannot memory-map "${path}": FFI is not allowed (run with --allow-ffi)`);
    }
  }
  const bytes = await Deno.readFile(path);
  return { bytes, mode: "read", close() {} };
}

function mmapWith(lib: Libc, path: string): MappedFile | null {
  const size = Deno.statSync(path).size;
  if (size === 0) return null;
  const cpath = new TextEncoder().encode(path + "\0");
  const fd = lib.symbols.open(cpath, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) throw new Deno.errors.NotFound(`Cannot open "${path}" for mapping`);
  const ptr = lib.symbols.mmap(null, BigInt(size), PROT_READ, MAP_PRIVATE, fd, 0n);
  lib.symbols.close(fd);
  const addr = ptr === null ? 0n : Deno.UnsafePointer.value(ptr);
  if (ptr === null || addr === 0xffffffffffffffffn) return null;
  const bytes = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(ptr, size));
  let open = true;
  return {
    bytes,
    mode: "mmap",
    close() {
      if (!open) return;
      open = false;
      lib.symbols.munmap(ptr, BigInt(size));
    },
  };
}
