/**
 * The eBPF virtual machine: created with a profile, it owns the maps and helpers its programs
 * share, and loads programs through the verifier before running them in the interpreter, the JIT
 * (JavaScript or WebAssembly), or from an artifact compiled ahead of time; the profile's fault
 * policy decides what a run-time fault means.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { type HelperFunction, type HelperPrototype, HelperRegistry } from "./helpers.ts";
import { type BpfProgram, decodeProgram, programOf } from "./instruction.ts";
import { BpfInterpreter } from "./interpreter.ts";
import type { BpfRunner, BpfRunOptions } from "./runner.ts";
import { BpfJit } from "./jit.ts";
import { BpfWasm } from "./wasm.ts";
import type { BpfMap } from "./maps.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import { createBpfMap } from "./map_create.ts";
import { BpfMapPool } from "./map_pool.ts";
import { MAP_HANDLE_BASE, numberValueRegions, registerMapHelpers } from "./_map_helpers.ts";
import { registerLinuxHelpers } from "./_linux_helpers.ts";
import { LoopCallbacks } from "./_loop_callbacks.ts";
import { PROGRAM_RUNNERS, ProgramRunner, TailCalls } from "./_prog_runner.ts";
import { contextLayout } from "./_prog_contexts.ts";
import type { BpfProgramType } from "./program_types.ts";
import type { BpfMemory } from "./memory.ts";
import { EBPF } from "./opcodes.ts";
import {
  type BpfFaultPolicy,
  type BpfProfile,
  type BpfProfileName,
  CLOUD,
  getBpfProfile,
} from "./profile.ts";
import { type VerifyInput, verifyProgram, type VerifyReport } from "./verifier.ts";
import { type BpfProgramStats, type BpfRunOutcome, FaultGuard } from "./faults.ts";
import {
  artifactMapInitial,
  artifactProgram,
  artifactRunner,
  type BpfAotTarget,
  type BpfArtifact,
  type BpfArtifactSource,
  compileArtifact,
  readBpfArtifactMeta,
} from "./aot.ts";

/** Lines of `bpf_trace_printk` output a VM keeps. */
const TRACE_LINES = 1024;

const { LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_BY_IDX, CLASS_MASK, CLASS_STX, CLASS_LD } = EBPF;
const { LDDW_SRC_CODE } = EBPF;
const { MODE_MASK, MODE_ATOMIC, LDDW, CALL, CALLX, CALL_SRC_LOCAL, LDXDW } = EBPF;

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
  /** The clock for fault windows and records, in ms (default `performance.now`); also what
   * `bpf_ktime_get_ns` reads (in ns). */
  clock?: () => number;
  /**
   * Where `bpf_trace_printk` lines go (default: {@linkcode BpfVm.traceLog}, the last 1,024).
   */
  trace?: (line: string) => void;
  /** Seed of `bpf_get_prandom_u32` (default: random). */
  seed?: number;
}

/**
 * How a loaded program runs: in the `interpreter`, compiled at load time to JavaScript
 * (`jit-js`) or to WebAssembly (`wasm`), or from an artifact compiled ahead of time (`aot-js`,
 * `aot-wasm`).
 *
 * @example
 * ```ts
 * import { assemble, type BpfEngine, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const engine: BpfEngine = "wasm";
 * const prog = new BpfVm().load(assemble("mov %r0, 3\nexit"), { engine });
 * assert.equal(prog.engine, "wasm");
 * assert.equal(prog.run(), 3n);
 * ```
 */
