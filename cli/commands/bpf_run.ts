/**
 * `mxy bpf run`: verifies a program under a profile (or takes an artifact compiled ahead of time)
 * and runs it in the interpreter, the JIT or WebAssembly, once or several times through the
 * scheduler, printing r0 and, on request, the fault statistics.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { type Command, intFlag, parseFlags, stringFlag, UsageError } from "../_command.ts";
import {
  assemble,
  type BpfArtifactSource,
  BpfInterpreter,
  BpfJit,
  type BpfJsArtifactModule,
  type BpfProgramStats,
  type BpfRunResult,
  BpfScheduler,
  type BpfSchedulerStats,
  BpfVm,
  BpfWasm,
  decodeProgram,
  getBpfProfile,
  type LoadedBpfProgram,
  loadElf,
  readBpfArtifactMeta,
} from "../../lib/bpf/mod.ts";
import { bpfConformanceHelpers, parseBpfConformance } from "../../lib/testing/mod.ts";
import { programFromBytes, readMemory } from "./_bpf_common.ts";
import { readFile, writeSync } from "../_io.ts";

const HELP = `Usage: mxy bpf run FILE [--mem FILE | --mem-hex HEX] [--engine NAME | --jit]
                    [--profile NAME] [--program NAME] [--packet N] [--runs N] [--stats]
                    [--fallback N] [--no-verify] [--budget N]

Runs an eBPF program and prints r0 (hex, then decimal). FILE is assembler text, hex or raw
bytecode, a conformance .data case (its "-- mem" is the memory unless --mem/--mem-hex is
given), an ELF object from clang -O2 -target bpf -c (its maps are created; --program picks
the program when it has several), or an artifact from \`mxy bpf aot\` (a .wasm module or a
.js/.mjs ES module; it runs under the profile it was compiled for). r1 points to the memory
given with --mem/--mem-hex (empty otherwise) and r2 holds its length; r10 points to the top of
the stack.

By default the program is verified under the profile and run with the profile's limits
(stack, instruction budget, call depth), the map helpers and the profile's fault policy: under
cloud a run-time fault (out-of-bounds access, budget, helper error) abandons the run and the
scheduler retries it with backoff; under embedded the run returns the fallback value (0 unless
--fallback), and 5 faults within a minute disable the program. With --no-verify it runs directly
with the bpf_conformance test helpers (0-5) and a 512-byte stack.

Options:
  --mem FILE        the memory r1 points to
  --mem-hex HEX     the memory as hex bytes ("00 01 02" or "000102")
  --engine NAME     interpreter (default); jit: WebAssembly for a program without helper calls,
                    atomics or legacy packet loads, JavaScript otherwise; jit-js (JavaScript) or
                    wasm (WebAssembly) to choose; the JITs are refused by the embedded profile
  --jit             the same as --engine jit (JavaScript with --no-verify)
  --profile NAME    cloud (default; an artifact's own profile) or embedded
  --program NAME    the program (section or function name) to run from an ELF object
  --packet N        verify r1 as a packet of at most N bytes, its length checked at run time
                    (default: a context of exactly the memory's size)
  --runs N          run N times through the scheduler (faults retried or recovered)
  --stats           print the program's fault statistics and the scheduler's counters
  --fallback N      r0 of a faulting run under a recovery policy (embedded)
  --no-verify       skip the verifier; conformance helpers; 512-byte stack
  --budget N        instruction budget for --no-verify runs (default 1000000)
  -v, --verbose     also print the number of executed instructions
  -h, --help        show this help`;

const SPEC = {
  mem: { type: "string" },
  "mem-hex": { type: "string" },
  jit: { type: "boolean" },
  engine: { type: "string" },
  profile: { type: "string" },
  "no-verify": { type: "boolean" },
  budget: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  program: { type: "string" },
  runs: { type: "string" },
  stats: { type: "boolean" },
  fallback: { type: "string" },
  packet: { type: "string" },
} as const;

function isElf(data: Uint8Array): boolean {
  return data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

function isWasm(data: Uint8Array): boolean {
  return data[0] === 0 && data[1] === 0x61 && data[2] === 0x73 && data[3] === 0x6d;
}

/** A JavaScript artifact starts with the comment `mxy bpf aot` writes. */
function isJsArtifact(path: string, data: Uint8Array): boolean {
  return /\.m?js$/.test(path) &&
    new TextDecoder().decode(data.subarray(0, 64)).startsWith("// mxy eBPF ahead-of-time");
}

