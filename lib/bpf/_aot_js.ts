/**
 * The JavaScript target of the ahead-of-time compiler: an ES module that holds the JIT's code for
 * one program as a function `bind(rt)` (no `new Function` at run time: the module is the code),
 * its metadata, and a standalone runtime so that `run(memory, context?)` works without this
 * library: the shared kernel (`_kernel.ts`, embedded as its source text) and a small shell,
 * {@linkcode aotStandalone}, that sets up the register file and address space around it. When the
 * library loads an artifact, it binds the code to its own runtime instead.
 *
 * @module
 */
import { type BpfKernel, bpfKernel, type KernelErrorClass } from "./_kernel.ts";
import { sha256Hex } from "../core/sha256.ts";

/** The metadata fields the standalone runtime reads. */
export interface StandaloneMeta {
  readonly program: string;
  readonly stackSize: number;
  readonly frameSize: number;
  readonly maxCallDepth: number;
  readonly budget: number;
}

/** A map the standalone runtime can point `lddw map_value` at. */
interface ValueMap {
  valueView(slot: number): Uint8Array;
}

/** What a standalone artifact's `run` and `createRunner` take. */
interface StandaloneContext {
  helpers?:
    | { get(id: number): unknown }
    | Record<number, unknown>;
  maps?: readonly (ValueMap | undefined)[];
}

/** A standalone runner. */
export interface StandaloneRunner {
  run(mem?: Uint8Array): bigint;
  exec(mem?: Uint8Array): void;
  readonly resultLow: number;
  readonly resultHigh: number;
  readonly executed: number;
  readonly memory: unknown;
}

/**
 * The standalone runtime of a JavaScript artifact. Self-contained: the artifact embeds its
 * source text (`aotStandalone.toString()`), like the kernel's.
 *
 * @param meta The artifact's metadata (bytecode, stack, frame, call depth, budget).
 * @param bind The artifact's code.
 * @param kernelOf The kernel factory (`bpfKernel`).
 * @returns `createRunner(context?)` and the artifact's error class.
 */
