/**
 * Linux's helpers beyond the map lookups, with their ids and prototypes: those that mean
 * something off-kernel run (time, random numbers, `bpf_trace_printk`, tail calls, perf and
 * ring buffer output, queues and stacks, packet reads and writes, `bpf_xdp_adjust_head`,
 * checksums); the others (process and kernel state: `bpf_get_current_pid_tgid`,
 * `bpf_probe_read_kernel`, redirects …) are declared so that programs verify, and fail with a
 * clear `helper` error if a run reaches them.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { HelperContext, HelperFunction, HelperPrototype, HelperRegistry } from "./helpers.ts";
import type { BpfMap } from "./maps.ts";
import type { BpfMemory } from "./memory.ts";
import type { BpfQueueMap } from "./map_queue.ts";
import { BpfRingBuf } from "./map_ringbuf.ts";
import { BpfPerfEventArray } from "./map_perf.ts";
import { BpfBloomFilter } from "./map_bloom.ts";
import type { BpfRedirectMap } from "./map_redirect.ts";
import type { BpfStackTraceMap } from "./map_stack_trace.ts";
import type { BpfLocalStorageMap } from "./map_local_storage.ts";
import { MAP_HANDLE_BASE } from "./_map_helpers.ts";

/** What the helpers share with their VM. */
export interface LinuxHelperEnv {
  /** The VM's maps by fd. */
  maps: readonly BpfMap[];
  /** Nanoseconds for `bpf_ktime_get_ns`. */
  nanos(): bigint;
  /** A random 32-bit number. */
  random(): number;
  /** Where `bpf_trace_printk` lines go. */
  trace(line: string): void;
  /** A tail call asked for: the program to run next (the helper then ends the program). */
  tailCall(target: object): boolean;
  /** Runs a `bpf_loop` callback once in an engine's address space; returns its R0. */
  loopCallback(handle: bigint, memory: BpfMemory, index: number, ctx: bigint): bigint;
}

const EINVAL = 22n, ENOENT = 2n, EFAULT = 14n, E2BIG = 7n;
/** `bpf_loop`'s most iterations (Linux's `BPF_MAX_LOOPS`). */
const MAX_LOOPS = 1 << 23;
const neg = (e: bigint) => BigInt.asUintN(64, -e);

/** Where the runtime keeps `data` and `data_end` (64-bit) in a context, by context kind. */
const SKB_DATA = 192, XDP_DATA = 24;
/** The smallest packet `bpf_xdp_adjust_head` leaves (an Ethernet header). */
const ETH_HLEN = 14;

const u64 = (b: Uint8Array, o: number): bigint =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(o, true);
const setU64 = (b: Uint8Array, o: number, v: bigint) =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(o, v, true);

/** The context bytes a `ctx` argument points to (the run's memory). */
function ctxBytes(memory: BpfMemory, p: bigint, size: number): Uint8Array {
  return memory.slice(p, size);
}

/** Formats `bpf_trace_printk`'s format with up to three arguments. */
export function formatTrace(fmt: string, args: bigint[], str: (p: bigint) => string): string {
  let k = 0;
  return fmt.replace(/%(l{0,2})([diuxXpsc%])/g, (_m, l: string, c: string) => {
    if (c === "%") return "%";
    const v = args[k++] ?? 0n;
    const bits = l.length === 0 ? 32 : 64;
    switch (c) {
      case "d":
      case "i":
        return BigInt.asIntN(bits, v).toString();
      case "u":
        return BigInt.asUintN(bits, v).toString();
      case "x":
        return BigInt.asUintN(bits, v).toString(16);
      case "X":
        return BigInt.asUintN(bits, v).toString(16).toUpperCase();
      case "p":
        return "0x" + v.toString(16);
      case "c":
        return String.fromCharCode(Number(v & 0xffn));
      default:
        return str(v);
    }
  });
}

/**
 * Registers Linux's helpers (other than 1–3) in a VM's registry.
 *
 * @param registry The registry.
 * @param env What they share with the VM.
 * @returns The registry.
 */
