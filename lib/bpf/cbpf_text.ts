/**
 * Reading and writing classic BPF programs as text: the decimal form `tcpdump -ddd` prints (a
 * count line, then one `code jt jf k` line per instruction) and the C-array form of `tcpdump -dd`
 * (`{ 0x28, 0, 0, 0x0000000c },`).
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { CbpfInstruction } from "./cbpf.ts";
import { CBPF, CBPF_MNEMONICS } from "./_cbpf_opcodes.ts";

const { LD, LDX, ST, STX, ALU, RET, MISC, IMM, ABS, IND, MEM, LEN, X, A, NEG, JA } = CBPF;
const { CLASS_MASK, MODE_MASK, OP_MASK } = CBPF;

/**
 * Options for {@linkcode parseCbpf}.
 *
 * @example
 * ```ts
 * import { parseCbpf, type ParseCbpfOptions } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: ParseCbpfOptions = { source: "ip.bpf" };
 * assert.throws(() => parseCbpf("2\n40 0 0 12\n", options), /count line says 2 instructions but 1 follow \(at ip\.bpf, line 3\)/);
 * ```
 */
export interface ParseCbpfOptions {
  /** A name for the source, used in error messages (a file name). Default `"<input>"`. */
  source?: string;
}

/**
 * Parses a classic program printed by `tcpdump -ddd` (decimal) or `tcpdump -dd` (C array). The
 * form is detected from the text. Blank lines and `#` comments are ignored in the decimal form.
 *
 * @param text The program text.
 * @param options The source name for messages.
 * @returns The instructions (not yet validated; see `validateCbpf`). Throws a `BpfError` with
 *   code `"cbpf-parse"` naming the source and line on bad input.
 * @example
 * ```ts
 * import { parseCbpf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const ddd = parseCbpf("2\n40 0 0 12\n6 0 0 262144\n");
 * assert.deepEqual(ddd[0], { code: 40, jt: 0, jf: 0, k: 12 });
 * const dd = parseCbpf("{ 0x28, 0, 0, 0x0000000c },\n{ 0x6, 0, 0, 0x00040000 },\n");
 * assert.deepEqual(dd, ddd);
 * ```
 */
export function parseCbpf(text: string, options: ParseCbpfOptions = {}): CbpfInstruction[] {
  const source = options.source ?? "<input>";
  if (/^\s*\{/.test(text)) return parseC(text, source);
  return parseDecimal(text, source);
}

function parseDecimal(text: string, source: string): CbpfInstruction[] {
  const lines = text.split(/\r?\n/);
  let count = -1;
  const out: CbpfInstruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*$/, "").trim();
    if (line === "") continue;
    const fields = line.split(/\s+/);
    if (count < 0) {
      if (fields.length !== 1 || !/^\d+$/.test(fields[0])) {
        throw bad(source, i + 1, `expected the instruction count, got "${line}"`);
      }
      count = Number(fields[0]);
      continue;
    }
    if (fields.length !== 4 || !fields.every((f) => /^\d+$/.test(f))) {
      throw bad(source, i + 1, `expected "code jt jf k" as four decimal numbers, got "${line}"`);
    }
    if (out.length === count) {
      throw bad(source, i + 1, `more instructions than the ${count} the count line announces`);
    }
    out.push(instruction(fields.map(Number), source, i + 1));
  }
  if (count < 0) throw bad(source, 1, "the program is empty (no instruction count)");
  if (out.length !== count) {
    throw bad(
      source,
      lines.length,
      `the count line says ${count} instructions but ${out.length} follow`,
    );
  }
  return out;
}

