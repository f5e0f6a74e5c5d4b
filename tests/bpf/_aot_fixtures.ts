/**
 * Running programs through ahead-of-time artifacts in tests: compile with given run options,
 * serialize, load back (a JavaScript artifact through a `data:` import), check the checksums
 * and build the runner, as `BpfVm.loadArtifact` does without the verifier.
 *
 * @module
 */
import {
  artifactProgram,
  artifactRunner,
  type BpfAotTarget,
  type BpfArtifactSource,
  type BpfJsArtifactModule,
  compileArtifact,
  readBpfArtifactMeta,
} from "../../lib/bpf/aot.ts";
import type { BpfProgram } from "../../lib/bpf/instruction.ts";
import type { BpfRunner, BpfRunOptions } from "../../lib/bpf/runner.ts";
import { CLOUD } from "../../lib/bpf/profile.ts";

/** Imports an ES module from its text. */
export async function importText(code: Uint8Array): Promise<BpfJsArtifactModule> {
  let s = "";
  for (let i = 0; i < code.length; i += 0x8000) {
    s += String.fromCharCode(...code.subarray(i, i + 0x8000));
  }
  return await import(`data:text/javascript;base64,${btoa(s)}`);
}

/**
 * Imports the metadata and code of many JavaScript artifacts at once: one module holding each
 * artifact's `meta` and `bind` (the same text, so the checksums hold), without the standalone
 * runtime each artifact carries (parsing that 313 times is what makes importing slow).
 */
export async function importCodeOf(codes: Uint8Array[]): Promise<BpfJsArtifactModule[]> {
  const parts = codes.map((code, i) => {
    const text = new TextDecoder().decode(code);
    const meta = /^export const meta = (Object\.freeze\([\s\S]*?\));$/m.exec(text)![1];
    const start = text.indexOf("export function bind(rt) {\n") + "export ".length;
    const end = text.indexOf("\n}\n", start) + 2;
    return `export const a${i} = { meta: ${meta}, bind: ${text.slice(start, end)} };`;
  });
  const mod = await importText(new TextEncoder().encode(parts.join("\n")));
  return codes.map((_, i) => (mod as unknown as Record<string, BpfJsArtifactModule>)[`a${i}`]);
}

/** Compiles `program` to an artifact for `target` (see {@linkcode aotRunner}). */
export function compileForTest(
  target: BpfAotTarget,
  program: BpfProgram,
  options: BpfRunOptions = {},
): {
  code: Uint8Array;
  run: Required<Pick<BpfRunOptions, "stackSize" | "frameSize" | "maxCallDepth" | "budget">>;
} {
  const stackSize = options.stackSize ?? 512;
  const run = {
    stackSize,
    frameSize: options.frameSize ?? Math.min(512, stackSize),
    maxCallDepth: options.maxCallDepth ?? 8,
    budget: options.budget ?? 1_000_000,
  };
  const artifact = compileArtifact({
    program,
    target,
    name: "test",
    profile: CLOUD,
    input: { kind: "packet", size: 65535 },
    run,
    mapOfFd: (fd) => {
      throw new RangeError(`No map ${fd} in tests`);
    },
  });
  return { code: artifact.code, run };
}

/** Loads an artifact's runner after checking it, as `BpfVm.loadArtifact` does. */
export function loadForTest(
  source: BpfArtifactSource,
  options: BpfRunOptions,
): BpfRunner {
  const meta = readBpfArtifactMeta(source);
  return artifactRunner(source, artifactProgram(meta), options);
}

/**
 * Compiles `program` to an artifact for `target` with the interpreter's defaults for what
 * `options` leaves out, loads it back and returns its runner.
 */
export async function aotRunner(
  target: BpfAotTarget,
  program: BpfProgram,
  options: BpfRunOptions = {},
): Promise<BpfRunner> {
  const stackSize = options.stackSize ?? 512;
  const run = {
    stackSize,
    frameSize: options.frameSize ?? Math.min(512, stackSize),
    maxCallDepth: options.maxCallDepth ?? 8,
    budget: options.budget ?? 1_000_000,
  };
  const artifact = compileArtifact({
    program,
    target,
    name: "test",
    profile: CLOUD,
    input: { kind: "packet", size: 65535 },
    run,
    mapOfFd: (fd) => {
      throw new RangeError(`No map ${fd} in tests`);
    },
  });
  const source: BpfArtifactSource = target === "wasm"
    ? artifact.code
    : await importText(artifact.code);
  const meta = readBpfArtifactMeta(source);
  return artifactRunner(source, artifactProgram(meta), { ...options, ...run });
}
