/**
 * `mxy bpf aot`: verifies a program under a profile and compiles it ahead of time into an ES
 * module or a WebAssembly module that runs without generating code.
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { assemble, BpfVm, loadElf } from "../../lib/bpf/mod.ts";
import { bpfConformanceHelpers, parseBpfConformance } from "../../lib/testing/mod.ts";
import { writeFileAtomic } from "../../lib/runtime/mod.ts";
import { pickElfProgram, profileOf, profileOption, programFromBytes } from "./_bpf_common.ts";
import { readFile, writeSync } from "../_io.ts";

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
export const command = defineCommand({
  name: "bpf aot",
  summary: "Compile an eBPF program ahead of time into an ES or WebAssembly module",
  arguments: [{
    name: "FILE",
    description: "Assembler text, hex or raw bytecode, a conformance .data case (helpers 0-5), " +
      "or an ELF object from clang -O2 -target bpf -c (its maps are recorded)",
  }],
  description: [
    "Verifies an eBPF program under a profile and compiles it ahead of time into an artifact " +
    "that runs without generating code (no eval, no new Function; fine under a strict Content " +
    "Security Policy or node --disallow-code-generation-from-strings).",
    "Both targets record the format, the profile, the bytecode and its SHA-256, a SHA-256 of " +
    "the code, the maps and the helpers. The library loads them with BpfVm.loadArtifact (a VM " +
    "of the same profile: the embedded profile has no JIT and runs artifacts made under it), " +
    "and `mxy bpf run OUT` runs them.",
    'Programs of a typed context (SEC("xdp"), SEC("socket") …: r1 an xdp_md or __sk_buff ' +
    "built by the VM) cannot be compiled ahead of time yet: they are refused, unless --type " +
    "unspec says r1 is the memory itself.",
  ],
  options: [
    {
      name: "target",
      type: "enum",
      value: "T",
      choices: ["js", "wasm"],
      required: true,
      description: "What to write (see Targets below)",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "OUT",
      required: true,
      description: "The artifact (written to a temporary file, then renamed)",
    },
    profileOption("The verifier's profile, recorded in the artifact"),
    {
      name: "program",
      type: "string",
      value: "NAME",
      complete: "none",
      description: "The program of an ELF object with several",
    },
    {
      name: "packet",
      type: "int",
      min: 0,
      max: 0x7fffffff,
      defaultText: "65535",
      description: "R1 points to a packet of at most N bytes",
    },
    {
      name: "ctx",
      type: "int",
      min: 0,
      max: 0x7fffffff,
      description: "R1 points to a context of exactly N bytes",
    },
    {
      name: "name",
      type: "string",
      value: "NAME",
      complete: "none",
      defaultText: "FILE's name",
      description: "The program's name in the artifact",
    },
    {
      name: "type",
      type: "enum",
      value: "unspec",
      choices: ["unspec"],
      choicesInDescription: true,
      defaultText: "an ELF program's section",
      description: "Compile an ELF object's program with r1 the memory itself (unspec)",
    },
  ],
  sections: [{
    title: "Targets",
    rows: [
      [
        "js",
        "An ES module (OUT, e.g. prog.js or prog.mjs) exporting run(memory, context?), " +
        "createRunner(context?), meta and maps, with TypeScript declarations beside it " +
        "(prog.d.ts); it carries its own runtime, so it needs no library",
      ],
      [
        "wasm",
        "A WebAssembly module (OUT, e.g. prog.wasm); its imports (bpf.memory, the helpers, the " +
        "maps) and exports are described in docs/BPF.md",
      ],
    ],
  }],
  examples: [
    "mxy bpf aot filter.asm --target wasm -o filter.wasm && mxy bpf run filter.wasm",
    "mxy bpf aot prog.o --program xdp_pass --target js -o xdp.mjs --profile embedded",
  ],
  async run(inv) {
    const [path] = inv.positionals;
    const target = inv.string("target") as "js" | "wasm";
    const out = inv.string("output")!;
    const profile = profileOf(inv);
    if (inv.has("packet") && inv.has("ctx")) {
      throw inv.usage("Give either --packet or --ctx, not both");
    }
    const input = inv.has("ctx")
      ? { kind: "ctx" as const, size: inv.int("ctx")! }
      : { kind: "packet" as const, size: inv.int("packet") ?? 65535 };
    const data = await readFile(path);
    const elf = isElf(data);
    if (!elf && inv.has("program")) throw inv.usage("--program applies to ELF objects");
    const base = path.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
    let name = inv.string("name") ?? base;
    const helpers = path.endsWith(".data") ? bpfConformanceHelpers() : undefined;
    const vm = new BpfVm({ profile, helpers });
    let bytes: Uint8Array | undefined;
    let program;
    if (elf) {
      const pick = pickElfProgram(data, path, inv.string("program"));
      const programType = inv.has("type") ? "unspec" : undefined;
      const obj = loadElf(vm, data, { file: path, input, programType, programs: [pick] });
      const chosen = obj.programs.get(pick)!;
      if (chosen.programType !== "unspec") {
        throw inv.usage(
          `${chosen.name} is a ${chosen.programType} program: artifacts of typed programs are ` +
            "not supported yet (their context is built by the VM); --type unspec compiles it " +
            "with r1 as the memory itself",
        );
      }
      program = chosen.program;
      if (!inv.has("name")) name = chosen.name;
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
});
