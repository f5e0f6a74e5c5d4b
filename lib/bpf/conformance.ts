/**
 * The `.data` test files of bpf_conformance and ubpf: parsing (`-- asm`, `-- raw`, `-- mem`,
 * `-- result`, `-- error`, and the informational `-- c`, `-- error pattern`, `-- no jit`,
 * `-- no register offset`) and running one case in the interpreter or the JIT.
 *
 * @module
 */
import { assemble } from "./assembler.ts";
import { BpfError } from "./bpf_error.ts";
import { decodeProgram, type Program } from "./instruction.ts";
import { Interpreter } from "./interpreter.ts";
import type { RunOptions } from "./runner.ts";

/** One parsed `.data` file. */
export interface ConformanceCase {
  /** The file name (for messages). */
  name: string;
  /** The `-- asm` text, when present. */
  asm?: string;
  /** The `-- raw` bytecode, when present. */
  raw?: Uint8Array;
  /** The `-- mem` bytes (empty when absent). */
  mem: Uint8Array;
  /** The expected r0, when `-- result` is present. */
  result?: bigint;
  /** The expected error text, when `-- error` (or `-- error pattern`) is present. */
  error?: string;
  /** Other sections by name (`c`, `no jit`, …). */
  extra: Record<string, string>;
}

/** Options of {@linkcode parseConformance}. */
export interface ParseConformanceOptions {
  /** The file name for messages. */
  name?: string;
}

const KNOWN = new Set([
  "asm",
  "raw",
  "mem",
  "result",
  "error",
  "error pattern",
  "c",
  "no jit",
  "no register offset",
  "reload",
  "unload",
]);

function parseHexBytes(text: string, name: string, startLine: number): Uint8Array {
  const out: number[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*/, "").trim();
    if (!line) continue;
    for (const tok of line.split(/\s+/)) {
      if (!/^[0-9a-f]{2}$/i.test(tok)) {
        throw new BpfError("conformance", `Invalid hex byte "${tok}"`, {
          file: name,
          line: startLine + i,
        });
      }
      out.push(parseInt(tok, 16));
    }
  }
  return Uint8Array.from(out);
}

function parseRaw(text: string, name: string, startLine: number): Uint8Array {
  const lines = text.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter((l) => l);
  if (lines.length > 0 && lines.every((l) => /^0x[0-9a-f]{1,16}$/i.test(l))) {
    const out = new Uint8Array(lines.length * 8);
    const v = new DataView(out.buffer);
    lines.forEach((l, i) => v.setBigUint64(i * 8, BigInt(l), true));
    return out;
  }
  return parseHexBytes(text, name, startLine);
}

/**
 * Parses a conformance `.data` file.
 *
 * @param text The file's text.
 * @param options The file name for messages.
 * @returns The case.
 * @throws {BpfError} `conformance` for an unknown section, bad bytes or a case with no program.
 * @example
 * ```ts
 * import { parseConformance } from "./conformance.ts";
 * import assert from "node:assert/strict";
 * const c = parseConformance("-- asm\nmov %r0, 3\nexit\n-- result\n0x3\n");
 * assert.equal(c.result, 3n);
 * assert.match(c.asm!, /mov/);
 * ```
 */
