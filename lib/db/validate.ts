/**
 * Full validation of a MaxMind DB (or `.mxy`) file: metadata keys and types, the separator,
 * every search-tree node, and every data record reachable from the tree.
 *
 * @module
 */
import { FormatError, type FormatErrorCode } from "../format/format_error.ts";
import {
  DATA_SECTION_SEPARATOR_SIZE,
  type DatabaseLayout,
  readLayout,
} from "../format/metadata.ts";
import { MmdbDecoder } from "../format/mmdb_decoder.ts";
import { readRecord } from "../format/search_tree.ts";
import { checkStringSections } from "./_check_string_sections.ts";

/** One problem found in a database. */
export interface ValidationProblem {
  /** The kind of problem. */
  code: FormatErrorCode;
  /** What is wrong, in a sentence. */
  message: string;
  /** Byte offset in the file, or -1 when none applies. */
  offset: number;
}

/** What the walk saw. */
export interface ValidationStats {
  /** Nodes in the search tree (from the metadata). */
  nodeCount: number;
  /** Nodes reached from the root. */
  nodesReached: number;
  /** Tree records that lead to data (networks, aliases counted once). */
  networks: number;
  /** Distinct data records decoded. */
  dataRecords: number;
  /** Search tree size in bytes. */
  treeSize: number;
  /** Data section size in bytes. */
  dataSize: number;
  /** Metadata size in bytes (marker included). */
  metadataSize: number;
}

/** The outcome of {@linkcode validateDatabase}. */
export interface ValidationReport {
  /** `true` when no problem was found. */
  valid: boolean;
  /** Every problem found (up to `maxProblems`). */
  problems: ValidationProblem[];
  /** Problems found beyond `maxProblems` and not listed. */
  omitted: number;
  /** What the walk saw, or `null` when the metadata could not be read. */
  stats: ValidationStats | null;
}

/** Options for {@linkcode validateDatabase}. */
export interface ValidateOptions {
  /** Problems listed before the rest are only counted. Default 100. */
  maxProblems?: number;
}

/** Largest build_epoch a JavaScript `Date` can hold, in seconds. */
const MAX_EPOCH_SECONDS = 8_640_000_000_000n;

/**
 * Checks a whole database: metadata (required keys, types, the tree fits the file), the 16-byte
 * separator, every search-tree node (each reached once, records in range, no path longer than
 * the address), every data record reachable from the tree (fully decoded, so bad pointers,
 * cycles, sizes, types and UTF-8 are caught), and bytes left after the metadata.
 *
 * @param bytes The file's bytes.
 * @param options {@linkcode ValidateOptions}.
 * @returns The {@linkcode ValidationReport}; bad data never throws (it is a problem in the
 *   report).
 * @example
 * ```ts
 * import { validateDatabase } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const report = validateDatabase(new Uint8Array(64));
 * assert.equal(report.valid, false);
 * assert.equal(report.problems[0].code, "no-metadata");
 * ```
 */
export function validateDatabase(
  bytes: Uint8Array,
  options: ValidateOptions = {},
): ValidationReport {
  const maxProblems = options.maxProblems ?? 100;
  const problems: ValidationProblem[] = [];
  let omitted = 0;
  const report = (code: FormatErrorCode, message: string, offset = -1): void => {
    if (problems.length < maxProblems) problems.push({ code, message, offset });
    else omitted++;
  };
  // Bad data shows as FormatErrors; anything else is a bug of mxy, not the file's problem.
  const reportError = (err: unknown, context: string): void => {
    if (!(err instanceof FormatError)) throw err;
    const msg = err.offset >= 0 ? err.message.replace(/ \(at byte \d+\)$/, "") : err.message;
    report(err.code, `${context}${msg}`, err.offset);
  };

  let layout: DatabaseLayout;
  try {
    layout = readLayout(bytes);
  } catch (err) {
    reportError(err, "");
    return { valid: false, problems, omitted, stats: null };
  }
  const { metadata, treeSize, dataStart, dataEnd, metadataStart } = layout;
  const { nodeCount } = metadata;
  const stats: ValidationStats = {
    nodeCount,
    nodesReached: 0,
    networks: 0,
    dataRecords: 0,
    treeSize,
    dataSize: dataEnd - dataStart,
    metadataSize: bytes.length - metadataStart + 14,
  };

  checkMetadata(bytes, layout, report);

  for (let i = treeSize; i < dataStart; i++) {
    if (bytes[i] !== 0) {
      report(
        "bad-tree",
        `The ${DATA_SECTION_SEPARATOR_SIZE}-byte separator after the search tree is not all zero`,
        i,
      );
      break;
    }
  }

  const offsets = walkTree(bytes, layout, stats, report);

  // Literal and glob sections: tables, and the data records their entries point to.
  const strings = checkStringSections(bytes, layout);
  for (const p of strings.problems) reportError(p, "");
  const all = new Set(offsets);
  for (const o of strings.offsets) all.add(o);

  const decoder = new MmdbDecoder(bytes, { start: dataStart, end: dataEnd });
  for (const offset of all) {
    try {
      decoder.decode(offset);
      stats.dataRecords++;
    } catch (err) {
      reportError(err, `Data record at data offset ${offset}: `);
    }
  }
  return { valid: problems.length === 0 && omitted === 0, problems, omitted, stats };
}

