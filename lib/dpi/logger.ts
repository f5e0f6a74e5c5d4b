/**
 * A small leveled logger for the packet engine, writing text or JSON lines. Typed errors
 * ({@linkcode PcapError}) are logged with their code, name and category.
 *
 * @module
 */
import { PcapError } from "../pcap/errors.ts";

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
 * @example
 * ```ts
 * import { isLogLevel } from "./logger.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isLogLevel("warn"));
 * assert.ok(!isLogLevel("loud"));
 * ```
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

/**
 * A leveled logger.
 *
 * @example
 * ```ts
 * import { Logger } from "./logger.ts";
 * import { PcapError, PcapErrorCode } from "../pcap/errors.ts";
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * const log = new Logger({ level: "info", format: "json", write: (l) => lines.push(l), now: () => 0 });
 * log.debug("hidden");
 * log.error("read failed", { error: new PcapError(PcapErrorCode.BadMagic, "Not a capture") });
 * const rec = JSON.parse(lines[0]);
 * assert.equal(lines.length, 1);
 * assert.equal(rec.level, "error");
 * assert.equal(rec.error.code, 201);
 * assert.equal(rec.error.codeName, "BadMagic");
 * ```
 */
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
    let line = `${level.toUpperCase()} ${message}`;
    for (const [k, v] of Object.entries(fields)) {
      if (v instanceof PcapError) {
        line += ` ${k}=${v.codeName}(${v.code})`;
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
  if (v instanceof PcapError) return v.toJSON();
  if (v instanceof Error) return { name: v.name, message: v.message };
  if (typeof v === "bigint") return v.toString();
  return v;
}
