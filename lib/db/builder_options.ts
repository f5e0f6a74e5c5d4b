/**
 * The options and counters of the database builder.
 *
 * @module
 */
import type { MatchMode, SectionEncoder } from "./section_encoder.ts";

/** What to do when the same network (or key) is given twice. */
export type DuplicatePolicy = "error" | "first" | "last" | "merge";

/** Options for `DatabaseBuilder`. */
export interface DatabaseBuilderOptions {
  /** `4`, `6` or `"auto"` (default): an IPv4 tree when there are only IPv4 entries. */
  ipVersion?: 4 | 6 | "auto";
  /** `24`, `28`, `32` or `"auto"` (default: the smallest that holds every record). */
  recordSize?: 24 | 28 | 32 | "auto";
  /** `database_type` in the metadata (default `"mxy"`). */
  databaseType?: string;
  /** `description`: a text (stored under `en`) or texts by language. */
  description?: string | Record<string, string>;
  /** `languages` in the metadata (default none). */
  languages?: string[];
  /** Duplicate policy (default `"last"`). */
  onDuplicate?: DuplicatePolicy;
  /** Clear host bits beyond a network's prefix instead of rejecting it (default `false`). */
  normalize?: boolean;
  /**
   * `build_epoch` in seconds, at least 1 (libmaxminddb refuses files whose `build_epoch` is 0);
   * default: now. Pass `SOURCE_DATE_EPOCH` for reproducible files.
   */
  buildEpoch?: number | bigint;
  /** String match mode recorded in the metadata (default `"case-sensitive"`). */
  matchMode?: MatchMode;
  /**
   * Record in the metadata that literal domains should also match their subdomains
   * (`evil.com` matches `a.b.evil.com`): `mxy match` and `Matcher` then look up parent domains
   * without being asked (default `false`).
   */
  parentDomains?: boolean;
  /**
   * In IPv6 trees with IPv4 entries, make `::ffff:0:0/96` (IPv4-mapped), `2001::/32` (Teredo)
   * and `2002::/16` (6to4) lead to the IPv4 subtree, as MaxMind's writers do (default `true`).
   */
  ipv4Aliases?: boolean;
  /**
   * Extension sections for non-IP entries (default: the glob and literal sections; pass `[]`
   * to accept IP entries only).
   */
  extensions?: SectionEncoder[];
}

/** Counters of a `DatabaseBuilder`; the tree fields are set by `build()`. */
export interface BuildStats {
  /** Distinct entries stored, by kind (`ipv4`, `ipv6`, and each extension's kind). */
  counts: Record<string, number>;
  /** Entries that repeated an earlier network or key. */
  duplicates: number;
  /** Distinct values in the data section. */
  values: number;
  /** Search tree nodes (0 before `build()`). */
  nodeCount: number;
  /** Record size in bits (0 before `build()`). */
  recordSize: number;
  /** Tree IP version (0 before `build()`). */
  ipVersion: number;
  /** Data section size in bytes. */
  dataSize: number;
  /** File size in bytes (0 before `build()`). */
  size: number;
}
