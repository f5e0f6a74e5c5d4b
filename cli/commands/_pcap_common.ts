/**
 * What the `mxy pcap` commands share: the declarations of their common options
 * (`--log-level`/`--log-format`, `--mode`, `--internal`, `--max-reassembly-memory`, `--overlap`,
 * `--threads`, `-q/--quiet`) and readers for them, durations, and the one wording of a capture cut short.
 *
 * @module
 */
import { Invocation, type OptionSpec, type ParsedFlags, UsageError } from "../_command.ts";
import { type IpNetwork, parseCidr } from "../../lib/db/mod.ts";
import type { CaptureFileMode } from "../../lib/runtime/mod.ts";
import { PcapError, type ReadSummary } from "../../lib/pcap/mod.ts";
import { writeSync } from "../_io.ts";
import { isLogLevel, Logger, type LogLevel } from "./_pcap_logger.ts";

/**
 * A parsed call, or the flags of a command written the older way (`parseFlags`), which these
 * readers check against the same choices.
 */
export type PcapFlags = Invocation | ParsedFlags;

/** The text of an option that takes one of `choices`, checked when the caller is older. */
function choice(flags: PcapFlags, name: string, choices: readonly string[], fallback: string) {
  if (flags instanceof Invocation) return flags.string(name) ?? fallback;
  const v = flags.values[name];
  const text = typeof v === "string" ? v : fallback;
  if (!choices.includes(text)) {
    throw new UsageError(`--${name} takes ${choices.join(", ")}, got "${text}"`);
  }
  return text;
}

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

/** `--log-level` and `--log-format`. */
export const LOG_OPTIONS: OptionSpec[] = [
  {
    name: "log-level",
    type: "enum",
    value: "LEVEL",
    choices: LOG_LEVELS,
    default: "warn",
    description: "The least severe message written on standard error",
  },
  {
    name: "log-format",
    type: "enum",
    value: "FORMAT",
    choices: ["text", "json"],
    default: "text",
    description: "Messages (and statistics) on standard error as text or as JSON lines",
  },
];

/** `--mode`: how capture files are read. */
export const CAPTURE_MODE_OPTION: OptionSpec = {
  name: "mode",
  type: "enum",
  choices: ["stream", "read", "mmap", "auto"],
  choicesInDescription: true,
  default: "stream",
  description: "How to read captures: stream (in chunks, bounded memory), read (the whole " +
    "file into memory) or mmap (mapped; the file must not change meanwhile); auto is stream",
};

/**
 * `--internal CIDR`.
 *
 * @param description What the inside networks are for.
 * @returns The declaration.
 */
export function internalOption(description: string): OptionSpec {
  return {
    name: "internal",
    type: "string",
    value: "CIDR",
    repeatable: true,
    complete: "none",
    description,
  };
}

/**
 * `--max-reassembly-memory SIZE`.
 *
 * @param description What the memory holds.
 * @returns The declaration.
 */
export function reassemblyMemoryOption(description: string): OptionSpec {
  return {
    name: "max-reassembly-memory",
    type: "size",
    min: 1,
    default: "64M",
    description,
  };
}

/** `--overlap`: which copy of a byte sent twice the reassembly keeps. */
export const OVERLAP_OPTION: OptionSpec = {
  name: "overlap",
  type: "enum",
  value: "POLICY",
  choices: ["first", "last"],
  default: "first",
  description: "Which copy of a byte sent twice with different content is read",
};

/** `-q, --quiet`: no statistics. */
export const QUIET_OPTION: OptionSpec = {
  name: "quiet",
  short: "q",
  type: "boolean",
  description: "Do not print the statistics on standard error",
};

/**
 * Makes the logger for `--log-level` and `--log-format` (messages go to standard error).
 *
 * @param inv The parsed call (or older flags).
 * @returns The logger.
 */
export function makeLogger(inv: PcapFlags): Logger {
  const level = choice(inv, "log-level", LOG_LEVELS, "warn");
  return new Logger({
    level: isLogLevel(level) ? level : "warn",
    format: choice(inv, "log-format", ["text", "json"], "text") as "text" | "json",
    write: (l) => writeSync("stderr", l + "\n"),
  });
}

/**
 * Reads `--mode`: `stream` (the default), `read` or `mmap`; `auto`, the old default, reads as
 * `stream`.
 *
 * @param inv The parsed call (or older flags).
 * @returns How to read capture files.
 */