export type BpfEngine = "interpreter" | "jit-js" | "wasm" | "aot-js" | "aot-wasm";

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
  /** Compile with the JIT (default `false`): `engine: "jit"`. */
  jit?: boolean;
  /**
   * The engine (default `interpreter`, or `jit` with `jit: true`). `jit` is the JIT: WebAssembly
   * for a program that calls no helpers and uses no atomics or legacy packet loads (per run of
   * a short packet filter it measured 1.2–1.5× faster than the JavaScript JIT; long loops can be
   * faster in `jit-js`: see docs/BPF.md), JavaScript otherwise (helpers, map values and atomics are cheaper
   * there; array map lookups are inlined); `jit-js` and `wasm` choose. The JITs generate code
   * at load time and are refused when the profile has none.
   */
  engine?: "interpreter" | "jit" | "jit-js" | "wasm";
  /** A name for messages. */
  name?: string;
  /** Under a `recovery` fault policy: r0 of a faulting run (default: the profile's fallback). */
  fallback?: bigint;
  /**
   * The program type (default `"unspec"`: R1 points to `input`, R2 holds its length). With a
   * type, the program gets that type's context (see `VerifyOptions.programType`); `run(mem)`
   * then takes the packet (`xdp`, `socket_filter`, `sched_cls` …: of at most `input.size`
   * bytes when `input` is a packet, else 65,535) or the context's bytes (`kprobe`,
   * `tracepoint` …).
   */
  programType?: BpfProgramType;
}

/**
 * Options for {@linkcode BpfVm.compileArtifact}.
 *
 * @example
 * ```ts
 * import { assemble, type BpfCompileArtifactOptions, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: BpfCompileArtifactOptions = { target: "js", name: "len", input: { kind: "packet", size: 1514 } };
 * const artifact = new BpfVm().compileArtifact(assemble("mov %r0, %r2\nexit"), options);
 * assert.equal(artifact.meta.name, "len");
 * assert.match(new TextDecoder().decode(artifact.code), /export function run/);
 * ```
 */
export interface BpfCompileArtifactOptions {
  /** `js` (an ES module) or `wasm` (a WebAssembly module). */
  target: BpfAotTarget;
  /** What R1 points to (default: a packet of up to 65,535 bytes). */
  input?: VerifyInput;
  /** A name for messages and the artifact's metadata (default "program"). */
  name?: string;
}

/**
 * Options for {@linkcode BpfVm.loadArtifact}.
 *
 * @example
 * ```ts
 * import { assemble, type BpfLoadArtifactOptions, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm({ profile: "embedded" });
 * const { code } = vm.compileArtifact(assemble("ldxw %r0, [%r1+100]\nexit"), { target: "wasm" });
 * const options: BpfLoadArtifactOptions = { fallback: 7n };
 * assert.equal(vm.loadArtifact(code, options).run(new Uint8Array(4)), 7n); // a fault: the fallback
 * ```
 */
export interface BpfLoadArtifactOptions {
  /** A name for messages (default: the artifact's). */
  name?: string;
  /**
   * Maps to use for the artifact's maps, by index (same type and sizes); the others are created
   * in this VM (with their initial contents).
   */
  maps?: readonly (BpfMap | undefined)[];
  /** Under a `recovery` fault policy: r0 of a faulting run (default: the profile's fallback). */
  fallback?: bigint;
}

/**
 * A verified program ready to run, with its engine and the profile's fault policy.
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
 * assert.equal(prog.stats().completed, 1);
 * ```
 */
export interface LoadedBpfProgram {
  /** Its name. */
  readonly name: string;
  /** What the verifier learnt. */
  readonly report: VerifyReport;
  /** Whether its code was generated at load time (`jit-js` or `wasm` engine). */
  readonly jit: boolean;
  /** The engine. */
  readonly engine: BpfEngine;
  /** The program as loaded (loads of packet pointers of typed contexts rewritten). */
  readonly program: BpfProgram;
  /** Its program type (`unspec`: R1 the input, R2 its length). */
  readonly programType: BpfProgramType;
  /**
   * The engine (interpreter, JIT, WebAssembly or artifact); its `run` takes R1's memory as it
   * is, without the context a typed program's `run` builds around a packet.
   */
  readonly runner: BpfRunner;
  /** What a run-time fault means (the profile's policy, with this program's fallback). */
  readonly faultPolicy: BpfFaultPolicy;
  /**
   * Runs the program once on `mem` (R1 = its address, R2 = its length) under the fault policy.
   *
   * @param mem The context or packet; for a `ctx` input exactly its size.
   * @returns R0 as an unsigned 64-bit bigint; under `recovery` the fallback when the run faulted
   *   or the program is disabled; under `restart` a fault is thrown (a `BpfError`).
   */
  run(mem?: Uint8Array): bigint;
  /**
   * Runs once under the fault policy and tells what happened (never throws a run-time fault).
   *
   * @param mem The context or packet.
   * @returns The value, the fault, whether it was recovered or the run refused.
   */
  attempt(mem?: Uint8Array): BpfRunOutcome;
  /**
   * The fault statistics.
   *
   * @returns A snapshot.
   */
  stats(): BpfProgramStats;
  /**
   * Re-enables a program disabled after too many faults.
   *
   * @returns Nothing.
   */
  enable(): void;
  /**
   * Programs of packet contexts (`xdp`, `sched_cls` …): the packet as the last run left it
   * (`data` to `data_end`: after `bpf_xdp_adjust_head` or writes), else `null`.
   *
   * @returns A view of it (valid until the next run).
   */
  lastPacket(): Uint8Array | null;
}

