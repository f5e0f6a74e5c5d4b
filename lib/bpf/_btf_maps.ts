/**
 * Reading BTF-defined map definitions (`SEC(".maps")` with `__uint`/`__type` members) from an
 * object's `.BTF` section: just enough of the BTF type format to find the `.maps` data section's
 * variables and the map attributes their struct types encode.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";

/** One map found in BTF: its variable name and attributes. */
export interface BtfMapDef {
  /** The variable's name. */
  name: string;
  /** Offset of the variable in the `.maps` section. */
  offset: number;
  /** Linux map type. */
  type: number;
  /** Key size in bytes. */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** Maximum entries. */
  maxEntries: number;
  /** Map flags. */
  flags: number;
  /** `map_extra` (a bloom filter's number of hash functions). */
  mapExtra: number;
  /** Where the value's `struct bpf_spin_lock` member is, or -1. */
  spinLock: number;
  /** Maps of maps: the inner map's definition (`__array(values, struct { … })`). */
  inner?: BtfMapDef;
  /** Where the `values` array starts in the map's variable (initial values), or -1. */
  valuesOffset: number;
}

interface BtfType {
  name: string;
  kind: number;
  vlen: number;
  sizeOrType: number;
  /** ARRAY: [elemType, indexType, nelems]; STRUCT/UNION/DATASEC: members. */
  array?: [number, number, number];
  members?: { name: string; type: number; offset: number; size: number }[];
}

const KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/**
 * Parses `.BTF` bytes and returns the maps declared in the `.maps` data section.
 *
 * @param btf The `.BTF` section's bytes.
 * @param file The object's name for messages.
 * @param base The section's byte offset in the file, for messages.
 * @returns The map definitions, by offset.
 */
