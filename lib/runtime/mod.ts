/**
 * `@mxy/mxy/deno`: the Deno adapters, the only part of mxy's library that touches the operating
 * system. Opening database files (read into memory, or memory-mapped on request), reading
 * capture files and watching directories of them, feeds from files, the Ether server and client
 * over TCP, and writing files atomically. Everything else in mxy works on bytes and streams and
 * runs in any JavaScript runtime; outside Deno, every function here throws a
 * {@linkcode RuntimeError} with code `unsupported-runtime`.
 *
 * @module
 */
export { RuntimeError, type RuntimeErrorCode } from "./runtime_error.ts";
export { openDatabase, type OpenDatabaseOptions } from "./database.ts";
export { readFeed, streamFeed, streamFeedBatches, type StreamFeedOptions } from "./feed_file.ts";
export { canMmap, mapFile, type MapFileOptions, type MapMode, type MappedFile } from "./mmap.ts";
export { writeFileAtomic } from "./fs.ts";
export { openOutputFile, type OutputFile } from "./output_file.ts";
export { onTerminate, type TermSignal } from "./process.ts";
export {
  type CaptureFile,
  type CaptureFileMode,
  correlateFile,
  type CorrelateFileOptions,
  forEachPacketInFile,
  openCaptureFile,
  type OpenCaptureFileOptions,
  type ReadCaptureFileOptions,
  trackFlowsInFile,
  type TrackFlowsInFileOptions,
} from "./capture_file.ts";
export { captureWorkers, type CaptureWorkersOptions, defaultThreads } from "./capture_workers.ts";
export { watchDirectory, type WatchDirectoryOptions, type WatchSummary } from "./watch.ts";
export { serveEther, type ServeEtherOptions } from "./ether_server.ts";
export { connectEther, type ConnectEtherOptions } from "./ether_client.ts";
export {
  connectTcp,
  type ConnectTcpOptions,
  listenTcp,
  type ListenTcpOptions,
  type TcpListener,
  type TcpStream,
} from "./net.ts";
