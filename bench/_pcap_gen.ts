/**
 * Generates benchmark captures with the project's writer: a repeating mix of conversations so
 * that every correlation mode has work — a DNS query and its response (UDP), a relay pair (the
 * same payload in over UDP and out over TCP, echoed back by the server), and a TCP connection
 * with handshake, an HTTP request and response and both FINs, with real sequence and
 * acknowledgment numbers (so that stream reassembly has a stream to put together). Eleven
 * packets per round; every round uses new ports, DNS id and payload bytes.
 *
 * @module
 */
import { buildPacket } from "../lib/testing/mod.ts";
import { PcapWriter } from "../lib/pcap/mod.ts";

/** Options for {@linkcode generateCapture}. */
export interface GenerateOptions {
  /** Packets to write (rounded up to whole rounds). */
  packets: number;
  /** Extra payload bytes on the HTTP response (default 0; large values make big files fast). */
  bulkBytes?: number;
  /**
   * Send the HTTP response in two segments, the second first (it waits for the first), and
   * the request twice (a retransmission): work for stream reassembly (default `false`).
   */
  disorder?: boolean;
  /** Called now and then with the number of packets written. */
  progress?: (n: number) => void;
}

interface Template {
  bytes: Uint8Array;
  /** Offsets to patch: client port, DNS id, payload serial (8 ASCII hex digits). */
  port: number[];
  id: number[];
  serial: number[];
  gapNs: number;
}

const enc = new TextEncoder();

function find(hay: Uint8Array, needle: Uint8Array): number[] {
  const out: number[] = [];
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    out.push(i);
  }
  return out;
}

