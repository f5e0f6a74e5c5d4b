/**
 * `mxy pcap filter`: keep the packets a classic BPF program accepts, from a `tcpdump -ddd` file
 * or compiled from a filter expression by tcpdump.
 *
 * @module
 */
import { type Command, parseFlags, stringFlag, UsageError } from "../_command.ts";
import { type CbpfInstruction, parseCbpf } from "../../lib/bpf/mod.ts";
import {
  captureLinkType,
  type CaptureSource,
  filterCapture,
  PcapError,
} from "../../lib/pcap/mod.ts";
import {
  compileFilterExpression,
  openCaptureFile,
  writeFileAtomic,
} from "../../lib/runtime/mod.ts";
import { readFile } from "../_io.ts";
import { stdinStream, writeSync } from "../_io.ts";

const HELP = `Usage: mxy pcap filter (--cbpf FILE | --expr EXPR) IN -o OUT [options]

Runs a classic BPF program on every packet of the capture IN (pcap or pcapng, plain or .gz;
- for standard input) and writes the packets it accepts (non-zero return) to OUT as a classic
pcap file with nanosecond timestamps and IN's link type. The program runs with the kernel's and
libpcap's semantics: loads outside the packet and division by zero reject the packet.

Options:
  --cbpf FILE       the program as printed by "tcpdump -ddd" (count line, then "code jt jf k"
                    lines) or "tcpdump -dd" (C array)
  --expr EXPR       a pcap filter expression such as 'tcp port 80', compiled by running
                    "tcpdump -ddd -y LINKTYPE EXPR" for IN's link type (needs tcpdump)
  -o, --output OUT  where to write the kept packets (written to a temporary file, then renamed)
  --engine NAME     classic (default: the classic program compiled to JavaScript) or ebpf
                    (translated to eBPF, verified, run in the eBPF VM; BPF_LEN is then the
                    captured length)
  --jit             with --engine ebpf: use the eBPF JIT
  --count N         stop after N kept packets
  -q, --quiet       do not print the summary on standard error
  -h, --help        show this help

Examples:
  tcpdump -ddd -y EN10MB 'udp port 53' > dns.bpf
  mxy pcap filter --cbpf dns.bpf capture.pcap -o dns.pcap
  mxy pcap filter --expr 'tcp port 80' capture.pcapng -o http.pcap`;

const SPEC = {
  cbpf: { type: "string" },
  expr: { type: "string" },
  output: { type: "string", short: "o" },
  count: { type: "string" },
  engine: { type: "string" },
  jit: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
} as const;

/** The `pcap filter` command. */
export const command: Command = {
  name: "filter",
  summary: "Keep the packets a classic BPF program (or tcpdump expression) accepts",
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const flags = parseFlags(argv, { spec: SPEC, help: HELP });
    const cbpf = stringFlag(flags, "cbpf", "");
    const expr = stringFlag(flags, "expr", "");
    const out = stringFlag(flags, "output", "");
    if ((cbpf === "") === (expr === "")) {
      throw new UsageError("pcap filter needs exactly one of --cbpf FILE and --expr EXPR");
    }
    if (flags.positionals.length !== 1) {
      throw new UsageError(
        `pcap filter takes one input capture, got ${flags.positionals.length}`,
      );
    }
    if (out === "") throw new UsageError("pcap filter needs -o OUT");
    const countText = stringFlag(flags, "count", "");
    if (countText !== "" && !/^[1-9]\d*$/.test(countText)) {
      throw new UsageError(`--count takes a positive whole number, got "${countText}"`);
    }
    const engine = stringFlag(flags, "engine", "classic");
    if (engine !== "classic" && engine !== "ebpf") {
      throw new UsageError(`--engine takes classic or ebpf, got "${engine}"`);
    }
    if (flags.values.jit === true && engine !== "ebpf") {
      throw new UsageError("--jit goes with --engine ebpf");
    }
    const input = flags.positionals[0];
    // With --expr the link type is read first: standard input is then read into memory once.
    const stdin = expr !== "" && input === "-" ? await readStdin() : null;
    let program: CbpfInstruction[];
    if (cbpf !== "") {
      program = parseCbpf(new TextDecoder().decode(await readFile(cbpf)), { source: cbpf });
    } else {
      const linktype = await withCapture(input, stdin, (source) => captureLinkType(source));
      try {
        program = await compileFilterExpression(expr, { linktype });
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          throw new PcapError(
            "bad-filter-expression",
            "--expr needs tcpdump installed to compile the expression; use --cbpf with a program instead",
          );
        }
        throw e;
      }
    }
    const r = await withCapture(input, stdin, (source) =>
      filterCapture(source, program, {
        name: input,
        limit: countText === "" ? undefined : Number(countText),
        engine,
        jit: flags.values.jit === true,
      }));
    await writeFileAtomic(out, r.bytes);
    if (flags.values.quiet !== true) {
      writeSync("stderr", `kept ${r.kept} of ${r.packets} packets -> ${out}\n`);
    }
    return 0;
  },
};

/** Runs `read` on the capture: the bytes read from standard input, or the opened file. */
async function withCapture<T>(
  path: string,
  stdin: Uint8Array | null,
  read: (source: CaptureSource) => Promise<T>,
): Promise<T> {
  if (stdin !== null) return await read(stdin);
  const file = await openCaptureFile(path);
  try {
    return await read(file.source);
  } finally {
    file.close();
  }
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of stdinStream()) {
    chunks.push(c);
    n += c.length;
  }
  const all = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}
