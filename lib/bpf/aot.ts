/**
 * Ahead-of-time compilation: a verified program becomes an artifact that runs without generating
 * code at run time — an ES module (target `js`, the JIT's code as a function, with a standalone
 * runtime) or a WebAssembly module (target `wasm`). The artifact records its format, the profile
 * it was verified under, the bytecode and its SHA-256, a SHA-256 of the code, the maps and the
 * helpers; loading checks them ({@linkcode BpfVm.loadArtifact}). Compile with
 * {@linkcode BpfVm.compileArtifact} or `mxy bpf aot`.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { type BpfProgram, decodeProgram, encodeProgram } from "./instruction.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import { EBPF } from "./opcodes.ts";
import type { BpfProfile, BpfProfileName } from "./profile.ts";
import type { BpfRunner, BpfRunOptions } from "./runner.ts";
import type { VerifyInput } from "./verifier.ts";
import { BpfJit } from "./jit.ts";
import { BpfWasm } from "./wasm.ts";
import { Machine } from "./_machine.ts";
import { generateCode } from "./_jit_codegen.ts";
import { compileWasm } from "./_wasm_codegen.ts";
import { emitJsArtifact } from "./_aot_js.ts";
import { sha256Hex } from "../core/sha256.ts";
import { VERSION } from "../core/version.ts";

const { LDDW, LDDW_SRC_IMM64, CALL, CALL_SRC_LOCAL } = EBPF;

/** The format name every artifact carries. */
const FORMAT = "mxy-bpf-aot";
/** The format version. */
const FORMAT_VERSION = 1;
/** The WebAssembly custom section holding the metadata (JSON), the module's last section. */
const WASM_SECTION = "mxy.bpf.aot";

/**
 * What an artifact is compiled to: `js` (an ES module) or `wasm` (a WebAssembly module).
 *
 * @example
 * ```ts
 * import { assemble, type BpfAotTarget, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const target: BpfAotTarget = "wasm";
 * const artifact = new BpfVm().compileArtifact(assemble("mov %r0, 1\nexit"), { target });
 * assert.equal(artifact.meta.target, "wasm");
 * ```
 */
export type BpfAotTarget = "js" | "wasm";

/**
 * A map an artifact's program uses, in the order of its index (what its `lddw`s refer to).
 *
 * @example
 * ```ts
 * import { type BpfArtifactMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const counters: BpfArtifactMap = { name: "counters", type: "array", keySize: 4, valueSize: 8, maxEntries: 4 };
 * assert.equal(counters.initial, undefined);
 * ```
 */
export interface BpfArtifactMap extends BpfMapSpec {
  /** The map's name ("" when it had none). */
  name: string;
  /** Initial contents of element 0 (base64), for data sections of ELF objects. */
  initial?: string;
}

/**
 * An artifact's description.
 *
 * @example
 * ```ts
 * import { assemble, type BpfArtifactMeta, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm({ profile: "embedded" });
 * const meta: BpfArtifactMeta = vm.compileArtifact(assemble("mov %r0, 1\nexit"), { target: "js" }).meta;
 * assert.equal(meta.format, "mxy-bpf-aot");
 * assert.equal(meta.profile, "embedded");
 * assert.equal(meta.checksum.length, 64); // SHA-256 of the bytecode, hex
 * ```
 */
export interface BpfArtifactMeta {
  /** Always `"mxy-bpf-aot"`. */
  readonly format: string;
  /** The format version (1). */
  readonly version: number;
  /** The target. */
  readonly target: BpfAotTarget;
  /** The program's name. */
  readonly name: string;
  /** The profile it was verified under. */
  readonly profile: BpfProfileName;
  /** The bytecode (base64), its map references numbered by the artifact's maps. */
  readonly program: string;
  /** SHA-256 of the bytecode (hex). */
  readonly checksum: string;
  /** SHA-256 of the code (hex): the text of `bind` (js), the module before this section (wasm). */
  readonly codeChecksum: string;
  /** What R1 points to. */
  readonly input: VerifyInput;
  /** Stack bytes of a run. */
  readonly stackSize: number;
  /** Stack bytes per local-call frame. */
  readonly frameSize: number;
  /** The deepest local calls. */
  readonly maxCallDepth: number;
  /** The instruction budget of a run (the profile's). */
  readonly budget: number;
  /** The maps, by the index the program's `lddw`s use. */
  readonly maps: readonly BpfArtifactMap[];
  /** Helper ids the program calls (`call N`). */
  readonly helpers: readonly number[];
  /** What made it (`mxy <version>`). */
  readonly generator: string;
}

