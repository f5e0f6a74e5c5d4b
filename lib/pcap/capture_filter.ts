/**
 * Filtering captures with classic BPF: keep the packets a program accepts, as
 * `tcpdump -r IN -w OUT EXPR` does. Compiling a filter expression to a program runs tcpdump:
 * `compileFilterExpression` in `@mxy/mxy/deno`.
 *
 * @module
 */
import { BpfVm, type CbpfInstruction, cbpfToEbpf, compileCbpf } from "../bpf/mod.ts";
import { type CaptureSource, forEachPacket } from "./capture_reader.ts";
import { PcapError } from "./pcap_error.ts";
import { PcapWriter } from "./writer.ts";
import { LinkType } from "./packet_view.ts";

/** The largest packet the eBPF engine is verified for (the pcap snapshot-length maximum). */
const MAX_PACKET = 262144;

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
 * @param source The capture: bytes (plain or gzip), a stream or a positional source.
 * @param program The classic instructions (validated here).
 * @param options A name for messages, a limit and the engine.
 * @returns The output bytes and counts.
 * @throws {PcapError} `mixed-link-types` for a capture with several link types, or the
 *   reader's errors.
 * @throws {BpfError} `cbpf-invalid` for a program that does not validate.
 * @example
 * ```ts
 * import { filterCapture, PcapWriter } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: 1 });
 * w.writePacket(new Uint8Array([7, 1, 2]));
 * w.writePacket(new Uint8Array([8, 1, 2]));
 * // ldb [0]; jeq #7 → ret #65535 : ret #0
 * const program = [
 *   { code: 0x30, jt: 0, jf: 0, k: 0 },
 *   { code: 0x15, jt: 0, jf: 1, k: 7 },
 *   { code: 0x06, jt: 0, jf: 0, k: 65535 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ];
 * const r = await filterCapture(w.toBytes(), program);
 * assert.deepEqual([r.packets, r.kept], [2, 1]);
 * ```
 */
export async function filterCapture(
  source: CaptureSource,
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
      throw new PcapError(
        "mixed-link-types",
        `Packet ${v.number} has link type ${v.linktype} but the first packet has ${linktype}: one classic program cannot filter both`,
        { file: options.name, packets: packets - 1 },
      );
    }
    if (!accept(v.buf, v.dataOffset, v.caplen, v.origlen)) return true;
    if (writer === null) writer = new PcapWriter({ format: "pcap", linktype, nanos: true });
    writer.writeView(v);
    kept++;
    return kept < limit;
  }, { decode: false, name: options.name });
  if (linktype < 0) linktype = summary.linktypes[0] ?? LinkType.ETHERNET;
  const out: PcapWriter = writer ?? new PcapWriter({ format: "pcap", linktype, nanos: true });
  return { bytes: out.toBytes(), packets, kept, linktype };
}

/**
 * Returns the link type of a capture's first packet (Ethernet when it has none), to compile a
 * filter expression for it. Reads only up to the first packet.
 *
 * @param source The capture: bytes, a stream or a positional source.
 * @returns The link type number.
 * @throws {PcapError} When the input is not a capture.
 * @example
 * ```ts
 * import { captureLinkType, LinkType, PcapWriter } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ linktype: LinkType.LINUX_SLL });
 * w.writePacket(new Uint8Array(16));
 * assert.equal(await captureLinkType(w.toBytes()), LinkType.LINUX_SLL);
 * ```
 */
export async function captureLinkType(source: CaptureSource): Promise<number> {
  let linktype = -1;
  const s = await forEachPacket(source, (v) => {
    linktype = v.linktype;
    return false;
  }, { decode: false });
  return linktype >= 0 ? linktype : (s.linktypes[0] ?? LinkType.ETHERNET);
}
