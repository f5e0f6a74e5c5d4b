import assert from "node:assert/strict";
import { assemble } from "../../lib/bpf/assembler.ts";
import { type VerifyOptions, verifyProgram } from "../../lib/bpf/verifier.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import type { BpfProgramType } from "../../lib/bpf/program_types.ts";

const vm = new BpfVm();
vm.createMap({ type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096, name: "rb" });
vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, name: "a" });

function verify(text: string, programType: BpfProgramType, extra: VerifyOptions = {}) {
  return verifyProgram(assemble(text), {
    helpers: vm.helpers,
    maps: vm.maps,
    programType,
    ...extra,
  });
}

/** XDP prologue: r2 = data, r3 = data_end. */
const XDP = "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\n";

Deno.test("verify() learns packet ranges from comparisons with data_end (xdp)", () => {
  // if (data + 14 > data_end) goto out; read data[13]
  const ok = verify(
    XDP + "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, +2\nldxb %r0, [%r2+13]\nexit\nmov %r0, 1\nexit",
    "xdp",
  );
  assert.deepEqual([...ok.ctxLoads], [[0, 24], [1, 32]]);
  assert.throws(
    () =>
      verify(
        XDP +
          "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, +2\nldxb %r0, [%r2+14]\nexit\nmov %r0, 1\nexit",
        "xdp",
      ),
    /invalid access to packet, off=14 size=1, R2\(id=0,off=0,r=14\)/,
  );
  // The other comparison orders: data_end < data + 14 goto out (jlt); data + 14 <= data_end.
  verify(
    XDP + "mov %r4, %r2\nadd %r4, 14\njlt %r3, %r4, +2\nldxb %r0, [%r2+13]\nexit\nmov %r0, 1\nexit",
    "xdp",
  );
  verify(
    XDP + "mov %r4, %r2\nadd %r4, 14\njle %r4, %r3, +2\nmov %r0, 1\nexit\nldxb %r0, [%r2+13]\nexit",
    "xdp",
  );
  // The wrong side learns nothing.
  assert.throws(
    () =>
      verify(
        XDP +
          "mov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, +2\nmov %r0, 1\nexit\nldxb %r0, [%r2+0]\nexit",
        "xdp",
      ),
    /invalid access to packet, off=0 size=1/,
  );
});

Deno.test("verify() gives a variable offset a new packet id and checks it on its own", () => {
  const body = XDP +
    "ldxb %r5, [%r1+12]\nand %r5, 15\nadd %r2, %r5\nmov %r4, %r2\nadd %r4, 4\n" +
    "jgt %r4, %r3, +2\nldxw %r0, [%r2+0]\nexit\nmov %r0, 1\nexit";
  verify(body, "xdp");
  assert.throws(
    () => verify(body.replace("ldxw %r0, [%r2+0]", "ldxw %r0, [%r2+1]"), "xdp"),
    /invalid access to packet, off=1 size=4/,
  );
});

Deno.test("verify() enforces the context layout of each program type", () => {
  assert.throws(
    () => verify("stw [%r1+0], 1\nmov %r0, 0\nexit", "xdp"),
    /invalid bpf_context access off=0 size=4/,
  );
  verify("stw [%r1+8], 1\nmov %r0, 0\nexit", "sched_cls"); // mark
  assert.throws(
    () => verify("stw [%r1+8], 1\nmov %r0, 0\nexit", "socket_filter"),
    /invalid bpf_context access/,
  );
  verify("stw [%r1+48], 1\nmov %r0, 0\nexit", "socket_filter"); // cb[0]
  assert.throws(
    () => verify("ldxw %r0, [%r1+76]\nexit", "socket_filter"),
    /not available off-kernel/,
  );
  assert.throws(() => verify("ldxdw %r0, [%r1+168]\nexit", "sched_cls"), /__sk_buff\.sk/);
  assert.throws(
    () => verify("ldxh %r0, [%r1+0]\nexit", "xdp"),
    /invalid bpf_context access off=0 size=2/,
  );
  assert.throws(
    () => verify("stdw [%r1+0], 0\nmov %r0, 0\nexit", "kprobe"),
    /invalid bpf_context access/,
  );
  assert.throws(() => verify("mov %r0, %r2\nexit", "xdp"), /R2 !read_ok/);
  assert.throws(
    () => verify("mov %r2, 1\nlock add [%r1+48], %r2\nmov %r0, 0\nexit", "sched_cls"),
    /BPF_ATOMIC stores into R1 ctx is not allowed/,
  );
  assert.throws(
    () => verify(XDP + "add %r3, 1\nmov %r0, 0\nexit", "xdp"),
    /pointer arithmetic on pkt_end prohibited/,
  );
  verify(XDP + "sub %r3, %r2\nmov %r0, %r3\nexit", "xdp"); // data_end - data: a number
  assert.throws(
    () => verify("ldabsb 0\nexit", "xdp"),
    /BPF_LD_\[ABS\|IND\] instructions not allowed/,
  );
  assert.throws(() => verify("ldabsb 0\nexit", "socket_filter"), /R6 !read_ok/);
  verify("mov %r6, %r1\nldabsb 0\nexit", "socket_filter");
});

Deno.test("verify() allows each program type its helpers and each map type its helpers", () => {
  assert.throws(
    () => verify("mov %r2, 4\ncall 44\nmov %r0, 0\nexit", "socket_filter"),
    /unknown func bpf_xdp_adjust_head#44: socket_filter programs may not call it/,
  );
  assert.throws(
    () =>
      verify(
        "stw [%r10-4], 0\nlddw %r1, 0, map_fd\nmov %r2, %r10\nadd %r2, -4\ncall 1\nmov %r0, 0\nexit",
        "xdp",
      ),
    /cannot pass map_type ringbuf into func bpf_map_lookup_elem#1/,
  );
  assert.throws(
    () =>
      verify(
        "mov %r2, %r1\nlddw %r1, 1, map_fd\nmov %r3, 8\nmov %r4, 0\ncall 131\nmov %r0, 0\nexit",
        "xdp",
      ),
    /cannot pass map_type array into func bpf_ringbuf_reserve#131/,
  );
});

Deno.test("verify() tracks ring buffer records as references", () => {
  const reserve = "lddw %r1, 0, map_fd\nmov %r2, 8\nmov %r3, 0\ncall 131\n";
  verify(
    reserve +
      "jeq %r0, 0, +4\nstdw [%r0+0], 1\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r0, 0\nexit",
    "xdp",
  );
  assert.throws(() => verify(reserve + "mov %r0, 0\nexit", "xdp"), /Unreleased reference id=1/);
  assert.throws(
    () => verify(reserve + "jeq %r0, 0, +1\nstdw [%r0+8], 1\nmov %r0, 0\nexit", "xdp"),
    /invalid access to memory, mem_size=8 off=8 size=8/,
  );
  assert.throws(
    () =>
      verify(
        reserve +
          "jeq %r0, 0, +7\nmov %r6, %r0\nmov %r1, %r0\nmov %r2, 0\ncall 132\nmov %r1, %r6\nmov %r2, 0\ncall 133\nmov %r0, 0\nexit",
        "xdp",
      ),
    /R1 type=scalar expected=mem/,
  );
  assert.throws(
    () => verify(reserve + "ldxdw %r1, [%r0+0]\nmov %r0, 0\nexit", "xdp"),
    /R0 invalid mem access 'mem_or_null'/,
  );
});
