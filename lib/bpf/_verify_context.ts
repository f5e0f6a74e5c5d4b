/**
 * What every pass of the verifier reads: the program, the options it runs under, and how a
 * rejection names its instruction.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { HelperRegistry } from "./helpers.ts";
import type { BpfInstruction, BpfProgram } from "./instruction.ts";
import type { BpfMap } from "./maps.ts";
import { type BpfProfile, CLOUD } from "./profile.ts";
import type { VerifyInput, VerifyOptions } from "./verifier.ts";
import type { BpfProgramType } from "./program_types.ts";
import { allowedHelpers, contextLayout, type CtxLayout } from "./_prog_contexts.ts";

/** The program under verification and the options, with defaults applied. */
export class VerifyContext {
  /** The program. */
  readonly program: BpfProgram;
  /** Its logical instructions. */
  readonly ins: BpfInstruction[];
  /** How many there are. */
  readonly n: number;
  /** The limits. */
  readonly profile: BpfProfile;
  /** The helpers a program may call (none known when absent). */
  readonly helpers: HelperRegistry | undefined;
  /** The maps `lddw` may refer to. */
  readonly maps: readonly BpfMap[];
  /** What R1 points to at entry. */
  readonly input: VerifyInput;
  /** The program type (`unspec`: mxy's own convention, R1 the input and R2 its length). */
  readonly programType: BpfProgramType;
  /** The type's context layout, or `null` (`unspec`). */
  readonly layout: CtxLayout | null;
  /** The Linux helper ids the type may call, or `null` (any). */
  readonly allowed: ReadonlySet<number> | null;

  /**
   * Applies the defaults.
   *
   * @param program The program.
   * @param options The verifier's options.
   */
  constructor(program: BpfProgram, options: VerifyOptions) {
    this.program = program;
    this.ins = program.instructions;
    this.n = program.instructions.length;
    this.profile = options.profile ?? CLOUD;
    this.helpers = options.helpers;
    this.maps = options.maps ?? [];
    this.programType = options.programType ?? "unspec";
    this.layout = contextLayout(this.programType);
    this.allowed = allowedHelpers(this.programType);
    this.input = this.layout !== null
      ? { kind: "ctx", size: this.layout.size }
      : options.input ?? { kind: "packet", size: 65535 };
  }

  /**
   * The slot of instruction `i` (what error messages and jump offsets count).
   *
   * @param i The instruction index (`n` for the end of the program).
   * @returns The slot.
   */
  slot(i: number): number {
    return i < this.n ? this.program.pcs[i] : this.program.slotCount;
  }

  /**
   * A rejection at instruction `i`.
   *
   * @param i The instruction index.
   * @param message The reason, in the Linux verifier's words.
   * @returns The `verify` error.
   */
  err(i: number, message: string): BpfError {
    return new BpfError("verify", message, { pc: this.slot(i) });
  }

  /**
   * The instruction a jump from `i` with slot delta `delta` lands on, checked to be inside the
   * program and not inside an `lddw`.
   *
   * @param i The jumping instruction.
   * @param delta The jump's offset in slots.
   * @returns The target's instruction index.
   */
  target(i: number, delta: number): number {
    const p = this.program;
    const slot = p.pcs[i] + 1 + delta;
    if (slot < 0 || slot >= p.slotCount) {
      throw this.err(i, `jump out of range from insn ${p.pcs[i]} to ${slot}`);
    }
    const t = p.indexOfSlot[slot];
    if (t < 0) throw this.err(i, `jump into the middle of ldimm64 insn ${slot - 1}`);
    return t;
  }
}
