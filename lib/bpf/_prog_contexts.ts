/**
 * What each program type's context looks like to the verifier and at run time: the UAPI layout
 * a program reads (`struct __sk_buff`, `struct xdp_md`, `struct pt_regs` …), which fields are
 * packet pointers (`data`, `data_end`), which may be written, and where the runtime keeps the
 * 64-bit pointers (after the UAPI bytes: a 4-byte load of `data` is rewritten into an 8-byte
 * load there, as Linux rewrites context accesses). Also: the helpers each type may call.
 *
 * @module
 */
import type { BpfProgramType } from "./program_types.ts";

/** A field of a context. */
export interface CtxField {
  /** Offset in the UAPI struct. */
  off: number;
  /** Size in bytes (of the whole field; reads inside it are allowed). */
  size: number;
  /** Its name, for messages. */
  name: string;
  /** A scalar, the packet's start or end, or something mxy cannot give (a kernel pointer). */
  kind: "scalar" | "pkt" | "pkt_end" | "none";
  /** Whether programs may write it. */
  write?: boolean;
  /** For `pkt`/`pkt_end`: where the runtime keeps the 64-bit pointer. */
  kernelOff?: number;
}

/** A program type's context. */
export interface CtxLayout {
  /** Its name (`__sk_buff`, `xdp_md`, `pt_regs` …). */
  name: string;
  /** The UAPI size a program may access. */
  size: number;
  /** The runtime context's size (UAPI bytes, then the 64-bit pointers). */
  kernelSize: number;
  /** Named fields; `null`: any aligned read of 1-8 bytes inside `size` (tracing contexts). */
  fields: readonly CtxField[] | null;
  /** Whether the program's input (what `run` is given) is a packet (else the context bytes). */
  packet: boolean;
  /** Packet contexts: where the runtime keeps the 64-bit `data` (then `data_end`). */
  dataAt: number;
}

const SKB_SIZE = 192;
/** `struct __sk_buff`: socket filters, tc, cgroup skb (offsets from linux/bpf.h). */
function skbFields(tc: boolean): CtxField[] {
  const f: CtxField[] = [];
  const scalar = (off: number, size: number, name: string, write = false) =>
    f.push({ off, size, name, kind: "scalar", write });
  scalar(0, 4, "len");
  scalar(4, 4, "pkt_type");
  scalar(8, 4, "mark", tc);
  scalar(12, 4, "queue_mapping", tc);
  scalar(16, 4, "protocol");
  scalar(20, 4, "vlan_present");
  scalar(24, 4, "vlan_tci");
  scalar(28, 4, "vlan_proto");
  scalar(32, 4, "priority", tc);
  scalar(36, 4, "ingress_ifindex");
  scalar(40, 4, "ifindex");
  scalar(44, 4, "tc_index", tc);
  for (let k = 0; k < 5; k++) scalar(48 + 4 * k, 4, `cb[${k}]`, true);
  scalar(68, 4, "hash");
  scalar(72, 4, "tc_classid", tc);
  if (tc) {
    f.push({ off: 76, size: 4, name: "data", kind: "pkt", kernelOff: SKB_SIZE });
    f.push({ off: 80, size: 4, name: "data_end", kind: "pkt_end", kernelOff: SKB_SIZE + 8 });
  } else {
    // Socket filters read the packet with bpf_skb_load_bytes, not through data/data_end.
    f.push({ off: 76, size: 8, name: "data/data_end", kind: "none" });
  }
  scalar(84, 4, "napi_id");
  scalar(88, 4, "family");
  scalar(92, 4, "remote_ip4");
  scalar(96, 4, "local_ip4");
  for (let k = 0; k < 4; k++) scalar(100 + 4 * k, 4, `remote_ip6[${k}]`);
  for (let k = 0; k < 4; k++) scalar(116 + 4 * k, 4, `local_ip6[${k}]`);
  scalar(132, 4, "remote_port");
  scalar(136, 4, "local_port");
  f.push({ off: 140, size: 4, name: "data_meta", kind: "none" });
  f.push({ off: 144, size: 8, name: "flow_keys", kind: "none" });
  scalar(152, 8, "tstamp", tc);
  scalar(160, 4, "wire_len");
  scalar(164, 4, "gso_segs");
  f.push({ off: 168, size: 8, name: "sk", kind: "none" });
  scalar(176, 4, "gso_size");
  scalar(184, 8, "hwtstamp");
  return f;
}

