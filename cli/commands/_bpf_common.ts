/**
 * What the `mxy bpf` commands share: reading a program (assembler text, hex or raw bytecode)
 * and memory given as a file or hex.
 *
 * @module
 */
import { type Invocation, type OptionSpec, UsageError } from "../_command.ts";
import {
  BPF_PROG_TYPE,
  type BpfProfile,
  type BpfProgramType,
  getBpfProfile,
  parseElf,
} from "../../lib/bpf/mod.ts";
import { assemble } from "../../lib/bpf/mod.ts";
import { readFile } from "../_io.ts";

/** How a program file was read. */
export interface ProgramInput {
  /** The bytecode. */
  bytes: Uint8Array;
  /** "asm", "hex" or "raw". */
  kind: "asm" | "hex" | "raw";
}

/**
 * Parses hex text (`0x` 64-bit words one per line, or bytes separated by spaces) into bytes.
 *
 * @param text The text.
 * @param where The file name or flag, for messages.
 * @returns The bytes, or `null` when the text is not hex.
 */
export function parseHex(text: string, where: string): Uint8Array | null {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/#.*/, "").trim()).filter((l) => l);
  if (lines.length === 0) return new Uint8Array(0);
  if (lines.every((l) => /^0x[0-9a-f]{1,16}$/i.test(l))) {
    const out = new Uint8Array(lines.length * 8);
    const v = new DataView(out.buffer);
    lines.forEach((l, i) => v.setBigUint64(i * 8, BigInt(l), true));
    return out;
  }
  const joined = lines.join(" ").replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(joined)) return null;
  if (joined.length === 0) throw new UsageError(`${where} holds no hex bytes`);
  const out = new Uint8Array(joined.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(joined.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function isText(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0 || (b < 9) || (b > 13 && b < 32)) return false;
  }
  return true;
}

/**
 * Reads a program: raw bytecode when the file is binary, hex words/bytes when it is hex text,
 * otherwise assembler source.
 *
 * @param path The file.
 * @returns The bytecode and how it was read.
 */
export async function readProgram(path: string): Promise<ProgramInput> {
  return programFromBytes(await readFile(path), path);
}

/**
 * Interprets a file's bytes as a program: raw bytecode when binary, hex when hex text,
 * otherwise assembler source.
 *
 * @param data The file's bytes.
 * @param path The file name, for messages.
 * @returns The bytecode and how it was read.
 */
export function programFromBytes(data: Uint8Array, path: string): ProgramInput {
  if (!isText(data)) return { bytes: data, kind: "raw" };
  const text = new TextDecoder().decode(data);
  const hex = parseHex(text, path);
  if (hex !== null) return { bytes: hex, kind: "hex" };
  return { bytes: assemble(text, { file: path }), kind: "asm" };
}

/**
 * Reads the run's memory from `--mem FILE` or `--mem-hex HEX`.
 *
 * @param file The file flag value.
 * @param hex The hex flag value.
 * @returns The bytes (empty when neither is given).
 */
export async function readMemory(
  file: string | undefined,
  hex: string | undefined,
): Promise<Uint8Array> {
  if (file !== undefined && hex !== undefined) {
    throw new UsageError("Give either --mem or --mem-hex, not both");
  }
  if (file !== undefined) return await readFile(file);
  if (hex !== undefined) {
    const bytes = parseHex(hex.replace(/^0x(?=[0-9a-f]*$)/i, ""), "--mem-hex");
    if (bytes === null) throw new UsageError(`--mem-hex is not hex: "${hex}"`);
    return bytes;
  }
  return new Uint8Array(0);
}

/** The profiles `--profile` takes. */
export const PROFILE_NAMES = ["cloud", "embedded"] as const;

/**
 * `--profile NAME`.
 *
 * @param description What the profile decides for this command.
 * @param defaultText The default, in words, when it is not simply cloud.
 * @returns The declaration.
 */
