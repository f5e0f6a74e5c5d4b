/**
 * The eBPF virtual machine: created with a profile, it owns the maps and helpers its programs
 * share, and loads programs through the verifier before running them in the interpreter or the
 * JIT.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { type HelperFunction, type HelperPrototype, HelperRegistry } from "./helpers.ts";
import { type BpfProgram, decodeProgram } from "./instruction.ts";
import { BpfInterpreter } from "./interpreter.ts";
import type { BpfRunner } from "./runner.ts";
import { BpfJit } from "./jit.ts";
import { type BpfMap, type BpfMapSpec, createBpfMap } from "./maps.ts";
import { BpfMapPool } from "./map_pool.ts";
import { MAP_HANDLE_BASE, registerMapHelpers } from "./_map_helpers.ts";
import type { BpfMemory } from "./memory.ts";
import { EBPF } from "./opcodes.ts";
import { type BpfProfile, type BpfProfileName, CLOUD, getBpfProfile } from "./profile.ts";
import { type VerifyInput, verifyProgram, type VerifyReport } from "./verifier.ts";

const { LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_BY_IDX } = EBPF;

/**
 * Options for {@linkcode BpfVm}.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, type BpfVmOptions, HelperRegistry } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: BpfVmOptions = {
 *   profile: "embedded",
 *   helpers: new HelperRegistry().register(100, "answer", () => 42n),
 * };
 * const vm = new BpfVm(options);
 * assert.equal(vm.load(assemble("call 100\nexit")).run(), 42n);
 * ```
 */
export interface BpfVmOptions {
  /** The profile, by name or as limits (default `cloud`). */
  profile?: BpfProfileName | BpfProfile;
  /**
   * More helpers, registered after the map helpers: an id both have (e.g. the conformance
   * suite's helpers 1–3) takes this registry's helper.
   */
  helpers?: HelperRegistry;
}

/**
 * Options for {@linkcode BpfVm.load}.
 *
 * @example
 * ```ts
 * import { assemble, type BpfLoadOptions, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: BpfLoadOptions = { input: { kind: "packet", size: 1514 }, jit: true, name: "len" };
 * const prog = new BpfVm().load(assemble("mov %r0, %r2\nexit"), options);
 * assert.equal(prog.jit, true);
 * assert.equal(prog.run(new Uint8Array(60)), 60n);
 * assert.throws(() => prog.run(new Uint8Array(1515)), /packets of at most 1514 bytes/);
 * ```
 */
export interface BpfLoadOptions {
  /** What R1 points to (default: a packet of up to 65,535 bytes). */
  input?: VerifyInput;
  /** Compile with the JIT (default `false`); refused when the profile has no JIT. */
  jit?: boolean;
  /** A name for messages. */
  name?: string;
}

/**
 * A verified program ready to run.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, type LoadedBpfProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const prog: LoadedBpfProgram = new BpfVm().load(assemble("mov %r0, 1\nexit"), { name: "one" });
 * assert.equal(prog.name, "one");
 * assert.equal(prog.report.instructions, 2);
 * assert.equal(prog.run(), 1n);
 * assert.equal(prog.runner.executed, 2);
 * ```
 */
export interface LoadedBpfProgram {
  /** Its name. */
  readonly name: string;
  /** What the verifier learnt. */
  readonly report: VerifyReport;
  /** Whether it runs in the JIT. */
  readonly jit: boolean;
  /** The runner (interpreter or JIT). */
  readonly runner: BpfRunner;
  /**
   * Runs the program once on `mem` (R1 = its address, R2 = its length).
   *
   * @param mem The context or packet; for a `ctx` input exactly its size.
   * @returns R0 as an unsigned 64-bit bigint.
   */
  run(mem?: Uint8Array): bigint;
}

/**
 * A VM with a profile, shared maps and helpers. Programs loaded into the same VM share its maps;
 * the host reads and writes the same maps.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm({ profile: "embedded" });
 * const prog = vm.load(assemble("ldxb %r0, [%r1+1]\nexit"), { input: { kind: "ctx", size: 2 } });
 * assert.equal(prog.run(new Uint8Array([4, 5])), 5n);
 * assert.throws(() => vm.load(assemble("mov %r0, 0\nexit"), { jit: true }), /does not allow the JIT/);
 * assert.throws(() => vm.load(assemble("ldxb %r0, [%r1+2]\nexit"), { input: { kind: "ctx", size: 2 } }), /invalid bpf_context access/);
 * ```
 */
export class BpfVm {
  /** The profile's limits. */
  readonly profile: BpfProfile;
  /** The map pool (profiles with a fixed pool), else `null`. */
  readonly pool: BpfMapPool | null;
  /** The helpers programs may call: the map helpers (1–3) and any registered. */
  readonly helpers: HelperRegistry;
  #maps: BpfMap[] = [];

