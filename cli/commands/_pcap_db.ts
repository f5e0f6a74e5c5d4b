/**
 * What the `mxy pcap` commands that look packets up in a database share: opening the database
 * (`--db` or the first argument), user plugins (`--plugin`), and the packet selector of
 * `--filter` and `--bpf` (an expression, a classic program file, or an eBPF object run in mxy's
 * VM with the packet as its memory).
 *
 * @module
 */
import { UsageError } from "../_command.ts";
import { Database, type DatabaseChecks, FormatError } from "../../lib/db/mod.ts";
import { openDatabase } from "../../lib/runtime/mod.ts";
import { BpfError, BpfVm, type LoadedBpfProgram, loadElf, parseCbpf } from "../../lib/bpf/mod.ts";
import { PacketSelector } from "../../lib/pcap/mod.ts";
import {
  createDefaultRegistry,
  type ProtocolPlugin,
  type ProtocolRegistry,
} from "../../lib/dpi/mod.ts";
import { readFile, statFile } from "../_io.ts";
import { programFromBytes } from "./_bpf_common.ts";

/** The largest packet an eBPF selector is verified for and given (longer ones: their start). */
export const BPF_MAX_PACKET = 65535;

/**
 * Opens a database read into memory (never mapped: a long watch must survive the file being
 * replaced). A file that is not a database is a failure naming it.
 *
 * @param path The file.
 * @returns The database.
 */
export async function openDb(path: string): Promise<Database> {
  try {
    return await openDatabase(path);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError(
      "bad-input",
      err instanceof Error ? err.message : `Cannot open database "${path}": ${String(err)}`,
    );
  }
}