function checkMetadata(
  bytes: Uint8Array,
  layout: DatabaseLayout,
  report: (code: FormatErrorCode, message: string, offset?: number) => void,
): void {
  const { metadata, metadataStart } = layout;
  if (metadata.buildEpoch > MAX_EPOCH_SECONDS) {
    report(
      "bad-metadata",
      `Metadata build_epoch ${metadata.buildEpoch} is beyond any representable date ` +
        `(more than ${MAX_EPOCH_SECONDS} seconds)`,
      metadataStart,
    );
  }
  const raw = metadata.raw;
  for (const key of ["binary_format_minor_version", "build_epoch", "languages", "description"]) {
    if (!(key in raw)) report("bad-metadata", `Metadata has no ${key}`, metadataStart);
  }
  if (metadata.nodeCount === 0) report("bad-metadata", "Metadata node_count is 0", metadataStart);
  try {
    const end = new MmdbDecoder(bytes, { start: metadataStart, maxDepth: 32 }).skip(0);
    const extra = bytes.length - metadataStart - end;
    if (extra > 0) {
      report(
        "bad-metadata",
        `${extra} unexpected bytes follow the metadata map`,
        metadataStart + end,
      );
    }
  } catch (err) {
    if (err instanceof FormatError) report(err.code, err.message, err.offset);
  }
  // An empty map or array as the very last bytes of the file made libmaxminddb read past the
  // end of its buffer; a file meant for every reader must not end that way.
  const keys = Object.keys(raw);
  const lastKey = keys[keys.length - 1];
  const last = lastKey === undefined ? undefined : raw[lastKey];
  const n = bytes.length;
  const endsEmptyMap = bytes[n - 1] === 0xe0 && typeof last === "object" &&
    !Array.isArray(last) && !(last instanceof Uint8Array) && Object.keys(last).length === 0;
  const endsEmptyArray = bytes[n - 2] === 0x00 && bytes[n - 1] === 0x04 &&
    Array.isArray(last) && last.length === 0;
  if (endsEmptyMap || endsEmptyArray) {
    report(
      "bad-metadata",
      `The metadata ends the file with an empty ${endsEmptyMap ? "map" : "array"} ` +
        `("${lastKey}"), which makes libmaxminddb read past the end of the file`,
      n - (endsEmptyMap ? 1 : 2),
    );
  }
}

function walkTree(
  bytes: Uint8Array,
  layout: DatabaseLayout,
  stats: ValidationStats,
  report: (code: FormatErrorCode, message: string, offset?: number) => void,
): Set<number> {
  const { nodeCount, recordSize, ipVersion } = layout.metadata;
  const dataSize = layout.dataEnd - layout.dataStart;
  const nodeBytes = layout.nodeByteSize;
  const bits = ipVersion === 6 ? 128 : 32;
  const offsets = new Set<number>();
  if (nodeCount === 0) return offsets;
  let ipv4Start = -1;
  if (ipVersion === 6) {
    let node = 0;
    let i = 0;
    for (; i < 96 && node < nodeCount; i++) node = readRecord(bytes, recordSize, node, 0);
    if (i === 96 && node < nodeCount) ipv4Start = node;
  }
  const visited = new Uint8Array(nodeCount);
  visited[0] = 1;
  let reached = 1;
  const nodes: number[] = [0];
  const depths: number[] = [0];
  let badRecords = 0;
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    for (let bit = 0; bit < 2; bit++) {
      const record = readRecord(bytes, recordSize, node, bit);
      const at = node * nodeBytes + (recordSize === 28 ? bit * 3 : bit * (nodeBytes / 2));
      if (record < nodeCount) {
        if (depth + 1 >= bits) {
          if (badRecords++ < 20) {
            report(
              "bad-tree",
              `Node ${node} at depth ${depth + 1} leads to node ${record}: the tree is deeper ` +
                `than the ${bits}-bit address`,
              at,
            );
          }
          continue;
        }
        if (visited[record]) {
          if (record !== ipv4Start && badRecords++ < 20) {
            report(
              "bad-tree",
              `Node ${record} is reached twice (again from record ${bit} of node ${node}): ` +
                `the search tree has a loop or shared subtree`,
              at,
            );
          }
          continue;
        }
        visited[record] = 1;
        reached++;
        nodes.push(record);
        depths.push(depth + 1);
      } else if (record > nodeCount) {
        const offset = record - nodeCount - 16;
        if (offset < 0) {
          if (badRecords++ < 20) {
            report(
              "bad-tree",
              `Record ${bit} of node ${node} (value ${record}) points into the 16-byte ` +
                `separator, not the data section`,
              at,
            );
          }
        } else if (offset >= dataSize) {
          if (badRecords++ < 20) {
            report(
              "bad-tree",
              `Record ${bit} of node ${node} points to data offset ${offset}, past the end of ` +
                `the ${dataSize}-byte data section`,
              at,
            );
          }
        } else {
          stats.networks++;
          offsets.add(offset);
        }
      }
    }
  }
  if (badRecords > 20) {
    report("bad-tree", `${badRecords - 20} further bad search-tree records not listed`);
  }
  stats.nodesReached = reached;
  if (reached < nodeCount) {
    report(
      "bad-tree",
      `${nodeCount - reached} of the ${nodeCount} search-tree nodes cannot be reached from the ` +
        `root (is node_count right?)`,
    );
  }
  return offsets;
}
