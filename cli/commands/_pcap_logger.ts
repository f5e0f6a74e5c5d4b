/**
 * The leveled logger of the `mxy pcap` commands, writing text or JSON lines to standard error.
 * In text, errors and warnings are worded as every mxy command words them (`mxy: MESSAGE`,
 * `mxy: warning: MESSAGE`); debug and info lines (`INFO message key=value`) add their fields, typed errors (`PcapError`,
 * `DpiError`, any error with a string `code`) by code and documented number. In JSON every
 * record carries its fields.
 *
 * @module
 */

/** Log levels, most verbose first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Output format: `text` (`LEVEL message key=value`) or `json` (one object per line). */
export type LogFormat = "text" | "json";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * Tells whether a string names a log level.
 *
 * @param s The string.
 * @returns `true` for `debug`, `info`, `warn`, `error`, `silent`.
 */
export function isLogLevel(s: string): s is LogLevel {
  return Object.hasOwn(RANK, s);
}

/** Options for {@linkcode Logger}. */
export interface LoggerOptions {
  /** Least severe level written (default `warn`). */
  level?: LogLevel;
  /** `text` (default) or `json`. */
  format?: LogFormat;
  /** Where lines go (default `console.error`). */
  write?: (line: string) => void;
  /** Clock for the `time` field (default `Date.now`). */
  now?: () => number;
}

/** An error with a stable string code (and, for pcap and dpi errors, a documented number). */
interface TypedError extends Error {
  code: string;
  number?: number;
  toJSON?: () => Record<string, unknown>;
}

function isTypedError(v: unknown): v is TypedError {
  return v instanceof Error && typeof (v as { code?: unknown }).code === "string";
}

/** A leveled logger. */
export class Logger {
  /** The current level. */
  level: LogLevel;
  /** The current format. */
  format: LogFormat;
  #write: (line: string) => void;
  #now: () => number;

  /**
   * Creates a logger.
   *
   * @param options {@linkcode LoggerOptions}.
   */
  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? "warn";
    this.format = options.format ?? "text";
    this.#write = options.write ?? ((l) => console.error(l));
    this.#now = options.now ?? Date.now;
  }

  /**
   * Whether a level would be written.
   *
   * @param level The level.
   * @returns `true` when enabled.
   */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level] && level !== "silent";
  }

  /**
   * Writes a record at a level.
   *
   * @param level The level.
   * @param message The message.
   * @param fields Extra fields.
   */
  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    if (this.format === "json") {
      const rec: Record<string, unknown> = {
        time: new Date(this.#now()).toISOString(),
        level,
        msg: message,
      };
      for (const [k, v] of Object.entries(fields)) rec[k] = jsonable(v);
      this.#write(JSON.stringify(rec));
      return;
    }
    // Errors and warnings read as every mxy command words them; their messages say it all.
    if (level === "error") return this.#write(`mxy: ${message}`);
    if (level === "warn") return this.#write(`mxy: warning: ${message}`);
    let line = `${level.toUpperCase()} ${message}`;
    for (const [k, v] of Object.entries(fields)) {
      if (isTypedError(v)) {
        line += ` ${k}=${v.code}${v.number === undefined ? "" : `(${v.number})`}`;
        continue;
      }
      const j = jsonable(v);
      line += ` ${k}=${typeof j === "string" ? j : JSON.stringify(j)}`;
    }
    this.#write(line);
  }

  /**
   * Writes a record at level `debug`.
   *
   * @param message The message.
   * @param fields Extra fields.
   */
  debug(message: string, fields?: Record<string, unknown>): void {
    this.log("debug", message, fields);
  }

  /**
   * Writes a record at level `info`.
   *
   * @param message The message.
   * @param fields Extra fields.
   */
  info(message: string, fields?: Record<string, unknown>): void {
    this.log("info", message, fields);
  }

  /**
   * Writes a record at level `warn`.
   *
   * @param message The message.
   * @param fields Extra fields.
   */
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log("warn", message, fields);
  }

  /**
   * Writes a record at level `error`.
   *
   * @param message The message.
   * @param fields Extra fields.
   */
  error(message: string, fields?: Record<string, unknown>): void {
    this.log("error", message, fields);
  }
}

function jsonable(v: unknown): unknown {
  if (isTypedError(v)) {
    return v.toJSON ? v.toJSON() : { name: v.name, code: v.code, message: v.message };
  }
  if (v instanceof Error) return { name: v.name, message: v.message };
  if (typeof v === "bigint") return v.toString();
  return v;
}
