/**
 * A small WebAssembly binary encoder: LEB128 numbers, a function body builder with instructions
 * by name, and a module builder for the sections the eBPF compiler needs (types, imports,
 * functions, globals, exports, code, custom). It writes the binary format of the WebAssembly 1.0
 * core specification plus multi-value results, sign-extension and saturating conversions, which
 * every engine of the last years has.
 *
 * @module
 */

/** Value types. */
export const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c;
/** The empty block type. */
export const VOID = 0x40;

/** Instruction opcodes, by their text-format names. */
export const W = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  br_table: 0x0e,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  global_get: 0x23,
  global_set: 0x24,
  i32_load: 0x28,
  i64_load: 0x29,
  i64_load8_s: 0x30,
  i64_load8_u: 0x31,
  i64_load16_s: 0x32,
  i64_load16_u: 0x33,
  i64_load32_s: 0x34,
  i64_load32_u: 0x35,
  i32_store: 0x36,
  i64_store: 0x37,
  i64_store8: 0x3c,
  i64_store16: 0x3d,
  i64_store32: 0x3e,
  i32_const: 0x41,
  i64_const: 0x42,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_gt_s: 0x4a,
  i32_gt_u: 0x4b,
  i32_le_s: 0x4c,
  i32_le_u: 0x4d,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  i64_eqz: 0x50,
  i64_eq: 0x51,
  i64_ne: 0x52,
  i64_lt_s: 0x53,
  i64_lt_u: 0x54,
  i64_gt_s: 0x55,
  i64_gt_u: 0x56,
  i64_le_s: 0x57,
  i64_le_u: 0x58,
  i64_ge_s: 0x59,
  i64_ge_u: 0x5a,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_div_s: 0x6d,
  i32_div_u: 0x6e,
  i32_rem_s: 0x6f,
  i32_rem_u: 0x70,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_s: 0x75,
  i32_shr_u: 0x76,
  i32_rotl: 0x77,
  i32_rotr: 0x78,
  i64_add: 0x7c,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_div_s: 0x7f,
  i64_div_u: 0x80,
  i64_rem_s: 0x81,
  i64_rem_u: 0x82,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_xor: 0x85,
  i64_shl: 0x86,
  i64_shr_s: 0x87,
  i64_shr_u: 0x88,
  i64_rotl: 0x89,
  i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7,
  i64_extend_i32_s: 0xac,
  i64_extend_i32_u: 0xad,
  f64_convert_i64_u: 0xba,
  i32_extend8_s: 0xc0,
  i32_extend16_s: 0xc1,
  i64_extend8_s: 0xc2,
  i64_extend16_s: 0xc3,
  i64_extend32_s: 0xc4,
} as const;

/** Prefix of the saturating conversions; `i64.trunc_sat_f64_u` is `0xfc 7`. */
const SAT_PREFIX = 0xfc, I64_TRUNC_SAT_F64_U = 7;

