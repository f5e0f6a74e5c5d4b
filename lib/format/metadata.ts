/**
 * Locating and reading the metadata of a MaxMind DB (and `.mxy`) file: the marker
 * `"\xAB\xCD\xEFMaxMind.com"` in the last 128 KiB, the metadata map after it, and the layout
 * (search tree, separator, data section, extension sections) it implies.
 *
 * @module
 */
import { FormatError } from "./format_error.ts";
import { MmdbDecoder } from "./mmdb_decoder.ts";
import type { MmdbMap, MmdbValue } from "./value.ts";

/** The 14 bytes that precede the metadata map. */
const MARKER: Uint8Array = new Uint8Array([
  0xab,
  0xcd,
  0xef,
  ...Array.from("MaxMind.com", (c) => c.charCodeAt(0)),
]);

/**
 * How far from the end of the file the metadata marker is searched for (128 KiB).
 */
export const METADATA_SEARCH_WINDOW = 128 * 1024;

/**
 * The size of the zero-filled separator between the search tree and the data section.
 */
export const DATA_SECTION_SEPARATOR_SIZE = 16;

/** Entry counts per kind recorded by the mxy builder (the mxy record's `counts`). */
export interface MxyCounts {
  /** IPv4 networks. */
  ipv4: number;
  /** IPv6 networks. */
  ipv6: number;
  /** Literal strings. */
  literal: number;
  /** Glob patterns. */
  glob: number;
}

/** The metadata of a database, typed, plus the raw map. */
export interface Metadata {
  /** Number of nodes in the search tree. */
  nodeCount: number;
  /** Bits per record: 24, 28 or 32. */
  recordSize: 24 | 28 | 32;
  /** 4 or 6: the address family of the search tree. */
  ipVersion: 4 | 6;
  /** Free-form database type, e.g. `GeoIP2-City`. */
  databaseType: string;
  /** Locale codes the database has names for. */
  languages: string[];
  /** Descriptions by language code (the mxy record, `description.mxy`, is left out). */
  description: Record<string, string>;
  /** Format major version (always 2). */
  binaryFormatMajorVersion: number;
  /** Format minor version. */
  binaryFormatMinorVersion: number;
  /** Build time in seconds since the Unix epoch. */
  buildEpoch: bigint;
  /** The mxy record's `format_version` (in `description.mxy`), or `null` for a plain MaxMind DB. */
  mxyFormatVersion: number | null;
  /** The mxy record's `counts`, or `null` for a plain MaxMind DB. */
  mxyCounts: MxyCounts | null;
  /** The mxy record's `match_mode`, or `null` for a plain MaxMind DB. */
  mxyMatchMode: "case-sensitive" | "case-insensitive" | null;
  /**
   * The mxy record's `parent_domains`: whether the database asks matchers to match a literal
   * domain by its subdomains too (`evil.com` for `a.b.evil.com`); `false` when absent.
   */
  mxyParentDomains: boolean;
  /** The mxy record's `sections`: extension sections by name (empty for a plain MaxMind DB). */
  sections: Record<string, { offset: number; length: number }>;
  /** The metadata map as decoded. */
  raw: MmdbMap;
}

/** The byte layout of a database file, derived from its metadata. */
export interface DatabaseLayout {
  /** The typed metadata. */
  metadata: Metadata;
  /** Bytes per search-tree node (`recordSize * 2 / 8`). */
  nodeByteSize: number;
  /** Size of the search tree in bytes; the separator follows it. */
  treeSize: number;
  /** Offset of the data section in the file (`treeSize + 16`). */
  dataStart: number;
  /** End of the data section: the first extension section, else the metadata marker. */
  dataEnd: number;
  /** Offset of the metadata map (just after the marker). */
  metadataStart: number;
}

/**
 * Finds the metadata marker: the last occurrence in the final 128 KiB of the file.
 *
 * @param bytes The file's bytes.
 * @returns The offset of the marker's first byte, or -1 when there is none.
 */
export function findMetadataMarker(bytes: Uint8Array): number {
  const m = MARKER;
  const stop = Math.max(0, bytes.length - METADATA_SEARCH_WINDOW);
  outer: for (let i = bytes.length - m.length; i >= stop; i--) {
    if (bytes[i] !== 0xab) continue;
    for (let j = 1; j < m.length; j++) if (bytes[i + j] !== m[j]) continue outer;
    return i;
  }
  return -1;
}

function isUint(v: MmdbValue | undefined): v is number | bigint {
  return (typeof v === "number" && Number.isInteger(v) && v >= 0) ||
    (typeof v === "bigint" && v >= 0n);
}

function bad(message: string, at: number): never {
  throw new FormatError("bad-metadata", message, at);
}

/**
 * Reads and checks the metadata of a database and computes its layout. Cheap: it touches only
 * the end of the file.
 *
 * @param bytes The file's bytes.
 * @returns The {@linkcode DatabaseLayout}.
 * @throws {FormatError} `no-metadata` when the marker is missing, `bad-metadata` when a
 *   required key is missing or of the wrong type, or the search tree does not fit the file.
 */