export function registerLinuxHelpers(
  registry: HelperRegistry,
  env: LinuxHelperEnv,
): HelperRegistry {
  const mapOf = (handle: bigint): BpfMap => {
    const fd = handle - MAP_HANDLE_BASE;
    const m = fd >= 0n && fd < BigInt(env.maps.length) ? env.maps[Number(fd)] : undefined;
    if (m === undefined) throw new BpfError("helper", `0x${handle.toString(16)} is not a map`);
    return m;
  };
  const cstr = (memory: BpfMemory, p: bigint, max: number): string => {
    const region = Number(p >> 32n);
    const off = Number(p & 0xffffffffn);
    const bytes = memory.bytes[region];
    if (bytes === undefined || region === 0) return "(null)";
    let e = off;
    while (e < bytes.length && e < off + max && bytes[e] !== 0) e++;
    return new TextDecoder().decode(bytes.subarray(off, e));
  };
  const def = (id: number, name: string, fn: HelperFunction, proto: HelperPrototype) =>
    registry.register(id, name, fn, proto);
  const declared = (id: number, name: string, proto: HelperPrototype) =>
    def(id, name, () => {
      throw new BpfError(
        "helper",
        `bpf_${name} (helper ${id}) is declared for verification only: it has no meaning off-kernel`,
      );
    }, proto);
  const none: HelperPrototype = { args: [] };

  def(5, "ktime_get_ns", () => env.nanos(), none);
  def(125, "ktime_get_boot_ns", () => env.nanos(), none);
  def(160, "ktime_get_coarse_ns", () => env.nanos(), none);
  def(118, "jiffies64", () => env.nanos() / 4_000_000n, none);
  def(7, "get_prandom_u32", () => BigInt(env.random() >>> 0), none);
  def(8, "get_smp_processor_id", () => 0n, none);
  def(42, "get_numa_node_id", () => 0n, none);
  def(6, "trace_printk", (fmt, size, a, b, c, ctx) => {
    const text = new TextDecoder().decode(ctx.memory.slice(fmt, Number(size))).replace(
      /\0.*$/s,
      "",
    );
    const line = formatTrace(text, [a, b, c], (p) => cstr(ctx.memory, p, 256)).replace(/\n$/, "");
    env.trace(line);
    return BigInt(line.length + 1);
  }, { args: [{ mem: "read" }, "size", "anything", "anything", "anything"] });

  const argsOf = (hc: HelperContext, data: bigint, len: bigint): bigint[] => {
    const n = Number(len);
    if (n === 0) return [];
    const b = hc.memory.slice(data, n);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out: bigint[] = [];
    for (let k = 0; k + 8 <= n; k += 8) out.push(v.getBigUint64(k, true));
    return out;
  };
  const fmtOf = (hc: HelperContext, p: bigint, size: bigint): string =>
    new TextDecoder().decode(hc.memory.slice(p, Number(size))).replace(/\0.*$/s, "");
  def(177, "trace_vprintk", (fmt, size, data, len, _r5, hc) => {
    const line = formatTrace(
      fmtOf(hc, fmt, size),
      argsOf(hc, data, len),
      (p) => cstr(hc.memory, p, 256),
    ).replace(/\n$/, "");
    env.trace(line);
    return BigInt(line.length + 1);
  }, { args: [{ mem: "read" }, "size", { mem: "read" }, "size-or-zero"] });
  def(165, "snprintf", (str, strSize, fmt, data, len, hc) => {
    const text = formatTrace(
      cstr(hc.memory, fmt, 1024),
      argsOf(hc, data, len),
      (p) => cstr(hc.memory, p, 256),
    );
    const out = hc.memory.slice(str, Number(strSize));
    const bytes = new TextEncoder().encode(text);
    const n = Math.min(bytes.length, out.length - 1);
    if (out.length > 0) {
      out.set(bytes.subarray(0, n));
      out[n] = 0;
    }
    return BigInt(bytes.length + 1);
  }, { args: [{ mem: "write" }, "size-or-zero", "string", { mem: "read" }, "size-or-zero"] });

  def(12, "tail_call", (_ctx, map, index, _r4, _r5, hc: HelperContext) => {
    const m = mapOf(map);
    const i = Number(index & 0xffffffffn);
    const target = i < m.maxEntries ? m.objectAt(i) : undefined;
    if (target === undefined || !env.tailCall(target)) return neg(ENOENT);
    hc.stop();
    return 0n;
  }, { args: ["ctx", "map", "scalar"] });

  def(25, "perf_event_output", (_ctx, map, flags, data, size, hc) => {
    const m = mapOf(map);
    if (!(m instanceof BpfPerfEventArray)) return neg(EINVAL);
    const bytes = hc.memory.slice(data, Number(size));
    return BigInt.asUintN(
      64,
      BigInt(m.outputErrno(Number(flags & 0xffffffffn), bytes, 0, bytes.length)),
    );
  }, { args: ["ctx", "map", "scalar", { mem: "read" }, "size-or-zero"] });

  def(130, "ringbuf_output", (map, data, size, _flags, _r5, hc) => {
    const m = mapOf(map) as BpfRingBuf;
    const bytes = hc.memory.slice(data, Number(size));
    return BigInt.asUintN(64, BigInt(m.output(bytes, 0, bytes.length)));
  }, { args: ["map", { mem: "read" }, "size-or-zero", "scalar"] });
  def(131, "ringbuf_reserve", (map, size, _flags, _r4, _r5, hc) => {
    const m = mapOf(map) as BpfRingBuf;
    const at = m.reserve(Number(size));
    return at < 0 ? 0n : hc.memory.addressOf(m.data) + BigInt(at);
  }, { args: ["map", "const-size", "scalar"], returns: "ringbuf-mem-or-null" });
  const commit = (discard: boolean): HelperFunction => (p, _f, _3, _4, _5, hc) => {
    const region = Number(p >> 32n);
    const bytes = hc.memory.bytes[region];
    const rb = env.maps.find((m) => m instanceof BpfRingBuf && m.data === bytes) as
      | BpfRingBuf
      | undefined;
    if (rb === undefined) {
      throw new BpfError("helper", `0x${p.toString(16)} is not a ring buffer record`);
    }
    rb.commit(Number(p & 0xffffffffn), discard);
    return 0n;
  };
  def(132, "ringbuf_submit", commit(false), { args: ["ringbuf-mem", "scalar"] });
  def(133, "ringbuf_discard", commit(true), { args: ["ringbuf-mem", "scalar"] });
  def(134, "ringbuf_query", (map, flags) => {
    const m = mapOf(map) as BpfRingBuf;
    return BigInt(m.query(Number(flags)));
  }, { args: ["map", "scalar"] });

  def(87, "map_push_elem", (map, value, flags, _r4, _r5, hc) => {
    const m = mapOf(map) as BpfQueueMap | BpfBloomFilter;
    const v = hc.memory.slice(value, m.valueSize);
    const f = flags > 0xffffffffn ? -1 : Number(flags);
    return BigInt.asUintN(64, BigInt(m.pushErrno(v, 0, f)));
  }, { args: ["map", "map-value", "scalar"] });
  const pop = (peek: boolean): HelperFunction => (map, value, _3, _4, _5, hc) => {
    const m = mapOf(map);
    const out = hc.memory.slice(value, m.valueSize);
    // A bloom filter's peek tests the value (0: maybe present, -ENOENT: absent).
    if (m instanceof BpfBloomFilter) return BigInt.asUintN(64, BigInt(m.peekErrno(out, 0)));
    return BigInt.asUintN(64, BigInt((m as BpfQueueMap).popErrno(out, 0, peek)));
  };
  def(88, "map_pop_elem", pop(false), { args: ["map", "map-value-out"] });
  def(89, "map_peek_elem", pop(true), { args: ["map", "map-value-out"] });

  // Packet access through the context (__sk_buff: data at 192; xdp_md: at 24).
  const packet = (hc: HelperContext, ctx: bigint, dataAt: number) => {
    const c = ctxBytes(hc.memory, ctx, dataAt + 16);
    const data = u64(c, dataAt), end = u64(c, dataAt + 8);
    return { c, data, len: Number(end - data) };
  };
  def(26, "skb_load_bytes", (ctx, off, to, len, _r5, hc) => {
    const { data, len: n } = packet(hc, ctx, SKB_DATA);
    const o = Number(BigInt.asIntN(32, off)), l = Number(len);
    const dst = hc.memory.slice(to, l);
    if (o < 0 || o + l > n) {
      dst.fill(0);
      return neg(EFAULT);
    }
    dst.set(hc.memory.slice(data + BigInt(o), l));
    return 0n;
  }, { args: ["ctx", "scalar", { mem: "write" }, "size"] });
  def(9, "skb_store_bytes", (ctx, off, from, len, _flags, hc) => {
    const { data, len: n } = packet(hc, ctx, SKB_DATA);
    const o = Number(BigInt.asIntN(32, off)), l = Number(len);
    if (o < 0 || o + l > n) return neg(EFAULT);
    hc.memory.slice(data + BigInt(o), l).set(hc.memory.slice(from, l));
    return 0n;
  }, { args: ["ctx", "scalar", { mem: "read" }, "size", "scalar"], changesPacket: true });
  def(44, "xdp_adjust_head", (ctx, delta, _3, _4, _5, hc) => {
    const { c, data, len } = packet(hc, ctx, XDP_DATA);
    const d = Number(BigInt.asIntN(32, delta));
    const off = Number(data & 0xffffffffn) + d;
    if (off < 0 || len - d < ETH_HLEN) return neg(EINVAL);
    setU64(c, XDP_DATA, data + BigInt.asUintN(64, BigInt(d)));
    return 0n;
  }, { args: ["ctx", "scalar"], changesPacket: true });
  def(65, "xdp_adjust_tail", (ctx, delta, _3, _4, _5, hc) => {
    const { c, data, len } = packet(hc, ctx, XDP_DATA);
    const d = Number(BigInt.asIntN(32, delta));
    const region = hc.memory.bytes[Number(data >> 32n)];
    const end = Number(data & 0xffffffffn) + len + d;
    if (len + d < ETH_HLEN || end > region.length) return neg(EINVAL);
    setU64(c, XDP_DATA + 8, data + BigInt(len + d));
    return 0n;
  }, { args: ["ctx", "scalar"], changesPacket: true });
  def(28, "csum_diff", (from, fromSize, to, toSize, seed, hc) => {
    // The one's complement sum of `to` minus that of `from`, added to `seed` (32-bit folded).
    const sum = (p: bigint, n: number, sign: number) => {
      const b = hc.memory.slice(p, n);
      let s = 0;
      for (let k = 0; k + 3 < n; k += 4) {
        const w = (b[k] | (b[k + 1] << 8) | (b[k + 2] << 16) | (b[k + 3] << 24)) >>> 0;
        s += sign > 0 ? w : (~w >>> 0);
      }
      return s;
    };
    const fn = Number(fromSize), tn = Number(toSize);
    if (fn % 4 !== 0 || tn % 4 !== 0) return neg(EINVAL);
    let s = Number(seed & 0xffffffffn) + sum(from, fn, -1) + sum(to, tn, 1);
    while (s > 0xffffffff) s = (s % 0x100000000) + Math.floor(s / 0x100000000);
    return BigInt(s >>> 0);
  }, {
    args: [{ mem: "read" }, "size-or-zero", { mem: "read" }, "size-or-zero", "scalar"],
  });

  // Declared for verification: kernel and process state, redirects, checksum rewriting.
  const readKernel: HelperPrototype = { args: [{ mem: "write" }, "size-or-zero", "anything"] };
  for (
    const [id, name] of [
      [4, "probe_read"],
      [45, "probe_read_str"],
      [112, "probe_read_user"],
      [113, "probe_read_kernel"],
      [114, "probe_read_user_str"],
      [115, "probe_read_kernel_str"],
    ] as const
  ) declared(id, name, readKernel);
  declared(14, "get_current_pid_tgid", none);
  declared(15, "get_current_uid_gid", none);
  declared(16, "get_current_comm", { args: [{ mem: "write" }, "size"] });
  declared(35, "get_current_task", none);
  declared(80, "get_current_cgroup_id", none);
  // bpf_loop: the callback runs nr_loops times (at most 2^23) until it returns non-zero.
  def(181, "loop", (nr, fn, ctx, flags, _r5, hc) => {
    if (flags !== 0n) return neg(EINVAL);
    const n = Number(nr & 0xffffffffn);
    if (n > MAX_LOOPS) return neg(E2BIG);
    for (let i = 0; i < n; i++) {
      if (env.loopCallback(fn, hc.memory, i, ctx) !== 0n) return BigInt(i + 1);
    }
    return BigInt(n);
  }, { args: ["scalar", "func", "anything", "scalar"] });
  // Spin locks: programs run one at a time off-kernel, so taking a lock is a no-op; the
  // verifier has made sure that every path releases it.
  def(93, "spin_lock", () => 0n, { args: ["spin-lock"] });
  def(94, "spin_unlock", () => 0n, { args: ["spin-unlock"] });
  // Stacks: off-kernel a program has no call chain, so these fail as Linux's do without one.
  def(27, "get_stackid", (_ctx, map, flags) => {
    const m = mapOf(map) as BpfStackTraceMap;
    return neg(BigInt(-m.stackId(flags > 0xffffffffn ? -1 : Number(flags))));
  }, { args: ["ctx", "map", "scalar"] });
  def(67, "get_stack", (_ctx, buf, size, flags, _r5, hc) => {
    hc.memory.slice(buf, Number(size)).fill(0);
    // BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID
    return (flags & ~0x9ffn) !== 0n ? neg(EINVAL) : neg(EFAULT);
  }, { args: ["ctx", { mem: "write" }, "size-or-zero", "scalar"] });
  // XDP redirects: Linux's verdict (XDP_REDIRECT, or the flags' fallback action).
  def(51, "redirect_map", (map, key, flags) => {
    const m = mapOf(map) as BpfRedirectMap;
    return BigInt(m.redirect(Number(key & 0xffffffffn), flags > 0xffffffffn ? -1 : Number(flags)));
  }, { args: ["map", "scalar", "scalar"] });
  def(81, "get_local_storage", (map, _flags, _r3, _r4, _r5, hc) => {
    const m = mapOf(map) as BpfLocalStorageMap;
    return hc.memory.addressOf(m.value!);
  }, { args: ["map", "scalar"], returns: "map-value" });
  // Storage on kernel objects (sockets, inodes, tasks, cgroups): verified, not run.
  for (
    const [id, name] of [
      [107, "sk_storage"],
      [145, "inode_storage"],
      [156, "task_storage"],
      [210, "cgrp_storage"],
    ] as const
  ) {
    declared(id, `${name}_get`, {
      args: ["map", "anything", "map-value-or-null", "scalar"],
      returns: "map-value-or-null",
    });
    declared(id + 1, `${name}_delete`, { args: ["map", "anything"] });
  }
  // Socket maps: sockets exist only in a kernel.
  declared(52, "sk_redirect_map", { args: ["ctx", "map", "scalar", "scalar"] });
  declared(53, "sock_map_update", { args: ["ctx", "map", "map-key", "scalar"] });
  declared(60, "msg_redirect_map", { args: ["ctx", "map", "scalar", "scalar"] });
  declared(70, "sock_hash_update", { args: ["ctx", "map", "map-key", "scalar"] });
  declared(71, "msg_redirect_hash", { args: ["ctx", "map", "map-key", "scalar"] });
  declared(72, "sk_redirect_hash", { args: ["ctx", "map", "map-key", "scalar"] });
  declared(82, "sk_select_reuseport", { args: ["ctx", "map", "map-key", "scalar"] });
  declared(23, "redirect", { args: ["scalar", "scalar"] });
  declared(10, "l3_csum_replace", {
    args: ["ctx", "scalar", "scalar", "scalar", "scalar"],
    changesPacket: true,
  });
  declared(11, "l4_csum_replace", {
    args: ["ctx", "scalar", "scalar", "scalar", "scalar"],
    changesPacket: true,
  });
  declared(13, "clone_redirect", { args: ["ctx", "scalar", "scalar"] });
  const skbChange = (id: number, name: string, n: number) =>
    declared(id, name, {
      args: ["ctx", ...new Array<"scalar">(n).fill("scalar")],
      changesPacket: true,
    });
  skbChange(18, "skb_vlan_push", 2);
  skbChange(19, "skb_vlan_pop", 0);
  skbChange(31, "skb_change_proto", 2);
  skbChange(38, "skb_change_tail", 2);
  skbChange(39, "skb_pull_data", 1);
  skbChange(43, "skb_change_head", 2);
  skbChange(50, "skb_adjust_room", 3);
  declared(20, "skb_get_tunnel_key", { args: ["ctx", { mem: "write" }, "size", "scalar"] });
  declared(21, "skb_set_tunnel_key", { args: ["ctx", { mem: "read" }, "size", "scalar"] });
  declared(32, "skb_change_type", { args: ["ctx", "scalar"] });
  declared(40, "csum_update", { args: ["ctx", "scalar"] });
  declared(41, "set_hash_invalid", { args: ["ctx"] });
  declared(48, "set_hash", { args: ["ctx", "scalar"] });
  declared(79, "skb_cgroup_id", { args: ["ctx"] });
  declared(122, "get_netns_cookie", { args: ["anything"] });
  declared(152, "redirect_neigh", { args: ["scalar", "anything", "scalar", "scalar"] });
  declared(155, "redirect_peer", { args: ["scalar", "scalar"] });
  declared(36, "probe_write_user", { args: ["anything", { mem: "read" }, "size"] });
  declared(109, "send_signal", { args: ["scalar"] });
  declared(120, "get_ns_current_pid_tgid", {
    args: ["scalar", "scalar", { mem: "write" }, "size"],
  });
  declared(158, "get_current_task_btf", none);
  declared(173, "get_func_ip", { args: ["ctx"] });
  declared(17, "get_cgroup_classid", { args: ["ctx"] });
  declared(34, "get_hash_recalc", { args: ["ctx"] });
  declared(46, "get_socket_cookie", { args: ["ctx"] });
  declared(47, "get_socket_uid", { args: ["ctx"] });
  declared(54, "xdp_adjust_meta", { args: ["ctx", "scalar"], changesPacket: true });
  declared(69, "fib_lookup", { args: ["ctx", { mem: "read-write" }, "size", "scalar"] });
  declared(68, "skb_load_bytes_relative", {
    args: ["ctx", "scalar", { mem: "write" }, "size", "scalar"],
  });
  return registry;
}
