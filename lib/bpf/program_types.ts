/**
 * eBPF program types: Linux's ids and the section names libbpf reads them from (`SEC("xdp")`,
 * `SEC("kprobe/…")` …).
 *
 * @module
 */

/**
 * A program type, by Linux's name without the `BPF_PROG_TYPE_` prefix, lower case; `"unspec"`
 * for a program whose section names no type (mxy's own convention: R1 is the input, R2 its
 * length).
 *
 * @example
 * ```ts
 * import { type BpfProgramType, programTypeOfSection } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const t: BpfProgramType = programTypeOfSection("classifier/ingress");
 * assert.equal(t, "sched_cls");
 * ```
 */
export type BpfProgramType =
  | "unspec"
  | "socket_filter"
  | "kprobe"
  | "sched_cls"
  | "sched_act"
  | "tracepoint"
  | "xdp"
  | "perf_event"
  | "cgroup_skb"
  | "cgroup_sock"
  | "lwt_in"
  | "lwt_out"
  | "lwt_xmit"
  | "sock_ops"
  | "sk_skb"
  | "cgroup_device"
  | "sk_msg"
  | "raw_tracepoint"
  | "cgroup_sock_addr"
  | "lwt_seg6local"
  | "lirc_mode2"
  | "sk_reuseport"
  | "flow_dissector"
  | "cgroup_sysctl"
  | "raw_tracepoint_writable"
  | "cgroup_sockopt"
  | "tracing"
  | "struct_ops"
  | "ext"
  | "lsm"
  | "sk_lookup"
  | "syscall"
  | "netfilter";

/**
 * Linux's `enum bpf_prog_type` numbers.
 *
 * @example
 * ```ts
 * import { BPF_PROG_TYPE } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * assert.equal(BPF_PROG_TYPE.xdp, 6);
 * assert.equal(BPF_PROG_TYPE.socket_filter, 1);
 * ```
 */
export const BPF_PROG_TYPE: Readonly<Record<BpfProgramType, number>> = Object.freeze({
  unspec: 0,
  socket_filter: 1,
  kprobe: 2,
  sched_cls: 3,
  sched_act: 4,
  tracepoint: 5,
  xdp: 6,
  perf_event: 7,
  cgroup_skb: 8,
  cgroup_sock: 9,
  lwt_in: 10,
  lwt_out: 11,
  lwt_xmit: 12,
  sock_ops: 13,
  sk_skb: 14,
  cgroup_device: 15,
  sk_msg: 16,
  raw_tracepoint: 17,
  cgroup_sock_addr: 18,
  lwt_seg6local: 19,
  lirc_mode2: 20,
  sk_reuseport: 21,
  flow_dissector: 22,
  cgroup_sysctl: 23,
  raw_tracepoint_writable: 24,
  cgroup_sockopt: 25,
  tracing: 26,
  struct_ops: 27,
  ext: 28,
  lsm: 29,
  sk_lookup: 30,
  syscall: 31,
  netfilter: 32,
});

