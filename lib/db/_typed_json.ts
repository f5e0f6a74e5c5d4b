/**
 * JSON for a data record that keeps every stored type, for `mxy export`: plain JSON wherever
 * `mxy build` would choose the same type again (strings, booleans, maps, arrays, uint16, a
 * uint32 of 65,536 or more, a negative int32 …), a number with `.0` for an integral double, and
 * `{"$type": TYPE, "value": V}` where JSON alone would lose the type (a float, bytes, a uint32
 * below 65,536, a uint64 below 2³², NaN …). A map that has a `"$type"` key of its own is written
 * as `{"$type": "map", "value": {…}}` so that it reads back as a map.
 *
 * @module
 */
import { type MmdbDecoder, MmdbType } from "../format/mmdb_decoder.ts";
import { valueToJson } from "../format/value.ts";

const TWO_16 = 65536;
const TWO_32 = 4294967296n;
const TWO_64 = 1n << 64n;

/**
 * The typed JSON of the value stored at `offset`.
 *
 * @param decoder A decoder over the data section.
 * @param offset The value's offset in the section.
 * @returns JSON text (one line).
 * @throws {FormatError} When the data is malformed.
 */
export function typedValueJson(decoder: MmdbDecoder, offset: number): string {
  // Decoding first checks the whole record (sizes, nesting, pointer cycles) before the walk.
  decoder.decode(offset);
  return write(decoder, offset);
}

function annotated(type: string, valueJson: string): string {
  return `{"$type":"${type}","value":${valueJson}}`;
}

function nonFinite(v: number): string | null {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  return null;
}

function write(decoder: MmdbDecoder, offset: number): string {
  const h = decoder.header(offset);
  switch (h.type) {
    case MmdbType.pointer:
      return write(decoder, h.payload);
    case MmdbType.map: {
      const parts: string[] = [];
      let at = h.payload;
      let hasType = false;
      for (let i = 0; i < h.size; i++) {
        const key = decoder.decode(at) as string;
        if (key === "$type") hasType = true;
        at = decoder.skip(at);
        parts.push(`${JSON.stringify(key)}:${write(decoder, at)}`);
        at = decoder.skip(at);
      }
      const map = `{${parts.join(",")}}`;
      return hasType ? annotated("map", map) : map;
    }
    case MmdbType.array: {
      const parts: string[] = [];
      let at = h.payload;
      for (let i = 0; i < h.size; i++) {
        parts.push(write(decoder, at));
        at = decoder.skip(at);
      }
      return `[${parts.join(",")}]`;
    }
    case MmdbType.double: {
      const v = decoder.decode(offset) as number;
      const odd = nonFinite(v);
      if (odd !== null) return annotated("double", odd);
      if (Object.is(v, -0)) return "-0.0";
      const text = JSON.stringify(v);
      return /[.eE]/.test(text) ? text : `${text}.0`;
    }
    case MmdbType.float: {
      const v = decoder.decode(offset) as number;
      return annotated("float", nonFinite(v) ?? (Object.is(v, -0) ? "-0.0" : JSON.stringify(v)));
    }
    case MmdbType.bytes: {
      const v = decoder.decode(offset) as Uint8Array;
      let hex = "";
      for (const b of v) hex += b.toString(16).padStart(2, "0");
      return annotated("bytes", `"${hex}"`);
    }
    case MmdbType.uint32: {
      const v = decoder.decode(offset) as number;
      return v >= TWO_16 ? String(v) : annotated("uint32", String(v));
    }
    case MmdbType.int32: {
      const v = decoder.decode(offset) as number;
      return v < 0 ? String(v) : annotated("int32", String(v));
    }
    case MmdbType.uint64: {
      const v = decoder.decode(offset) as bigint;
      return v >= TWO_32 ? String(v) : annotated("uint64", String(v));
    }
    case MmdbType.uint128: {
      const v = decoder.decode(offset) as bigint;
      return v >= TWO_64 ? String(v) : annotated("uint128", String(v));
    }
    default: // strings, uint16, booleans: JSON keeps them
      return valueToJson(decoder.decode(offset));
  }
}
