/**
 * Filtering captures with classic BPF: keep the packets a program accepts, as `tcpdump -r IN
 * -w OUT EXPR` does, and compile filter expressions through an installed `tcpdump`.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { type CbpfInstruction, compileCbpf } from "./cbpf.ts";
import { parseCbpf } from "./cbpf_text.ts";
import { cbpfToEbpf } from "./cbpf_ebpf.ts";
import { BpfVm } from "./vm.ts";

/** The largest packet the eBPF engine is verified for (the pcap snapshot-length maximum). */
const MAX_PACKET = 262144;
import { forEachPacket } from "../pcap/reader.ts";
import { PcapWriter } from "../pcap/writer.ts";
import { runCommand } from "../runtime/process.ts";

/** Options for {@linkcode filterCapture}. */
export interface FilterCaptureOptions {
  /** The input's name in messages. */
  name?: string;
  /** Stop after this many kept packets (default: no limit). */
  limit?: number;
  /**
   * How to run the program: `"classic"` (default: compiled to JavaScript), or `"ebpf"`:
   * translated to eBPF, verified and run in the eBPF VM under the `cloud` profile (`BPF_LEN` is
   * then the captured length).
   */
  engine?: "classic" | "ebpf";
  /** With `engine: "ebpf"`: run in the eBPF JIT instead of the interpreter. */
  jit?: boolean;
}

/** The result of {@linkcode filterCapture}. */
export interface FilterCaptureResult {
  /** The kept packets as a classic pcap file (the input's link type, nanosecond timestamps). */
  bytes: Uint8Array;
  /** Packets read. */
  packets: number;
  /** Packets kept. */
  kept: number;
  /** The input's link type (of its first packet; Ethernet when there is none). */
  linktype: number;
}

/**
 * Runs a classic program on every packet of a capture and writes the accepted ones (those for
 * which it returns non-zero) to a classic pcap file, as libpcap's offline filter does: the
 * program sees the captured bytes, `BPF_LEN` is the original length, and the packet is kept
 * whole. A capture whose packets have several link types is refused: one program cannot fit
 * them all, and a classic pcap file holds one link type.
 *
 * @param source A capture path (pcap, pcapng, gzip, `-`) or its bytes.
 * @param program The classic instructions (validated here).
 * @param options A name for messages and a limit.
 * @returns The output bytes and counts; throws a `BpfError` (`"cbpf-invalid"`, or `"limit"` for
 *   mixed link types) or the reader's `PcapError`.
 * @example
 * ```ts
 * import { filterCapture } from "./cbpf_filter.ts";
 * import { PcapWriter } from "../pcap/writer.ts";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: 1 });
 * w.writePacket(new Uint8Array([7, 1, 2]));
 * w.writePacket(new Uint8Array([8, 1, 2]));
 * // ldb [0]; jeq #7 → ret #65535 : ret #0
 * const prog = [
 *   { code: 0x30, jt: 0, jf: 0, k: 0 },
 *   { code: 0x15, jt: 0, jf: 1, k: 7 },
 *   { code: 0x06, jt: 0, jf: 0, k: 65535 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ];
 * const r = await filterCapture(w.toBytes(), prog);
 * assert.deepEqual([r.packets, r.kept], [2, 1]);
 * ```
 */
