import assert from "node:assert/strict";
import { encodeMetadata, METADATA_MARKER } from "../../lib/format/metadata_writer.ts";
import { MmdbDecoder } from "../../lib/format/mmdb_decoder.ts";
import { mxyRecordText } from "../../lib/format/metadata_writer.ts";

/** The MMDB type number of the value that follows `key` in an encoded map. */
function typeAfterKey(bytes: Uint8Array, key: string): number {
  const k = new TextEncoder().encode(key);
  outer: for (let i = 0; i + k.length < bytes.length; i++) {
    if (bytes[i] !== (0x40 | k.length)) continue;
    for (let j = 0; j < k.length; j++) if (bytes[i + 1 + j] !== k[j]) continue outer;
    const c = bytes[i + 1 + k.length];
    return c >> 5 === 0 ? bytes[i + 2 + k.length] + 7 : c >> 5;
  }
  throw new Error(`key ${key} not found`);
}

Deno.test("encodeMetadata() writes each standard key with the type libmaxminddb requires", () => {
  const m = encodeMetadata({
    nodeCount: 3, // small values keep their wide types
    recordSize: 24,
    ipVersion: 4,
    databaseType: "t",
    buildEpoch: 5,
  });
  assert.deepEqual(m.subarray(0, 14), METADATA_MARKER);
  const body = m.subarray(14);
  assert.equal(typeAfterKey(body, "node_count"), 6); // uint32
  assert.equal(typeAfterKey(body, "record_size"), 5); // uint16
  assert.equal(typeAfterKey(body, "ip_version"), 5);
  assert.equal(typeAfterKey(body, "binary_format_major_version"), 5);
  assert.equal(typeAfterKey(body, "binary_format_minor_version"), 5);
  assert.equal(typeAfterKey(body, "build_epoch"), 9); // uint64
  assert.equal(typeAfterKey(body, "database_type"), 2);
  assert.equal(typeAfterKey(body, "languages"), 11);
  assert.equal(typeAfterKey(body, "description"), 7);
  const map = new MmdbDecoder(body).decode(0) as Record<string, unknown>;
  assert.deepEqual(map, {
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 5n,
    database_type: "t",
    description: {},
    ip_version: 4,
    languages: [],
    node_count: 3,
    record_size: 24,
  });
});

Deno.test("encodeMetadata() adds the mxy keys: format version, counts, match mode, sections", () => {
  const m = encodeMetadata({
    nodeCount: 10,
    recordSize: 28,
    ipVersion: 6,
    databaseType: "mxy",
    buildEpoch: 1700000000n,
    description: { en: "x" },
    languages: ["en"],
    mxy: {
      counts: { ipv4: 1, ipv6: 2, literal: 3, glob: 0 },
      matchMode: "case-insensitive",
      sections: { literal: { offset: 4096, length: 100 } },
    },
  });
  const map = new MmdbDecoder(m.subarray(14)).decode(0) as Record<string, unknown>;
  // Only the keys of the MaxMind DB specification: python's C extension refuses any other.
  assert.deepEqual(Object.keys(map).sort(), [
    "binary_format_major_version",
    "binary_format_minor_version",
    "build_epoch",
    "database_type",
    "description",
    "ip_version",
    "languages",
    "node_count",
    "record_size",
  ]);
  const description = map.description as Record<string, string>;
  assert.equal(description.en, "x");
  assert.deepEqual(JSON.parse(description.mxy), {
    format_version: 1,
    counts: { ipv4: 1, ipv6: 2, literal: 3, glob: 0 },
    match_mode: "case-insensitive",
    sections: { literal: { offset: 4096, length: 100 } },
  });
  assert.deepEqual(map.languages, ["en"]);
});

Deno.test("encodeMetadata() never ends the file with an empty map or array", () => {
  const m = encodeMetadata({
    nodeCount: 1,
    recordSize: 24,
    ipVersion: 4,
    databaseType: "t",
    buildEpoch: 1,
    extra: { empty: {} },
    mxy: { counts: {}, matchMode: "case-sensitive", sections: {} },
  });
  // The map ends with record_size: key "record_size" then a uint16 (24).
  assert.deepEqual([...m.subarray(-2)], [0xa1, 24]);
  const map = new MmdbDecoder(m.subarray(14)).decode(0) as Record<string, unknown>;
  assert.deepEqual(map.empty, {});
  assert.deepEqual(JSON.parse((map.description as Record<string, string>).mxy).sections, {});
});

Deno.test("mxyRecordText() writes the mxy record with its keys in a fixed order", () => {
  const text = mxyRecordText({ counts: { ipv4: 1 }, matchMode: "case-sensitive", sections: {} });
  assert.equal(
    text,
    '{"format_version":1,"counts":{"ipv4":1},"match_mode":"case-sensitive","sections":{}}',
  );
});

Deno.test("encodeMetadata() encodes the metadata block", () => {
  const m = encodeMetadata({
    nodeCount: 3,
    recordSize: 24,
    ipVersion: 4,
    databaseType: "test",
    buildEpoch: 1,
  });
  assert.deepEqual(m.subarray(0, 14), METADATA_MARKER);
  assert.equal(m[14] >> 5, 7); // a map follows
});