function parseC(text: string, source: string): CbpfInstruction[] {
  const out: CbpfInstruction[] = [];
  const lines = text.split(/\r?\n/);
  const number = "(0x[0-9a-fA-F]+|\\d+)";
  const re = new RegExp(
    `^\\{\\s*${number}\\s*,\\s*${number}\\s*,\\s*${number}\\s*,\\s*${number}\\s*\\},?$`,
  );
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const m = re.exec(line);
    if (!m) throw bad(source, i + 1, `expected "{ code, jt, jf, k }," got "${line}"`);
    out.push(instruction(m.slice(1, 5).map((s) => Number(s)), source, i + 1));
  }
  if (out.length === 0) throw bad(source, 1, "the program is empty");
  return out;
}

function instruction(f: number[], source: string, line: number): CbpfInstruction {
  const [code, jt, jf, k] = f;
  if (code > 0xffff || jt > 0xff || jf > 0xff || k > 0xffffffff) {
    throw bad(source, line, "a field is out of range (code 16 bits, jt/jf 8 bits, k 32 bits)");
  }
  return { code, jt, jf, k };
}

function bad(source: string, line: number, what: string): BpfError {
  return new BpfError("cbpf-parse", `Cannot read classic BPF program: ${what}`, {
    file: source,
    line,
  });
}

/**
 * Prints a classic program in `tcpdump -ddd` form, which {@linkcode parseCbpf} reads back.
 *
 * @param program The instructions.
 * @returns The text, one line per instruction after the count line.
 * @example
 * ```ts
 * import { formatCbpfDecimal, parseCbpf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const p = [{ code: 6, jt: 0, jf: 0, k: 0 }];
 * assert.equal(formatCbpfDecimal(p), "1\n6 0 0 0\n");
 * assert.deepEqual(parseCbpf(formatCbpfDecimal(p)), p);
 * ```
 */
export function formatCbpfDecimal(program: readonly CbpfInstruction[]): string {
  return `${program.length}\n` + program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}\n`).join("");
}

/**
 * Formats one classic instruction the way `tcpdump -d` does (`ldh [12]`, `jeq #0x800 jt 2 jf 5`).
 *
 * @param ins The instruction.
 * @param pc Its index (jump targets are printed as absolute indexes).
 * @returns The text.
 * @example
 * ```ts
 * import { formatCbpfInstruction } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * assert.equal(formatCbpfInstruction({ code: 0x28, jt: 0, jf: 0, k: 12 }, 0), "ldh [12]");
 * assert.equal(formatCbpfInstruction({ code: 0x15, jt: 0, jf: 3, k: 0x800 }, 1), "jeq #0x800 jt 2 jf 5");
 * ```
 */
export function formatCbpfInstruction(ins: CbpfInstruction, pc: number): string {
  const name = CBPF_MNEMONICS.get(ins.code);
  if (name === undefined) return `unimp 0x${ins.code.toString(16)}`;
  const cls = ins.code & CLASS_MASK;
  const hex = `#0x${ins.k.toString(16)}`;
  switch (cls) {
    case RET:
      return (ins.code & A) ? "ret a" : `ret #${ins.k}`;
    case LD:
    case LDX: {
      const mode = ins.code & MODE_MASK;
      if (mode === IMM) return `${name} ${ins.k === 0 ? "#0" : hex}`;
      if (mode === LEN) return `${name} #pktlen`;
      if (mode === MEM) return `${name} M[${ins.k}]`;
      if (mode === ABS) return `${name} [${ins.k}]`;
      if (mode === IND) return `${name} [x + ${ins.k}]`;
      return `${name} 4*([${ins.k}]&0xf)`;
    }
    case ST:
    case STX:
      return `${name} M[${ins.k}]`;
    case MISC:
      return name;
    case ALU:
      if ((ins.code & OP_MASK) === NEG) return "neg";
      return `${name} ${(ins.code & X) ? "x" : hex}`;
    default: {
      if ((ins.code & OP_MASK) === JA) return `ja ${pc + 1 + ins.k}`;
      const operand = (ins.code & X) ? "x" : hex;
      return `${name} ${operand} jt ${pc + 1 + ins.jt} jf ${pc + 1 + ins.jf}`;
    }
  }
}
