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