function statsText(p: LoadedBpfProgram, s: BpfProgramStats): string {
  const fp = p.faultPolicy;
  const policy = fp.kind === "restart"
    ? `restart policy: up to ${fp.maxRetries} retries, backoff ${fp.backoffMs} ms doubling`
    : `recovery policy: fallback ${fp.fallback}, ${fp.maxFaults} faults in ${fp.windowMs} ms disable it`;
  const lines = [
    `program "${p.name}": engine ${p.engine}, ${policy}`,
    `  runs ${s.runs}, completed ${s.completed}, faults ${s.faults}, recovered ${s.recovered}, ` +
    `abandoned ${s.abandoned}, refused ${s.refused}, disabled ${s.disabled ? "yes" : "no"}` +
    (s.disabledTimes > 0 ? ` (${s.disabledTimes} times)` : ""),
  ];
  const f = s.lastFault;
  if (f !== null) lines.push(`  last fault: run ${f.run}, ${f.code}: ${f.message}`);
  return lines.join("\n") + "\n";
}

function schedulerText(s: BpfSchedulerStats): string {
  return `scheduler: submitted ${s.submitted}, completed ${s.completed}, failed ${s.failed}, ` +
    `faults ${s.faults}, recovered ${s.recovered}, retries ${s.retries}, refused ${s.refused}\n`;
}

