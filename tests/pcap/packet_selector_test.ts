import assert from "node:assert/strict";
import fc from "fast-check";
import {
  compileFilter,
  forEachPacket,
  LinkType,
  PacketSelector,
  PcapError,
  PcapWriter,
} from "../../lib/pcap/mod.ts";
import { assemble, BpfVm } from "../../lib/bpf/mod.ts";
import { buildPacket, type PacketSpec } from "../../lib/testing/mod.ts";

const DNS: PacketSpec = {
  src: "10.0.0.1",
  dst: "10.0.0.53",
  proto: "udp",
  srcPort: 9,
  dstPort: 53,
};
const WEB: PacketSpec = {
  src: "10.0.0.1",
  dst: "10.0.0.80",
  proto: "tcp",
  srcPort: 9,
  dstPort: 80,
};

/** DNS and web packets on an Ethernet and a Linux cooked (SLL) interface of one pcapng file. */
function twoLinkTypes(): Uint8Array {
  const w = new PcapWriter({ format: "pcapng" });
  const sll = w.addInterface(LinkType.LINUX_SLL);
  for (const spec of [DNS, WEB]) {
    w.writePacket(buildPacket(spec));
    w.writePacket(buildPacket({ ...spec, linktype: LinkType.LINUX_SLL }), { iface: sll });
  }
  return w.toBytes();
}

async function selected(sel: PacketSelector, capture: Uint8Array): Promise<number[]> {
  const out: number[] = [];
  await forEachPacket(capture, (v) => {
    if (sel.select(v)) out.push(v.number);
  }, { decode: false });
  return out;
}

Deno.test("PacketSelector compiles an expression for each link type it meets", async () => {
  const sel = new PacketSelector("udp port 53");
  assert.equal(sel.kind, "expression");
  assert.deepEqual(await selected(sel, twoLinkTypes()), [1, 2]);
  assert.deepEqual([sel.packets, sel.selected, sel.faults], [4, 2, 0]);
  assert.throws(() => new PacketSelector("udp port"), (e) => e instanceof PcapError);
});

Deno.test("PacketSelector runs a classic program on every link type as given", async () => {
  const sel = new PacketSelector(compileFilter("tcp", { linkType: LinkType.ETHERNET }));
  assert.equal(sel.kind, "classic");
  // the Ethernet program reads the SLL packet's bytes as Ethernet: only the Ethernet TCP packet
  assert.deepEqual(await selected(sel, twoLinkTypes()), [3]);
});

for (const engine of ["interpreter", "wasm", "jit-js"] as const) {
  Deno.test(`PacketSelector runs an eBPF program on the packet's bytes; a fault rejects the packet (${engine})`, async () => {
    const vm = new BpfVm();
    const input = { kind: "packet" as const, size: 1514 };
    // R0 = the IPv4 protocol byte (offset 23 on Ethernet) is UDP
    const udp = new PacketSelector(
      vm.load(
        assemble(
          "mov %r0, 0\njlt %r2, 24, +2\nldxb %r0, [%r1+23]\njeq %r0, 17, +1\nmov %r0, 0\nexit",
        ),
        { input, engine },
      ),
      { maxPacket: 1514 },
    );
    assert.equal(udp.kind, "ebpf");
    const w = new PcapWriter();
    for (let i = 0; i < 3; i++) for (const spec of [DNS, WEB]) w.writePacket(buildPacket(spec));
    assert.deepEqual(await selected(udp, w.toBytes()), [1, 3, 5]);
    // a read past the packet's bytes (a 54-byte TCP packet has no byte 1000): rejected, counted
    const far = new PacketSelector(
      vm.load(assemble("ldxb %r0, [%r1+1000]\nexit"), { input, engine }),
      { maxPacket: 1514 },
    );
    assert.deepEqual(await selected(far, w.toBytes()), []);
    assert.equal(far.faults, 6);
    // a packet longer than maxPacket is given its first maxPacket bytes: R2 is 40
    const long = new PacketSelector(
      vm.load(assemble("mov %r0, 0\njne %r2, 40, +1\nmov %r0, 1\nexit"), {
        input: { kind: "packet", size: 40 },
        engine,
      }),
      { maxPacket: 40 },
    );
    assert.deepEqual(await selected(long, w.toBytes()), [1, 2, 3, 4, 5, 6]);
    // byte 50: in the 54-byte TCP packets, past the 42-byte UDP ones — which follow a TCP packet
    // whose bytes an engine's reused buffer still holds: they fault all the same
    const mid = new PacketSelector(
      vm.load(assemble("ldxb %r0, [%r1+50]\nadd %r0, 1\nexit"), { input, engine }),
      { maxPacket: 1514 },
    );
    assert.deepEqual(await selected(mid, w.toBytes()), [2, 4, 6]);
    assert.deepEqual([mid.packets, mid.selected, mid.faults], [6, 3, 3]);
  });
}

Deno.test("PacketSelector gives an eBPF program every byte of packets of any length", async () => {
  // selects a packet when its last byte is the sum of the others (mod 256): every byte counts
  const src = `
    mov %r0, 0
    jlt %r2, 1, E
    jgt %r2, 300, E
    mov %r3, 0
    mov %r4, 0
    mov %r6, %r2
    sub %r6, 1
  L:
    jge %r3, %r6, D
    jge %r3, 300, D
    mov %r5, %r1
    add %r5, %r3
    ldxb %r5, [%r5]
    add %r4, %r5
    add %r3, 1
    ja L
  D:
    mov %r5, %r1
    add %r5, %r6
    ldxb %r5, [%r5]
    and %r4, 255
    jne %r4, %r5, E
    mov %r0, 1
  E:
    exit`;
  const vm = new BpfVm();
  const input = { kind: "packet" as const, size: 300 };
  const selectors = (["interpreter", "wasm", "jit-js"] as const).map((engine) =>
    new PacketSelector(vm.load(assemble(src), { input, engine }), { maxPacket: 300 })
  );
  const packet = fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean()).map(
    ([bytes, fix]) => {
      if (fix) bytes[bytes.length - 1] = bytes.subarray(0, -1).reduce((a, b) => a + b, 0);
      return bytes;
    },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(packet, { minLength: 1, maxLength: 20 }), async (packets) => {
      const w = new PcapWriter();
      for (const p of packets) w.writePacket(p);
      const want = packets.flatMap((p, i) =>
        p.subarray(0, -1).reduce((a, b) => a + b, 0) % 256 === p[p.length - 1] ? [i + 1] : []
      );
      for (const sel of selectors) assert.deepEqual(await selected(sel, w.toBytes()), want);
    }),
    { numRuns: 60 },
  );
  for (const sel of selectors) assert.equal(sel.faults, 0);
});