/**
 * A compiled artifact: its metadata, its code (the ES module's UTF-8 text, or the WebAssembly
 * module) and, for `js`, the module's TypeScript declarations.
 *
 * @example
 * ```ts
 * import { assemble, type BpfArtifact, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const artifact: BpfArtifact = new BpfVm().compileArtifact(assemble("mov %r0, 1\nexit"), { target: "wasm" });
 * assert.ok(WebAssembly.validate(artifact.code));
 * assert.equal(artifact.declarations, "");
 * ```
 */
export interface BpfArtifact {
  /** The description. */
  readonly meta: BpfArtifactMeta;
  /** The ES module's text (UTF-8) or the WebAssembly module. */
  readonly code: Uint8Array<ArrayBuffer>;
  /** The `.d.ts` of the ES module; "" for `wasm`. */
  readonly declarations: string;
}

/**
 * A JavaScript artifact as imported (`await import("./prog.js")`): what the library needs of it.
 *
 * @example
 * ```ts
 * import { assemble, type BpfJsArtifactModule, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm();
 * const artifact = vm.compileArtifact(assemble("mov %r0, 5\nexit"), { target: "js" });
 * const url = `data:text/javascript;base64,${btoa(String.fromCharCode(...artifact.code))}`;
 * const module: BpfJsArtifactModule = await import(url);
 * assert.equal(vm.loadArtifact(module).run(), 5n);
 * ```
 */
export interface BpfJsArtifactModule {
  /** The artifact's description. */
  readonly meta: unknown;
  /** The program's code, bound to a runtime. */
  readonly bind: (rt: Record<string, unknown>) => () => void;
}

/**
 * What can be loaded: a WebAssembly artifact's bytes, or an imported JavaScript artifact.
 *
 * @example
 * ```ts
 * import { assemble, type BpfArtifactSource, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm();
 * const source: BpfArtifactSource = vm.compileArtifact(assemble("mov %r0, 2\nexit"), { target: "wasm" }).code;
 * assert.equal(vm.loadArtifact(source).run(), 2n);
 * ```
 */
export type BpfArtifactSource = Uint8Array | BpfJsArtifactModule;