/** The `bpf run` command. */
export const command: Command = {
  name: "run",
  summary: "run an eBPF program (or an artifact) and print r0",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, { spec: SPEC, help: HELP });
    if (flags.positionals.length !== 1) throw new UsageError("bpf run takes one FILE");
    const path = flags.positionals[0];
    let mem = await readMemory(
      flags.values.mem as string | undefined,
      flags.values["mem-hex"] as string | undefined,
    );
    const memGiven = flags.values.mem !== undefined || flags.values["mem-hex"] !== undefined;
    const data = await readFile(path);
    const elf = isElf(data);
    const artifact = isWasm(data) || isJsArtifact(path, data);
    if (!elf && flags.values.program !== undefined) {
      throw new UsageError("--program applies to ELF objects");
    }
    if (flags.values.jit === true && flags.values.engine !== undefined) {
      throw new UsageError("Give either --jit or --engine, not both");
    }
    const engine = flags.values.jit === true ? "jit" : stringFlag(flags, "engine", "interpreter");
    if (engine !== "interpreter" && engine !== "jit" && engine !== "jit-js" && engine !== "wasm") {
      throw new UsageError(`Unknown engine "${engine}"; engines: interpreter, jit, jit-js, wasm`);
    }
    if (artifact && (flags.values.jit === true || flags.values.engine !== undefined)) {
      throw new UsageError("An artifact runs its own compiled code; drop --engine/--jit");
    }
    const runs = intFlag(flags, "runs", 1);
    if (runs < 1) throw new UsageError("--runs must be at least 1");
    let fallback: bigint | undefined;
    if (flags.values.fallback !== undefined) {
      try {
        fallback = BigInt.asUintN(64, BigInt(flags.values.fallback as string));
      } catch {
        throw new UsageError(`--fallback is not an integer: "${flags.values.fallback}"`);
      }
    }
    const stats = flags.values.stats === true;
    let bytes = data;
    if (elf || artifact) {
      if (flags.values["no-verify"] === true) {
        throw new UsageError(
          `${
            elf ? "ELF objects are" : "An artifact is"
          } loaded through the verifier; drop --no-verify`,
        );
      }
    } else if (path.endsWith(".data")) {
      const c = parseBpfConformance(new TextDecoder().decode(data), { name: path });
      bytes = c.raw ?? assemble(c.asm ?? "", { file: path });
      if (!memGiven) mem = c.mem;
    } else bytes = programFromBytes(data, path).bytes;
    let value: bigint;
    let executed: number;
    let counted = engine !== "interpreter";
    if (flags.values["no-verify"] === true) {
      if (flags.values.profile !== undefined) {
        throw new UsageError("--profile and --no-verify do not go together");
      }
      if (stats || runs !== 1 || fallback !== undefined || flags.values.packet !== undefined) {
        throw new UsageError("--stats, --runs, --fallback and --packet need a verified program");
      }
      const budget = intFlag(flags, "budget", 1_000_000);
      if (budget < 1) throw new UsageError("--budget must be at least 1");
      const program = decodeProgram(bytes);
      const options = { budget, helpers: bpfConformanceHelpers() };
      const runner = engine === "jit" || engine === "jit-js"
        ? new BpfJit(program, options)
        : engine === "wasm"
        ? new BpfWasm(program, options)
        : new BpfInterpreter(program, options);
      value = runner.run(mem);
      executed = runner.executed;
    } else {
      if (flags.values.budget !== undefined) {
        throw new UsageError("--budget applies to --no-verify runs; profiles set their own");
      }
      let source: BpfArtifactSource | undefined;
      let profileName = stringFlag(flags, "profile", "cloud");
      if (artifact) {
        source = isWasm(data)
          ? data
          : await import(pathToFileURL(path).href) as BpfJsArtifactModule;
        if (flags.values.profile === undefined) profileName = readBpfArtifactMeta(source).profile;
      }
      let profile;
      try {
        profile = getBpfProfile(profileName);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      // A conformance case calls the suite's helpers 0-5, as `bpf verify` assumes for .data files.
      const helpers = path.endsWith(".data") ? bpfConformanceHelpers() : undefined;
      const vm = new BpfVm({ profile, helpers });
      const input = flags.values.packet !== undefined
        ? { kind: "packet" as const, size: intFlag(flags, "packet", 65535) }
        : { kind: "ctx" as const, size: mem.length };
      if (artifact && flags.values.packet !== undefined) {
        throw new UsageError("An artifact records its input; drop --packet");
      }
      let loaded: LoadedBpfProgram;
      if (source !== undefined) loaded = vm.loadArtifact(source, { fallback });
      else if (elf) {
        const obj = loadElf(vm, bytes, { file: path, engine, input, fallback });
        const names = [...obj.programs.keys()];
        const want = flags.values.program as string | undefined;
        if (want === undefined && names.length !== 1) {
          throw new UsageError(
            `${path} has ${names.length} programs; pick one with --program: ${names.join(", ")}`,
          );
        }
        const chosen = obj.programs.get(want ?? names[0]);
        if (chosen === undefined) {
          throw new UsageError(`${path} has no program "${want}"; programs: ${names.join(", ")}`);
        }
        loaded = chosen;
      } else loaded = vm.load(bytes, { engine, name: path, input, fallback });
      let last: BpfRunResult | undefined;
      let scheduler: BpfScheduler | undefined;
      if (runs > 1 || stats) {
        scheduler = new BpfScheduler({ capacity: runs });
        for (let i = 0; i < runs; i++) scheduler.submit({ program: loaded, mem });
        last = (await scheduler.drain()).at(-1)!;
      } else {
        const o = loaded.attempt(mem);
        last = {
          ticket: 1,
          label: "1",
          attempt: 1,
          value: o.value,
          error: o.fault !== null && !o.recovered ? o.fault : undefined,
          fault: o.fault ?? undefined,
          recovered: o.recovered,
          refused: o.refused,
          skipped: false,
          missedDeadline: false,
          submittedAt: 0,
          startedAt: 0,
          finishedAt: 0,
        };
      }
      if (stats) {
        writeSync("stdout", statsText(loaded, loaded.stats()));
        writeSync("stdout", schedulerText(scheduler!.stats()));
      }
      if (last.error !== undefined) throw last.error;
      if (last.recovered && last.fault !== undefined) {
        writeSync("stderr", `fault recovered with the fallback value: ${last.fault.message}\n`);
      }
      if (last.refused) writeSync("stderr", "the program is disabled: fallback value\n");
      value = last.value!;
      executed = loaded.runner.executed;
      counted = loaded.engine !== "interpreter";
    }
    writeSync("stdout", `0x${value.toString(16)} (${value})\n`);
    if (flags.values.verbose === true) {
      writeSync(
        "stderr",
        `${executed} instructions executed${counted ? " (counted per block)" : ""}\n`,
      );
    }
    return 0;
  },
};
