/**
 * The `.data` test files of bpf_conformance and ubpf: parsing (`-- asm`, `-- raw`, `-- mem`,
 * `-- result`, `-- error`, and the informational `-- c`, `-- error pattern`, `-- no jit`,
 * `-- no register offset`), the suites' test helpers, and running one case in the interpreter or
 * the JIT.
 *
 * @module
 */
import {
  assemble,
  BpfError,
  BpfInterpreter,
  type BpfMemory,
  type BpfProgram,
  type BpfRunOptions,
  decodeProgram,
  HelperRegistry,
} from "../bpf/mod.ts";

/**
 * One parsed `.data` file.
 *
 * @example
 * ```ts
 * import { type BpfConformanceCase, parseBpfConformance } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const c: BpfConformanceCase = parseBpfConformance(`# add.data
 * -- asm
 * mov %r0, 1
 * add %r0, 2
 * exit
 * -- result
 * 0x3
 * -- no jit
 * because
 * `, { name: "add.data" });
 * assert.equal(c.result, 3n);
 * assert.equal(c.mem.length, 0);
 * assert.equal(c.extra["no jit"].trim(), "because");
 * ```
 */
export interface BpfConformanceCase {
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

/**
 * Options of {@linkcode parseBpfConformance}.
 *
 * @example
 * ```ts
 * import { parseBpfConformance, type ParseBpfConformanceOptions } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const options: ParseBpfConformanceOptions = { name: "bad.data" };
 * assert.throws(() => parseBpfConformance("-- asm\nexit\n-- mem\nzz\n", options), /Invalid hex byte "zz" \(at bad\.data, line 4\)/);
 * ```
 */
export interface ParseBpfConformanceOptions {
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
 *
 * @example
 * ```ts
 * import { parseBpfConformance } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const c = parseBpfConformance("-- raw\n0x00000003000000b7\n0x0000000000000095\n-- mem\n01 02\n-- result\n3\n");
 * assert.equal(c.raw!.length, 16);
 * assert.deepEqual([...c.mem], [1, 2]);
 * assert.equal(c.result, 3n);
 * ```
 */
export function parseBpfConformance(
  text: string,
  options: ParseBpfConformanceOptions = {},
): BpfConformanceCase {
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
  const c: BpfConformanceCase = { name, mem: new Uint8Array(0), extra: {} };
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

/**
 * How one case went.
 *
 * @example
 * ```ts
 * import { type BpfConformanceOutcome, parseBpfConformance, runBpfConformance } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const wrong = parseBpfConformance("-- asm\nmov %r0, 2\nexit\n-- result\n0x3\n");
 * const outcome: BpfConformanceOutcome = runBpfConformance(wrong);
 * assert.equal(outcome.pass, false);
 * assert.equal(outcome.value, 2n);
 * assert.equal(outcome.message, "Expected 0x3, got 0x2");
 * ```
 */
export interface BpfConformanceOutcome {
  /** Whether the case passed. */
  pass: boolean;
  /** r0 when the program ran to the end. */
  value?: bigint;
  /** The error when assembling, decoding or running failed. */
  error?: BpfError;
  /** A one-line explanation. */
  message: string;
}

/**
 * A function that builds a runner (interpreter or JIT) for a program.
 *
 * @example
 * ```ts
 * import { BpfJit } from "@mxy/mxy/bpf";
 * import { type BpfRunnerFactory, parseBpfConformance, runBpfConformance } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const jit: BpfRunnerFactory = (program, options) => new BpfJit(program, options);
 * const c = parseBpfConformance("-- asm\nmov %r0, 5\nexit\n-- result\n5\n");
 * assert.equal(runBpfConformance(c, { runner: jit }).pass, true);
 * ```
 */
export type BpfRunnerFactory = (
  program: BpfProgram,
  options: BpfRunOptions,
) => { run(mem?: Uint8Array): bigint };

/**
 * Options of {@linkcode runBpfConformance}.
 *
 * @example
 * ```ts
 * import { verifyProgram } from "@mxy/mxy/bpf";
 * import { parseBpfConformance, runBpfConformance, type RunBpfConformanceOptions } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * // A case that expects an error passes when the verifier rejects the program.
 * const c = parseBpfConformance("-- asm\nmov %r0, %r5\nexit\n-- error\nR5 !read_ok\n");
 * const options: RunBpfConformanceOptions = { verify: (p) => void verifyProgram(p), budget: 1000 };
 * const outcome = runBpfConformance(c, options);
 * assert.equal(outcome.pass, true);
 * assert.equal(outcome.error?.code, "verify");
 * ```
 */
export interface RunBpfConformanceOptions extends BpfRunOptions {
  /** The helpers (default: {@linkcode bpfConformanceHelpers}). */
  helpers?: HelperRegistry;
  /** Builds the runner (default: the interpreter). */
  runner?: BpfRunnerFactory;
  /** Called with the decoded program before it runs (e.g. a verifier); may throw a BpfError. */
  verify?: (program: BpfProgram) => void;
}

/**
 * Runs one conformance case: assembles (or decodes `-- raw`, which must agree with `-- asm` when
 * both are present), runs on `-- mem`, and compares r0 with `-- result`, or expects an error
 * when the case has `-- error` and no result.
 *
 * @param c The parsed case.
 * @param options The runner and run options.
 * @returns Pass/fail with the reason.
 *
 * @example
 * ```ts
 * import { parseBpfConformance, runBpfConformance } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const c = parseBpfConformance("-- asm\nmov %r0, %r2\nexit\n-- mem\n00 01 02\n-- result\n0x3\n");
 * assert.equal(runBpfConformance(c).pass, true);
 * ```
 */
export function runBpfConformance(
  c: BpfConformanceCase,
  options: RunBpfConformanceOptions = {},
): BpfConformanceOutcome {
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
    const run = { ...options, helpers: options.helpers ?? bpfConformanceHelpers() };
    const runner = (options.runner ?? ((p, o) => new BpfInterpreter(p, o)))(program, run);
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

function cString(memory: BpfMemory, address: bigint): Uint8Array {
  const out: number[] = [];
  for (let i = 0n;; i++) {
    const b = memory.slice(address + i, 1)[0];
    if (b === 0) break;
    out.push(b);
  }
  return Uint8Array.from(out);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/**
 * A registry with the test helpers of ubpf and bpf_conformance: 0 `gather_bytes`, 1 `memfrob`,
 * 2 `no_op`, 3 `sqrti`, 4 `strcmp_ext`, 5 `unwind` (ends the program when its argument is 0),
 * each with its prototype for the verifier: `gather_bytes` takes five values, `memfrob` reads
 * and writes the R2 bytes at R1, `no_op` reads nothing, `sqrti` and `unwind` take a value,
 * `strcmp_ext` reads two strings. Values may be any written register, as Linux's
 * `ARG_ANYTHING`.
 *
 * @returns A new registry.
 *
 * @example
 * ```ts
 * import { assemble, BpfInterpreter, decodeProgram } from "@mxy/mxy/bpf";
 * import { bpfConformanceHelpers } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const helpers = bpfConformanceHelpers();
 * assert.deepEqual(helpers.ids(), [0, 1, 2, 3, 4, 5]);
 * const vm = new BpfInterpreter(decodeProgram(assemble("mov %r1, 144\ncall 3\nexit")), { helpers });
 * assert.equal(vm.run(), 12n); // sqrti(144)
 * ```
 */
export function bpfConformanceHelpers(): HelperRegistry {
  const reg = new HelperRegistry();
  reg.register(
    0,
    "gather_bytes",
    (a, b, c, d, e) =>
      ((a & 0xffn) << 32n) | ((b & 0xffn) << 24n) | ((c & 0xffn) << 16n) | ((d & 0xffn) << 8n) |
      (e & 0xffn),
    { args: ["anything", "anything", "anything", "anything", "anything"] },
  );
  reg.register(1, "memfrob", (p, n, _c, _d, _e, ctx) => {
    const bytes = ctx.memory.slice(p, Number(n & 0xffffffffn));
    for (let i = 0; i < bytes.length; i++) bytes[i] ^= 42;
    return 0n;
  }, { args: [{ mem: "read-write" }, "size-or-zero"] });
  reg.register(2, "no_op", () => 0n, { args: [] });
  reg.register(3, "sqrti", (x) => isqrt(x), { args: ["anything"] });
  reg.register(4, "strcmp_ext", (a, b, _c, _d, _e, ctx) => {
    const sa = cString(ctx.memory, a), sb = cString(ctx.memory, b);
    const n = Math.min(sa.length, sb.length);
    for (let i = 0; i < n; i++) if (sa[i] !== sb[i]) return BigInt(sa[i] - sb[i]);
    return BigInt(sa.length - sb.length);
  }, { args: ["string", "string"] });
  reg.register(5, "unwind", (a, _b, _c, _d, _e, ctx) => {
    if (a === 0n) ctx.stop();
    return a;
  }, { args: ["anything"] });
  return reg;
}
