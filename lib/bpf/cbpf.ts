/**
 * Classic BPF (cBPF): the packet-filter machine of `tcpdump` and `SO_ATTACH_FILTER`, with an
 * accumulator `A`, an index register `X` and 16 words of scratch memory. Programs are validated
 * with the rules of the Linux kernel's `bpf_check_classic` and run with libpcap's / the kernel's
 * semantics: a load outside the packet or a division by zero ends the program with 0 (the packet
 * is dropped), jumps only go forward, so every program terminates.
 *
 * @module
 */
import { validateCbpf } from "./cbpf_validate.ts";
import { CBPF_MEMWORDS } from "./_cbpf_opcodes.ts";
import { execute } from "./_cbpf_interpreter.ts";
import { jitCbpf } from "./_cbpf_jit.ts";

/**
 * One classic BPF instruction: `{ code, jt, jf, k }` as in `struct sock_filter`.
 *
 * @example
 * ```ts
 * import { type CbpfInstruction, compileCbpf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // tcpdump -dd "ip": ldh [12]; jeq #0x800 jt 0 jf 1; ret #262144; ret #0
 * const ip: CbpfInstruction[] = [
 *   { code: 0x28, jt: 0, jf: 0, k: 12 },
 *   { code: 0x15, jt: 0, jf: 1, k: 0x800 },
 *   { code: 0x06, jt: 0, jf: 0, k: 262144 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ];
 * const frame = new Uint8Array(14);
 * frame[12] = 0x08;
 * assert.equal(compileCbpf(ip).run(frame), 262144);
 * ```
 */
export interface CbpfInstruction {
  /** The 16-bit opcode. */
  code: number;
  /** Jump offset when the condition holds (0–255). */
  jt: number;
  /** Jump offset when the condition does not hold (0–255). */
  jf: number;
  /** The 32-bit constant operand (unsigned). */
  k: number;
}

/**
 * A validated classic program, decoded into flat arrays for a fast run loop.
 *
 * @example
 * ```ts
 * import { type CbpfProgram, compileCbpf, parseCbpf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // ld #len; ret a: keep the packet's length on the wire
 * const prog: CbpfProgram = compileCbpf(parseCbpf("2\n128 0 0 0\n22 0 0 0\n"));
 * assert.equal(prog.run(new Uint8Array(60), 1514), 1514);
 * const capture = new Uint8Array(100);
 * assert.equal(prog.runAt(capture, 40, 60, 60), 60); // 60 bytes at offset 40, no subarray
 * ```
 */
export interface CbpfProgram {
  /** The instructions as given. */
  readonly instructions: readonly CbpfInstruction[];
  /**
   * Runs the program on one packet and returns its verdict: 0 drops the packet, anything else
   * keeps it (the number of bytes to keep).
   *
   * @param packet The captured bytes (`caplen`).
   * @param wireLength The packet's length on the wire (`BPF_LEN` loads it); defaults to the
   *   captured length.
   * @returns The unsigned 32-bit return value.
   */
  run(packet: Uint8Array, wireLength?: number): number;
  /**
   * Runs the program on `caplen` bytes of `buf` at `offset`, without making a subarray.
   *
   * @param buf The buffer holding the packet (e.g. a whole capture file).
   * @param offset Where the packet starts.
   * @param caplen The captured length.
   * @param wireLength The length on the wire.
   * @returns The unsigned 32-bit return value.
   */
  runAt(buf: Uint8Array, offset: number, caplen: number, wireLength: number): number;
}

/**
 * Options for {@linkcode compileCbpf}.
 *
 * @example
 * ```ts
 * import { compileCbpf, type CompileCbpfOptions, parseCbpf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const program = parseCbpf("2\n48 0 0 0\n22 0 0 0\n"); // ldb [0]; ret a
 * const interpreted: CompileCbpfOptions = { jit: false };
 * const packet = new Uint8Array([9]);
 * assert.equal(compileCbpf(program, interpreted).run(packet), compileCbpf(program).run(packet));
 * ```
 */
export interface CompileCbpfOptions {
  /**
   * Compile the program into a JavaScript function (default `true`); `false` runs it in the
   * interpreter loop. Both give the same results.
   */
  jit?: boolean;
}

/**
 * Validates a classic program and prepares it to run, compiled into a JavaScript function or in
 * the interpreter. A run allocates nothing.
 *
 * @param instructions The instructions (for example from {@linkcode parseCbpf}).
 * @param options Whether to compile to JavaScript (default) or interpret.
 * @returns The runnable program; throws a `BpfError` (`"cbpf-invalid"`) when validation fails.
 * @example
 * ```ts
 * import { compileCbpf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // ldb [0]; jeq #7, accept, drop
 * const prog = compileCbpf([
 *   { code: 0x30, jt: 0, jf: 0, k: 0 },
 *   { code: 0x15, jt: 0, jf: 1, k: 7 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0xffff },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ]);
 * assert.equal(prog.run(new Uint8Array([7, 1])), 0xffff);
 * assert.equal(prog.run(new Uint8Array([8])), 0);
 * assert.equal(prog.run(new Uint8Array([])), 0); // out-of-packet load returns 0
 * ```
 */
export function compileCbpf(
  instructions: readonly CbpfInstruction[],
  options: CompileCbpfOptions = {},
): CbpfProgram {
  validateCbpf(instructions);
  const frozenList = Object.freeze(instructions.map((i) => Object.freeze({ ...i })));
  if (options.jit ?? true) {
    const fn = jitCbpf(instructions);
    return {
      instructions: frozenList,
      run(p: Uint8Array, wireLength: number = p.length): number {
        return fn(p, 0, p.length, wireLength);
      },
      runAt(buf: Uint8Array, offset: number, caplen: number, wireLength: number): number {
        checkSpan(buf, offset, caplen);
        return fn(buf, offset, caplen, wireLength);
      },
    };
  }
  const n = instructions.length;
  const code = new Uint16Array(n);
  const jt = new Uint8Array(n);
  const jf = new Uint8Array(n);
  const kk = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    code[i] = instructions[i].code;
    jt[i] = instructions[i].jt;
    jf[i] = instructions[i].jf;
    kk[i] = instructions[i].k;
  }
  const mem = new Uint32Array(CBPF_MEMWORDS);
  return {
    instructions: frozenList,
    run(p: Uint8Array, wireLength: number = p.length): number {
      return execute(code, jt, jf, kk, mem, p, 0, p.length, wireLength);
    },
    runAt(buf: Uint8Array, offset: number, caplen: number, wireLength: number): number {
      checkSpan(buf, offset, caplen);
      return execute(code, jt, jf, kk, mem, buf, offset, caplen, wireLength);
    },
  };
}

function checkSpan(buf: Uint8Array, offset: number, caplen: number): void {
  if (offset < 0 || caplen < 0 || offset + caplen > buf.length) {
    throw new RangeError(
      `Packet bytes ${offset}+${caplen} lie outside a ${buf.length}-byte buffer`,
    );
  }
}
