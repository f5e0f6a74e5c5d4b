import assert from "node:assert/strict";
import fc from "fast-check";
import { VALID_CBPF_OPCODES } from "./_cbpf_opcodes.ts";
import { type CbpfInstruction, compileCbpf } from "../../lib/bpf/cbpf.ts";
import { cbpfToEbpf } from "../../lib/bpf/cbpf_ebpf.ts";
import { parseCbpf } from "../../lib/bpf/cbpf_text.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import { forEachPacketInFile } from "../../lib/runtime/mod.ts";
import { fixture, hasProgram } from "../_fixtures.ts";

const MAX = 256;
const I = (code: number, k = 0, jt = 0, jf = 0): CbpfInstruction => ({ code, jt, jf, k });

Deno.test("cbpfToEbpf() programs verify and return what classic BPF returns (random programs)", () => {
  const vm = new BpfVm({ profile: "embedded" });
  const insn = fc.record({
    code: fc.constantFrom(...VALID_CBPF_OPCODES),
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
    await forEachPacketInFile(`${dir}/mixed-usec.pcap`, (v) => {
      const data = v.buf.subarray(v.dataOffset, v.dataOffset + v.caplen);
      const want = BigInt(classic.run(data));
      assert.equal(interp.run(data), want, expr);
      assert.equal(jit.run(data), want, expr);
      if (want !== 0n) kept++;
    }, { decode: false });
    assert.ok(kept > 0, `${expr} kept nothing`);
  }
});