export function parseConformance(
  text: string,
  options: ParseConformanceOptions = {},
): ConformanceCase {
  const name = options.name ?? "";
  const sections = new Map<string, { body: string[]; line: number }>();
  let current: { body: string[]; line: number } | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = /^--\s*(.*?)\s*$/.exec(line);
    if (m) {
      const key = m[1].toLowerCase();
      if (!KNOWN.has(key)) {
        throw new BpfError("conformance", `Unknown section "-- ${m[1]}"`, {
          file: name,
          line: i + 1,
        });
      }
      current = { body: [], line: i + 2 };
      sections.set(key, current);
      continue;
    }
    if (current) current.body.push(line);
  }
  const get = (k: string) => sections.get(k);
  const asm = get("asm");
  const raw = get("raw");
  if (!asm && !raw) {
    throw new BpfError("conformance", "No -- asm or -- raw section", { file: name });
  }
  const c: ConformanceCase = { name, mem: new Uint8Array(0), extra: {} };
  if (asm) c.asm = asm.body.join("\n");
  if (raw) c.raw = parseRaw(raw.body.join("\n"), name, raw.line);
  const mem = get("mem");
  if (mem) c.mem = parseHexBytes(mem.body.join("\n"), name, mem.line);
  const result = get("result");
  if (result) {
    const t = result.body.map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))[0];
    if (t !== undefined) {
      if (!/^(0x[0-9a-f]+|-?\d+)$/i.test(t)) {
        throw new BpfError("conformance", `Invalid result "${t}"`, {
          file: name,
          line: result.line,
        });
      }
      c.result = BigInt.asUintN(64, BigInt(t));
    }
  }
  const err = get("error") ?? get("error pattern");
  if (err) c.error = err.body.join("\n").trim();
  for (const [k, v] of sections) {
    if (!["asm", "raw", "mem", "result", "error"].includes(k)) c.extra[k] = v.body.join("\n");
  }
  return c;
}

/** How one case went. */
export interface ConformanceOutcome {
  /** Whether the case passed. */
  pass: boolean;
  /** r0 when the program ran to the end. */
  value?: bigint;
  /** The error when assembling, decoding or running failed. */
  error?: BpfError;
  /** A one-line explanation. */
  message: string;
}

/** A function that builds a runner (interpreter or JIT) for a program. */
export type RunnerFactory = (
  program: Program,
  options: RunOptions,
) => { run(mem?: Uint8Array): bigint };

/** Options of {@linkcode runConformance}. */
export interface RunConformanceOptions extends RunOptions {
  /** Builds the runner (default: the interpreter). */
  runner?: RunnerFactory;
  /** Called with the decoded program before it runs (e.g. a verifier); may throw a BpfError. */
  verify?: (program: Program) => void;
}

/**
 * Runs one conformance case: assembles (or decodes `-- raw`, which must agree with `-- asm` when
 * both are present), runs on `-- mem`, and compares r0 with `-- result`, or expects an error
 * when the case has `-- error` and no result.
 *
 * @param c The parsed case.
 * @param options The runner and run options.
 * @returns Pass/fail with the reason.
 * @example
 * ```ts
 * import { parseConformance, runConformance } from "./conformance.ts";
 * import assert from "node:assert/strict";
 * const c = parseConformance("-- asm\nmov %r0, %r2\nexit\n-- mem\n00 01 02\n-- result\n0x3\n");
 * assert.equal(runConformance(c).pass, true);
 * ```
 */
export function runConformance(
  c: ConformanceCase,
  options: RunConformanceOptions = {},
): ConformanceOutcome {
  const expectError = c.error !== undefined && c.result === undefined;
  let value: bigint;
  try {
    let bytes: Uint8Array;
    if (c.asm !== undefined) {
      bytes = assemble(c.asm, { file: c.name });
      if (c.raw && !equalBytes(bytes, c.raw)) {
        return {
          pass: false,
          message: "The assembled bytes differ from the -- raw section",
        };
      }
    } else bytes = c.raw!;
    if (bytes.length === 0) throw new BpfError("decode", "Empty program", { file: c.name });
    const program = decodeProgram(bytes);
    options.verify?.(program);
    const runner = (options.runner ?? ((p, o) => new Interpreter(p, o)))(program, options);
    value = runner.run(c.mem.slice());
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    if (expectError) return { pass: true, error: e, message: `Rejected as expected: ${e.message}` };
    return { pass: false, error: e, message: `Unexpected error: ${e.message}` };
  }
  if (expectError) {
    return { pass: false, value, message: `Expected an error, got 0x${value.toString(16)}` };
  }
  if (c.result === undefined) {
    return { pass: false, value, message: "The case has no -- result section" };
  }
  if (value !== c.result) {
    return {
      pass: false,
      value,
      message: `Expected 0x${c.result.toString(16)}, got 0x${value.toString(16)}`,
    };
  }
  return { pass: true, value, message: `r0 = 0x${value.toString(16)}` };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
