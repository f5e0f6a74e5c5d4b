/**
 * The only part of mxy's library that touches the operating system: files, memory maps,
 * processes, signals and sockets. Everything else works on bytes.
 *
 * @module
 */
export * from "./runtime_error.ts";
export * from "./fs.ts";
export * from "./mmap.ts";
export * from "./process.ts";
export * from "./net.ts";
export * from "./output_file.ts";
export * from "./database.ts";
export * from "./capture_file.ts";
export * from "./watch.ts";
