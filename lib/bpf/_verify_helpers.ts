/**
 * The verifier's helper and map checks: `lddw` map references (by fd or index, and map value
 * addresses of array maps), and helper calls — known helpers only; the map helpers
 * (`map_lookup_elem`, `map_update_elem`, `map_delete_elem`) get Linux's argument types (a map
 * pointer, pointers to a key and a value of the map's sizes) and lookup returns a map value that
 * may be null until checked. A call clobbers R1–R5.
 *
 * @module
 */
import type { BpfInstruction } from "./instruction.ts";
import { EBPF } from "./opcodes.ts";
import {
  constant,
  ptr,
  PTR_MAP,
  PTR_MAP_VALUE,
  PTR_MAP_VALUE_OR_NULL,
  type Reg,
  SCALAR,
  TYPE_NAME,
  UNINIT,
  UNKNOWN,
} from "./_verify_values.ts";
import type { State } from "./_verify_state.ts";
import { checkAccess } from "./_verify_memory.ts";
import type { Walker } from "./_verify_walk.ts";

const { LDDW_SRC_IMM64, LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_VALUE_BY_FD } = EBPF;
const { LDDW_SRC_MAP_BY_IDX, LDDW_SRC_MAP_VALUE_BY_IDX } = EBPF;

/**
 * The value an `lddw` loads: a constant, a map pointer, or a map value pointer.
 *
 * @param w The walk.
 * @param i The instruction index.
 * @param x The `lddw`.
 * @returns The register value.
 */
export function mapReference(w: Walker, i: number, x: BpfInstruction): Reg {
  const lo = BigInt(x.imm >>> 0);
  const hi = BigInt((x.imm2 ?? 0) >>> 0);
  switch (x.src) {
    case LDDW_SRC_IMM64:
      return constant((hi << 32n) | lo);
    case LDDW_SRC_MAP_BY_FD:
    case LDDW_SRC_MAP_BY_IDX:
    case LDDW_SRC_MAP_VALUE_BY_FD:
    case LDDW_SRC_MAP_VALUE_BY_IDX: {
      const m = x.imm;
      if (m < 0 || m >= w.ctx.maps.length) {
        throw w.ctx.err(i, `fd ${m} is not pointing to valid bpf_map`);
      }
      if (x.src === LDDW_SRC_MAP_BY_FD || x.src === LDDW_SRC_MAP_BY_IDX) {
        return ptr(PTR_MAP, 0, m, 0);
      }
      const off = x.imm2 ?? 0;
      if (w.ctx.maps[m].type !== "array") {
        throw w.ctx.err(
          i,
          `map value address of a ${w.ctx.maps[m].type} map: only array maps allowed`,
        );
      }
      if (off < 0 || off >= w.ctx.maps[m].valueSize) {
        throw w.ctx.err(
          i,
          `invalid access to map value pointer, value_size=${w.ctx.maps[m].valueSize} off=${off}`,
        );
      }
      return ptr(PTR_MAP_VALUE, off, m, 0);
    }
    default:
      throw w.ctx.err(i, `unsupported ldimm64 source ${x.src}`);
  }
}

/**
 * Checks a helper call's arguments, sets its result in R0 and clobbers R1–R5.
 *
 * @param w The walk.
 * @param i The instruction index.
 * @param id The helper id.
 * @param st The state.
 * @returns The next instruction.
 */
export function helperCall(w: Walker, i: number, id: number, st: State): number {
  const f = st.frames[st.frames.length - 1];
  const r = f.regs;
  const name = w.ctx.helpers?.name(id) ?? "";
  let ret: Reg = UNKNOWN;
  if (name === "map_lookup_elem" || name === "map_update_elem" || name === "map_delete_elem") {
    const m = w.read(i, r, 1);
    if (m.t !== PTR_MAP) throw w.ctx.err(i, `R1 type=${TYPE_NAME[m.t]} expected=map_ptr`);
    const map = w.ctx.maps[m.map];
    argMem(w, i, st, 2, map.keySize);
    if (name === "map_update_elem") {
      argMem(w, i, st, 3, map.valueSize);
      w.readScalar(i, r, 4);
    }
    if (name === "map_lookup_elem") {
      ret = ptr(PTR_MAP_VALUE_OR_NULL, 0, m.map, st.nextId++);
    }
  }
  r[0] = ret;
  for (let k = 1; k <= 5; k++) r[k] = UNINIT;
  return i + 1;
}

/** A helper argument pointing to `size` readable bytes. */
function argMem(w: Walker, i: number, st: State, k: number, size: number): void {
  const r = st.frames[st.frames.length - 1].regs;
  const p = w.read(i, r, k);
  if (p.t === SCALAR) throw w.ctx.err(i, `R${k} type=scalar expected=fp, pkt, map_value`);
  checkAccess(w, i, st, k, 0, size, "read", null);
}