const XDP_SIZE = 24;
const XDP: CtxLayout = {
  name: "xdp_md",
  size: XDP_SIZE,
  kernelSize: XDP_SIZE + 16,
  packet: true,
  dataAt: XDP_SIZE,
  fields: [
    { off: 0, size: 4, name: "data", kind: "pkt", kernelOff: XDP_SIZE },
    { off: 4, size: 4, name: "data_end", kind: "pkt_end", kernelOff: XDP_SIZE + 8 },
    { off: 8, size: 4, name: "data_meta", kind: "none" },
    { off: 12, size: 4, name: "ingress_ifindex", kind: "scalar" },
    { off: 16, size: 4, name: "rx_queue_index", kind: "scalar" },
    { off: 20, size: 4, name: "egress_ifindex", kind: "scalar" },
  ],
};
const SKB_TC: CtxLayout = {
  name: "__sk_buff",
  size: SKB_SIZE,
  kernelSize: SKB_SIZE + 16,
  packet: true,
  dataAt: SKB_SIZE,
  fields: skbFields(true),
};
const SKB_SOCKET: CtxLayout = {
  name: "__sk_buff",
  size: SKB_SIZE,
  kernelSize: SKB_SIZE + 16,
  packet: true,
  dataAt: SKB_SIZE,
  fields: skbFields(false),
};
/** `struct pt_regs` of x86-64 (21 registers). */
const PT_REGS: CtxLayout = {
  name: "pt_regs",
  size: 168,
  kernelSize: 168,
  packet: false,
  dataAt: 0,
  fields: null,
};
/** A tracepoint's record (its size depends on the tracepoint: up to PERF_MAX_TRACE_SIZE). */
const TRACEPOINT: CtxLayout = {
  name: "tracepoint record",
  size: 2048,
  kernelSize: 2048,
  packet: false,
  dataAt: 0,
  fields: null,
};
/** `struct bpf_raw_tracepoint_args`: up to 12 u64 arguments. */
const RAW_TP: CtxLayout = {
  name: "bpf_raw_tracepoint_args",
  size: 96,
  kernelSize: 96,
  packet: false,
  dataAt: 0,
  fields: null,
};
/** `struct bpf_perf_event_data`: pt_regs, sample_period, addr. */
const PERF_EVENT: CtxLayout = {
  name: "bpf_perf_event_data",
  size: 184,
  kernelSize: 184,
  packet: false,
  dataAt: 0,
  fields: null,
};

/**
 * The context layout of a program type.
 *
 * @param t The type.
 * @returns Its layout, or `null` for `unspec` and the types mxy has no layout for.
 */
export function contextLayout(t: BpfProgramType): CtxLayout | null {
  switch (t) {
    case "xdp":
      return XDP;
    case "sched_cls":
    case "sched_act":
    case "lwt_in":
    case "lwt_out":
    case "lwt_xmit":
      return SKB_TC;
    case "socket_filter":
    case "cgroup_skb":
    case "sk_skb":
      return SKB_SOCKET;
    case "kprobe":
      return PT_REGS;
    case "tracepoint":
      return TRACEPOINT;
    case "raw_tracepoint":
    case "raw_tracepoint_writable":
    case "tracing":
    case "lsm":
      return RAW_TP;
    case "perf_event":
      return PERF_EVENT;
    default:
      return null;
  }
}

/** Helpers every program type may call (`bpf_base_func_proto`). */
const BASE = [
  1,
  2,
  3,
  181, // bpf_loop
  93, // bpf_spin_lock, bpf_spin_unlock (not for tracing programs: the verifier says so)
  94,
  5,
  6,
  7,
  8,
  12,
  42,
  87,
  88,
  89,
  118,
  125,
  130,
  131,
  132,
  133,
  134,
  160,
  165,
  177,
];
/** Tracing helpers (`bpf_tracing_func_proto`). */
const TRACING = [
  4,
  14,
  15,
  16,
  25,
  27,
  35,
  36,
  45,
  67,
  80,
  109,
  112,
  113,
  114,
  115,
  120,
  158,
  173,
  107, // sk, task and cgroup storage
  108,
  156,
  157,
  210,
  211,
];
/** Networking helpers by context family. */
const SKB_READ = [17, 25, 26, 34, 46, 47, 68, 79, 122];
const TC_ONLY = [
  9,
  10,
  11,
  13,
  18,
  19,
  20,
  21,
  23,
  28,
  31,
  32,
  38,
  39,
  40,
  41,
  43,
  48,
  50,
  51,
  69,
  152,
  155,
];
const XDP_ONLY = [23, 25, 28, 44, 51, 54, 65, 69, 122];

/**
 * The Linux helper ids a program type may call (`get_func_proto` of its verifier ops), or
 * `null` for `unspec` (any registered helper).
 *
 * @param t The type.
 * @returns The ids.
 */
export function allowedHelpers(t: BpfProgramType): ReadonlySet<number> | null {
  switch (t) {
    case "unspec":
      return null;
    case "xdp":
      return new Set([...BASE, ...XDP_ONLY]);
    case "sched_cls":
    case "sched_act":
    case "lwt_in":
    case "lwt_out":
    case "lwt_xmit":
      return new Set([...BASE, ...SKB_READ, ...TC_ONLY]);
    case "socket_filter":
      return new Set([...BASE, ...SKB_READ]);
    case "cgroup_skb": // + get_local_storage, sk_storage_get/delete
      return new Set([...BASE, ...SKB_READ, 81, 107, 108]);
    case "sk_skb": // + sk_redirect_map/hash
      return new Set([...BASE, ...SKB_READ, 52, 72]);
    case "kprobe":
    case "tracepoint":
    case "raw_tracepoint":
    case "raw_tracepoint_writable":
    case "perf_event":
    case "tracing":
      return new Set([...BASE, ...TRACING]);
    case "lsm": // + inode storage
      return new Set([...BASE, ...TRACING, 145, 146]);
    default:
      return null;
  }
}