export function profileOption(description: string, defaultText?: string): OptionSpec {
  return {
    name: "profile",
    type: "enum",
    value: "NAME",
    choices: PROFILE_NAMES,
    ...(defaultText === undefined ? { default: "cloud" } : { defaultText }),
    description,
  };
}

/**
 * `--mem FILE` and `--mem-hex HEX`: the memory r1 points to.
 *
 * @param what What the memory is for this command.
 * @returns The declarations.
 */
export function memoryOptions(what: string): OptionSpec[] {
  return [
    { name: "mem", type: "string", value: "FILE", description: `${what}, read from FILE` },
    {
      name: "mem-hex",
      type: "string",
      value: "HEX",
      complete: "none",
      description: `${what}, as hex bytes ("00 01 02" or "000102")`,
    },
  ];
}

/**
 * The profile `--profile` names (cloud without it).
 *
 * @param inv The parsed call.
 * @param fallback The profile to use without `--profile`.
 * @returns The profile.
 */
export function profileOf(inv: Invocation, fallback = "cloud"): BpfProfile {
  return getBpfProfile(inv.string("profile") ?? fallback);
}

/**
 * Reads `--mem` or `--mem-hex` of a call.
 *
 * @param inv The parsed call.
 * @returns The bytes (empty when neither is given), and whether one was given.
 */
export async function memoryOf(inv: Invocation): Promise<{ bytes: Uint8Array; given: boolean }> {
  const file = inv.string("mem"), hex = inv.string("mem-hex");
  return { bytes: await readMemory(file, hex), given: file !== undefined || hex !== undefined };
}

/** The program types `--type` takes. */
export const PROGRAM_TYPE_NAMES: readonly string[] = Object.keys(BPF_PROG_TYPE);

/**
 * `--type NAME`: a program type (`xdp`, `socket_filter`, `sched_cls`, `kprobe`, `tracepoint` …,
 * or `unspec` for mxy's convention: r1 the memory, r2 its length).
 *
 * @param description What the type decides for this command.
 * @returns The declaration.
 */
export function programTypeOption(description: string): OptionSpec {
  return {
    name: "type",
    type: "enum",
    value: "NAME",
    choices: PROGRAM_TYPE_NAMES,
    choicesInDescription: true,
    description,
  };
}

/** What `--type` does, for the commands that load programs. */
export const TYPE_DESCRIPTION =
  "The program type: xdp, socket_filter, sched_cls, kprobe, tracepoint … (r1 is its context: " +
  "__sk_buff, xdp_md …; the memory is the packet or the context's bytes), or unspec (r1 the " +
  "memory, r2 its length); an ELF object's programs default to their section's type";

/**
 * The `--type` of a call.
 *
 * @param inv The parsed call.
 * @returns The type, or `undefined` when not given.
 */
export function programTypeOf(inv: Invocation): BpfProgramType | undefined {
  return inv.string("type") as BpfProgramType | undefined;
}

/**
 * The program of an ELF object a command works on: the one `--program` names, or the only one
 * loaded by default (a program of a program section, or a `.text` function when none).
 *
 * @param bytes The object.
 * @param path Its name, for messages.
 * @param want The `--program` value, if given.
 * @returns The program's name.
 */
export function pickElfProgram(bytes: Uint8Array, path: string, want: string | undefined): string {
  const programs = parseElf(bytes, { file: path }).programs;
  const names = programs.map((p) => p.name);
  if (want !== undefined) {
    if (!names.includes(want)) {
      throw new UsageError(`${path} has no program "${want}"; programs: ${names.join(", ")}`);
    }
    return want;
  }
  const main = programs.filter((p) => !p.subprogram);
  const candidates = (main.length > 0 ? main : programs).map((p) => p.name);
  if (candidates.length !== 1) {
    throw new UsageError(
      `${path} has ${candidates.length} programs; pick one with --program: ${
        candidates.join(", ")
      }`,
    );
  }
  return candidates[0];
}
