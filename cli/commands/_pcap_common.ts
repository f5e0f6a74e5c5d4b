/**
 * Flags the `mxy pcap` commands share: `--log-level`/`--log-format` and `--mode`.
 *
 * @module
 */
import { type ParsedFlags, stringFlag, UsageError } from "../_command.ts";
import { isLogLevel, Logger } from "../../lib/dpi/mod.ts";
import { writeSync } from "../_io.ts";

/** How a capture is read: `auto`, `mmap`, `read` or `stream`. */
export type CaptureMode = "auto" | "mmap" | "read" | "stream";

/**
 * Makes the logger for `--log-level` and `--log-format` (messages go to standard error).
 *
 * @param flags The parsed flags.
 * @returns The logger.
 */
export function makeLogger(flags: ParsedFlags): Logger {
  const level = stringFlag(flags, "log-level", "warn");
  if (!isLogLevel(level)) {
    throw new UsageError(`--log-level takes debug, info, warn, error or silent, got "${level}"`);
  }
  const format = stringFlag(flags, "log-format", "text");
  if (format !== "text" && format !== "json") {
    throw new UsageError(`--log-format takes text or json, got "${format}"`);
  }
  return new Logger({ level, format, write: (l) => writeSync("stderr", l + "\n") });
}

/**
 * Reads `--mode` (default `auto`).
 *
 * @param flags The parsed flags.
 * @returns The capture mode.
 */
export function captureMode(flags: ParsedFlags): CaptureMode {
  const mode = stringFlag(flags, "mode", "auto");
  if (mode !== "auto" && mode !== "mmap" && mode !== "read" && mode !== "stream") {
    throw new UsageError(`--mode takes auto, mmap, read or stream, got "${mode}"`);
  }
  return mode;
}
