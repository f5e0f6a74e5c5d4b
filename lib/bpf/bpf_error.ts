/**
 * The typed error of the BPF capability: decoding, assembling, verifying, loading and running
 * eBPF programs, maps, the scheduler, ELF objects and classic BPF.
 *
 * @module
 */
import { MxyError } from "../core/mxy_error.ts";

/**
 * Why a program or a run failed: a stable, machine-readable reason.
 *
 * - `decode`: bytes that are not a valid instruction stream (length, opcode, unused fields).
 * - `asm`: assembler source that cannot be assembled (line number in `line`).
 * - `verify`: rejected by the verifier before running.
 * - `too-complex`: the verifier gave up within its budget (instructions walked, time, memory
 *   for explored states), as Linux's "BPF program is too large/complex".
 * - `memory`: an out-of-bounds, unmapped or read-only memory access at run time.
 * - `budget`: the instruction budget ran out.
 * - `helper`: a call to an unknown helper, or a helper that failed.
 * - `call-depth`: too many nested local calls.
 * - `jump`: a jump or call out of the program at run time.
 * - `lddw`: an `lddw` variant that the runtime cannot resolve (no map resolver).
 * - `jit`: the JIT cannot compile the program (or is not allowed by the profile).
 * - `conformance`: a malformed conformance `.data` file.
 * - `cbpf-parse`: classic BPF program text that cannot be read.
 * - `cbpf-invalid`: a classic program the kernel's checks would refuse.
 * - `map-full`, `map-key`, `map-exists`, `map-missing`: a map operation that failed (no room,
 *   a key or value of the wrong size or a bad map spec, an element that already exists, one
 *   that does not).
 * - `queue-full`: the scheduler's queue is full.
 * - `run`: a scheduled run threw something that is not an `Error` (kept as the `cause`).
 * - `elf`: an ELF object that cannot be loaded.
 * - `limit`: a resource limit (map pool exhausted, deadline passed).
 * - `profile`: something the profile does not allow (JIT, resizing maps).
 * - `artifact`: an ahead-of-time artifact that cannot be loaded (format, checksum, profile).
 * - `internal`: a check that should never fail did (a bug in mxy, not in the input).
 *
 * @example
 * ```ts
 * import { assemble, BpfError, type BpfErrorCode } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const codeOf = (f: () => unknown): BpfErrorCode | undefined => {
 *   try {
 *     f();
 *   } catch (e) {
 *     if (e instanceof BpfError) return e.code;
 *   }
 *   return undefined;
 * };
 * assert.equal(codeOf(() => assemble("frob %r0")), "asm");
 * ```
 */
export type BpfErrorCode =
  | "decode"
  | "asm"
  | "verify"
  | "too-complex"
  | "memory"
  | "budget"
  | "helper"
  | "call-depth"
  | "jump"
  | "lddw"
  | "jit"
  | "conformance"
  | "cbpf-parse"
  | "cbpf-invalid"
  | "map-full"
  | "map-key"
  | "map-exists"
  | "map-missing"
  | "queue-full"
  | "run"
  | "elf"
  | "limit"
  | "profile"
  | "artifact"
  | "internal";

/**
 * Where a {@linkcode BpfError} happened, and the error underneath.
 *
 * @example
 * ```ts
 * import { BpfError, type BpfErrorOptions } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const where: BpfErrorOptions = { file: "prog.s", line: 3 };
 * assert.equal(new BpfError("asm", "Invalid mnemonic: frob", where).message, "Invalid mnemonic: frob (at prog.s, line 3)");
 * ```
 */
export interface BpfErrorOptions extends ErrorOptions {
  /** The instruction index (slot number, as jump offsets count) or -1. */
  pc?: number;
  /** The 1-based source line (assembler, conformance file) or -1. */
  line?: number;
  /** The file name, when known. */
  file?: string;
}

/**
 * A typed eBPF failure carrying a {@linkcode BpfErrorCode}, and where it applies the instruction
 * index (`pc`, counted in 8-byte slots) and source line. The message names the place:
 * `Division helper 9 is not registered (at insn 3)`.
 *
 * @example
 * ```ts
 * import { BpfError, BpfInterpreter, decodeProgram, MxyError } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // ldxw r0, [r1+8] on 4 bytes of memory reads out of bounds.
 * const vm = new BpfInterpreter(decodeProgram(new Uint8Array([
 *   0x61, 0x10, 8, 0, 0, 0, 0, 0,
 *   0x95, 0x00, 0, 0, 0, 0, 0, 0,
 * ])));
 * try {
 *   vm.run(new Uint8Array(4));
 *   assert.fail("the read is out of bounds");
 * } catch (e) {
 *   assert.ok(e instanceof BpfError && e instanceof MxyError);
 *   assert.equal(e.code, "memory");
 *   assert.equal(e.pc, 0);
 *   assert.match(e.message, /Out-of-bounds read of 4 bytes .* \(at insn 0\)/);
 * }
 * ```
 */
export class BpfError extends MxyError {
  /** The reason, stable across versions. */
  declare readonly code: BpfErrorCode;
  /** The instruction index (8-byte slot), or -1 when none applies. */
  readonly pc: number;
  /** The 1-based source line, or -1 when none applies. */
  readonly line: number;
  /** The file name, or "" when unknown. */
  readonly file: string;

  /**
   * Creates the error.
   *
   * @param code The reason.
   * @param message What failed; the place (file, line, insn) is appended.
   * @param options Where it happened; `cause`: the error underneath, if any.
   */
  constructor(code: BpfErrorCode, message: string, options: BpfErrorOptions = {}) {
    const pc = options.pc ?? -1;
    const line = options.line ?? -1;
    const file = options.file ?? "";
    const where: string[] = [];
    if (file) where.push(file);
    if (line >= 0) where.push(`line ${line}`);
    if (pc >= 0) where.push(`insn ${pc}`);
    super(
      code,
      where.length ? `${message} (at ${where.join(", ")})` : message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "BpfError";
    this.pc = pc;
    this.line = line;
    this.file = file;
  }
}