  /**
   * Creates a VM.
   *
   * @param options The profile.
   */
  constructor(options: BpfVmOptions = {}) {
    const p = options.profile ?? CLOUD;
    this.profile = typeof p === "string" ? getBpfProfile(p) : p;
    this.pool = this.profile.mapPoolBytes !== null
      ? new BpfMapPool(this.profile.mapPoolBytes)
      : null;
    this.helpers = registerMapHelpers(new HelperRegistry(), this.#maps);
    const extra = options.helpers;
    if (extra !== undefined) {
      for (const id of extra.ids()) {
        this.helpers.register(id, extra.name(id) ?? "", extra.get(id)!, extra.prototype(id));
      }
    }
  }

  /** The maps, indexed by fd. */
  get maps(): readonly BpfMap[] {
    return this.#maps;
  }

  /**
   * Creates a map under the VM's profile (from its pool under `embedded`) and gives it the next
   * fd.
   *
   * @param spec The map's shape.
   * @returns The map; its fd is `vm.fdOf(map)`.
   */
  createMap(spec: BpfMapSpec): BpfMap {
    const m = createBpfMap(spec, { profile: this.profile, pool: this.pool ?? undefined });
    this.#maps.push(m);
    return m;
  }

  /**
   * Shares a map created elsewhere (e.g. by another VM) with this VM's programs.
   *
   * @param map The map.
   * @returns Its fd in this VM.
   */
  addMap(map: BpfMap): number {
    const fd = this.#maps.indexOf(map);
    if (fd >= 0) return fd;
    this.#maps.push(map);
    return this.#maps.length - 1;
  }

  /**
   * The fd of a map in this VM.
   *
   * @param map The map.
   * @returns Its fd, or -1.
   */
  fdOf(map: BpfMap): number {
    return this.#maps.indexOf(map);
  }

  /**
   * Adds a helper programs may call.
   *
   * @param id The `call` immediate.
   * @param name Its name.
   * @param fn The function.
   * @param prototype Its argument and return types for the verifier (see
   *   {@linkcode HelperRegistry.register}).
   * @returns This VM.
   */
  registerHelper(
    id: number,
    name: string,
    fn: HelperFunction,
    prototype?: HelperPrototype,
  ): this {
    this.helpers.register(id, name, fn, prototype);
    return this;
  }

  /**
   * Verifies a program under the VM's profile and prepares it to run.
   *
   * @param program Bytecode or a decoded program.
   * @param options The input, JIT choice and a name.
   * @returns The loaded program; throws a `BpfError` (`"verify"`, `"decode"`, or `"profile"` when
   *   the JIT is asked for and the profile has none).
   */
  load(program: Uint8Array | BpfProgram, options: BpfLoadOptions = {}): LoadedBpfProgram {
    const prog = program instanceof Uint8Array ? decodeProgram(program) : program;
    const name = options.name ?? "program";
    const jit = options.jit ?? false;
    if (jit && !this.profile.jit) {
      throw new BpfError(
        "profile",
        `The ${this.profile.name} profile does not allow the JIT (loading ${name})`,
      );
    }
    const input = options.input ?? { kind: "packet", size: 65535 };
    const report = verifyProgram(prog, {
      profile: this.profile,
      helpers: this.helpers,
      maps: this.#maps,
      input,
    });
    const frameSize = Math.max(8, report.frameStack);
    const maps = this.#maps;
    const runOptions = {
      helpers: this.helpers,
      stackSize: frameSize * report.callDepth,
      frameSize,
      maxCallDepth: Math.max(1, report.callDepth),
      budget: this.profile.runBudget,
      lddw: (src: number, imm: number, imm2: number, memory: BpfMemory): bigint => {
        const m = maps[imm];
        if (src === LDDW_SRC_MAP_BY_FD || src === LDDW_SRC_MAP_BY_IDX) {
          return MAP_HANDLE_BASE + BigInt(imm);
        }
        return memory.addressOf(m.valueView(0)) + BigInt(imm2);
      },
    };
    const runner: BpfRunner = jit
      ? new BpfJit(prog, runOptions)
      : new BpfInterpreter(prog, runOptions);
    return {
      name,
      report,
      jit,
      runner,
      run(mem?: Uint8Array): bigint {
        const len = mem?.length ?? 0;
        if (input.kind === "ctx" ? len !== input.size : len > input.size) {
          throw new BpfError(
            "memory",
            `${name} was verified for ${
              input.kind === "ctx" ? "a context of" : "packets of at most"
            } ${input.size} bytes, got ${len}`,
          );
        }
        return runner.run(mem);
      },
    };
  }
}
