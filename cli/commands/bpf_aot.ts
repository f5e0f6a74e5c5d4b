/**
 * `mxy bpf aot`: verifies a program under a profile and compiles it ahead of time into an ES
 * module or a WebAssembly module that runs without generating code.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, stringFlag, UsageError } from "../_command.ts";
import { assemble, BpfVm, getBpfProfile, loadElf } from "../../lib/bpf/mod.ts";
import { bpfConformanceHelpers, parseBpfConformance } from "../../lib/testing/mod.ts";
import { writeFileAtomic } from "../../lib/runtime/mod.ts";
import { programFromBytes } from "./_bpf_common.ts";
import { readFile, writeSync } from "../_io.ts";

const HELP = `Usage: mxy bpf aot FILE --target js|wasm -o OUT [--profile NAME] [--program NAME]
                    [--packet N | --ctx N] [--name NAME]

Verifies an eBPF program under a profile and compiles it ahead of time into an artifact that
runs without generating code (no eval, no new Function; fine under a strict Content Security
Policy or node --disallow-code-generation-from-strings):

  --target js    an ES module (OUT, e.g. prog.js or prog.mjs) exporting run(memory, context?),
                 createRunner(context?), meta and maps, with TypeScript declarations beside it
                 (prog.d.ts); it carries its own runtime, so it needs no library
  --target wasm  a WebAssembly module (OUT, e.g. prog.wasm); its imports (bpf.memory, the
                 helpers, the maps) and exports are described in docs/BPF.md

Both record the format, the profile, the bytecode and its SHA-256, a SHA-256 of the code, the
maps and the helpers. The library loads them with BpfVm.loadArtifact (a VM of the same profile:
the embedded profile has no JIT and runs artifacts made under it), and \`mxy bpf run OUT\` runs
them. FILE is assembler text, hex or raw bytecode, a conformance .data case (helpers 0-5), or an
ELF object from clang -O2 -target bpf -c (its maps are recorded; --program picks the program).

Options:
  --target T        js or wasm (required)
  -o, --output OUT  the artifact (required; written to a temporary file, then renamed)
  --profile NAME    cloud (default) or embedded
  --program NAME    the program of an ELF object with several
  --packet N        R1 points to a packet of at most N bytes (default 65535)
  --ctx N           R1 points to a context of exactly N bytes
  --name NAME       the program's name in the artifact (default: FILE's name)
  -h, --help        show this help`;

const SPEC = {
  target: { type: "string" },
  output: { type: "string", short: "o" },
  profile: { type: "string" },
  program: { type: "string" },
  packet: { type: "string" },
  ctx: { type: "string" },
  name: { type: "string" },
} as const;

function isElf(data: Uint8Array): boolean {
  return data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

/** Where the declarations of an ES module artifact go: `x.js` → `x.d.ts`, `x.mjs` → `x.d.mts`. */
function declarationPath(out: string): string {
  if (out.endsWith(".mjs")) return out.slice(0, -4) + ".d.mts";
  if (out.endsWith(".js")) return out.slice(0, -3) + ".d.ts";
  return out + ".d.ts";
}

/** The `bpf aot` command. */
export const command: Command = {
  name: "aot",
  summary: "compile an eBPF program ahead of time into an ES or WebAssembly module",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, { spec: SPEC, help: HELP });
    if (flags.positionals.length !== 1) throw new UsageError("bpf aot takes one FILE");
    const path = flags.positionals[0];
    const target = flags.values.target;
    if (target !== "js" && target !== "wasm") {
      throw new UsageError("--target must be js or wasm");
    }
    const out = flags.values.output;
    if (typeof out !== "string") throw new UsageError("bpf aot needs -o OUT");
    let profile;
    try {
      profile = getBpfProfile(stringFlag(flags, "profile", "cloud"));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (flags.values.packet !== undefined && flags.values.ctx !== undefined) {
      throw new UsageError("Give either --packet or --ctx, not both");
    }
    const input = flags.values.ctx !== undefined
      ? { kind: "ctx" as const, size: intFlag(flags, "ctx", 0) }
      : { kind: "packet" as const, size: intFlag(flags, "packet", 65535) };
    const data = await readFile(path);
    const elf = isElf(data);
    if (!elf && flags.values.program !== undefined) {
      throw new UsageError("--program applies to ELF objects");
    }
    const base = path.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
    let name = stringFlag(flags, "name", base);
    const helpers = path.endsWith(".data") ? bpfConformanceHelpers() : undefined;
    const vm = new BpfVm({ profile, helpers });
    let bytes: Uint8Array | undefined;
    let program;
    if (elf) {
      const obj = loadElf(vm, data, { file: path, input });
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
      program = chosen.program;
      if (flags.values.name === undefined) name = chosen.name;
    } else if (path.endsWith(".data")) {
      const c = parseBpfConformance(new TextDecoder().decode(data), { name: path });
      bytes = c.raw ?? assemble(c.asm ?? "", { file: path });
    } else bytes = programFromBytes(data, path).bytes;
    const artifact = vm.compileArtifact(program ?? bytes!, { target, input, name });
    await writeFileAtomic(out, artifact.code);
    if (target === "js") {
      await writeFileAtomic(declarationPath(out), new TextEncoder().encode(artifact.declarations));
    }
    const m = artifact.meta;
    const slots = program?.slotCount ?? bytes!.length / 8;
    writeSync(
      "stdout",
      `${out}: ${target} artifact of "${m.name}" (${m.profile} profile, ${slots} slots, ${m.maps.length} maps, helpers [${
        m.helpers.join(", ")
      }]), ${artifact.code.length} bytes, sha256 ${m.checksum.slice(0, 16)}…\n`,
    );
    return 0;
  },
};
