// Which helpers take which of the newer map types (lib/bpf/_verify_map_helpers.ts), and the
// storage helpers' argument rules, on hand-written programs.
import assert from "node:assert/strict";
import { assemble } from "../../lib/bpf/assembler.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import type { BpfMapSpec } from "../../lib/bpf/map_spec.ts";
import type { BpfProgramType } from "../../lib/bpf/program_types.ts";
import { BPF_F } from "../../lib/bpf/map_types.ts";

function load(spec: BpfMapSpec, body: string, programType: BpfProgramType) {
  const vm = new BpfVm();
  vm.createMap(spec);
  return vm.load(assemble(body + "\nmov %r0, 0\nexit"), { programType });
}

const KEY0 = "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4";

Deno.test("special map types go only to their helpers, and those helpers only take them", () => {
  const stacks = { type: "stack_trace", keySize: 4, valueSize: 8, maxEntries: 4 } as const;
  const socks = { type: "sockmap", keySize: 4, valueSize: 8, maxEntries: 4 } as const;
  const hash = { type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 } as const;
  const cases: [BpfMapSpec, string, BpfProgramType, RegExp][] = [
    [
      stacks,
      `lddw %r1, 0, map_fd\n${KEY0}\ncall 1`,
      "kprobe",
      /map_type stack_trace into func bpf_map_lookup_elem#1/,
    ],
    [
      socks,
      `lddw %r1, 0, map_fd\n${KEY0}\ncall 1`,
      "sk_skb",
      /map_type sockmap into func bpf_map_lookup_elem#1/,
    ],
    [
      hash,
      "lddw %r1, 0, map_fd\nmov %r2, 0\nmov %r3, 0\ncall 51",
      "xdp",
      /map_type hash into func bpf_redirect_map#51/,
    ],
    [
      hash,
      "lddw %r1, 0, map_fd\nmov %r2, 0\ncall 81",
      "cgroup_skb",
      /map_type hash into func bpf_get_local_storage#81/,
    ],
  ];
  for (const [spec, body, type, error] of cases) assert.throws(() => load(spec, body, type), error);
});

Deno.test("storage helpers: the initial value is a map value pointer or NULL; results are null-checked", () => {
  const tasks = {
    type: "task_storage",
    keySize: 4,
    valueSize: 8,
    maxEntries: 0,
    flags: BPF_F.NO_PREALLOC,
  } as const;
  const get = (r3: string, after: string) =>
    `call 158\nmov %r2, %r0\nlddw %r1, 0, map_fd\n${r3}\nmov %r4, 1\ncall 156\n${after}`;
  // NULL initial value, checked result: verifies (running it needs a task: kernel-only).
  const ok = load(tasks, get("mov %r3, 0", "jeq %r0, 0, +1\nstdw [%r0], 1"), "kprobe");
  assert.throws(() => ok.run(new Uint8Array(168)), /declared for verification only/);
  assert.throws(
    () => load(tasks, get("mov %r3, 5", ""), "kprobe"),
    /R3 type=scalar expected=fp, pkt, map_value, mem/,
  );
  assert.throws(
    () => load(tasks, get("mov %r3, 0", "stdw [%r0], 1"), "kprobe"),
    /R0 invalid mem access 'map_value_or_null'/,
  );
});