export function readLayout(bytes: Uint8Array): DatabaseLayout {
  const marker = findMetadataMarker(bytes);
  if (marker < 0) {
    throw new FormatError(
      "no-metadata",
      `Metadata marker not found in the last 128 KiB of the ${bytes.length}-byte file`,
    );
  }
  const metadataStart = marker + MARKER.length;
  if (metadataStart >= bytes.length) {
    throw new FormatError("bad-metadata", "Nothing follows the metadata marker", marker);
  }
  const raw = new MmdbDecoder(bytes, { start: metadataStart, maxDepth: 32 }).decode(0);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || raw instanceof Uint8Array) {
    bad("The metadata is not a map", metadataStart);
  }
  const map = raw as MmdbMap;
  const at = metadataStart;

  const nc = map.node_count;
  if (!isUint(nc) || nc > 0xffffffff) bad("Metadata node_count is missing or not a uint32", at);
  const nodeCount = Number(nc);
  const rs = map.record_size;
  if (rs !== 24 && rs !== 28 && rs !== 32) {
    bad(`Metadata record_size is ${describe(rs)}; expected 24, 28 or 32`, at);
  }
  const ipv = map.ip_version;
  if (ipv !== 4 && ipv !== 6) bad(`Metadata ip_version is ${describe(ipv)}; expected 4 or 6`, at);
  const major = map.binary_format_major_version;
  if (major !== 2) {
    bad(`Metadata binary_format_major_version is ${describe(major)}; only 2 is supported`, at);
  }
  const minor = map.binary_format_minor_version ?? 0;
  if (!isUint(minor)) bad("Metadata binary_format_minor_version is not an unsigned integer", at);
  const dt = map.database_type;
  if (typeof dt !== "string") bad("Metadata database_type is missing or not a string", at);
  const be = map.build_epoch ?? 0;
  if (!isUint(be)) bad("Metadata build_epoch is not an unsigned integer", at);
  const langs = map.languages ?? [];
  if (!Array.isArray(langs) || !langs.every((l) => typeof l === "string")) {
    bad("Metadata languages is not an array of strings", at);
  }
  const desc = map.description ?? {};
  if (
    typeof desc !== "object" || Array.isArray(desc) || desc instanceof Uint8Array ||
    !Object.values(desc).every((d) => typeof d === "string")
  ) {
    bad("Metadata description is not a map of strings", at);
  }

  const nodeByteSize = rs / 4;
  const treeSize = nodeCount * nodeByteSize;
  const dataStart = treeSize + DATA_SECTION_SEPARATOR_SIZE;
  if (dataStart > marker) {
    bad(
      `Search tree of ${nodeCount} nodes (${treeSize} bytes) and separator do not fit before ` +
        `the metadata at byte ${marker}`,
      at,
    );
  }

  const metadata: Metadata = {
    nodeCount,
    recordSize: rs,
    ipVersion: ipv,
    databaseType: dt,
    languages: langs as string[],
    description: desc as Record<string, string>,
    binaryFormatMajorVersion: major,
    binaryFormatMinorVersion: Number(minor),
    buildEpoch: BigInt(be),
    mxyFormatVersion: null,
    mxyCounts: null,
    mxyMatchMode: null,
    mxyParentDomains: false,
    sections: {},
    raw: map,
  };
  readMxyFields(metadata, at);
  let dataEnd = marker;
  for (const [name, { offset, length }] of Object.entries(metadata.sections)) {
    if (offset < dataStart || offset + length > marker || offset % 8 !== 0) {
      throw new FormatError(
        "bad-section",
        `Section "${name}" (${length} bytes at ${offset}) is not 8-byte aligned between the ` +
          `data section (from byte ${dataStart}) and the metadata (at byte ${marker})`,
        offset,
      );
    }
    if (offset < dataEnd) dataEnd = offset;
  }
  return { metadata, nodeByteSize, treeSize, dataStart, dataEnd, metadataStart };
}

function readMxyFields(m: Metadata, at: number): void {
  const text = m.description.mxy;
  if (text === undefined) return;
  const { mxy: _, ...languages } = m.description;
  m.description = languages;
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    bad("Metadata description.mxy is not JSON text", at);
  }
  if (!isPlainObject(record)) bad("Metadata description.mxy is not a JSON object", at);
  const r = record as Record<string, unknown>;
  const v = r.format_version;
  if (!isCount(v)) bad("The mxy record's format_version is not an unsigned integer", at);
  m.mxyFormatVersion = v as number;
  const counts = r.counts ?? {};
  if (!isPlainObject(counts)) bad("The mxy record's counts is not an object", at);
  const get = (k: string): number => {
    const x = (counts as Record<string, unknown>)[k] ?? 0;
    if (!isCount(x)) bad(`The mxy record's counts.${k} is not an unsigned integer`, at);
    return x as number;
  };
  m.mxyCounts = {
    ipv4: get("ipv4"),
    ipv6: get("ipv6"),
    literal: get("literal"),
    glob: get("glob"),
  };
  const mode = r.match_mode ?? "case-sensitive";
  if (mode !== "case-sensitive" && mode !== "case-insensitive") {
    bad(`The mxy record's match_mode is ${JSON.stringify(mode)}`, at);
  }
  m.mxyMatchMode = mode;
  const parents = r.parent_domains ?? false;
  if (typeof parents !== "boolean") bad("The mxy record's parent_domains is not a boolean", at);
  m.mxyParentDomains = parents as boolean;
  const sections = r.sections ?? {};
  if (!isPlainObject(sections)) bad("The mxy record's sections is not an object", at);
  for (const [name, loc] of Object.entries(sections as Record<string, unknown>)) {
    const l = loc as Record<string, unknown>;
    if (!isPlainObject(l) || !isCount(l.offset) || !isCount(l.length)) {
      throw new FormatError(
        "bad-section",
        `The mxy record's sections.${name} lacks an unsigned offset and length`,
        at,
      );
    }
    m.sections[name] = { offset: l.offset as number, length: l.length as number };
  }
}

function isPlainObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): boolean {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function describe(v: MmdbValue | undefined): string {
  if (v === undefined) return "missing";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  return Array.isArray(v) ? "an array" : v instanceof Uint8Array ? "bytes" : "a map";
}