/** Section name prefixes (before `/` or the end) as libbpf's `section_defs`, longest first. */
const SECTIONS: readonly [string, BpfProgramType][] = [
  ["socket", "socket_filter"],
  ["sk_reuseport", "sk_reuseport"],
  ["kprobe", "kprobe"],
  ["kretprobe", "kprobe"],
  ["uprobe", "kprobe"],
  ["uretprobe", "kprobe"],
  ["kprobe.multi", "kprobe"],
  ["kretprobe.multi", "kprobe"],
  ["uprobe.multi", "kprobe"],
  ["uretprobe.multi", "kprobe"],
  ["ksyscall", "kprobe"],
  ["kretsyscall", "kprobe"],
  ["usdt", "kprobe"],
  ["tc", "sched_cls"],
  ["tcx", "sched_cls"],
  ["tc_packet_hook", "sched_cls"],
  ["classifier", "sched_cls"],
  ["action", "sched_act"],
  ["tracepoint", "tracepoint"],
  ["tp", "tracepoint"],
  ["raw_tracepoint", "raw_tracepoint"],
  ["raw_tp", "raw_tracepoint"],
  ["raw_tracepoint.w", "raw_tracepoint_writable"],
  ["raw_tp.w", "raw_tracepoint_writable"],
  ["tp_btf", "tracing"],
  ["fentry", "tracing"],
  ["fmod_ret", "tracing"],
  ["fexit", "tracing"],
  ["fentry.s", "tracing"],
  ["fexit.s", "tracing"],
  ["iter", "tracing"],
  ["iter.s", "tracing"],
  ["freplace", "ext"],
  ["lsm", "lsm"],
  ["lsm.s", "lsm"],
  ["lsm_cgroup", "lsm"],
  ["xdp", "xdp"],
  ["xdp.frags", "xdp"],
  ["xdp_devmap", "xdp"],
  ["xdp_cpumap", "xdp"],
  ["perf_event", "perf_event"],
  ["lwt_in", "lwt_in"],
  ["lwt_out", "lwt_out"],
  ["lwt_xmit", "lwt_xmit"],
  ["lwt_seg6local", "lwt_seg6local"],
  ["sockops", "sock_ops"],
  ["sk_skb", "sk_skb"],
  ["sk_msg", "sk_msg"],
  ["lirc_mode2", "lirc_mode2"],
  ["flow_dissector", "flow_dissector"],
  ["cgroup_skb", "cgroup_skb"],
  ["cgroup/skb", "cgroup_skb"],
  ["cgroup/dev", "cgroup_device"],
  ["cgroup/sysctl", "cgroup_sysctl"],
  ["cgroup/getsockopt", "cgroup_sockopt"],
  ["cgroup/setsockopt", "cgroup_sockopt"],
  ["struct_ops", "struct_ops"],
  ["struct_ops.s", "struct_ops"],
  ["sk_lookup", "sk_lookup"],
  ["syscall", "syscall"],
  ["netfilter", "netfilter"],
];

/**
 * The program type libbpf gives a section name (`"xdp"`, `"socket"`, `"kprobe/do_sys_open"`,
 * `"tracepoint/syscalls/sys_enter_openat"`, `"classifier"`, `"tc"` …; a leading `?`, libbpf's
 * "do not autoload", is ignored; names that only start with a prefix, as old objects have them
 * — `"xdp1"`, `"socket1"` — match it as libbpf before 1.0 did). `cgroup/…` sections other than those of `cgroup_skb`,
 * devices, sysctl and sockopt are `cgroup_sock`/`cgroup_sock_addr` programs.
 *
 * @param section The section name.
 * @returns The type, or `"unspec"` when the name says none.
 * @example
 * ```ts
 * import { programTypeOfSection } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * assert.equal(programTypeOfSection("xdp"), "xdp");
 * assert.equal(programTypeOfSection("kprobe/tcp_v4_connect"), "kprobe");
 * assert.equal(programTypeOfSection("tp/syscalls/sys_enter_execve"), "tracepoint");
 * assert.equal(programTypeOfSection("socket1"), "socket_filter");
 * assert.equal(programTypeOfSection("license"), "unspec");
 * ```
 */
export function programTypeOfSection(section: string): BpfProgramType {
  const name = section.startsWith("?") ? section.slice(1) : section;
  let best: BpfProgramType = "unspec", bestLen = -1;
  for (const [prefix, type] of SECTIONS) {
    if (prefix.length <= bestLen) continue;
    if (name === prefix || name.startsWith(prefix + "/") || name.startsWith(prefix + ".")) {
      // "xdp.frags" must not match "xdp" + "." when the whole prefix is listed: longest wins.
      best = type;
      bestLen = prefix.length;
    }
  }
  if (best === "unspec") {
    // Old objects (Linux's samples, iproute2, bcc): libbpf before 1.0 matched prefixes
    // loosely ("xdp1", "socket1", "kprobe_sys_open").
    for (const [prefix, type] of SECTIONS) {
      if (prefix.length > bestLen && prefix.length >= 2 && name.startsWith(prefix)) {
        best = type;
        bestLen = prefix.length;
      }
    }
  }
  if (best === "unspec" && name.startsWith("cgroup/")) {
    const hook = name.slice(7);
    return /^(bind|connect|sendmsg|recvmsg|getpeername|getsockname)/.test(hook)
      ? "cgroup_sock_addr"
      : "cgroup_sock";
  }
  return best;
}
