import assert from "node:assert/strict";
import {
  type AttributeValue,
  createDefaultRegistry,
  createSessionHooks,
  DpiEngine,
  DpiError,
  type ProtocolPlugin,
  ProtocolRegistry,
} from "../../lib/dpi/mod.ts";
import {
  FlowPacket,
  forEachPacketInBytes,
  type PacketView,
  PcapWriter,
} from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";
import { dnsMessage, viewOf } from "./_packets.ts";

const enc = new TextEncoder();

/** A protocol defined outside the library: "KV1 key=value" messages over UDP port 7777. */
function kvPlugin(): ProtocolPlugin {
  let keyStart = 0, eq = 0, end = 0;
  let buf: Uint8Array = new Uint8Array(0);
  const text = (a: number, b: number) => new TextDecoder().decode(buf.subarray(a, b));
  return {
    id: 1000,
    name: "kv",
    description: "Key-value test protocol",
    layer: "application",
    classify: (v: PacketView) =>
      v.dstPort === 7777 && v.payloadLength >= 4 && v.buf[v.payloadOffset] === 0x4b &&
      v.buf[v.payloadOffset + 1] === 0x56 && v.buf[v.payloadOffset + 2] === 0x31,
    parse(v: PacketView): boolean {
      buf = v.buf;
      keyStart = v.payloadOffset + 4;
      end = v.payloadOffset + v.payloadLength;
      eq = buf.indexOf(61, keyStart);
      return eq >= keyStart && eq < end;
    },
    attributes: {
      key: () => text(keyStart, eq),
      value: () => text(eq + 1, end),
    },
    session: {
      init: () => ({ keys: [] as string[] }),
      packet(state: unknown, v: PacketView) {
        const p = v.payloadOffset;
        const s = v.buf.subarray(p + 4, p + v.payloadLength);
        (state as { keys: string[] }).keys.push(new TextDecoder().decode(s).split("=")[0]);
      },
      cleanup: (state: unknown) => ({ keys: (state as { keys: string[] }).keys.join("|") }),
    },
  };
}

function capture(): Uint8Array {
  const w = new PcapWriter({ nanos: true });
  const pkts = [
    buildPacket({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      srcPort: 1,
      dstPort: 7777,
      payload: enc.encode("KV1 user=alice"),
    }),
    buildPacket({
      src: "10.0.0.1",
      dst: "10.0.0.53",
      srcPort: 2,
      dstPort: 53,
      payload: dnsMessage(7, "kv.example.test"),
    }),
    buildPacket({
      src: "10.0.0.3",
      dst: "10.0.0.2",
      srcPort: 3,
      dstPort: 7777,
      payload: enc.encode("KV1 role=admin"),
    }),
    buildPacket({
      src: "10.0.0.3",
      dst: "10.0.0.2",
      srcPort: 3,
      dstPort: 7777,
      payload: enc.encode("KV1 broken"),
    }),
  ];
  pkts.forEach((p, i) => w.writePacket(p, { tsSec: 100 + i }));
  return w.toBytes();
}

Deno.test("a plugin registered from outside the library is classified and extracted like the built-ins", () => {
  const registry = createDefaultRegistry();
  registry.register(kvPlugin());
  const engine = new DpiEngine({ registry });
  const rows: AttributeValue[][] = [];
  engine.subscribe(
    ["meta.time_sec", "ip.src", "kv.key", "kv.value", "dns.qname"],
    (values) => rows.push([...values]),
  );
  const paths: string[] = [];
  forEachPacketInBytes(capture(), (v) => {
    engine.process(v);
    paths.push(engine.protocolPath(v));
  });
  assert.deepEqual(rows, [
    [100, "10.0.0.1", "user", "alice", undefined],
    [101, "10.0.0.1", undefined, undefined, "kv.example.test"],
    [102, "10.0.0.3", "role", "admin", undefined],
    [103, "10.0.0.3", undefined, undefined, undefined],
  ]);
  // "KV1 broken" is a malformed kv packet: classified as kv, its attributes absent
  assert.deepEqual(paths, ["eth:ip:udp:kv", "eth:ip:udp:dns", "eth:ip:udp:kv", "eth:ip:udp:kv"]);
  assert.equal(engine.protocolErrors, 1); // "KV1 broken" fails the plugin's parse
  assert.ok(registry.attributeNames().includes("kv.value"));
});

Deno.test("DpiEngine.subscribe() extracts only subscribed attributes and runs unused plugins not at all", () => {
  const calls: Record<string, number> = { classify: 0, parse: 0, a: 0, b: 0, otherClassify: 0 };
  const registry = new ProtocolRegistry();
  registry.register({
    id: 2000,
    name: "spy",
    classify: () => (calls.classify++, true),
    parse: () => (calls.parse++, true),
    attributes: { a: () => (calls.a++, 1), b: () => (calls.b++, 2) },
  });
  registry.register({
    id: 2001,
    name: "other",
    classify: () => (calls.otherClassify++, true),
    attributes: { x: () => 0 },
  });
  const engine = new DpiEngine({ registry });
  let seen = 0;
  engine.subscribe(["spy.a"], (values) => {
    assert.deepEqual(values, [1]);
    seen++;
  });
  engine.subscribe(["spy.a"], () => seen++);
  const v = viewOf({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2 });
  engine.process(v);
  engine.process(v);
  assert.equal(seen, 4);
  assert.deepEqual(calls, { classify: 2, parse: 2, a: 4, b: 0, otherClassify: 0 });
});

