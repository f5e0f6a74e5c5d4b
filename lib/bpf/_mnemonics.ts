/**
 * The mnemonics of the assembler dialect (the bpf_conformance and ubpf suites'), shared by the
 * assembler and the disassembler so that what one prints the other reads.
 *
 * @module
 */
import { EBPF } from "./opcodes.ts";

/** Arithmetic operations by mnemonic (`add`, `add32` …; `sdiv`/`smod` are `div`/`mod` with offset 1). */
export const ALU_MNEMONICS: ReadonlyMap<string, number> = new Map([
  ["add", EBPF.ALU_ADD],
  ["sub", EBPF.ALU_SUB],
  ["mul", EBPF.ALU_MUL],
  ["div", EBPF.ALU_DIV],
  ["or", EBPF.ALU_OR],
  ["and", EBPF.ALU_AND],
  ["lsh", EBPF.ALU_LSH],
  ["rsh", EBPF.ALU_RSH],
  ["neg", EBPF.ALU_NEG],
  ["mod", EBPF.ALU_MOD],
  ["xor", EBPF.ALU_XOR],
  ["mov", EBPF.ALU_MOV],
  ["arsh", EBPF.ALU_ARSH],
]);

/** Conditional jumps by mnemonic (`jeq`, `jeq32` …). */
export const JMP_MNEMONICS: ReadonlyMap<string, number> = new Map([
  ["jeq", EBPF.JMP_JEQ],
  ["jgt", EBPF.JMP_JGT],
  ["jge", EBPF.JMP_JGE],
  ["jset", EBPF.JMP_JSET],
  ["jne", EBPF.JMP_JNE],
  ["jsgt", EBPF.JMP_JSGT],
  ["jsge", EBPF.JMP_JSGE],
  ["jlt", EBPF.JMP_JLT],
  ["jle", EBPF.JMP_JLE],
  ["jslt", EBPF.JMP_JSLT],
  ["jsle", EBPF.JMP_JSLE],
]);

/** Access sizes by mnemonic suffix (`ldxw`, `stxdw` …). */
export const SIZE_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ["w", EBPF.SIZE_W],
  ["h", EBPF.SIZE_H],
  ["b", EBPF.SIZE_B],
  ["dw", EBPF.SIZE_DW],
]);

/** Atomic operations by mnemonic (`lock add`, `lock fetch or` …), without `FETCH`. */
export const ATOMIC_MNEMONICS: ReadonlyMap<string, number> = new Map([
  ["add", EBPF.ATOMIC_ADD],
  ["or", EBPF.ATOMIC_OR],
  ["and", EBPF.ATOMIC_AND],
  ["xor", EBPF.ATOMIC_XOR],
]);

/** The `lddw` source kinds by their third operand (`lddw %r1, 5, map_fd`), index = source. */
export const LDDW_KINDS: readonly string[] = [
  "",
  "map_fd",
  "map_value_fd",
  "variable",
  "code",
  "map_idx",
  "map_value_idx",
];

/**
 * The inverse of a mnemonic table: the mnemonic of each value.
 *
 * @param table A table of this module.
 * @returns Mnemonics by value.
 */
export function namesOf(table: ReadonlyMap<string, number>): ReadonlyMap<number, string> {
  return new Map([...table].map(([name, value]) => [value, name]));
}
