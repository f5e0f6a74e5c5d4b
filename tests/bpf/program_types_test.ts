import assert from "node:assert/strict";
import { BPF_PROG_TYPE, programTypeOfSection } from "../../lib/bpf/program_types.ts";

Deno.test("programTypeOfSection() reads section names as libbpf does", () => {
  const cases: [string, string][] = [
    ["socket", "socket_filter"],
    ["xdp", "xdp"],
    ["xdp.frags", "xdp"],
    ["xdp/devmap", "xdp"],
    ["tc", "sched_cls"],
    ["tc/ingress", "sched_cls"],
    ["classifier", "sched_cls"],
    ["action/x", "sched_act"],
    ["kprobe/tcp_v4_connect", "kprobe"],
    ["kretprobe/x", "kprobe"],
    ["uprobe/bin:fn", "kprobe"],
    ["tracepoint/syscalls/sys_enter_openat", "tracepoint"],
    ["tp/sched/sched_switch", "tracepoint"],
    ["raw_tp/sched_switch", "raw_tracepoint"],
    ["tp_btf/sched_switch", "tracing"],
    ["fentry/do_unlinkat", "tracing"],
    ["lsm/file_open", "lsm"],
    ["perf_event", "perf_event"],
    ["cgroup_skb/ingress", "cgroup_skb"],
    ["cgroup/connect4", "cgroup_sock_addr"],
    ["cgroup/sock_create", "cgroup_sock"],
    ["?xdp", "xdp"],
    ["xdp1", "xdp"], // old objects
    ["socket1", "socket_filter"],
    [".text", "unspec"],
    ["license", "unspec"],
    ["from-container", "unspec"], // Cilium's own sections: give --type
  ];
  for (const [section, type] of cases) assert.equal(programTypeOfSection(section), type, section);
  assert.equal(BPF_PROG_TYPE.tracing, 26);
});