export function aotStandalone(
  meta: StandaloneMeta,
  bind: (rt: Record<string, unknown>) => () => void,
  kernelOf: (E: KernelErrorClass) => BpfKernel,
): { createRunner(context?: StandaloneContext): StandaloneRunner; BpfError: KernelErrorClass } {
  const STACK_REGION = 1, MEM_REGION = 2, FRAME_WORDS = 11, LDDW = 0x18;
  const MAP_BY_FD = 1, MAP_BY_IDX = 5, MAP_HANDLE_HI = 0x7fff0000;
  /** The error class of standalone runs: `code`, `pc`, and the library's message format. */
  class BpfError extends Error {
    readonly code: string;
    readonly pc: number;
    constructor(code: string, message: string, options: { pc?: number; cause?: unknown } = {}) {
      const pc = options.pc ?? -1;
      super(
        pc >= 0 ? `${message} (at insn ${pc})` : message,
        options.cause === undefined ? undefined : { cause: options.cause },
      );
      this.name = "BpfError";
      this.code = code;
      this.pc = pc;
    }
  }
  const K = kernelOf(BpfError as unknown as KernelErrorClass);
  const EMPTY = new Uint8Array(0);
  const code = (() => {
    const s = atob(meta.program);
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    return b;
  })();
  /** An address space like the library's `BpfMemory`: `region << 32 | offset` addresses. */
  function createMemory(stackSize: number) {
    const views: DataView[] = [], bytes: Uint8Array[] = [], lengths: number[] = [];
    const writable: number[] = [];
    const index = new Map<Uint8Array, number>();
    const push = (b: Uint8Array, w: number) => {
      views.push(new DataView(b.buffer, b.byteOffset, b.byteLength));
      bytes.push(b);
      lengths.push(b.length);
      writable.push(w);
      return views.length - 1;
    };
    push(EMPTY, 0);
    push(new Uint8Array(stackSize), 1);
    push(EMPTY, 1);
    return {
      views,
      bytes,
      lengths,
      writable,
      get stack(): Uint8Array {
        return bytes[STACK_REGION];
      },
      setMem(mem: Uint8Array | undefined): void {
        const b = mem ?? EMPTY;
        if (bytes[MEM_REGION] === b) return;
        bytes[MEM_REGION] = b;
        views[MEM_REGION] = new DataView(b.buffer, b.byteOffset, b.byteLength);
        lengths[MEM_REGION] = b.length;
      },
      addressOf(b: Uint8Array, options: { offset?: number; readonly?: boolean } = {}): bigint {
        let region = index.get(b);
        if (region === undefined) {
          region = push(b, options.readonly ? 0 : 1);
          index.set(b, region);
        }
        const offset = options.offset ?? 0;
        if (!Number.isInteger(offset) || offset < 0 || offset > b.length) {
          throw new RangeError(`Offset ${offset} is outside a region of ${b.length} bytes`);
        }
        return (BigInt(region) << 32n) | BigInt(offset);
      },
      slice(address: bigint, length: number): Uint8Array {
        const a = BigInt.asUintN(64, address);
        const region = Number(a >> 32n), offset = Number(a & 0xffffffffn);
        if (
          region <= 0 || region >= views.length || length < 0 ||
          offset + length > lengths[region]
        ) {
          throw new BpfError(
            "memory",
            `Access of ${length} bytes at 0x${a.toString(16)} is outside mapped memory`,
          );
        }
        return bytes[region].subarray(offset, offset + length);
      },
    };
  }
  function createRunner(context: StandaloneContext = {}): StandaloneRunner {
    const n = code.length >> 3;
    const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
    const opc = new Uint8Array(n + 1), dst = new Uint8Array(n + 1), src = new Uint8Array(n + 1);
    const off = new Int16Array(n + 1), imm = new Int32Array(n + 1), imm2 = new Int32Array(n + 1);
    for (let pc = 0; pc < n; pc++) {
      opc[pc] = code[8 * pc];
      dst[pc] = code[8 * pc + 1] & 15;
      src[pc] = code[8 * pc + 1] >> 4;
      off[pc] = dv.getInt16(8 * pc + 2, true);
      imm[pc] = dv.getInt32(8 * pc + 4, true);
      if (opc[pc] === LDDW && pc + 1 < n) imm2[pc] = dv.getInt32(8 * pc + 12, true);
    }
    const memory = createMemory(meta.stackSize);
    const h = context.helpers;
    const helpers = h === undefined
      ? { get: () => undefined }
      : typeof (h as { get?: unknown }).get === "function"
      ? h as { get(id: number): unknown }
      : { get: (id: number) => (h as Record<number, unknown>)[id] };
    // Maps: `lddw map` is a handle (MAP_HANDLE_BASE + index), `lddw map_value` an address.
    for (let pc = 0; pc < n; pc++) {
      if (opc[pc] !== LDDW) continue;
      const s = src[pc];
      if (s === MAP_BY_FD || s === MAP_BY_IDX) {
        imm2[pc] = MAP_HANDLE_HI;
      } else if (s !== 0) {
        const map = context.maps?.[imm[pc]];
        if (map === undefined) {
          throw new BpfError("lddw", `lddw with source ${s} needs map ${imm[pc]} in the context`, {
            pc,
          });
        }
        const a = memory.addressOf(map.valueView(0)) + BigInt(imm2[pc]);
        imm[pc] = Number(BigInt.asIntN(32, a));
        imm2[pc] = Number(BigInt.asIntN(32, a >> 32n));
      }
      pc++;
    }
    const m = {
      opc,
      dst,
      src,
      off,
      imm,
      imm2,
      slots: n,
      lo: new Int32Array(11),
      hi: new Int32Array(11),
      memory,
      helpers,
      budget: meta.budget,
      frameSize: meta.frameSize,
      maxCallDepth: meta.maxCallDepth,
      frames: new Int32Array((meta.maxCallDepth + 1) * FRAME_WORDS),
      lastCount: 0,
      stopRequested: false,
      ctx: undefined as unknown,
    };
    m.ctx = {
      memory,
      stop: () => {
        m.stopRequested = true;
      },
    };
    const fn = bind({
      m,
      ...K,
      chunkOf: new Int32Array(0),
      budget: (pc: number) => K.budgetFault(pc, meta.budget),
      callDepth: (pc: number) => K.callDepthFault(pc, meta.maxCallDepth),
      stackOut: K.stackFault,
      fellOff: K.fellOffFault,
    });
    const exec = (mem?: Uint8Array) => {
      memory.setMem(mem);
      m.lo.fill(0);
      m.hi.fill(0);
      m.hi[1] = MEM_REGION;
      m.lo[2] = mem ? mem.length : 0;
      m.lo[10] = meta.stackSize;
      m.hi[10] = STACK_REGION;
      m.stopRequested = false;
      fn();
    };
    return {
      exec,
      run(mem?: Uint8Array): bigint {
        exec(mem);
        return K.toBig(m.lo[0], m.hi[0]);
      },
      get resultLow() {
        return m.lo[0] >>> 0;
      },
      get resultHigh() {
        return m.hi[0] >>> 0;
      },
      get executed() {
        return m.lastCount;
      },
      memory,
    };
  }
  return { createRunner, BpfError: BpfError as unknown as KernelErrorClass };
}

/** The text of a JavaScript artifact and its declarations. */
export interface JsArtifactText {
  /** The ES module. */
  js: string;
  /** Its TypeScript declarations. */
  dts: string;
  /** SHA-256 of the text of `bind` (what the code checksum covers). */
  codeChecksum: string;
}