/**
 * A program loaded from an artifact, with the maps it uses.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, type LoadedBpfArtifact } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm();
 * vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, name: "hits" });
 * const artifact = vm.compileArtifact(assemble("lddw %r1, 0, map_fd\nmov %r0, 0\nexit"), { target: "wasm" });
 * const loaded: LoadedBpfArtifact = new BpfVm().loadArtifact(artifact.code);
 * assert.equal(loaded.maps[0].name, "hits");
 * assert.equal(loaded.engine, "aot-wasm");
 * ```
 */
export interface LoadedBpfArtifact extends LoadedBpfProgram {
  /** The artifact's maps, by its index. */
  readonly maps: readonly BpfMap[];
}

/** A program with its context loads of packet pointers made 8-byte loads of the runtime's. */
function rewriteCtxLoads(p: BpfProgram, loads: ReadonlyMap<number, number>): BpfProgram {
  return programOf(
    p.instructions.map((x, i) => {
      const at = loads.get(i);
      return at === undefined ? x : { ...x, opcode: LDXDW, offset: at };
    }),
  );
}

/**
 * Whether a program calls helpers or uses atomics or legacy packet loads: what the WebAssembly
 * engine does through calls to JavaScript, so that the JavaScript JIT runs it faster.
 */
function needsHost(p: BpfProgram): boolean {
  for (const i of p.instructions) {
    const op = i.opcode, cls = op & CLASS_MASK;
    if ((op === CALL && i.src !== CALL_SRC_LOCAL) || op === CALLX) return true;
    if (cls === CLASS_STX && (op & MODE_MASK) === MODE_ATOMIC) return true;
    if (cls === CLASS_LD && op !== LDDW) return true;
  }
  return false;
}

class LoadedProgram implements LoadedBpfProgram {
  readonly name: string;
  readonly report: VerifyReport;
  readonly engine: BpfEngine;
  readonly program: BpfProgram;
  readonly programType: BpfProgramType;
  readonly runner: BpfRunner;
  readonly maps: readonly BpfMap[];
  #guard: FaultGuard;
  #input: VerifyInput;
  #wrapper: ProgramRunner | null;

  constructor(
    parts: {
      name: string;
      report: VerifyReport;
      engine: BpfEngine;
      program: BpfProgram;
      runner: BpfRunner;
      input: VerifyInput;
      maps: readonly BpfMap[];
      wrapper?: ProgramRunner;
      programType?: BpfProgramType;
    },
    guard: FaultGuard,
  ) {
    this.programType = parts.programType ?? "unspec";
    this.#wrapper = parts.wrapper ?? null;
    this.name = parts.name;
    this.report = parts.report;
    this.engine = parts.engine;
    this.program = parts.program;
    this.runner = parts.runner;
    this.#input = parts.input;
    this.maps = parts.maps;
    this.#guard = guard;
  }

  get jit(): boolean {
    return this.engine === "jit-js" || this.engine === "wasm";
  }

  get faultPolicy(): BpfFaultPolicy {
    return this.#guard.policy;
  }

  lastPacket(): Uint8Array | null {
    return this.#wrapper?.lastPacket ?? null;
  }

