/**
 * Flags the `mxy pcap` commands share: `--log-level`/`--log-format`, `--mode`, durations and
 * `--internal` networks.
 *
 * @module
 */
import { type ParsedFlags, stringFlag, UsageError } from "../_command.ts";
import { type IpNetwork, parseCidr } from "../../lib/db/mod.ts";
import { type CaptureFileMode, defaultThreads } from "../../lib/runtime/mod.ts";
import { writeSync } from "../_io.ts";
import { isLogLevel, Logger } from "./_pcap_logger.ts";

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
 * Reads `--mode`: `stream` (the default), `read` or `mmap`; `auto`, the old default, reads as
 * `stream`.
 *
 * @param flags The parsed flags.
 * @returns How to read capture files.
 */
export function captureMode(flags: ParsedFlags): CaptureFileMode {
  const mode = stringFlag(flags, "mode", "stream");
  if (mode === "auto") return "stream";
  if (mode !== "mmap" && mode !== "read" && mode !== "stream") {
    throw new UsageError(`--mode takes stream, read or mmap, got "${mode}"`);
  }
  return mode;
}

/**
 * Parses a duration such as `5s`, `250ms`, `100us`, `1500ns`, `2m` or `0.5` (seconds).
 *
 * @param text The duration.
 * @param flag The flag's name, for the error message.
 * @returns Nanoseconds.
 */
export function parseDurationNs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/.exec(text.trim());
  if (!m) {
    throw new UsageError(`--${flag} takes a duration such as 5s, 250ms or 100us, got "${text}"`);
  }
  const mult: Record<string, number> = {
    ns: 1,
    us: 1e3,
    "µs": 1e3,
    ms: 1e6,
    s: 1e9,
    m: 60e9,
    h: 3600e9,
  };
  return Math.round(Number(m[1]) * mult[m[2] ?? "s"]);
}

/**
 * Reads the repeatable `--internal CIDR` flag, strictly as the database builder reads networks
 * (no leading zeros in the address or the prefix, no host bits set).
 *
 * @param flags The parsed flags.
 * @returns The networks (the texts, checked, and parsed).
 */
export function internalNetworks(flags: ParsedFlags): { texts: string[]; networks: IpNetwork[] } {
  const texts = (flags.values.internal as string[] | undefined) ?? [];
  const networks: IpNetwork[] = [];
  for (const text of texts) {
    try {
      networks.push(parseCidr(text));
    } catch (err) {
      throw new UsageError(`--internal: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { texts, networks };
}

/**
 * Parses a size in bytes such as `64M`, `512K`, `1G` or `1000000` (powers of 1024 for K, M, G).
 *
 * @param text The size.
 * @param flag The flag's name, for the error message.
 * @returns Bytes, at least 1.
 */
export function parseSizeBytes(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?$/i.exec(text.trim());
  const unit = m?.[2]?.[0]?.toUpperCase() ?? "B";
  const mult: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  const bytes = m ? Math.round(Number(m[1]) * mult[unit]) : NaN;
  if (!(bytes >= 1)) {
    throw new UsageError(`--${flag} takes a size such as 64M, 512K or 1G, got "${text}"`);
  }
  return bytes;
}

/** The `--overlap` flag: which copy of a byte seen twice the reassembly keeps. */
export function overlapPolicy(flags: ParsedFlags): "first" | "last" {
  const overlap = stringFlag(flags, "overlap", "first");
  if (overlap !== "first" && overlap !== "last") {
    throw new UsageError(`--overlap takes first or last, got "${overlap}"`);
  }
  return overlap;
}

/** The `--threads` flag's help text, shared by the capture commands. */
export const THREADS_HELP =
  `  --threads N          workers that share the packets (default: the machine's logical
                       processors); 1 reads and processes on one thread. The output is the
                       same whatever N`;

/**
 * Reads `--threads N`: how many workers process the packets (default: the machine's cores).
 *
 * @param flags The parsed flags.
 * @returns A whole number of at least 1.
 */
export function threadsFlag(flags: ParsedFlags): number {
  const text = stringFlag(flags, "threads", "");
  if (text === "") return defaultThreads();
  if (!/^[1-9]\d*$/.test(text) || Number(text) > 256) {
    throw new UsageError(`--threads takes a whole number from 1 to 256, got "${text}"`);
  }
  return Number(text);
}