/**
 * Writes a JavaScript artifact.
 *
 * @param source The JIT's portable code (the body of a function of `rt`).
 * @param meta The metadata, written into the module after `codeChecksum` is added.
 * @param header A comment for the top of the file.
 * @returns The module's text, its declarations and the code checksum.
 */
export function emitJsArtifact(
  source: string,
  meta: Record<string, unknown>,
  header: string,
): JsArtifactText {
  const bindText = `function bind(rt) {\n${source}\n}`;
  const codeChecksum = sha256Hex(new TextEncoder().encode(bindText));
  const full = { ...meta, codeChecksum };
  const js = `${header.split("\n").map((l) => `// ${l}`.trimEnd()).join("\n")}
/** The artifact's description: format, profile, bytecode and its SHA-256, maps, helpers. */
export const meta = Object.freeze(${JSON.stringify(full, null, 2)});
/** The maps the program uses (create them in this order for map helpers). */
export const maps = meta.maps;
/** The program's code, bound to a runtime (the library's, or the standalone one below). */
export ${bindText}
const kernel = ${bpfKernel.toString()};
const standalone = (${aotStandalone.toString()})(meta, bind, kernel);
/** The error class of standalone runs. */
export const BpfError = standalone.BpfError;
/** Creates a runner with its own stack, helpers (\`context.helpers\`) and maps. */
export const createRunner = standalone.createRunner;
const runners = new WeakMap();
let shared;
/** Runs the program once on \`memory\` and returns r0 (a runner per context object is kept). */
export function run(memory, context) {
  let r;
  if (context === undefined) r = shared ??= createRunner();
  else {
    r = runners.get(context);
    if (r === undefined) {
      r = createRunner(context);
      runners.set(context, r);
    }
  }
  return r.run(memory);
}
`;
  const dts = `${header.split("\n").map((l) => `// ${l}`.trimEnd()).join("\n")}
/** A map the program uses. */
export interface BpfArtifactMap {
  readonly name: string;
  readonly type: string;
  readonly flags?: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}
/** The artifact's description. */
export declare const meta: {
  readonly format: "mxy-bpf-aot";
  readonly version: number;
  readonly target: "js";
  readonly name: string;
  readonly profile: "cloud" | "embedded";
  readonly program: string;
  readonly checksum: string;
  readonly codeChecksum: string;
  readonly input: { readonly kind: "ctx" | "packet"; readonly size: number };
  readonly stackSize: number;
  readonly frameSize: number;
  readonly maxCallDepth: number;
  readonly budget: number;
  readonly maps: readonly BpfArtifactMap[];
  readonly helpers: readonly number[];
  readonly generator: string;
};
/** The maps the program uses. */
export declare const maps: readonly BpfArtifactMap[];
/** The program's code, bound to a runtime. */
export declare function bind(rt: Record<string, unknown>): () => void;
/** What a helper receives: the run's address space and a way to end the program. */
export interface BpfArtifactHelperContext {
  readonly memory: {
    slice(address: bigint, length: number): Uint8Array;
    addressOf(bytes: Uint8Array, options?: { offset?: number; readonly?: boolean }): bigint;
  };
  stop(): void;
}
/** A helper: r1–r5 in, r0 out. */
export type BpfArtifactHelper = (
  r1: bigint,
  r2: bigint,
  r3: bigint,
  r4: bigint,
  r5: bigint,
  ctx: BpfArtifactHelperContext,
) => bigint;
/** Helpers and maps for standalone runs. */
export interface BpfArtifactContext {
  /** Helpers by id: a Map, an object with \`get(id)\` (a HelperRegistry) or a plain object. */
  readonly helpers?:
    | { get(id: number): BpfArtifactHelper | undefined }
    | Readonly<Record<number, BpfArtifactHelper>>;
  /** Maps by index (for \`lddw map_value\`): objects with \`valueView(slot)\`. */
  readonly maps?: readonly ({ valueView(slot: number): Uint8Array } | undefined)[];
}
/** A standalone runner. */
export interface BpfArtifactRunner {
  run(memory?: Uint8Array): bigint;
  exec(memory?: Uint8Array): void;
  readonly resultLow: number;
  readonly resultHigh: number;
  readonly executed: number;
}
/** The error class of standalone runs. */
export declare const BpfError: new (code: string, message: string) => Error & {
  readonly code: string;
  readonly pc: number;
};
/** Creates a runner with its own stack, helpers and maps. */
export declare function createRunner(context?: BpfArtifactContext): BpfArtifactRunner;
/** Runs the program once on \`memory\` and returns r0. */
export declare function run(memory?: Uint8Array, context?: BpfArtifactContext): bigint;
`;
  return { js, dts, codeChecksum };
}
