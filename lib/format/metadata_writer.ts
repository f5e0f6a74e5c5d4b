/**
 * Writes the metadata block that ends every MaxMind DB and `.mxy` file: the marker
 * `"\xAB\xCD\xEFMaxMind.com"` followed by one map, with the exact types libmaxminddb expects
 * (uint32 `node_count`, uint16 `record_size`, uint64 `build_epoch`, …), and mxy's record as one
 * more `description` entry.
 *
 * @module
 */
import { encodeValue, typed, type WritableMap, type WritableValue } from "./data_writer.ts";

/** The 14 bytes that start the metadata section. */
export const METADATA_MARKER: Uint8Array = new Uint8Array([
  0xab,
  0xcd,
  0xef,
  ...new TextEncoder().encode("MaxMind.com"),
]);

/** The `.mxy` format version written in the mxy record's `format_version`. */
export const MXY_FORMAT_VERSION = 1;

/**
 * The `description` key that holds the mxy record (format version, counts, match mode,
 * sections) as JSON text. Readers that know only the MaxMind DB specification see one more
 * description string; python's C extension refuses any metadata key it does not know (version
 * 2.1.0 crashes), so mxy adds no top-level key.
 */
export const MXY_DESCRIPTION_KEY = "mxy";

/**
 * The mxy record as JSON text, keys in a fixed order so that builds are byte-identical.
 *
 * @param mxy The mxy fields.
 * @returns JSON text.
 */
export function mxyRecordText(mxy: NonNullable<MetadataFields["mxy"]>): string {
  const sections: Record<string, SectionLocation> = {};
  for (const [k, v] of Object.entries(mxy.sections)) {
    sections[k] = { offset: v.offset, length: v.length };
  }
  return JSON.stringify({
    format_version: MXY_FORMAT_VERSION,
    counts: mxy.counts,
    match_mode: mxy.matchMode,
    // written only when set, so files built without it stay byte-identical
    ...(mxy.parentDomains === true ? { parent_domains: true } : {}),
    sections,
  });
}

/** Where one extension section is: absolute file offset and length in bytes. */
export interface SectionLocation {
  /** Absolute offset from the start of the file (a multiple of 8). */
  offset: number;
  /** Length in bytes (without trailing padding). */
  length: number;
}

/** The fields of a metadata map. */
export interface MetadataFields {
  /** Number of nodes in the search tree. */
  nodeCount: number;
  /** Bits per record: 24, 28 or 32. */
  recordSize: 24 | 28 | 32;
  /** 4 or 6. */
  ipVersion: 4 | 6;
  /** Free-form database type, e.g. `"mxy-ioc"`. */
  databaseType: string;
  /** Seconds since the Unix epoch. */
  buildEpoch: number | bigint;
  /** Locale codes (default none). */
  languages?: string[];
  /** Descriptions by language code (default none). */
  description?: Record<string, string>;
  /** The mxy record, stored as `description.mxy`; omit for a plain MaxMind DB. */
  mxy?: {
    /** Entry counts per kind (`ipv4`, `ipv6`, `literal`, `glob`, …). */
    counts: Record<string, number>;
    /** How string entries are compared. */
    matchMode: "case-sensitive" | "case-insensitive";
    /** Whether matchers should match literal domains by their subdomains (default false). */
    parentDomains?: boolean;
    /** Extension sections by name. */
    sections: Record<string, SectionLocation>;
  };
  /** Further keys, written as given (before the node count). */
  extra?: WritableMap;
}

/**
 * Encodes the metadata block: marker plus map. Integer keys get the types the MaxMind DB
 * specification names, whatever their value.
 *
 * @param fields The metadata.
 * @returns The bytes to append after the data section (and any extension sections).
 * @throws {RangeError} When a value is out of range for its type.
 */
export function encodeMetadata(fields: MetadataFields): Uint8Array {
  const map: Record<string, WritableValue> = {
    binary_format_major_version: typed("uint16", 2),
    binary_format_minor_version: typed("uint16", 0),
    build_epoch: typed("uint64", BigInt(fields.buildEpoch)),
    database_type: fields.databaseType,
    description: { ...(fields.description ?? {}) },
    ip_version: typed("uint16", fields.ipVersion),
    languages: [...(fields.languages ?? [])],
  };
  for (const [k, v] of Object.entries(fields.extra ?? {})) map[k] = v;
  if (fields.mxy) {
    (map.description as Record<string, WritableValue>)[MXY_DESCRIPTION_KEY] = mxyRecordText(
      fields.mxy,
    );
  }
  // Scalars last: libmaxminddb reads one byte past the end of a file whose metadata ends with
  // an empty map or array (as `description` or `languages` may be).
  map.node_count = typed("uint32", fields.nodeCount);
  map.record_size = typed("uint16", fields.recordSize);
  const body = encodeValue(map);
  const out = new Uint8Array(METADATA_MARKER.length + body.length);
  out.set(METADATA_MARKER);
  out.set(body, METADATA_MARKER.length);
  return out;
}