export function btfMaps(btf: Uint8Array, file: string, base: number): BtfMapDef[] {
  const v = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
  const bad = (what: string, at: number) =>
    new BpfError("elf", `Bad BTF: ${what} at byte offset ${base + at}`, { file });
  if (btf.length < 24 || v.getUint16(0, true) !== 0xeb9f) throw bad("no BTF magic", 0);
  const hdrLen = v.getUint32(4, true);
  const typeOff = hdrLen + v.getUint32(8, true);
  const typeLen = v.getUint32(12, true);
  const strOff = hdrLen + v.getUint32(16, true);
  const strLen = v.getUint32(20, true);
  if (typeOff + typeLen > btf.length || strOff + strLen > btf.length) {
    throw bad("type or string section past the end", 4);
  }
  const str = (off: number): string => {
    if (off >= strLen) throw bad(`string offset ${off} out of range`, strOff);
    let e = strOff + off;
    while (e < strOff + strLen && btf[e] !== 0) e++;
    return new TextDecoder().decode(btf.subarray(strOff + off, e));
  };
  const types: BtfType[] = [{ name: "void", kind: 0, vlen: 0, sizeOrType: 0 }];
  let o = typeOff;
  const end = typeOff + typeLen;
  const need = (n: number) => {
    if (o + n > end) throw bad("truncated type", o);
  };
  while (o < end) {
    need(12);
    const at = o;
    const name = str(v.getUint32(o, true));
    const info = v.getUint32(o + 4, true);
    const t: BtfType = {
      name,
      kind: (info >>> 24) & 0x1f,
      vlen: info & 0xffff,
      sizeOrType: v.getUint32(o + 8, true),
    };
    o += 12;
    switch (t.kind) {
      case KIND.INT:
      case KIND.VAR:
      case KIND.DECL_TAG:
        need(4);
        o += 4;
        break;
      case KIND.ARRAY:
        need(12);
        t.array = [v.getUint32(o, true), v.getUint32(o + 4, true), v.getUint32(o + 8, true)];
        o += 12;
        break;
      case KIND.STRUCT:
      case KIND.UNION:
      case KIND.DATASEC:
        need(12 * t.vlen);
        t.members = [];
        for (let k = 0; k < t.vlen; k++, o += 12) {
          t.members.push(
            t.kind === KIND.DATASEC
              ? {
                name: "",
                type: v.getUint32(o, true),
                offset: v.getUint32(o + 4, true),
                size: v.getUint32(o + 8, true),
              }
              : {
                name: str(v.getUint32(o, true)),
                type: v.getUint32(o + 4, true),
                offset: v.getUint32(o + 8, true),
                size: 0,
              },
          );
        }
        break;
      case KIND.ENUM:
      case KIND.FUNC_PROTO:
        need(8 * t.vlen);
        o += 8 * t.vlen;
        break;
      case KIND.ENUM64:
        need(12 * t.vlen);
        o += 12 * t.vlen;
        break;
      case KIND.PTR:
      case KIND.FWD:
      case KIND.TYPEDEF:
      case KIND.VOLATILE:
      case KIND.CONST:
      case KIND.RESTRICT:
      case KIND.FUNC:
      case KIND.FLOAT:
      case KIND.TYPE_TAG:
        break;
      default:
        throw bad(`unknown type kind ${t.kind}`, at);
    }
    types.push(t);
  }
  const get = (id: number): BtfType => {
    const t = types[id];
    if (t === undefined) throw bad(`type id ${id} does not exist`, typeOff);
    return t;
  };
  const strip = (id: number): BtfType => {
    for (let n = 0; n < 64; n++) {
      const t = get(id);
      if (
        t.kind !== KIND.TYPEDEF && t.kind !== KIND.VOLATILE && t.kind !== KIND.CONST &&
        t.kind !== KIND.RESTRICT && t.kind !== KIND.TYPE_TAG
      ) return t;
      id = t.sizeOrType;
    }
    throw bad("type chain too long", typeOff);
  };
  const sizeOf = (id: number, depth = 0): number => {
    if (depth > 32) throw bad("type nesting too deep", typeOff);
    const t = strip(id);
    switch (t.kind) {
      case KIND.INT:
      case KIND.STRUCT:
      case KIND.UNION:
      case KIND.ENUM:
      case KIND.ENUM64:
      case KIND.FLOAT:
        return t.sizeOrType;
      case KIND.PTR:
        return 8;
      case KIND.ARRAY:
        return t.array![2] * sizeOf(t.array![0], depth + 1);
      default:
        throw bad(`type "${t.name}" (kind ${t.kind}) has no size`, typeOff);
    }
  };
  // `__uint(name, N)` is `int (*name)[N]`: a pointer to an array of N elements.
  const uintOf = (id: number): number => {
    const p = strip(id);
    if (p.kind !== KIND.PTR) throw bad("a __uint member is not a pointer", typeOff);
    const a = strip(p.sizeOrType);
    if (a.kind !== KIND.ARRAY) throw bad("a __uint member does not point to an array", typeOff);
    return a.array![2];
  };
  // `__type(name, T)` is `T *name`.
  const typeSizeOf = (id: number): number => {
    const p = strip(id);
    if (p.kind !== KIND.PTR) throw bad("a __type member is not a pointer", typeOff);
    return sizeOf(p.sizeOrType);
  };
  // A `struct bpf_spin_lock` member at the top level of a `__type(value, struct …)`.
  const spinLockOf = (name: string, id: number): number => {
    const p = strip(id);
    const v = p.kind === KIND.PTR ? strip(p.sizeOrType) : p;
    if (v.kind !== KIND.STRUCT) return -1;
    let at = -1;
    for (const m of v.members!) {
      const t = strip(m.type);
      if (t.kind !== KIND.STRUCT || t.name !== "bpf_spin_lock") continue;
      if (at >= 0) throw bad(`the value of map "${name}" has two bpf_spin_locks`, typeOff);
      at = m.offset / 8;
    }
    return at;
  };
  const mapDef = (name: string, offset: number, st: BtfType, depth: number): BtfMapDef => {
    const def: BtfMapDef = {
      name,
      offset,
      type: 0,
      keySize: 0,
      valueSize: 0,
      maxEntries: 0,
      flags: 0,
      mapExtra: 0,
      spinLock: -1,
      valuesOffset: -1,
    };
    for (const f of st.members!) {
      switch (f.name) {
        case "type":
          def.type = uintOf(f.type);
          break;
        case "max_entries":
          def.maxEntries = uintOf(f.type);
          break;
        case "map_flags":
          def.flags = uintOf(f.type);
          break;
        case "map_extra":
          def.mapExtra = uintOf(f.type);
          break;
        case "key_size":
          def.keySize = uintOf(f.type);
          break;
        case "value_size":
          def.valueSize = uintOf(f.type);
          break;
        case "key":
          def.keySize = typeSizeOf(f.type);
          break;
        case "value":
          def.valueSize = typeSizeOf(f.type);
          def.spinLock = spinLockOf(name, f.type);
          break;
        case "values": {
          // `__array(values, T)`: `T *values[]`; T a map definition (maps of maps) or a
          // function prototype (program arrays). The value is a 4-byte id either way.
          const arr = strip(f.type);
          if (arr.kind !== KIND.ARRAY) {
            throw bad(`"values" of map "${name}" is not an array`, typeOff);
          }
          const p = strip(arr.array![0]);
          if (p.kind !== KIND.PTR) {
            throw bad(`"values" of map "${name}" holds no pointers`, typeOff);
          }
          const target = strip(p.sizeOrType);
          if (target.kind === KIND.STRUCT) {
            if (depth > 0) throw bad(`map "${name}" nests maps of maps too deeply`, typeOff);
            def.inner = mapDef(`${name}.inner`, 0, target, depth + 1);
          }
          def.valueSize = 4;
          def.valuesOffset = f.offset / 8;
          break;
        }
        default:
          // pinning, numa_node: not used by mxy.
          break;
      }
    }
    if (def.keySize === 0 && (def.type === 3 || def.type === 12)) def.keySize = 4;
    return def;
  };
  const sec = types.find((t) => t.kind === KIND.DATASEC && t.name === ".maps");
  if (sec === undefined) return [];
  const out: BtfMapDef[] = [];
  for (const m of sec.members!) {
    const variable = get(m.type);
    if (variable.kind !== KIND.VAR) throw bad("a .maps entry is not a variable", typeOff);
    const st = strip(variable.sizeOrType);
    if (st.kind !== KIND.STRUCT) throw bad(`map "${variable.name}" is not a struct`, typeOff);
    out.push(mapDef(variable.name, m.offset, st, 0));
  }
  return out;
}
