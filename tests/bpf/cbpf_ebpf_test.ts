import assert from "node:assert/strict";
import fc from "fast-check";
import { type CbpfInstruction, compileCbpf } from "../../lib/bpf/cbpf.ts";
import { cbpfToEbpf } from "../../lib/bpf/cbpf_ebpf.ts";
import { parseCbpf } from "../../lib/bpf/cbpf_text.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import { forEachPacket } from "../../lib/pcap/reader.ts";
import { fixture, hasProgram } from "../_fixtures.ts";

const MAX = 256;
const I = (code: number, k = 0, jt = 0, jf = 0): CbpfInstruction => ({ code, jt, jf, k });

Deno.test("cbpfToEbpf() programs verify and return what classic BPF returns (random programs)", () => {
  const vm = new BpfVm({ profile: "embedded" });
  const insn = fc.record({
    code: fc.constantFrom(
      0x04,
      0x0c,
      0x14,
      0x1c,
      0x24,
      0x2c,
      0x34,
      0x3c,
      0x94,
      0x9c,
      0x54,
      0x5c,
      0x44,
      0x4c,
      0xa4,
      0xac,
      0x64,
      0x6c,
      0x74,
      0x7c,
      0x84,
      0x20,
      0x28,
      0x30,
      0x80,
      0x40,
      0x48,
      0x50,
      0x00,
      0x60,
      0x81,
      0xb1,
      0x01,
      0x61,
      0x02,
      0x03,
      0x07,
      0x87,
      0x06,
      0x16,
      0x05,
      0x15,
      0x1d,
      0x35,
      0x3d,
      0x25,
      0x2d,
      0x45,
      0x4d,
    ),
    jt: fc.integer({ min: 0, max: 3 }),
    jf: fc.integer({ min: 0, max: 3 }),
    k: fc.oneof(
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 0xffffffff }),
    ),
  });
  let checked = 0;
  fc.assert(
    fc.property(
      fc.array(insn, { maxLength: 16 }),
      fc.array(fc.uint8Array({ maxLength: MAX }), { minLength: 1, maxLength: 4 }),
      (body, packets) => {
        const prog = [...body, I(0x16)];
        let classic;
        try {
          classic = compileCbpf(prog);
        } catch (e) {
          assert.ok(e instanceof BpfError);
          return;
        }
        const loaded = vm.load(cbpfToEbpf(prog, { maxPacket: MAX }), {
          input: { kind: "packet", size: MAX },
        });
        for (const p of packets) assert.equal(loaded.run(p), BigInt(classic.run(p)));
        checked++;
      },
    ),
    { numRuns: 2000 },
  );
  assert.ok(checked > 200, `only ${checked} programs checked`);
});

Deno.test("cbpfToEbpf() runs tcpdump's filters on real packets like the classic program", async () => {
  const dir = fixture("pcap/loopback");
  if (dir === null || !hasProgram("tcpdump")) return;
  const vm = new BpfVm({ profile: "cloud" });
  for (
    const expr of ["tcp", "udp port 53", "tcp[tcpflags] & tcp-syn != 0", "greater 200"]
  ) {
    const out = await new Deno.Command("tcpdump", {
      args: ["-ddd", "-y", "EN10MB", expr],
      stdout: "piped",
      stderr: "null",
    }).output();
    const prog = parseCbpf(new TextDecoder().decode(out.stdout));
    const classic = compileCbpf(prog);
    const interp = vm.load(cbpfToEbpf(prog), { input: { kind: "packet", size: 65535 } });
    const jit = vm.load(cbpfToEbpf(prog), { input: { kind: "packet", size: 65535 }, jit: true });
    let kept = 0;
    await forEachPacket(`${dir}/mixed-usec.pcap`, (v) => {
      const data = v.buf.subarray(v.dataOffset, v.dataOffset + v.caplen);
      const want = BigInt(classic.run(data));
      assert.equal(interp.run(data), want, expr);
      assert.equal(jit.run(data), want, expr);
      if (want !== 0n) kept++;
    }, { decode: false });
    assert.ok(kept > 0, `${expr} kept nothing`);
  }
});
