/**
 * `mxy bpf run`: verifies a program under a profile (or takes an artifact compiled ahead of time)
 * and runs it in the interpreter, the JIT or WebAssembly, once or several times through the
 * scheduler, printing r0 and, on request, the fault statistics.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { defineCommand } from "../_command.ts";
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
import {
  memoryOf,
  memoryOptions,
  pickElfProgram,
  PROFILE_NAMES,
  programFromBytes,
  programTypeOf,
  programTypeOption,
  TYPE_DESCRIPTION,
} from "./_bpf_common.ts";
import { readFile, writeSync } from "../_io.ts";

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
export const command = defineCommand({
  name: "bpf run",
  summary: "Run an eBPF program (or an artifact) and print r0",
  arguments: [{
    name: "FILE",
    description: "Assembler text, hex or raw bytecode, a conformance .data case, an ELF object " +
      "or an artifact of mxy bpf aot",
  }],
  description: [
    "Runs an eBPF program and prints r0 (hex, then decimal). FILE is assembler text, hex or " +
    'raw bytecode, a conformance .data case (its "-- mem" is the memory unless --mem/--mem-hex ' +
    "is given), an ELF object from clang -O2 -target bpf -c (its maps are created; --program " +
    "picks the program when it has several; it runs with its section's program type, so the " +
    "memory is the packet of an XDP, tc or socket filter program or the context's bytes of a " +
    "kprobe or tracepoint, and its bpf_trace_printk lines are printed on standard error after " +
    '"trace: "), or an artifact from `mxy bpf aot` (a .wasm module ' +
    "or a .js/.mjs ES module; it runs under the profile it was compiled for). r1 points to the " +
    "memory given with --mem/--mem-hex (empty otherwise) and r2 holds its length; r10 points " +
    "to the top of the stack.",
    "By default the program is verified under the profile and run with the profile's limits " +
    "(stack, instruction budget, call depth), the map helpers and the profile's fault policy: " +
    "under cloud a run-time fault (out-of-bounds access, budget, helper error) abandons the run " +
    "and the scheduler retries it with backoff; under embedded the run returns the fallback " +
    "value (0 unless --fallback), and 5 faults within a minute disable the program. With " +
    "--no-verify it runs directly with the bpf_conformance test helpers (0-5) and a 512-byte " +
    "stack.",
  ],
  options: [
    ...memoryOptions("The memory r1 points to"),
    {
      name: "engine",
      type: "enum",
      value: "NAME",
      choices: ["interpreter", "jit", "jit-js", "wasm"],
      choicesInDescription: true,
      default: "interpreter",
      description:
        "The engine: interpreter; jit: WebAssembly for a program without helper calls, atomics " +
        "or legacy packet loads, JavaScript otherwise; jit-js (JavaScript) or wasm " +
        "(WebAssembly) to choose; the JITs are refused by the embedded profile",
    },
    {
      name: "jit",
      type: "boolean",
      description: "The same as --engine jit (JavaScript with --no-verify)",
    },
    {
      name: "profile",
      type: "enum",
      value: "NAME",
      choices: PROFILE_NAMES,
      defaultText: "cloud; an artifact's own",
      description: "The verifier's profile, its limits and fault policy",
    },
    {
      name: "program",
      type: "string",
      value: "NAME",
      complete: "none",
      description: "The program (section or function name) to run from an ELF object",
    },
    {
      name: "packet",
      type: "int",
      min: 0,
      max: 0x7fffffff,
      defaultText: "a context of exactly the memory's size",
      description: "Verify r1 as a packet of at most N bytes, its length checked at run time",
    },
    {
      name: "runs",
      type: "int",
      min: 1,
      default: 1,
      description: "Run N times through the scheduler (faults retried or recovered)",
    },
    {
      name: "stats",
      type: "boolean",
      description: "Print the program's fault statistics and the scheduler's counters",
    },
    {
      name: "fallback",
      type: "string",
      value: "N",
      complete: "none",
      description: "The r0 of a faulting run under a recovery policy (embedded)",
    },
    {
      name: "no-verify",
      type: "boolean",
      description: "Skip the verifier; conformance helpers; 512-byte stack",
    },
    {
      name: "budget",
      type: "int",
      min: 1,
      defaultText: "1000000",
      description: "The instruction budget of --no-verify runs",
    },
    programTypeOption(TYPE_DESCRIPTION),
    {
      name: "verbose",
      short: "v",
      type: "boolean",
      description: "Also print the number of executed instructions",
    },
  ],
  examples: [
    "mxy bpf run prog.asm --mem-hex '01 02 03' --engine wasm",
    "mxy bpf run prog.o --program xdp_pass --packet 1500 --runs 100 --stats",
    "mxy bpf run prog.wasm --mem packet.bin",
  ],
  async run(inv) {
    const [path] = inv.positionals;
    const memory = await memoryOf(inv);
    let mem = memory.bytes;
    const memGiven = memory.given;
    const data = await readFile(path);
    const elf = isElf(data);
    const artifact = isWasm(data) || isJsArtifact(path, data);
    if (!elf && inv.has("program")) throw inv.usage("--program applies to ELF objects");
    if (inv.flag("jit") && inv.has("engine")) {
      throw inv.usage("Give either --jit or --engine, not both");
    }
    const engine = inv.flag("jit") ? "jit" : inv.string("engine") as
      | "interpreter"
      | "jit"
      | "jit-js"
      | "wasm";
    if (artifact && (inv.flag("jit") || inv.has("engine"))) {
      throw inv.usage("An artifact runs its own compiled code; drop --engine/--jit");
    }
    const runs = inv.int("runs")!;
    let fallback: bigint | undefined;
    const fallbackText = inv.string("fallback");
    if (fallbackText !== undefined) {
      try {
        fallback = BigInt.asUintN(64, BigInt(fallbackText));
      } catch {
        throw inv.usage(`--fallback takes an integer, got "${fallbackText}"`);
      }
    }
    const stats = inv.flag("stats");
    const programType = programTypeOf(inv);
    if (programType !== undefined && (artifact || inv.flag("no-verify"))) {
      throw inv.usage("--type applies to programs loaded through the verifier");
    }
    let bytes = data;
    if (elf || artifact) {
      if (inv.flag("no-verify")) {
        throw inv.usage(
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
    if (inv.flag("no-verify")) {
      if (inv.has("profile")) throw inv.usage("--profile and --no-verify do not go together");
      if (stats || runs !== 1 || fallback !== undefined || inv.has("packet")) {
        throw inv.usage("--stats, --runs, --fallback and --packet need a verified program");
      }
      const budget = inv.int("budget") ?? 1_000_000;
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
      if (inv.has("budget")) {
        throw inv.usage("--budget applies to --no-verify runs; profiles set their own");
      }
      let source: BpfArtifactSource | undefined;
      let profileName = inv.string("profile") ?? "cloud";
      if (artifact) {
        source = isWasm(data)
          ? data
          : await import(pathToFileURL(path).href) as BpfJsArtifactModule;
        if (!inv.has("profile")) profileName = readBpfArtifactMeta(source).profile;
      }
      // --profile is checked by its declaration; an artifact names its own.
      const profile = getBpfProfile(profileName);
      // A conformance case calls the suite's helpers 0-5, as `bpf verify` assumes for .data files.
      const helpers = path.endsWith(".data") ? bpfConformanceHelpers() : undefined;
      const vm = new BpfVm({ profile, helpers });
      const input = inv.has("packet")
        ? { kind: "packet" as const, size: inv.int("packet")! }
        : { kind: "ctx" as const, size: mem.length };
      if (artifact && inv.has("packet")) {
        throw inv.usage("An artifact records its input; drop --packet");
      }
      let loaded: LoadedBpfProgram;
      if (source !== undefined) loaded = vm.loadArtifact(source, { fallback });
      else if (elf) {
        const pick = pickElfProgram(bytes, path, inv.string("program"));
        const obj = loadElf(vm, bytes, {
          file: path,
          engine,
          input,
          fallback,
          programType,
          programs: [pick],
        });
        loaded = obj.programs.get(pick)!;
      } else loaded = vm.load(bytes, { engine, name: path, input, fallback, programType });
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
      for (const line of vm.traceLog) writeSync("stderr", `trace: ${line}\n`);
      counted = loaded.engine !== "interpreter";
    }
    writeSync("stdout", `0x${value.toString(16)} (${value})\n`);
    if (inv.flag("verbose")) {
      writeSync(
        "stderr",
        `${executed} instructions executed${counted ? " (counted per block)" : ""}\n`,
      );
    }
    return 0;
  },
});