export function captureMode(inv: PcapFlags): CaptureFileMode {
  const mode = choice(inv, "mode", ["stream", "read", "mmap", "auto"], "stream");
  return mode === "auto" ? "stream" : mode as CaptureFileMode;
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
 * Reads the repeatable `--internal CIDR` option, strictly as the database builder reads
 * networks (no leading zeros in the address or the prefix, no host bits set).
 *
 * @param inv The parsed call (or older flags).
 * @returns The networks (the texts, checked, and parsed).
 */
export function internalNetworks(inv: PcapFlags): { texts: string[]; networks: IpNetwork[] } {
  const texts = inv instanceof Invocation
    ? inv.list("internal")
    : (inv.values.internal as string[] | undefined) ?? [];
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

/**
 * Reads `--overlap`: which copy of a byte seen twice the reassembly keeps.
 *
 * @param inv The parsed call (or older flags).
 * @returns `first` or `last`.
 */
export function overlapPolicy(inv: PcapFlags): "first" | "last" {
  return choice(inv, "overlap", ["first", "last"], "first") as "first" | "last";
}

/**
 * Warns that a capture ended before its last packet, in the one wording every command uses:
 * `mxy: warning: FILE: capture cut short after N packets at byte offset O (REASON)`.
 *
 * @param log The logger.
 * @param file The capture.
 * @param summary What reading it gave.
 */
export function warnIfCutShort(
  log: Logger,
  file: string,
  summary: Pick<ReadSummary, "truncated">,
): void {
  const t = summary.truncated;
  if (!t) return;
  log.warn(
    `${file}: capture cut short after ${t.packets} packets at byte offset ${t.offset} ` +
      `(${t.reason})`,
    { code: "cut-short", file, packets: t.packets, offset: t.offset, reason: t.reason },
  );
}

/**
 * A damaged capture (a read error after one packet or more, `PcapError.packets`):
 * the commands print what those packets gave, then say how far the reading got on standard error
 * (`mxy pcap CMD: FILE: read N packets (WHAT) before the error`), and the error follows. Other
 * failures (a worker that died, a file that cannot be opened) are not such an error.
 *
 * @param err What was thrown.
 * @returns Whether it is a read error after some packets.
 */
export function isDamagedCapture(err: unknown): err is PcapError & { packets: number } {
  return err instanceof PcapError && err.packets !== undefined && err.packets > 0 &&
    err.code !== "worker-failed";
}

/**
 * Says how far the reading of a damaged capture got, in the one wording every command uses.
 *
 * @param command The command (`pcap flows`).
 * @param err The error ({@linkcode isDamagedCapture}).
 * @param reported What was printed of it (`12 flows reported`).
 */
export function noteDamagedCapture(
  command: string,
  err: PcapError & { packets: number },
  reported: string,
): void {
  writeSync(
    "stderr",
    `mxy ${command}: ${err.file ?? "capture"}: read ${err.packets} packets (${reported}) ` +
      "before the error\n",
  );
}

/** The most workers `--threads` takes. */
export const MAX_THREADS = 256;

/**
 * `--threads N`: how many workers share the packets. The default is 1: the pipeline is measured
 * slower than one thread on a 2-core machine so far (0.43–0.65× the packets per second).
 */
export const THREADS_OPTION: OptionSpec = {
  name: "threads",
  type: "int",
  min: 1,
  max: MAX_THREADS,
  default: 1,
  defaultText: "1; more threads were measured slower than one on a 2-core machine so far",
  complete: "none",
  description: "Worker threads that share the packets; the output is the same whatever N",
};

/** `--poll-ms`, `--stable-ms` and `--once`: how `--watch DIR` looks at its directory. */
export const WATCH_TIMING_OPTIONS: OptionSpec[] = [
  {
    name: "poll-ms",
    type: "int",
    min: 1,
    default: 250,
    description: "With --watch: how often to look at DIR, in milliseconds",
  },
  {
    name: "stable-ms",
    type: "int",
    min: 0,
    default: 1000,
    description: "With --watch: how long a file must stay unchanged before it is read, in " +
      "milliseconds",
  },
  {
    name: "once",
    type: "boolean",
    description: "With --watch: exit once no file is waiting instead of watching for more",
  },
];

/**
 * Reads `--threads N`: how many workers process the packets (default 1).
 *
 * @param inv The parsed call (or older flags).
 * @returns A whole number from 1 to {@linkcode MAX_THREADS}.
 */
export function threadsOption(inv: PcapFlags): number {
  if (inv instanceof Invocation) return inv.int("threads") ?? 1;
  const v = inv.values.threads;
  const text = typeof v === "string" ? v : "1";
  if (!/^[1-9]\d*$/.test(text) || Number(text) > MAX_THREADS) {
    throw new UsageError(`--threads takes a whole number from 1 to ${MAX_THREADS}, got "${text}"`);
  }
  return Number(text);
}
