import assert from "node:assert/strict";
import fc from "fast-check";
import {
  FlowPacket,
  forEachPacketInBytes,
  TcpFlag,
  TcpReassembler,
  type TcpReassemblerOptions,
  type TcpStream,
  type TcpStreamEnd,
} from "../../lib/pcap/mod.ts";
import { hasProgram } from "../_fixtures.ts";
import { makeCapture, type TimedPacket } from "./_flow_captures.ts";

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;
const CLIENT = 0x0a000001, SERVER = 0x0a000002;

/** What a handler saw of each direction: bytes ("?" per gap byte), gaps, how it ended. */
interface Seen {
  text: number[];
  gaps: [number, number][];
  end: TcpStreamEnd | "";
  frames: number[];
}

function recorder(): {
  seen: Map<string, Seen>;
  handler: NonNullable<TcpReassemblerOptions["handler"]>;
} {
  const seen = new Map<string, Seen>();
  const of = (s: TcpStream) => (s.state as Seen);
  return {
    seen,
    handler: {
      open(s) {
        const rec: Seen = { text: [], gaps: [], end: "", frames: [] };
        s.state = rec;
        seen.set(`${s.connection}:${s.isOrig ? "orig" : "resp"}`, rec);
        return true;
      },
      data(s, bytes, offset, length) {
        assert.equal(of(s).text.length, s.offset, "data comes at the next offset");
        for (let i = 0; i < length; i++) of(s).text.push(bytes[offset + i]);
        of(s).frames.push(s.frame);
      },
      gap(s, length) {
        assert.equal(of(s).text.length, s.offset, "a gap comes at the next offset");
        of(s).gaps.push([s.offset, length]);
        for (let i = 0; i < length; i++) of(s).text.push(0x3f);
      },
      end(s, reason) {
        assert.equal(of(s).end, "", "a stream ends once");
        of(s).end = reason;
      },
    },
  };
}

/** A segment of the client → server direction (or back with `fromServer`). */
interface Seg {
  seq: number;
  payload?: Uint8Array;
  flags?: number;
  ack?: number;
  fromServer?: boolean;
  /** Bytes on the wire when more than the payload (cut by the snap length). */
  wire?: number;
  sec?: number;
}

function pusher(r: TcpReassembler) {
  const p = new FlowPacket();
  let frame = 0;
  return (s: Seg) => {
    if (s.fromServer) p.setIPv4(SERVER, CLIENT, 6, 80, 40000);
    else p.setIPv4(CLIENT, SERVER, 6, 40000, 80);
    p.frame = ++frame;
    p.sec = s.sec ?? 100;
    p.nsec = frame;
    p.tcpFlags = s.flags ?? ACK;
    p.tcpSeq = s.seq >>> 0;
    p.tcpAck = (s.ack ?? 0) >>> 0;
    p.buf = s.payload ?? new Uint8Array(0);
    p.payOff = 0;
    p.payLen = p.buf.length;
    p.tcpLen = s.wire ?? p.buf.length;
    return r.push(p);
  };
}

const enc = new TextEncoder();
const dec = (b: number[]) => new TextDecoder().decode(new Uint8Array(b));

