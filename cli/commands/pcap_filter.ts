/**
 * `mxy pcap filter`: keep the packets a pcap-filter expression (compiled by mxy) or a classic BPF
 * program (a `tcpdump -ddd` file) accepts.
 *
 * @module
 */
import { type CommandSpec, defineCommand, type Invocation } from "../_command.ts";
import {
  BpfVm,
  type CbpfInstruction,
  type LoadedBpfProgram,
  loadElf,
  parseCbpf,
} from "../../lib/bpf/mod.ts";
import { pickElfProgram } from "./_bpf_common.ts";
import { filterCapture, PcapError } from "../../lib/pcap/mod.ts";
import { openCaptureFile, openOutputFile } from "../../lib/runtime/mod.ts";
import { THREADS_OPTION, threadsOption } from "./_pcap_common.ts";
import { isTerminal, readFile, writeSync } from "../_io.ts";

const SPEC: CommandSpec = {
  name: "pcap filter",
  summary: "Keep the packets a filter expression (or a classic BPF program) accepts",
  arguments: [{
    name: "IN",
    description: "A pcap or pcapng capture, plain or .gz; - reads standard input",
  }],
  description: [
    "Runs a filter on every packet of the capture IN and writes the packets it accepts, as " +
    "\"tcpdump -r IN -w OUT EXPR\" does, in IN's format: classic pcap with IN's link type, " +
    "FCS length, byte order and timestamp resolution, or pcapng with one interface per link " +
    'type (a pcapng capture may mix link types). Filters see the captured bytes; "len", ' +
    '"less" and "greater" use the length on the wire; loads outside the captured bytes and ' +
    "division by zero reject the packet. Give exactly one of --expr, --cbpf and --ebpf.",
  ],
  options: [
    {
      name: "expr",
      type: "string",
      value: "EXPR",
      complete: "none",
      description: "A pcap-filter expression such as 'tcp port 80', compiled by mxy for the " +
        "link type of each interface (no tcpdump needed); see docs/PCAP.md",
    },
    {
      name: "cbpf",
      type: "string",
      value: "FILE",
      description: 'A classic program as printed by "tcpdump -ddd" (count line, then ' +
        '"code jt jf k" lines) or "tcpdump -dd" (C array)',
    },
    {
      name: "ebpf",
      type: "string",
      value: "OBJ",
      description: "An eBPF object from clang -target bpf (--program picks one): an XDP program " +
        "keeps the packets it passes (XDP_PASS, XDP_TX), a tc program those it does not drop, " +
        "a socket filter those it returns non-zero for (Ethernet captures)",
    },
    {
      name: "program",
      type: "string",
      value: "NAME",
      complete: "none",
      description: "With --ebpf: the program",
    },
    {
      name: "output",
      short: "o",
      type: "string",
      value: "OUT",
      defaultText: "standard output",
      description: 'Where to write the kept packets (a temporary file, then renamed); "-" is ' +
        "standard output",
    },
    {
      name: "engine",
      type: "enum",
      value: "NAME",
      choices: ["classic", "ebpf"],
      choicesInDescription: true,
      default: "classic",
      description:
        "The engine: classic (classic BPF compiled to JavaScript) or ebpf (translated to eBPF, " +
        "verified, run in the eBPF VM)",
    },
    {
      name: "jit",
      type: "boolean",
      description: "With --engine ebpf or --ebpf: use the eBPF JIT",
    },
    { name: "count", type: "int", min: 1, description: "Stop after N kept packets" },
    {
      ...THREADS_OPTION,
      defaultText: "1",
      description: "Accepted like the other pcap commands' --threads, but the filter runs on the " +
        "reading thread whatever N: filtering a packet costs less than handing it to a worker " +
        "(with workers, 2 threads measured 0.33x the packets/s of one)",
    },
    {
      name: "quiet",
      short: "q",
      type: "boolean",
      description: "Do not print the summary on standard error",
    },
  ],
  examples: [
    "mxy pcap filter --expr 'tcp port 80' capture.pcapng -o http.pcap",
    "mxy pcap filter --expr 'vlan 100 and udp and not host 10.0.0.1' in.pcap.gz -o out.pcap",
    "mxy pcap filter --expr 'udp port 53' capture.pcap | tcpdump -r - -n",
    "tcpdump -ddd -y EN10MB 'udp port 53' > dns.bpf",
    "mxy pcap filter --cbpf dns.bpf capture.pcap -o dns.pcap",
  ],
  run,
};

async function run(inv: Invocation): Promise<number> {
  const cbpf = inv.string("cbpf");
  const ebpf = inv.string("ebpf");
  const expr = inv.string("expr") ?? "";
  if ([cbpf !== undefined, inv.has("expr"), ebpf !== undefined].filter((x) => x).length !== 1) {
    throw inv.usage("Give exactly one of --expr EXPR, --cbpf FILE and --ebpf OBJ");
  }
  if (inv.has("program") && ebpf === undefined) throw inv.usage("--program goes with --ebpf");
  const engine = inv.string("engine") as "classic" | "ebpf";
  if (inv.flag("jit") && engine !== "ebpf" && ebpf === undefined) {
    throw inv.usage("--jit goes with --engine ebpf or --ebpf");
  }
  const out = inv.string("output") ?? "-";
  const toStdout = out === "-";
  if (toStdout && isTerminal("stdout")) {
    throw inv.usage("Standard output is a terminal; write the capture with -o OUT or to a pipe");
  }
  const threads = threadsOption(inv);
  if (ebpf !== undefined && threads > 1) {
    throw inv.usage("--ebpf runs on one thread: drop --threads");
  }
  const [input] = inv.positionals;
  let filter: string | CbpfInstruction[] | LoadedBpfProgram = expr;
  if (cbpf !== undefined) {
    filter = parseCbpf(new TextDecoder().decode(await readFile(cbpf)), { source: cbpf });
  } else if (ebpf !== undefined) {
    const bytes = await readFile(ebpf);
    const pick = pickElfProgram(bytes, ebpf, inv.string("program"));
    filter = loadElf(new BpfVm(), bytes, { file: ebpf, programs: [pick], jit: inv.flag("jit") })
      .programs.get(pick)!;
  }
  const file = await openCaptureFile(input);
  // A file is written to a temporary file, renamed over OUT at the end.
  const target = toStdout ? null : openOutputFile(out);
  let r;
  try {
    r = await filterCapture(file.source, filter, {
      name: input,
      limit: inv.int("count"),
      engine,
      jit: inv.flag("jit"),
      sink: target ? (chunk) => target.write(chunk) : (chunk) => writeSync("stdout", chunk),
      // No `parallel`: the reader filters (see --threads), as `filterCapture` does on one thread.
    });
    target?.commit();
  } catch (e) {
    target?.abort();
    throw e instanceof PcapError && e.column !== undefined ? pointAt(e, expr) : e;
  } finally {
    file.close();
  }
  if (!inv.flag("quiet")) {
    const where = toStdout ? "standard output" : out;
    writeSync("stderr", `Kept ${r.kept} of ${r.packets} packets -> ${where}\n`);
  }
  return 0;
}

/** The `pcap filter` command. */
export const command = defineCommand(SPEC);

/** The error again, with the expression and a caret under the offending column. */
function pointAt(e: PcapError, expression: string): PcapError {
  const caret = `${" ".repeat((e.column ?? 1) - 1)}^`;
  return new PcapError(e.code, `${e.message}\n  ${expression}\n  ${caret}`, {
    column: e.column,
    cause: e,
  });
}