export async function filterCapture(
  source: string | Uint8Array,
  program: readonly CbpfInstruction[],
  options: FilterCaptureOptions = {},
): Promise<FilterCaptureResult> {
  const classic = compileCbpf(program);
  let accept: (buf: Uint8Array, off: number, caplen: number, origlen: number) => boolean;
  if (options.engine === "ebpf") {
    const loaded = new BpfVm({ profile: "cloud" }).load(
      cbpfToEbpf(program, { maxPacket: MAX_PACKET }),
      {
        input: { kind: "packet", size: MAX_PACKET },
        jit: options.jit ?? false,
        name: "classic filter",
      },
    );
    accept = (buf, off, caplen) =>
      loaded.run(buf.subarray(off, off + Math.min(caplen, MAX_PACKET))) !== 0n;
  } else {
    accept = (buf, off, caplen, origlen) => classic.runAt(buf, off, caplen, origlen) !== 0;
  }
  let writer: PcapWriter | null = null;
  let linktype = -1;
  let packets = 0;
  let kept = 0;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const summary = await forEachPacket(source, (v) => {
    packets++;
    if (linktype < 0) {
      linktype = v.linktype;
    } else if (v.linktype !== linktype) {
      throw new BpfError(
        "limit",
        `Packet ${v.number} has link type ${v.linktype} but the first packet has ${linktype}: one classic program cannot filter both`,
        { file: options.name ?? (typeof source === "string" ? source : "") },
      );
    }
    if (!accept(v.buf, v.dataOffset, v.caplen, v.origlen)) return true;
    if (writer === null) writer = new PcapWriter({ format: "pcap", linktype, nanos: true });
    writer.writePacket(v.buf.subarray(v.dataOffset, v.dataOffset + v.caplen), {
      tsSec: v.tsSec,
      tsNsec: v.tsNsec,
      origlen: v.origlen,
    });
    kept++;
    return kept < limit;
  }, { decode: false, name: options.name });
  if (linktype < 0) linktype = summary.linktypes[0] ?? 1;
  const out: PcapWriter = writer ?? new PcapWriter({ format: "pcap", linktype, nanos: true });
  return { bytes: out.toBytes(), packets, kept, linktype };
}

/** tcpdump's names (`-y`) for the link types mxy reads. */
const DLT_NAMES: Readonly<Record<number, string>> = {
  0: "NULL",
  1: "EN10MB",
  9: "PPP",
  101: "RAW",
  105: "IEEE802_11",
  108: "LOOP",
  113: "LINUX_SLL",
  127: "IEEE802_11_RADIO",
  228: "IPV4",
  229: "IPV6",
  276: "LINUX_SLL2",
};

/** Options for {@linkcode compileFilterExpression}. */
export interface CompileFilterOptions {
  /** The link type of the packets the program will see (default 1, Ethernet). */
  linktype?: number;
  /** The tcpdump program to run (default `"tcpdump"`). */
  tcpdump?: string;
}

/**
 * Compiles a pcap filter expression (`tcp port 80`) to classic BPF by running
 * `tcpdump -ddd -y LINKTYPE EXPR`.
 *
 * @param expression The filter expression.
 * @param options The link type and the tcpdump binary.
 * @returns The instructions; throws a `BpfError` (`"cbpf-parse"`) when tcpdump rejects the
 *   expression or the link type has no tcpdump name, and `Deno.errors.NotFound` when tcpdump is
 *   not installed.
 * @example
 * ```ts ignore
 * import { compileFilterExpression } from "./cbpf_filter.ts";
 * import assert from "node:assert/strict";
 * const prog = await compileFilterExpression("udp port 53", { linktype: 1 });
 * assert.ok(prog.length > 4);
 * ```
 */
export async function compileFilterExpression(
  expression: string,
  options: CompileFilterOptions = {},
): Promise<CbpfInstruction[]> {
  const linktype = options.linktype ?? 1;
  const name = DLT_NAMES[linktype];
  if (name === undefined) {
    throw new BpfError(
      "cbpf-parse",
      `Cannot compile "${expression}": link type ${linktype} has no tcpdump name known to mxy`,
    );
  }
  const r = await runCommand(options.tcpdump ?? "tcpdump", ["-ddd", "-y", name, expression]);
  if (r.code !== 0) {
    const why = r.stderr.trim().split("\n").pop() ?? `exit code ${r.code}`;
    throw new BpfError("cbpf-parse", `tcpdump cannot compile "${expression}": ${why}`);
  }
  return parseCbpf(new TextDecoder().decode(r.stdout), { source: `tcpdump -ddd "${expression}"` });
}

/**
 * Returns the link type of a capture's first packet (Ethernet when it has none), to compile an
 * expression for it.
 *
 * @param source A capture path or its bytes.
 * @returns The link type number.
 * @example
 * ```ts
 * import { captureLinktype } from "./cbpf_filter.ts";
 * import { PcapWriter } from "../pcap/writer.ts";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: 113 });
 * w.writePacket(new Uint8Array(16));
 * assert.equal(await captureLinktype(w.toBytes()), 113);
 * ```
 */
export async function captureLinktype(source: string | Uint8Array): Promise<number> {
  let lt = -1;
  const s = await forEachPacket(source, (v) => {
    lt = v.linktype;
    return false;
  }, { decode: false });
  return lt >= 0 ? lt : (s.linktypes[0] ?? 1);
}