Deno.test("TcpReassembler hands over a stream once and in order whatever the segmentation, reordering, duplication and wrap-around (property)", () => {
  const arb = fc.record({
    data: fc.uint8Array({ minLength: 1, maxLength: 1500 }),
    isn: fc.oneof(fc.constant(0xffffff00), fc.constant(0xfffffffe), fc.nat({ max: 0xffffffff })),
    cuts: fc.array(fc.nat(), { maxLength: 30 }),
    order: fc.array(fc.nat(), { maxLength: 60 }),
    resend: fc.array(fc.record({ at: fc.nat(), len: fc.nat({ max: 200 }) }), { maxLength: 10 }),
    overlap: fc.constantFrom<"first" | "last">("first", "last"),
    syn: fc.boolean(),
  });
  fc.assert(
    fc.property(arb, ({ data, isn, cuts, order, resend, overlap, syn }) => {
      const { seen, handler } = recorder();
      const r = new TcpReassembler({ handler, overlap });
      const push = pusher(r);
      const first = syn ? (isn + 1) >>> 0 : isn;
      // Segments: the data cut at random points, plus copies covering other ranges.
      const edges = [...new Set([0, ...cuts.map((c) => c % data.length), data.length])].sort(
        (a, b) => a - b,
      );
      const segs: [number, number][] = [];
      for (let i = 1; i < edges.length; i++) segs.push([edges[i - 1], edges[i]]);
      for (const { at, len } of resend) {
        const a = at % data.length;
        segs.push([a, Math.min(data.length, a + 1 + len)]);
      }
      // Shuffle by the random order; the first segment of the stream never comes first unless
      // a SYN sets the stream's start.
      for (let i = segs.length - 1; i > 0; i--) {
        const j = (order[i % Math.max(order.length, 1)] ?? 0) % (i + 1);
        [segs[i], segs[j]] = [segs[j], segs[i]];
      }
      if (!syn) {
        const i = segs.findIndex(([a]) => a === 0);
        segs.unshift(...segs.splice(i, 1));
      } else push({ seq: isn, flags: SYN });
      for (const [a, b] of segs) {
        push({ seq: (first + a) >>> 0, payload: data.subarray(a, b), flags: ACK | PSH });
      }
      push({ seq: (first + data.length) >>> 0, flags: FIN | ACK });
      const stats = r.finish();
      const orig = seen.get("0:orig")!;
      assert.deepEqual(orig.text, [...data]);
      assert.deepEqual(orig.gaps, []);
      assert.equal(orig.end, "fin");
      const pushed = segs.reduce((n, [a, b]) => n + b - a, 0);
      assert.equal(stats.bytes, data.length);
      assert.equal(stats.retransmitted, pushed - data.length);
      assert.equal(stats.missed, 0);
      assert.equal(stats.bufferedBytes, 0);
      assert.equal(seen.get("0:resp")!.end, "finish");
    }),
    { numRuns: 400 },
  );
});