  #check(mem: Uint8Array | undefined): void {
    if (this.#wrapper?.layout) return; // the wrapper checks what it is given
    const len = mem?.length ?? 0;
    const input = this.#input;
    if (input.kind === "args") return;
    if (input.kind === "ctx" ? len !== input.size : len > input.size) {
      throw new BpfError(
        "memory",
        `${this.name} was verified for ${
          input.kind === "ctx" ? "a context of" : "packets of at most"
        } ${input.size} bytes, got ${len}`,
      );
    }
  }

  run(mem?: Uint8Array): bigint {
    this.#check(mem);
    return this.#guard.run(mem);
  }

  attempt(mem?: Uint8Array): BpfRunOutcome {
    this.#check(mem);
    return this.#guard.attempt(mem);
  }

  stats(): BpfProgramStats {
    return this.#guard.stats();
  }

  enable(): void {
    this.#guard.enable();
  }
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
  /** `bpf_trace_printk` output when no `trace` option was given (the last 1,024 lines). */
  readonly traceLog: string[] = [];
  #maps: BpfMap[] = [];
  #clock: () => number;
  #tail = new TailCalls();
  #callbacks = new LoopCallbacks();

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
    this.#clock = options.clock ?? (() => performance.now());
    const clock = this.#clock;
    let seed = (options.seed ?? Math.floor(Math.random() * 0xffffffff)) >>> 0 || 0x9e3779b9;
    const tail = this.#tail;
    const callbacks = this.#callbacks;
    const log = this.traceLog;
    registerLinuxHelpers(this.helpers, {
      maps: this.#maps,
      nanos: () => BigInt(Math.round(clock() * 1e6)),
      random: () => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return seed >>> 0;
      },
      trace: options.trace ?? ((line) => {
        log.push(line);
        if (log.length > TRACE_LINES) log.shift();
      }),
      tailCall: (target) => tail.request(target),
      loopCallback: (h, memory, index, ctx) => callbacks.call(h, memory, index, ctx),
    });
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
   * @param options The input, engine, a name and a fallback value.
   * @returns The loaded program; throws a `BpfError` (`"verify"`, `"decode"`, or `"profile"` when
   *   the JIT is asked for and the profile has none).
   */
  load(program: Uint8Array | BpfProgram, options: BpfLoadOptions = {}): LoadedBpfProgram {
    let prog = program instanceof Uint8Array ? decodeProgram(program) : program;
    const name = options.name ?? "program";
    const asked = options.engine ?? (options.jit ? "jit" : "interpreter");
    if (asked !== "interpreter" && asked !== "jit" && asked !== "jit-js" && asked !== "wasm") {
      throw new RangeError(
        `Unknown engine "${String(asked)}"; engines: interpreter, jit, jit-js, wasm`,
      );
    }
    if (asked !== "interpreter" && !this.profile.jit) {
      throw new BpfError(
        "profile",
        `The ${this.profile.name} profile does not allow the JIT (loading ${name}); ` +
          `compile the program ahead of time (mxy bpf aot, BpfVm.compileArtifact)`,
      );
    }
    const input = options.input ?? { kind: "packet", size: 65535 };
    const programType = options.programType ?? "unspec";
    const layout = contextLayout(programType);
    if (layout === null && programType !== "unspec") {
      throw new BpfError(
        "profile",
        `Programs of type ${programType} (${name}) cannot be loaded: mxy has no context for them`,
      );
    }
    const report = verifyProgram(prog, {
      profile: this.profile,
      helpers: this.helpers,
      maps: this.#maps,
      input,
      programType,
    });
    if (report.ctxLoads.size > 0) prog = rewriteCtxLoads(prog, report.ctxLoads);
    const runOptions = this.#runOptions(report, (imm) => this.#maps[imm]);
    // bpf_loop callbacks: lddw of a subprogram becomes a handle the helper runs.
    prog = this.#callbacks.prepare(prog, runOptions);
    const engine: BpfEngine = asked === "jit"
      ? (needsHost(prog) ? "jit-js" : "wasm")
      : asked === "jit-js"
      ? "jit-js"
      : asked;
    const runner: BpfRunner = engine === "jit-js"
      ? new BpfJit(prog, runOptions)
      : engine === "wasm"
      ? new BpfWasm(prog, { ...runOptions, memoryCapacity: layout?.kernelSize ?? input.size })
      : new BpfInterpreter(prog, runOptions);
    const maxPacket = input.kind === "packet" ? input.size : 65535;
    const wrapper = new ProgramRunner(runner, layout, maxPacket, this.#tail);
    const loaded = new LoadedProgram(
      { name, report, engine, program: prog, runner, input, maps: [], wrapper, programType },
      this.#guard(wrapper, name, options.fallback),
    );
    PROGRAM_RUNNERS.set(loaded, wrapper);
    return loaded;
  }

  /** The run options of a verified program: stack, frames, budget, helpers, `lddw` of maps. */
  #runOptions(
    report: VerifyReport,
    mapOf: (imm: number) => BpfMap | undefined,
  ): Required<Pick<BpfRunOptions, "stackSize" | "frameSize" | "maxCallDepth" | "budget">> & {
    helpers: HelperRegistry;
    lddw: NonNullable<BpfRunOptions["lddw"]>;
  } {
    const frameSize = Math.max(8, report.frameStack);
    return {
      helpers: this.helpers,
      stackSize: frameSize * report.callDepth,
      frameSize,
      maxCallDepth: Math.max(1, report.callDepth),
      budget: this.profile.runBudget,
      lddw: (src: number, imm: number, imm2: number, memory: BpfMemory): bigint => {
        if (src === LDDW_SRC_CODE) {
          throw new BpfError(
            "lddw",
            "lddw of a bpf_loop callback: only programs loaded in a BpfVm run callbacks",
          );
        }
        const m = mapOf(imm);
        if (m === undefined) {
          throw new BpfError("lddw", `lddw refers to map ${imm}, which does not exist`);
        }
        numberValueRegions(m, memory);
        if (src === LDDW_SRC_MAP_BY_FD || src === LDDW_SRC_MAP_BY_IDX) {
          return MAP_HANDLE_BASE + BigInt(this.#maps.indexOf(m));
        }
        return memory.addressOf(m.valueView(0)) + BigInt(imm2);
      },
    };
  }

  /**
   * Options for building an engine directly on this VM's helpers and maps (`lddw` of maps
   * resolved as for loaded programs), for code that is not loaded through the verifier: trusted
   * programs, benchmarks. The stack and call depth are the engines' defaults.
   *
   * @returns The helpers, the `lddw` resolver and the profile's budget.
   * @example
   * ```ts
   * import { assemble, BpfJit, BpfVm, decodeProgram } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const vm = new BpfVm();
   * const map = vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1 });
   * const jit = new BpfJit(decodeProgram(assemble("lddw %r0, 0, map_value_fd\nstdw [%r0], 9\nmov %r0, 0\nexit")), vm.runOptions());
   * jit.run();
   * assert.equal(map.lookup(new Uint8Array(4))![0], 9);
   * ```
   */
  runOptions(): BpfRunOptions {
    const { helpers, lddw, budget } = this.#runOptions(
      { frameStack: 0, callDepth: 1 } as VerifyReport,
      (imm) => this.#maps[imm],
    );
    return { helpers, lddw, budget };
  }

  #guard(runner: BpfRunner, name: string, fallback: bigint | undefined): FaultGuard {
    let policy = this.profile.faultPolicy;
    if (fallback !== undefined && policy.kind === "recovery") policy = { ...policy, fallback };
    return new FaultGuard(runner, policy, this.#clock, name);
  }

  /**
   * Verifies a program under the VM's profile and compiles it ahead of time into an artifact
   * (allowed under every profile: nothing is generated when the artifact runs). The maps the
   * program refers to are recorded (and numbered 0, 1, … in the artifact).
   *
   * @param program Bytecode or a decoded program.
   * @param options The target, the input and a name.
   * @returns The artifact; throws a `BpfError` (`"verify"`, `"decode"`) like {@linkcode BpfVm.load}.
   */
  compileArtifact(
    program: Uint8Array | BpfProgram,
    options: BpfCompileArtifactOptions,
  ): BpfArtifact {
    const prog = program instanceof Uint8Array ? decodeProgram(program) : program;
    if (options.target !== "js" && options.target !== "wasm") {
      throw new RangeError(`Unknown target "${String(options.target)}"; targets: js, wasm`);
    }
    const input = options.input ?? { kind: "packet", size: 65535 };
    const report = verifyProgram(prog, {
      profile: this.profile,
      helpers: this.helpers,
      maps: this.#maps,
      input,
    });
    const { stackSize, frameSize, maxCallDepth, budget } = this.#runOptions(
      report,
      () => undefined,
    );
    return compileArtifact({
      program: prog,
      target: options.target,
      name: options.name ?? "program",
      profile: this.profile,
      input,
      run: { stackSize, frameSize, maxCallDepth, budget },
      mapOfFd: (fd) => {
        const m = this.#maps[fd];
        if (m === undefined) {
          throw new BpfError("lddw", `lddw refers to map ${fd}, which does not exist`);
        }
        return m;
      },
    });
  }

  /**
   * Loads an artifact compiled ahead of time: checks its format, checksums and profile (it must
   * have been verified under this VM's profile, with the same run budget), verifies its program
   * again, creates its maps (or takes `options.maps`) and prepares it to run without generating
   * code.
   *
   * @param source The WebAssembly artifact's bytes, or the imported JavaScript artifact.
   * @param options A name, maps, a fallback value.
   * @returns The loaded program; throws a `BpfError` (`"artifact"` for a bad or foreign artifact,
   *   `"verify"` when its program does not pass this VM's verifier).
   */
  loadArtifact(source: BpfArtifactSource, options: BpfLoadArtifactOptions = {}): LoadedBpfArtifact {
    const meta = readBpfArtifactMeta(source);
    const name = options.name ?? meta.name;
    const profile = this.profile;
    if (meta.profile !== profile.name || meta.budget !== profile.runBudget) {
      throw new BpfError(
        "artifact",
        `Artifact "${name}" was compiled under the ${meta.profile} profile (budget ${meta.budget}); ` +
          `this VM runs the ${profile.name} profile (budget ${profile.runBudget})`,
      );
    }
    const prog = artifactProgram(meta);
    const maps = meta.maps.map((spec, i) => {
      const given = options.maps?.[i];
      if (given !== undefined) {
        if (
          given.type !== spec.type || given.keySize !== spec.keySize ||
          given.valueSize !== spec.valueSize || given.maxEntries < spec.maxEntries
        ) {
          throw new BpfError(
            "artifact",
            `Map ${i} given for artifact "${name}" does not match its ${spec.type} map ` +
              `"${spec.name}" (${spec.keySize}-byte keys, ${spec.valueSize}-byte values, ` +
              `${spec.maxEntries} entries)`,
          );
        }
        this.addMap(given);
        return given;
      }
      const m = this.createMap({
        type: spec.type,
        keySize: spec.keySize,
        valueSize: spec.valueSize,
        maxEntries: spec.maxEntries,
        name: spec.name,
        flags: spec.flags,
      });
      const initial = artifactMapInitial(spec);
      if (initial !== null) m.valueView(0).set(initial);
      return m;
    });
    const input = meta.input;
    const report = verifyProgram(prog, { profile, helpers: this.helpers, maps, input });
    const runOptions = this.#runOptions(report, (i) => maps[i]);
    for (const k of ["stackSize", "frameSize", "maxCallDepth"] as const) {
      if (runOptions[k] !== meta[k]) {
        throw new BpfError(
          "artifact",
          `Artifact "${name}" was compiled for ${k} ${meta[k]}; its program needs ${
            runOptions[k]
          } here`,
        );
      }
    }
    const runner = artifactRunner(source, prog, { ...runOptions, memoryCapacity: input.size });
    const engine = source instanceof Uint8Array ? "aot-wasm" : "aot-js";
    return new LoadedProgram(
      { name, report, engine, program: prog, runner, input, maps },
      this.#guard(runner, name, options.fallback),
    );
  }
}