Deno.test("DpiEngine.subscribe() with requireAny skips packets without the attributes; unsubscribe stops it", () => {
  const engine = new DpiEngine();
  let n = 0;
  const sub = engine.subscribe(["dns.id"], () => n++, { requireAny: true });
  const udp = viewOf({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 2 });
  const dns = viewOf({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    srcPort: 1,
    dstPort: 53,
    payload: dnsMessage(9, "a.test"),
  });
  engine.process(udp);
  engine.process(dns);
  assert.equal(n, 1);
  sub.unsubscribe();
  engine.process(dns);
  assert.equal(n, 1);
  assert.deepEqual(sub.attributes, ["dns.id"]);
});

Deno.test("ProtocolRegistry rejects duplicate plugins and DpiEngine unknown attributes with typed errors", () => {
  const registry = createDefaultRegistry();
  assert.throws(
    () => registry.register({ id: 5000, name: "dns", classify: () => false, attributes: {} }),
    (e: unknown) => e instanceof DpiError && e.code === "duplicate-plugin" && e.number === 303,
  );
  assert.throws(
    () => registry.register({ id: 100, name: "other", classify: () => false, attributes: {} }),
    (e: unknown) => e instanceof DpiError && e.code === "duplicate-plugin",
  );
  assert.throws(
    () => registry.register({ id: 5001, name: "Bad-Name", classify: () => false, attributes: {} }),
    (e: unknown) => e instanceof DpiError && e.code === "bad-plugin-name",
  );
  const engine = new DpiEngine({ registry });
  for (const bad of ["dns.nope", "nope.id", "dns", "dns.toString"]) {
    assert.throws(
      () => engine.subscribe([bad], () => {}),
      (e: unknown) => e instanceof DpiError && e.code === "unknown-attribute",
      bad,
    );
  }
});

Deno.test("createSessionHooks() runs init, per-packet and cleanup hooks of built-in and user plugins", () => {
  const registry = createDefaultRegistry();
  registry.register(kvPlugin());
  const hooks = createSessionHooks(registry);
  const p = new FlowPacket();
  const state = hooks.open(p);
  forEachPacketInBytes(capture(), (v) => {
    p.readView(v);
    if (v.dstPort === 7777) hooks.packet(state, p, true);
  });
  assert.deepEqual(hooks.close(state), { "kv.keys": "user|role|broken" });
  const dnsState = hooks.open(p);
  const q = viewOf({
    src: "10.0.0.1",
    dst: "10.0.0.53",
    srcPort: 9,
    dstPort: 53,
    payload: dnsMessage(1, "a.test"),
  });
  p.readView(q);
  hooks.packet(dnsState, p, true);
  assert.deepEqual(hooks.close(dnsState), { "dns.queries": 1, "dns.responses": 0 });
});

Deno.test("createSessionHooks() reports a throwing hook as session-hook-failed with the cause", () => {
  const registry = new ProtocolRegistry();
  const boom = new Error("boom");
  registry.register({
    id: 1001,
    name: "boom",
    classify: () => true,
    attributes: {},
    session: {
      init: () => ({}),
      packet: () => {
        throw boom;
      },
      cleanup: () => {},
    },
  });
  const hooks = createSessionHooks(registry);
  const p = new FlowPacket();
  p.readView(viewOf({ src: "10.0.0.1", dst: "10.0.0.2" }));
  assert.throws(
    () => hooks.packet(hooks.open(p), p, true),
    (e: unknown) =>
      e instanceof DpiError && e.code === "session-hook-failed" && e.number === 401 &&
      e.cause === boom,
  );
});

Deno.test("DpiEngine.pathName() names paths by link type and layers", () => {
  const engine = new DpiEngine();
  const v = viewOf({ linktype: 113, vlans: [3], src: "::1", dst: "::2", proto: "icmpv6" });
  assert.equal(engine.protocolPath(v), "sll:vlan:ipv6:icmpv6");
  assert.equal(engine.pathName(engine.pathKey(v)), "sll:vlan:ipv6:icmpv6");
});

Deno.test("built-in plugins classify, parse and extract random payloads without throwing", async () => {
  const fc = (await import("fast-check")).default;
  const plugins = createDefaultRegistry().list();
  const prefixes = [
    new Uint8Array([0x16, 3, 1]),
    new Uint8Array([0x16, 3, 3, 0, 80, 1]),
    enc.encode("GET "),
    enc.encode("HTTP/1.1 "),
    new Uint8Array([0, 30, 0x12, 0x34, 1, 0, 0, 1]),
    new Uint8Array(0),
  ];
  let extracted = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(...prefixes),
      fc.uint8Array({ maxLength: 120 }),
      fc.constantFrom("tcp" as const, "udp" as const),
      fc.constantFrom(53, 80, 443, 4433),
      (prefix, rest, proto, port) => {
        const payload = new Uint8Array(prefix.length + rest.length);
        payload.set(prefix);
        payload.set(rest, prefix.length);
        const v = viewOf({
          src: "10.0.0.1",
          dst: "10.0.0.2",
          proto,
          srcPort: 999,
          dstPort: port,
          payload,
        });
        // no try/catch here: any exception fails the property
        for (const p of plugins) {
          if (!p.classify(v) || (p.parse && !p.parse(v))) continue;
          for (const extract of Object.values(p.attributes)) {
            const x = extract(v);
            assert.ok(x === undefined || ["string", "number", "boolean"].includes(typeof x));
            extracted++;
          }
        }
      },
    ),
    { numRuns: 3000 },
  );
  assert.ok(extracted > 0);
});