Deno.test("TcpReassembler holds many kilobytes out of order through its byte store, either policy (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 5000, max: 40000 }),
      fc.integer({ min: 16, max: 2000 }), // at most 2,500 segments held: within the bounds
      fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
      fc.constantFrom<"first" | "last">("first", "last"),
      (size, mss, order, overlap) => {
        const data = Uint8Array.from({ length: size }, (_, i) => (i * 131 + 7) & 255);
        const { seen, handler } = recorder();
        const r = new TcpReassembler({ handler, overlap });
        const push = pusher(r);
        push({ seq: 99, flags: SYN });
        const segs: number[] = [];
        for (let a = 0; a < size; a += mss) segs.push(a);
        // The first segment last: everything else waits for it.
        const first = segs.shift()!;
        for (let i = segs.length - 1; i > 0; i--) {
          const j = order[i % order.length] % (i + 1);
          [segs[i], segs[j]] = [segs[j], segs[i]];
        }
        for (const a of [...segs, first]) {
          push({ seq: 100 + a, payload: data.subarray(a, Math.min(size, a + mss)) });
        }
        r.finish();
        assert.deepEqual(seen.get("0:orig")!.text, [...data]);
        assert.equal(r.stats.bufferedBytes, 0);
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("TcpReassembler resolves conflicting overlaps by the policy: first or last copy wins", () => {
  for (
    const [policy, want] of [["first", "0123456789aaaaaBBBBBcccc"], [
      "last",
      "0123456789aaaaabbbbbcccc",
    ]] as const
  ) {
    const { seen, handler } = recorder();
    const r = new TcpReassembler({ handler, overlap: policy });
    const push = pusher(r);
    push({ seq: 99, flags: SYN });
    push({ seq: 110, payload: enc.encode("aaaaaBBBBB") }); // offsets 10–19, held
    push({ seq: 115, payload: enc.encode("bbbbbcccc") }); // 15–23: overlaps 15–19
    push({ seq: 100, payload: enc.encode("0123456789") });
    r.finish();
    assert.equal(dec(seen.get("0:orig")!.text), want, policy);
    assert.equal(r.stats.retransmitted, 5, policy);
  }
});

Deno.test("TcpReassembler reports a hole as a gap once the receiver acknowledges past it", () => {
  const { seen, handler } = recorder();
  const r = new TcpReassembler({ handler });
  const push = pusher(r);
  push({ seq: 999, flags: SYN });
  push({ seq: 0, flags: SYN | ACK, ack: 1000, fromServer: true });
  push({ seq: 1000, payload: enc.encode("abc") });
  // 1003–1005 are lost by the capture; the next segment waits for them …
  push({ seq: 1006, payload: enc.encode("ghi") });
  assert.equal(dec(seen.get("0:orig")!.text), "abc");
  // … until the server acknowledges them: a gap of 3, then "ghi".
  push({ seq: 1, ack: 1009, fromServer: true });
  const orig = seen.get("0:orig")!;
  assert.equal(dec(orig.text), "abc???ghi");
  assert.deepEqual(orig.gaps, [[3, 3]]);
  assert.equal(r.stats.ackedGaps, 1);
  // Bytes acknowledged and never seen at the end of the stream are a gap too.
  push({ seq: 1, ack: 1012, fromServer: true });
  assert.deepEqual(orig.gaps, [[3, 3], [9, 3]]);
  assert.deepEqual([r.stats.missed, r.stats.bytes], [6, 6]);
});

Deno.test("TcpReassembler bounds the memory of a stream and in all by skipping holes", () => {
  const { seen, handler } = recorder();
  const r = new TcpReassembler({ handler, maxStreamMemory: 4000, maxMemory: 20000 });
  const push = pusher(r);
  push({ seq: 0, flags: SYN });
  const chunk = new Uint8Array(1000).fill(0x41);
  // A hole at 1–100 that never fills: the stream holds at most about 4000 bytes.
  for (let i = 0; i < 10; i++) push({ seq: 101 + i * 1000, payload: chunk });
  const orig = seen.get("0:orig")!;
  assert.deepEqual(orig.gaps[0], [0, 100]);
  assert.ok(r.stats.peakBufferedBytes <= 4000 + 1064, `${r.stats.peakBufferedBytes}`);
  assert.ok(r.stats.forcedGaps >= 1);
  // Many streams each with a hole: the total stays within maxMemory.
  const p = new FlowPacket();
  for (let c = 0; c < 50; c++) {
    p.setIPv4(0x0b000000 + c, SERVER, 6, 1000 + c, 80);
    p.tcpFlags = SYN;
    p.tcpSeq = 0;
    p.payLen = p.tcpLen = 0;
    r.push(p);
    p.tcpFlags = ACK;
    p.tcpSeq = 500;
    p.buf = chunk;
    p.payLen = p.tcpLen = chunk.length;
    r.push(p);
    assert.ok(r.stats.bufferedBytes <= 20000, `${r.stats.bufferedBytes} bytes held`);
  }
  r.finish();
  assert.equal(r.stats.bufferedBytes, 0);
  assert.equal(seen.size, 102);
});

Deno.test("TcpReassembler ends streams at FIN once every byte before it came, at RST, idle and finish", () => {
  const { seen, handler } = recorder();
  const r = new TcpReassembler({ handler, idleTimeoutNs: 60e9 });
  const push = pusher(r);
  push({ seq: 0, flags: SYN });
  push({ seq: 4, payload: enc.encode("def"), flags: FIN | ACK }); // FIN with a hole before it
  assert.equal(seen.get("0:orig")!.end, "");
  push({ seq: 1, payload: enc.encode("abc") });
  assert.equal(seen.get("0:orig")!.end, "fin");
  assert.equal(dec(seen.get("0:orig")!.text), "abcdef");
  // RST ends both directions.
  push({ seq: 5, flags: RST, fromServer: true });
  assert.equal(seen.get("0:resp")!.end, "rst");
  // A new connection goes idle: the next packet, 61 s later, ends it (held bytes as gaps).
  const q = new FlowPacket();
  q.setIPv4(CLIENT, SERVER, 6, 40001, 80);
  Object.assign(q, { sec: 200, tcpFlags: SYN, tcpSeq: 10, payLen: 0, tcpLen: 0 });
  r.push(q);
  Object.assign(q, { tcpFlags: ACK, tcpSeq: 13, buf: enc.encode("zz"), payOff: 0, payLen: 2 });
  q.tcpLen = 2;
  r.push(q);
  Object.assign(q, { sec: 261, sport: 40002, tcpFlags: SYN, tcpSeq: 0, payLen: 0, tcpLen: 0 });
  r.push(q);
  const idle = seen.get("1:orig")!;
  assert.equal(idle.end, "idle");
  assert.equal(dec(idle.text), "??zz");
  // The first connection was let go at its RST; only the second expired.
  assert.deepEqual([r.stats.expired, r.stats.open], [1, 1]);
  r.finish();
  assert.equal(seen.get("2:orig")!.end, "finish");
});

Deno.test("TcpReassembler reports bytes cut by the snap length as gaps and a reused port pair as a new connection", () => {
  const { seen, handler } = recorder();
  const r = new TcpReassembler({ handler });
  const push = pusher(r);
  push({ seq: 0, flags: SYN });
  push({ seq: 1, payload: enc.encode("abcd"), wire: 10 }); // 6 bytes not captured
  push({ seq: 11, payload: enc.encode("xy") });
  const orig = seen.get("0:orig")!;
  assert.equal(dec(orig.text), "abcd??????xy");
  assert.equal(r.stats.missed, 6);
  // The same SYN again is a retransmission; a SYN with another ISN is a new connection.
  push({ seq: 0, flags: SYN });
  assert.equal(orig.end, "");
  push({ seq: 5000, flags: SYN });
  assert.equal(orig.end, "reused");
  assert.equal(r.stats.connections, 2);
});

Deno.test("TcpReassembler without a handler counts payload bytes once, retransmissions and gaps per direction", () => {
  const r = new TcpReassembler();
  const push = pusher(r);
  push({ seq: 0, flags: SYN });
  const slot = push({ seq: 1, payload: enc.encode("hello") });
  push({ seq: 1, payload: enc.encode("hello") }); // retransmitted
  push({ seq: 9, payload: enc.encode("xyz") }); // out of order: counted once it is due
  push({ seq: 6, payload: enc.encode("abc") });
  push({ seq: 0, payload: enc.encode("ok"), fromServer: true });
  assert.deepEqual({ ...r.counts(slot, true) }, { bytes: 11, retransmitted: 5, missed: 0 });
  assert.deepEqual({ ...r.counts(slot, false) }, { bytes: 2, retransmitted: 0, missed: 0 });
  assert.equal(r.connectionAt(slot), 0);
  r.close(slot);
  assert.equal(r.connectionAt(slot), -1);
  assert.equal(r.stats.open, 0);
});

Deno.test("TcpReassembler lets a connection go once both streams ended, and ignores the bare ACK after", () => {
  const { seen, handler } = recorder();
  const r = new TcpReassembler({ handler });
  const push = pusher(r);
  push({ seq: 0, flags: SYN });
  push({ seq: 1, payload: enc.encode("abc"), flags: FIN | ACK });
  push({ seq: 0, flags: FIN | ACK, ack: 5, fromServer: true });
  assert.deepEqual([seen.get("0:orig")!.end, seen.get("0:resp")!.end], ["fin", "fin"]);
  assert.equal(r.stats.open, 0);
  assert.equal(push({ seq: 5, flags: ACK, ack: 1 }), -1); // the last ACK starts nothing
  assert.equal(r.stats.connections, 1);
  // With keepEnded the connection and its counts stay until closed.
  const kept = new TcpReassembler({ keepEnded: true });
  const push2 = pusher(kept);
  push2({ seq: 0, flags: SYN });
  const slot = push2({ seq: 1, payload: enc.encode("abc"), flags: FIN | ACK });
  push2({ seq: 0, flags: FIN | ACK, ack: 5, fromServer: true });
  assert.equal(kept.stats.open, 1);
  assert.equal(kept.counts(slot, true).bytes, 3);
});

Deno.test("TcpReassembler rejects bad bounds and policies", () => {
  assert.throws(() => new TcpReassembler({ maxMemory: 0 }), RangeError);
  assert.throws(() => new TcpReassembler({ maxConnections: -1 }), RangeError);
  assert.throws(
    () => new TcpReassembler({ overlap: "middle" as unknown as "first" }),
    TypeError,
  );
});

/** The client's and the server's bytes as `tshark -z follow,tcp,raw` reassembles stream 0. */
async function tsharkFollow(path: string): Promise<[string, string]> {
  const out = await new Deno.Command("tshark", {
    args: ["-r", path, "-q", "-z", "follow,tcp,raw,0"],
    stdout: "piped",
    stderr: "null",
  }).output();
  let a = "", b = "";
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (/^\t[0-9a-f]+$/.test(line)) b += line.trim();
    else if (/^[0-9a-f]+$/.test(line)) a += line;
  }
  const text = (hex: string) => dec(hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
  return [text(a), text(b)];
}

Deno.test({
  name:
    "TcpReassembler gives the bytes tshark's follow-stream gives for reordered, repeated and overlapping segments",
  ignore: !hasProgram("tshark"),
  async fn() {
    const request = "GET /reassembled HTTP/1.1\r\nHost: a.test\r\nCookie: " + "k=v;".repeat(40) +
      "\r\n\r\n";
    const response = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
    const c = {
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "tcp" as const,
      srcPort: 40000,
      dstPort: 80,
    };
    const s = {
      src: "10.0.0.2",
      dst: "10.0.0.1",
      proto: "tcp" as const,
      srcPort: 80,
      dstPort: 40000,
    };
    const isnC = 0xfffffff0, isnS = 7000; // the client's sequence numbers wrap past 2^32
    const part = (t: string, a: number, b: number) => enc.encode(t.slice(a, b));
    let t = 0;
    const at = (p: Omit<TimedPacket, "sec" | "nsec">): TimedPacket => ({
      ...p,
      sec: 1000,
      nsec: ++t,
    });
    const packets: TimedPacket[] = [
      at({ ...c, tcpFlags: SYN, seq: isnC }),
      at({ ...s, tcpFlags: SYN | ACK, seq: isnS, ack: isnC + 1 }),
      at({ ...c, tcpFlags: ACK, seq: isnC + 1, ack: isnS + 1 }),
      // The request in four pieces: 2nd before 1st, the 1st repeated, the 4th overlapping the 3rd.
      at({ ...c, seq: (isnC + 1 + 40) >>> 0, ack: isnS + 1, payload: part(request, 40, 100) }),
      at({ ...c, seq: isnC + 1, ack: isnS + 1, payload: part(request, 0, 40) }),
      at({ ...c, seq: isnC + 1, ack: isnS + 1, payload: part(request, 0, 40) }),
      at({ ...c, seq: (isnC + 1 + 100) >>> 0, ack: isnS + 1, payload: part(request, 100, 150) }),
      at({
        ...c,
        seq: (isnC + 1 + 120) >>> 0,
        ack: isnS + 1,
        payload: part(request, 120, request.length),
      }),
      at({
        ...s,
        seq: isnS + 1,
        ack: (isnC + 1 + request.length) >>> 0,
        payload: enc.encode(response),
      }),
      at({
        ...c,
        tcpFlags: FIN | ACK,
        seq: (isnC + 1 + request.length) >>> 0,
        ack: isnS + 1 + response.length,
      }),
    ];
    const bytes = makeCapture(packets);
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    await Deno.writeFile(path, bytes);
    const [theirRequest, theirResponse] = await tsharkFollow(path);
    await Deno.remove(path);
    const { seen, handler } = recorder();
    const r = new TcpReassembler({ handler });
    const p = new FlowPacket();
    forEachPacketInBytes(bytes, (v) => {
      p.readView(v);
      r.push(p);
    });
    r.finish();
    assert.equal(theirRequest, request);
    assert.equal(dec(seen.get("0:orig")!.text), theirRequest);
    assert.equal(dec(seen.get("0:resp")!.text), theirResponse);
    assert.equal(seen.get("0:orig")!.end, "fin");
    // The request was handed over when its first piece came (frame 5), then frames 7 and 8.
    assert.deepEqual(seen.get("0:orig")!.frames, [5, 5, 7, 8]);
  },
});

Deno.test("TcpReassembler hands every direction's bytes to a handler without open, and keeps out-of-order bytes for it", () => {
  const got: string[] = [];
  const r = new TcpReassembler({
    handler: {
      data(s, bytes, offset, length) {
        assert.equal(s.state, undefined);
        got.push(`${s.isOrig ? "c" : "s"}:${dec([...bytes.subarray(offset, offset + length)])}`);
      },
      gap: () => {},
      end: () => {},
    },
  });
  const push = pusher(r);
  push({ seq: 99, flags: SYN });
  push({ seq: 105, payload: enc.encode("world") }); // waits for the bytes before it
  push({ seq: 100, payload: enc.encode("hello") });
  push({ seq: 500, payload: enc.encode("reply"), fromServer: true });
  r.finish();
  assert.deepEqual(got, ["c:hello", "c:world", "s:reply"]);
});