/** A growable byte buffer with the encodings of the binary format. */
export class ByteWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  /** Bytes written. */
  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.#buf.subarray(0, this.#len));
    this.#buf = b;
  }

  /** Appends one byte. */
  byte(b: number): this {
    this.#room(1);
    this.#buf[this.#len++] = b;
    return this;
  }

  /** Appends bytes. */
  bytes(b: Uint8Array): this {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** Appends an unsigned LEB128 number (up to 2^53). */
  u32(v: number): this {
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** Appends a signed LEB128 32-bit number. */
  s32(v: number): this {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  /** Appends a signed LEB128 64-bit number. */
  s64(v: bigint): this {
    v = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  /** Appends a little-endian float64. */
  f64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return this.bytes(b);
  }

  /** Appends a name (length-prefixed UTF-8). */
  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** Appends a length-prefixed vector of byte strings. */
  vec(items: Uint8Array[]): this {
    this.u32(items.length);
    for (const i of items) this.bytes(i);
    return this;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array<ArrayBuffer> {
    return this.#buf.slice(0, this.#len);
  }
}

/** A function body: locals and instructions. */
export class FunctionBody {
  #main = new ByteWriter();
  #prologue = new ByteWriter();
  #out = this.#main;
  #locals: number[] = [];
  #params: number;

  /**
   * Creates a body for a function with `params` parameters.
   *
   * @param params How many parameters the function's type has (locals are numbered after them).
   */
  constructor(params: number) {
    this.#params = params;
  }

  /** Where instructions go now: the body, or the prologue inside {@linkcode FunctionBody.prologue}. */
  get code(): ByteWriter {
    return this.#out;
  }

  /** Emits instructions (by `emit`) at the start of the function, before everything else. */
  prologue(emit: () => void): void {
    const saved = this.#out;
    this.#out = this.#prologue;
    try {
      emit();
    } finally {
      this.#out = saved;
    }
  }

  /** Declares a local of type `t`; returns its index. */
  local(t: number): number {
    this.#locals.push(t);
    return this.#params + this.#locals.length - 1;
  }

  /** Emits an instruction without immediates. */
  op(o: number): this {
    this.#out.byte(o);
    return this;
  }

  /** `local.get`. */
  get(i: number): this {
    this.#out.byte(W.local_get).u32(i);
    return this;
  }

  /** `local.set`. */
  set(i: number): this {
    this.#out.byte(W.local_set).u32(i);
    return this;
  }

  /** `local.tee`. */
  tee(i: number): this {
    this.#out.byte(W.local_tee).u32(i);
    return this;
  }

  /** `global.get`. */
  gget(i: number): this {
    this.#out.byte(W.global_get).u32(i);
    return this;
  }

  /** `global.set`. */
  gset(i: number): this {
    this.#out.byte(W.global_set).u32(i);
    return this;
  }

  /** `i32.const`. */
  i32(v: number): this {
    this.#out.byte(W.i32_const).s32(v);
    return this;
  }

  /** `i64.const`. */
  i64(v: bigint | number): this {
    this.#out.byte(W.i64_const).s64(BigInt(v));
    return this;
  }

  /** A load or store with alignment 0 and a static offset. */
  mem(o: number, offset: number): this {
    this.#out.byte(o).u32(0).u32(offset);
    return this;
  }

  /** `block`, `loop` or `if` with a block type (default: no result). */
  begin(o: number, type: number = VOID): this {
    this.#out.byte(o).byte(type);
    return this;
  }

  /** `br` or `br_if` to a relative depth. */
  br(o: number, depth: number): this {
    this.#out.byte(o).u32(depth);
    return this;
  }

  /** `br_table` over depths, with a default. */
  brTable(depths: number[], dflt: number): this {
    this.#out.byte(W.br_table).u32(depths.length);
    for (const d of depths) this.#out.u32(d);
    this.#out.u32(dflt);
    return this;
  }

  /** `call`. */
  call(f: number): this {
    this.#out.byte(W.call).u32(f);
    return this;
  }

  /** `i64.trunc_sat_f64_u`. */
  truncSatF64U(): this {
    this.#out.byte(SAT_PREFIX).u32(I64_TRUNC_SAT_F64_U);
    return this;
  }

  /** The encoded body: locals (run-length grouped), code and the final `end`. */
  encode(): Uint8Array {
    const w = new ByteWriter();
    const groups: [number, number][] = [];
    for (const t of this.#locals) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    w.u32(groups.length);
    for (const [n, t] of groups) w.u32(n).byte(t);
    w.bytes(this.#prologue.finish()).bytes(this.#main.finish()).byte(W.end);
    const out = new ByteWriter();
    return out.u32(w.length).bytes(w.finish()).finish();
  }
}

/** An import: a function (with its type index), a memory (minimum pages) or a global. */
export type WasmImport =
  | { module: string; name: string; kind: "func"; type: number }
  | { module: string; name: string; kind: "memory"; minPages: number }
  | { module: string; name: string; kind: "global"; valType: number };

/** An export of a function, the memory or a global, by index. */
export interface WasmExport {
  name: string;
  kind: "func" | "memory" | "global";
  index: number;
}

const KIND = { func: 0, memory: 2, global: 3 } as const;

/** Builds a module. Function indexes count imported functions first. */
export class ModuleBuilder {
  #types: Uint8Array[] = [];
  #typeKeys = new Map<string, number>();
  #imports: WasmImport[] = [];
  #funcTypes: number[] = [];
  #bodies: FunctionBody[] = [];
  #globals: Uint8Array[] = [];
  #exports: WasmExport[] = [];
  #custom: { name: string; data: Uint8Array }[] = [];

  /** The index of a function type, adding it when new. */
  type(params: number[], results: number[]): number {
    const key = `${params.join(",")}:${results.join(",")}`;
    let i = this.#typeKeys.get(key);
    if (i === undefined) {
      const w = new ByteWriter().byte(0x60).u32(params.length);
      for (const p of params) w.byte(p);
      w.u32(results.length);
      for (const r of results) w.byte(r);
      i = this.#types.length;
      this.#types.push(w.finish());
      this.#typeKeys.set(key, i);
    }
    return i;
  }

  /** How many functions are imported. */
  get importedFunctions(): number {
    return this.#imports.filter((i) => i.kind === "func").length;
  }

  /** How many globals are imported. */
  get importedGlobals(): number {
    return this.#imports.filter((i) => i.kind === "global").length;
  }

  /** Adds an import; returns its index among imports of its kind. */
  addImport(imp: WasmImport): number {
    const n = this.#imports.filter((i) => i.kind === imp.kind).length;
    this.#imports.push(imp);
    return n;
  }

  /** Declares a function of type `type`; returns its function index. Its body comes later. */
  declareFunction(type: number): number {
    this.#funcTypes.push(type);
    return this.importedFunctions + this.#funcTypes.length - 1;
  }

  /** Sets the body of a declared function. */
  setBody(index: number, body: FunctionBody): void {
    this.#bodies[index - this.importedFunctions] = body;
  }

  /** Adds a mutable or immutable global with a constant initial value; returns its index. */
  addGlobal(valType: number, mutable: boolean, init: number): number {
    const w = new ByteWriter().byte(valType).byte(mutable ? 1 : 0);
    if (valType === I64) w.byte(W.i64_const).s64(BigInt(init));
    else if (valType === F64) w.byte(0x44).f64(init);
    else w.byte(W.i32_const).s32(init);
    w.byte(W.end);
    this.#globals.push(w.finish());
    return this.importedGlobals + this.#globals.length - 1;
  }

  /** Adds an export. */
  addExport(e: WasmExport): void {
    this.#exports.push(e);
  }

  /** Adds a custom section. */
  addCustom(name: string, data: Uint8Array): void {
    this.#custom.push({ name, data });
  }

  /** Encodes the module. */
  encode(): Uint8Array<ArrayBuffer> {
    const out = new ByteWriter().bytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const section = (id: number, body: ByteWriter) => {
      out.byte(id).u32(body.length).bytes(body.finish());
    };
    for (const c of this.#custom) section(0, new ByteWriter().name(c.name).bytes(c.data));
    section(1, new ByteWriter().vec(this.#types));
    if (this.#imports.length > 0) {
      const w = new ByteWriter().u32(this.#imports.length);
      for (const i of this.#imports) {
        w.name(i.module).name(i.name).byte(KIND[i.kind]);
        if (i.kind === "func") w.u32(i.type);
        else if (i.kind === "memory") w.byte(0).u32(i.minPages);
        else w.byte(i.valType).byte(0);
      }
      section(2, w);
    }
    const fw = new ByteWriter().u32(this.#funcTypes.length);
    for (const t of this.#funcTypes) fw.u32(t);
    section(3, fw);
    if (this.#globals.length > 0) section(6, new ByteWriter().vec(this.#globals));
    const ew = new ByteWriter().u32(this.#exports.length);
    for (const e of this.#exports) ew.name(e.name).byte(KIND[e.kind]).u32(e.index);
    section(7, ew);
    const cw = new ByteWriter().u32(this.#bodies.length);
    for (const b of this.#bodies) cw.bytes(b.encode());
    section(10, cw);
    return out.finish();
  }
}