/** What the compiler needs from the VM, after verification. */
export interface ArtifactInput {
  program: BpfProgram;
  target: BpfAotTarget;
  name: string;
  profile: BpfProfile;
  input: VerifyInput;
  run: Required<Pick<BpfRunOptions, "stackSize" | "frameSize" | "maxCallDepth" | "budget">>;
  /** The map of each fd the program may refer to. */
  mapOfFd: (fd: number) => BpfMapSpec & { name: string; valueView(slot: number): Uint8Array };
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function unbase64(text: string): Uint8Array {
  const s = atob(text);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** A map `lddw` (by fd or by index, handle or value). */
function isMapLddw(op: number, src: number): boolean {
  return op === LDDW && src !== LDDW_SRC_IMM64;
}

/**
 * Compiles a verified program into an artifact.
 *
 * @param a The program and what the VM knows about it.
 * @returns The artifact.
 */
export function compileArtifact(a: ArtifactInput): BpfArtifact {
  // Number the maps the program refers to 0, 1, … and rewrite its lddws to those numbers.
  const fds: number[] = [];
  for (const i of a.program.instructions) {
    if (isMapLddw(i.opcode, i.src) && !fds.includes(i.imm)) fds.push(i.imm);
  }
  const maps: BpfArtifactMap[] = fds.map((fd) => {
    const m = a.mapOfFd(fd);
    if (m.type === "prog_array" || m.type === "array_of_maps" || m.type === "hash_of_maps") {
      throw new BpfError(
        "artifact",
        `Map "${m.name}" is a ${m.type}: artifacts cannot record the programs or maps it holds`,
      );
    }
    const spec: BpfArtifactMap = {
      name: m.name,
      type: m.type,
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
    };
    if (m.flags !== 0) spec.flags = m.flags;
    if ((m.mapExtra ?? 0) !== 0) spec.mapExtra = m.mapExtra;
    if (m.spinLock !== undefined && m.spinLock >= 0) spec.spinLock = m.spinLock;
    if (m.type === "array" && m.maxEntries === 1 && m.valueView(0).some((b) => b !== 0)) {
      spec.initial = base64(m.valueView(0));
    }
    return spec;
  });
  const program = decodeProgram(
    encodeProgram(
      a.program.instructions.map((i) =>
        isMapLddw(i.opcode, i.src) ? { ...i, imm: fds.indexOf(i.imm) } : i
      ),
    ),
  );
  const bytes = encodeProgram(program);
  const helpers = [
    ...new Set(
      program.instructions.filter((i) => i.opcode === CALL && i.src !== CALL_SRC_LOCAL).map((i) =>
        i.imm
      ),
    ),
  ].sort((x, y) => x - y);
  const m = new Machine(program, { ...a.run, lddw: () => 0n });
  const meta = {
    format: FORMAT,
    version: FORMAT_VERSION,
    target: a.target,
    name: a.name,
    profile: a.profile.name,
    program: base64(bytes),
    checksum: sha256Hex(bytes),
    input: { kind: a.input.kind, size: a.input.size },
    ...a.run,
    maps,
    helpers,
    generator: `mxy ${VERSION}`,
  };
  const header =
    `mxy eBPF ahead-of-time artifact (${FORMAT} ${FORMAT_VERSION}, target ${a.target}): ` +
    `program "${a.name}", profile ${a.profile.name}.\nGenerated by mxy ${VERSION}. It runs ` +
    `without generating code; loaders check its checksums, so do not edit it.`;
  if (a.target === "js") {
    const { source } = generateCode(m, 30000, true);
    const { js, dts, codeChecksum } = emitJsArtifact(source, meta, header);
    return {
      meta: { ...meta, codeChecksum },
      code: new TextEncoder().encode(js) as Uint8Array<ArrayBuffer>,
      declarations: dts,
    };
  }
  const code = compileWasm(m).bytes;
  const full: BpfArtifactMeta = { ...meta, codeChecksum: sha256Hex(code) };
  const name = new TextEncoder().encode(WASM_SECTION);
  const json = new TextEncoder().encode(JSON.stringify(full));
  const payload = [...leb(name.length), ...name, ...json];
  const section = Uint8Array.from([0, ...leb(payload.length), ...payload]);
  const out = new Uint8Array(code.length + section.length);
  out.set(code);
  out.set(section, code.length);
  return { meta: full, code: out, declarations: "" };
}

function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Reads an unsigned LEB128 number at `p`: [value, next position]. */
function readLeb(b: Uint8Array, p: number): [number, number] {
  let v = 0, shift = 0;
  for (;;) {
    if (p >= b.length || shift > 28) throw bad("a truncated WebAssembly section header");
    const x = b[p++];
    v += (x & 0x7f) * 2 ** shift;
    if ((x & 0x80) === 0) return [v, p];
    shift += 7;
  }
}

function bad(what: string): BpfError {
  return new BpfError("artifact", `Not an mxy eBPF artifact: ${what}`);
}

/** Finds the metadata section of a WebAssembly artifact: [meta JSON, where the section starts]. */
function wasmMeta(b: Uint8Array): [unknown, number] {
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) {
    throw bad("neither a WebAssembly module nor an imported JavaScript artifact");
  }
  let p = 8;
  while (p < b.length) {
    const start = p;
    const id = b[p++];
    let size: number;
    [size, p] = readLeb(b, p);
    const end = p + size;
    if (end > b.length) throw bad(`a WebAssembly section runs past the end (at byte ${start})`);
    if (id === 0) {
      const [len, q] = readLeb(b, p);
      const name = new TextDecoder().decode(b.subarray(q, q + len));
      if (name === WASM_SECTION) {
        if (end !== b.length) throw bad(`the "${WASM_SECTION}" section is not the last one`);
        try {
          return [JSON.parse(new TextDecoder().decode(b.subarray(q + len, end))), start];
        } catch (e) {
          throw bad(`its "${WASM_SECTION}" section is not JSON (${(e as Error).message})`);
        }
      }
    }
    p = end;
  }
  throw bad(`the WebAssembly module has no "${WASM_SECTION}" section`);
}

function checkMeta(raw: unknown, target: BpfAotTarget): BpfArtifactMeta {
  const m = raw as Partial<BpfArtifactMeta> | null;
  if (m === null || typeof m !== "object" || m.format !== FORMAT) {
    throw bad(`its format is not "${FORMAT}"`);
  }
  if (m.version !== FORMAT_VERSION) {
    throw new BpfError(
      "artifact",
      `Artifact format version ${m.version} is not supported (this mxy reads version ${FORMAT_VERSION})`,
    );
  }
  if (m.target !== target) {
    throw new BpfError("artifact", `Artifact says target "${m.target}" but is ${target}`);
  }
  for (const k of ["name", "profile", "program", "checksum", "codeChecksum"] as const) {
    if (typeof m[k] !== "string") throw bad(`its metadata lacks "${k}"`);
  }
  for (const k of ["stackSize", "frameSize", "maxCallDepth", "budget"] as const) {
    if (!Number.isInteger(m[k]) || (m[k] as number) < 0) throw bad(`its metadata lacks "${k}"`);
  }
  if (!Array.isArray(m.maps) || !Array.isArray(m.helpers) || typeof m.input !== "object") {
    throw bad("its metadata lacks maps, helpers or input");
  }
  return m as BpfArtifactMeta;
}

/**
 * Reads and checks an artifact's description: format, version and both checksums (of the
 * bytecode and of the code). Does not verify the program (loading does).
 *
 * @param source The WebAssembly module's bytes, or the imported ES module.
 * @returns The metadata; throws a `BpfError` (`"artifact"`) when the artifact is not one or
 *   does not match its checksums.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, readBpfArtifactMeta } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const { code } = new BpfVm({ profile: "embedded" }).compileArtifact(assemble("mov %r0, 1\nexit"), { target: "wasm" });
 * assert.equal(readBpfArtifactMeta(code).profile, "embedded");
 * code[20] ^= 1; // damage the code
 * assert.throws(() => readBpfArtifactMeta(code), /checksum/);
 * ```
 */
export function readBpfArtifactMeta(source: BpfArtifactSource): BpfArtifactMeta {
  let meta: BpfArtifactMeta, codeSum: string;
  if (source instanceof Uint8Array) {
    const [raw, start] = wasmMeta(source);
    meta = checkMeta(raw, "wasm");
    codeSum = sha256Hex(source.subarray(0, start));
  } else {
    if (typeof source?.bind !== "function") {
      throw bad("the module has no bind() export; import the artifact's .js and pass the module");
    }
    meta = checkMeta(source.meta, "js");
    codeSum = sha256Hex(new TextEncoder().encode(source.bind.toString()));
  }
  if (codeSum !== meta.codeChecksum) {
    throw new BpfError(
      "artifact",
      `Artifact "${meta.name}": the code does not match its checksum (${
        meta.codeChecksum.slice(0, 12)
      }…, found ${codeSum.slice(0, 12)}…); it was modified`,
    );
  }
  if (sha256Hex(unbase64(meta.program)) !== meta.checksum) {
    throw new BpfError(
      "artifact",
      `Artifact "${meta.name}": the bytecode does not match its checksum; it was modified`,
    );
  }
  return meta;
}

/**
 * The program an artifact carries.
 *
 * @param meta Checked metadata.
 * @returns The decoded program.
 */
export function artifactProgram(meta: BpfArtifactMeta): BpfProgram {
  return decodeProgram(unbase64(meta.program));
}

/** The initial contents of an artifact map's element 0, if any. */
export function artifactMapInitial(map: BpfArtifactMap): Uint8Array | null {
  return map.initial === undefined ? null : unbase64(map.initial);
}

/**
 * Builds the runner of a checked artifact.
 *
 * @param source The artifact.
 * @param program Its program.
 * @param options The run options (the artifact's stack, frame, depth and budget; the VM's helpers
 *   and `lddw` resolver; the run memory's capacity for WebAssembly).
 * @returns The runner.
 */
export function artifactRunner(
  source: BpfArtifactSource,
  program: BpfProgram,
  options: BpfRunOptions & { memoryCapacity?: number },
): BpfRunner {
  if (source instanceof Uint8Array) {
    return new BpfWasm(program, { ...options, module: source });
  }
  return new BpfJit(program, { ...options, code: source.bind });
}
