/**
 * `mxy pcap filter`: keep the packets a pcap-filter expression (compiled by mxy) or a classic BPF
 * program (a `tcpdump -ddd` file) accepts.
 *
 * @module
 */
import { type Command, parseFlags, stringFlag, UsageError } from "../_command.ts";
import { type CbpfInstruction, parseCbpf } from "../../lib/bpf/mod.ts";
import { filterCapture, PcapError } from "../../lib/pcap/mod.ts";
import { captureWorkers, openCaptureFile, openOutputFile } from "../../lib/runtime/mod.ts";
import { THREADS_HELP, threadsFlag } from "./_pcap_common.ts";
import { readFile, writeSync } from "../_io.ts";

const HELP = `Usage: mxy pcap filter (--expr EXPR | --cbpf FILE) IN -o OUT [options]

Runs a filter on every packet of the capture IN (pcap or pcapng, plain or .gz; - for standard
input) and writes the packets it accepts to OUT, as "tcpdump -r IN -w OUT EXPR" does, in IN's
format: classic pcap with IN's link type, FCS length, byte order and timestamp resolution, or
pcapng with one interface per link type (a pcapng capture may mix link types). Filters see the
captured bytes; "len", "less" and "greater" use the length on the wire; loads outside the
captured bytes and division by zero reject the packet.

Options:
  --expr EXPR       a pcap-filter expression such as 'tcp port 80', compiled by mxy for the
                    link type of each interface (no tcpdump needed); see docs/PCAP.md
  --cbpf FILE       a classic program as printed by "tcpdump -ddd" (count line, then
                    "code jt jf k" lines) or "tcpdump -dd" (C array)
  -o, --output OUT  where to write the kept packets (written to a temporary file, then renamed)
  --engine NAME     classic (default: classic BPF compiled to JavaScript) or ebpf (translated
                    to eBPF, verified, run in the eBPF VM)
  --jit             with --engine ebpf: use the eBPF JIT
  --count N         stop after N kept packets
${
  THREADS_HELP.replace(/^ {2}--threads N {10}/, "  --threads N       ").replace(
    /\n {23}/g,
    "\n                    ",
  )
}:
                    the workers run the filter, this thread reads and writes
  -q, --quiet       do not print the summary on standard error
  -h, --help        show this help

Examples:
  mxy pcap filter --expr 'tcp port 80' capture.pcapng -o http.pcap
  mxy pcap filter --expr 'vlan 100 and udp and not host 10.0.0.1' in.pcap.gz -o out.pcap
  tcpdump -ddd -y EN10MB 'udp port 53' > dns.bpf
  mxy pcap filter --cbpf dns.bpf capture.pcap -o dns.pcap`;

const SPEC = {
  cbpf: { type: "string" },
  expr: { type: "string" },
  output: { type: "string", short: "o" },
  count: { type: "string" },
  engine: { type: "string" },
  jit: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  threads: { type: "string" },
} as const;

/** The `pcap filter` command. */
export const command: Command = {
  name: "filter",
  summary: "Keep the packets a filter expression (or a classic BPF program) accepts",
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
    const threads = threadsFlag(flags);
    const input = flags.positionals[0];
    const filter: string | CbpfInstruction[] = cbpf !== ""
      ? parseCbpf(new TextDecoder().decode(await readFile(cbpf)), { source: cbpf })
      : expr;
    const file = await openCaptureFile(input);
    // The output streams to a temporary file, renamed over OUT at the end.
    const target = openOutputFile(out);
    let r;
    try {
      r = await filterCapture(file.source, filter, {
        name: input,
        limit: countText === "" ? undefined : Number(countText),
        engine,
        jit: flags.values.jit === true,
        sink: (chunk) => target.write(chunk),
        parallel: threads > 1 ? captureWorkers(threads) : undefined,
      });
      target.commit();
    } catch (e) {
      target.abort();
      throw e instanceof PcapError && e.column !== undefined ? pointAt(e, expr) : e;
    } finally {
      file.close();
    }
    if (flags.values.quiet !== true) {
      writeSync("stderr", `kept ${r.kept} of ${r.packets} packets -> ${out}\n`);
    }
    return 0;
  },
};

/** The error again, with the expression and a caret under the offending column. */
function pointAt(e: PcapError, expression: string): PcapError {
  const caret = `${" ".repeat((e.column ?? 1) - 1)}^`;
  return new PcapError(e.code, `${e.message}\n  ${expression}\n  ${caret}`, {
    column: e.column,
    cause: e,
  });
}