function templates(bulk: number, disorder: boolean): Template[] {
  const C = "10.0.0.1", D = "10.0.0.53", R = "10.0.0.10", S = "10.0.0.20", W = "10.0.0.80";
  const PORT = 0xabcd; // patched per round (as two bytes 0xab 0xcd)
  const SER = "SSSSSSSS";
  // Initial sequence numbers of the HTTP connection's client and server.
  const ISN_C = 0x10000000, ISN_S = 0x20000000;
  const dns = (resp: boolean) =>
    new Uint8Array([
      0x12,
      0x34,
      resp ? 0x81 : 0x01,
      resp ? 0x80 : 0,
      0,
      1,
      0,
      resp ? 1 : 0,
      0,
      0,
      0,
      0,
      ...[3, ...enc.encode("www"), 7, ...enc.encode("example"), 4, ...enc.encode("test"), 0],
      0,
      1,
      0,
      1,
      ...(resp ? [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 80] : []),
    ]);
  const relay = enc.encode(`relay-msg-${SER}\n`);
  const req = enc.encode(`GET /item/${SER} HTTP/1.1\r\nHost: www.example.test\r\n\r\n`);
  const res = new Uint8Array([
    ...enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${8 + bulk}\r\n\r\n${SER}`),
    ...new Uint8Array(bulk).fill(0x61),
  ]);
  const request: Parameters<typeof buildPacket>[0] = {
    src: C,
    dst: W,
    proto: "tcp",
    srcPort: PORT,
    dstPort: 80,
    tcpFlags: 0x18,
    seq: ISN_C + 1,
    ack: ISN_S + 1,
  };
  const response: Parameters<typeof buildPacket>[0] = {
    src: W,
    dst: C,
    proto: "tcp",
    srcPort: 80,
    dstPort: PORT,
    tcpFlags: 0x18,
    seq: ISN_S + 1,
    ack: ISN_C + 1 + req.length,
  };
  const half = Math.floor(res.length / 2);
  const specs: [Parameters<typeof buildPacket>[0], number][] = [
    [{ src: C, dst: D, srcPort: PORT, dstPort: 53, payload: dns(false) }, 1000],
    [{ src: D, dst: C, srcPort: 53, dstPort: PORT, payload: dns(true) }, 40000],
    [{ src: C, dst: R, srcPort: PORT, dstPort: 5000, payload: relay }, 1000],
    [
      {
        src: R,
        dst: S,
        proto: "tcp",
        srcPort: PORT,
        dstPort: 6000,
        tcpFlags: 0x18,
        payload: relay,
      },
      500,
    ],
    [
      {
        src: S,
        dst: R,
        proto: "tcp",
        srcPort: 6000,
        dstPort: PORT,
        tcpFlags: 0x18,
        payload: relay,
      },
      9000,
    ],
    [
      { src: C, dst: W, proto: "tcp", srcPort: PORT, dstPort: 80, tcpFlags: 0x02, seq: ISN_C },
      2000,
    ],
    [
      {
        src: W,
        dst: C,
        proto: "tcp",
        srcPort: 80,
        dstPort: PORT,
        tcpFlags: 0x12,
        seq: ISN_S,
        ack: ISN_C + 1,
      },
      20000,
    ],
    [{ ...request, payload: req }, 1000],
    ...(disorder
      ? [
        [
          { ...request, payload: req },
          500,
        ] as [Parameters<typeof buildPacket>[0], number],
        [
          { ...response, seq: ISN_S + 1 + half, payload: res.subarray(half) },
          30000,
        ] as [Parameters<typeof buildPacket>[0], number],
        [
          { ...response, payload: res.subarray(0, half) },
          500,
        ] as [Parameters<typeof buildPacket>[0], number],
      ]
      : [[{ ...response, payload: res }, 30000] as [Parameters<typeof buildPacket>[0], number]]),
    [
      {
        src: C,
        dst: W,
        proto: "tcp",
        srcPort: PORT,
        dstPort: 80,
        tcpFlags: 0x11,
        seq: ISN_C + 1 + req.length,
        ack: ISN_S + 1 + res.length,
      },
      1000,
    ],
    [
      {
        src: W,
        dst: C,
        proto: "tcp",
        srcPort: 80,
        dstPort: PORT,
        tcpFlags: 0x11,
        seq: ISN_S + 1 + res.length,
        ack: ISN_C + 2 + req.length,
      },
      1000,
    ],
  ];
  return specs.map(([spec, gapNs]) => {
    const bytes = buildPacket(spec);
    return {
      bytes,
      port: find(bytes, new Uint8Array([0xab, 0xcd])),
      id: find(bytes, new Uint8Array([0x12, 0x34])),
      serial: find(bytes, enc.encode(SER)),
      gapNs,
    };
  });
}

const HEX = enc.encode("0123456789abcdef");

/**
 * Writes a capture of about `packets` packets to `path` (nanosecond pcap, Ethernet).
 *
 * @param path Where to write.
 * @param options {@linkcode GenerateOptions}.
 * @returns Packets and bytes written.
 */
export function generateCapture(
  path: string,
  options: GenerateOptions,
): { packets: number; bytes: number } {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  let bytes = 0;
  const w = new PcapWriter({
    nanos: true,
    bufferSize: 4 << 20,
    sink: (chunk) => {
      let done = 0;
      while (done < chunk.length) done += file.writeSync(chunk.subarray(done));
      bytes += chunk.length;
    },
  });
  const tpl = templates(options.bulkBytes ?? 0, options.disorder ?? false);
  const rounds = Math.ceil(options.packets / tpl.length);
  let sec = 1_800_000_000, nsec = 0;
  for (let r = 0; r < rounds; r++) {
    const port = 1024 + (r % 64000);
    const id = r & 0xffff;
    for (const t of tpl) {
      const b = t.bytes;
      for (const o of t.port) {
        b[o] = port >> 8;
        b[o + 1] = port & 255;
      }
      for (const o of t.id) {
        b[o] = id >> 8;
        b[o + 1] = id & 255;
      }
      for (const o of t.serial) {
        for (let k = 0; k < 8; k++) b[o + k] = HEX[(r >>> (28 - 4 * k)) & 15];
      }
      nsec += t.gapNs;
      if (nsec >= 1e9) {
        sec++;
        nsec -= 1e9;
      }
      w.writePacket(b, { tsSec: sec, tsNsec: nsec });
    }
    if (options.progress && r % 50000 === 0) options.progress(r * tpl.length);
  }
  w.flush();
  file.close();
  return { packets: rounds * tpl.length, bytes };
}