function isElf(data: Uint8Array): boolean {
  return data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

/**
 * Loads an eBPF program to run on every packet: an ELF object from `clang -target bpf` (its
 * maps are created; `program` picks one of several), or assembler text, hex or raw bytecode.
 * It is verified for a packet of up to {@linkcode BPF_MAX_PACKET} bytes (`R1`, length in
 * `R2`) before any packet is read: a program the verifier refuses fails here with its message.
 *
 * @param path The file.
 * @param options The program's name and whether to use the JIT.
 * @returns The loaded program.
 */
export async function loadPacketProgram(
  path: string,
  options: { program?: string; jit?: boolean },
): Promise<LoadedBpfProgram> {
  const data = await readFile(path);
  const vm = new BpfVm({ profile: "cloud" });
  const input = { kind: "packet" as const, size: BPF_MAX_PACKET };
  if (!isElf(data)) {
    if (options.program !== undefined) throw new UsageError("--program applies to ELF objects");
    const bytes = programFromBytes(data, path).bytes;
    try {
      return vm.load(bytes, { input, jit: options.jit, name: path });
    } catch (err) {
      // the verifier's message, with the file it is about
      if (err instanceof BpfError && err.file === "") {
        throw new BpfError(err.code, `${path}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
  // R1 = the packet's bytes, R2 = its length, whatever the object's section says (a typed
  // program's context is built by LoadedBpfProgram.run, which the selector does not call).
  const obj = loadElf(vm, data, { file: path, input, jit: options.jit, programType: "unspec" });
  const names = [...obj.programs.keys()];
  if (options.program === undefined && names.length !== 1) {
    throw new UsageError(
      `${path} has ${names.length} programs; pick one with --program: ${names.join(", ")}`,
    );
  }
  const chosen = obj.programs.get(options.program ?? names[0]);
  if (chosen === undefined) {
    throw new UsageError(
      `${path} has no program "${options.program}"; programs: ${names.join(", ")}`,
    );
  }
  return chosen;
}

/**
 * The selector of `--filter VALUE` (an expression, or the path of a classic program printed by
 * `tcpdump -ddd`/`-dd`, or of an eBPF object) and `--bpf FILE`; `undefined` without either.
 *
 * @param filter The `--filter` value.
 * @param bpf The `--bpf` value.
 * @param options `--program`, the engine (`jit`: JIT unless `--interpreter`) and whether
 *   `--jit`/`--interpreter` was given (`engineFlag`).
 * @returns The selector.
 */
export async function packetSelector(
  filter: string | undefined,
  bpf: string | undefined,
  options: { program?: string; jit?: boolean; engineFlag?: boolean },
): Promise<PacketSelector | undefined> {
  if (filter !== undefined && bpf !== undefined) {
    throw new UsageError("--filter and --bpf do not go together: give one");
  }
  if ((options.program !== undefined || options.engineFlag === true) && bpf === undefined) {
    const file = filter !== undefined && (await statFile(filter))?.isFile === true;
    if (!file) throw new UsageError("--program, --jit and --interpreter go with --bpf FILE");
  }
  if (bpf !== undefined) {
    return new PacketSelector(await loadPacketProgram(bpf, options), { maxPacket: BPF_MAX_PACKET });
  }
  if (filter === undefined) return undefined;
  if ((await statFile(filter))?.isFile === true) {
    const data = await readFile(filter);
    if (isElf(data)) {
      return new PacketSelector(await loadPacketProgram(filter, options), {
        maxPacket: BPF_MAX_PACKET,
      });
    }
    return new PacketSelector(parseCbpf(new TextDecoder().decode(data), { source: filter }));
  }
  if (filter.trim() === "") throw new UsageError("--filter needs an expression or a file");
  return new PacketSelector(filter);
}

/**
 * The default registry with the plugins of `--plugin` modules added: each module's default
 * export (or its `plugins` export) is a plugin, an array of them, or a function returning
 * either.
 *
 * @param paths The modules.
 * @returns The registry.
 */
export async function pluginRegistry(paths: readonly string[]): Promise<ProtocolRegistry> {
  const registry = createDefaultRegistry();
  for (const path of paths) {
    const url = new URL(path, `file://${Deno.cwd()}/`).href;
    let mod: Record<string, unknown>;
    try {
      mod = await import(url);
    } catch (err) {
      throw new UsageError(
        `--plugin ${path}: cannot load the module: ${err instanceof Error ? err.message : err}`,
      );
    }
    let value = mod.default ?? mod.plugins ?? mod.plugin;
    if (typeof value === "function") value = (value as () => unknown)();
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || list.some((p) => typeof p !== "object" || p === null)) {
      throw new UsageError(
        `--plugin ${path}: export a protocol plugin (or an array of them) as the default export`,
      );
    }
    for (const p of list) registry.register(p as ProtocolPlugin);
  }
  return registry;
}

/**
 * The worker module of the capture pipeline's tasks that look packets up in a database
 * (`match`, `flows-db`, `correlate-db`: `MATCH_TASKS` of `@mxy/mxy/match`).
 */
export const MATCH_WORKER: URL = new URL("./_pcap_match_worker.ts", import.meta.url);

/**
 * A database file's bytes in shared memory, for the pipeline's workers to open without a copy
 * each (opened and checked on this thread first, with {@linkcode openDb}).
 *
 * @param path The file.
 * @returns The bytes, shared.
 */
export async function sharedDatabase(path: string): Promise<SharedArrayBuffer> {
  const raw = await readFile(path);
  const shared = new SharedArrayBuffer(raw.length);
  new Uint8Array(shared).set(raw);
  return shared;
}

/**
 * A database file's bytes in shared memory with what opening them checked and built
 * (`Database.shareChecks`: the glob section's checks, the IPv4 jump table), for the pipeline's
 * workers to open without a copy and without checking again. A corrupt glob section fails here,
 * before any packet is read.
 *
 * @param path The file.
 * @returns The bytes, shared, and their checks.
 */
export async function sharedCheckedDatabase(
  path: string,
): Promise<{ db: SharedArrayBuffer; checked: DatabaseChecks }> {
  const db = await sharedDatabase(path);
  try {
    return { db, checked: Database.fromBytes(new Uint8Array(db)).shareChecks() };
  } catch (err) {
    if (err instanceof FormatError) {
      throw new FormatError(err.code, `Cannot open database "${path}": ${err.message}`);
    }
    throw err;
  }
}
