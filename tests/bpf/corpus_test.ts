// The clang corpus: C programs in testdata/bpf/, compiled at test time with
// `clang -O2 -g -target bpf`, loaded as libbpf would load them, run in every engine — one per
// map type, program type and helper (and a few that the verifier must reject).
import assert from "node:assert/strict";
import { loadElf, type LoadElfOptions } from "../../lib/bpf/elf_loader.ts";
import { parseElf } from "../../lib/bpf/elf_object.ts";
import { BpfVm, type BpfVmOptions } from "../../lib/bpf/vm.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import type { BpfPerfEventArray } from "../../lib/bpf/map_perf.ts";
import type { BpfRingBuf } from "../../lib/bpf/map_ringbuf.ts";
import type { BpfQueueMap } from "../../lib/bpf/map_queue.ts";
import type { BpfBloomFilter } from "../../lib/bpf/map_bloom.ts";
import type { BpfRedirectMap } from "../../lib/bpf/map_redirect.ts";
import type { BpfLocalStorageMap } from "../../lib/bpf/map_local_storage.ts";
import { hasProgram } from "../_fixtures.ts";

const DIR = new URL("../../testdata/bpf/", import.meta.url);
const ENGINES = ["interpreter", "jit-js", "wasm"] as const;

let objects: Map<string, Uint8Array> | null = null;

/** Compiles every C file of the corpus once (null without clang outside CI). */
async function corpus(): Promise<Map<string, Uint8Array> | null> {
  if (objects !== null) return objects;
  if (!hasProgram("clang")) return null;
  const tmp = await Deno.makeTempDir();
  const out = new Map<string, Uint8Array>();
  try {
    const files = [...Deno.readDirSync(DIR)].filter((e) => e.name.endsWith(".c"));
    await Promise.all(files.map(async ({ name }) => {
      const o = `${tmp}/${name.replace(/\.c$/, ".o")}`;
      const r = await new Deno.Command("clang", {
        args: ["-O2", "-g", "-target", "bpf", "-c", new URL(name, DIR).pathname, "-o", o],
        stderr: "piped",
      }).output();
      assert.ok(r.success, `${name}: ${new TextDecoder().decode(r.stderr)}`);
      out.set(name.replace(/\.c$/, ""), await Deno.readFile(o));
    }));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  return objects = out;
}

/** Loads an object of the corpus in a new VM with each engine. */
async function load(
  name: string,
  options: LoadElfOptions = {},
  vmOptions: BpfVmOptions = {},
): Promise<{ vm: BpfVm; elf: ReturnType<typeof loadElf> }[] | null> {
  const c = await corpus();
  if (c === null) return null;
  return ENGINES.map((engine) => {
    const vm = new BpfVm(vmOptions);
    return { vm, elf: loadElf(vm, c.get(name)!, { file: `${name}.o`, engine, ...options }) };
  });
}

/** An Ethernet + IPv4 packet: protocol, source, destination, TTL. */
function ipv4(proto: number, src: number[], dst: number[], ttl = 64, length = 60): Uint8Array {
  const p = new Uint8Array(length);
  p.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0);
  p[14] = 0x45;
  p[22] = ttl;
  p[23] = proto;
  p.set(src, 26);
  p.set(dst, 30);
  return p;
}

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);

Deno.test("corpus: XDP reads packets through data/data_end, adjusts the head, counts in an LRU hash", async () => {
  const all = await load("xdp");
  if (all === null) return;
  for (const { elf } of all) {
    const count = elf.programs.get("xdp_count")!;
    assert.equal(count.run(ipv4(6, [1, 1, 1, 1], [2, 2, 2, 2])), 2n); // XDP_PASS
    assert.equal(count.run(ipv4(17, [1, 1, 1, 1], [2, 2, 2, 2])), 2n);
    assert.equal(count.run(ipv4(6, [1, 1, 1, 1], [2, 2, 2, 2])), 2n);
    assert.equal(count.run(new Uint8Array(10)), 1n); // too short: XDP_DROP
    const byProto = elf.maps.get("by_proto")!;
    assert.equal(byProto.type, "lru_hash");
    assert.equal(u64(byProto.lookup(u32(6))!), 2n);
    // A third protocol in a two-entry LRU map evicts the least recently used (UDP).
    count.run(ipv4(1, [1, 1, 1, 1], [2, 2, 2, 2]));
    assert.equal(byProto.lookup(u32(17)), null);
    assert.equal(u64(byProto.lookup(u32(1))!), 1n);
    const strip = elf.programs.get("xdp_strip")!;
    const pkt = ipv4(6, [9, 9, 9, 9], [8, 8, 8, 8]);
    assert.equal(strip.run(pkt), 3n); // XDP_TX
    assert.deepEqual(strip.lastPacket(), pkt.subarray(14));
    assert.equal(strip.run(new Uint8Array(20)), 0n); // 6 bytes left: adjust_head refuses
  }
});

Deno.test("corpus: XDP parsing as real programs do: VLAN loop, variable IP header, ports; a packet loop", async () => {
  const all = await load("xdp_parse");
  if (all === null) return;
  for (const { elf } of all) {
    const p = new Uint8Array(80);
    p.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0, 5, 0x08, 0x00], 0); // VLAN 5
    p[18] = 0x46; // IPv4, a 24-byte header
    p[18 + 9] = 17;
    p[18 + 24 + 2] = 0x01; // UDP destination port 443
    p[18 + 24 + 3] = 0xbb;
    assert.equal(elf.programs.get("count_ports")!.run(p), 2n);
    assert.equal(u64(elf.maps.get("ports")!.lookup(u32(443))!), 1n);
    assert.equal(elf.programs.get("count_ports")!.run(p.subarray(0, 45)), 0n); // UDP cut: aborted
    assert.equal(elf.programs.get("sum_payload")!.run(new Uint8Array([1, 2, 3, 4, 5])), 3n);
  }
});

Deno.test("corpus: the verifier rejects a packet read not checked against data_end", async () => {
  const c = await corpus();
  if (c === null) return;
  assert.throws(
    () => loadElf(new BpfVm(), c.get("xdp_unchecked")!),
    (e: unknown) =>
      e instanceof BpfError && e.code === "verify" &&
      /invalid access to packet, off=12 size=1, R1\(id=0,off=0,r=0\)/.test(e.message),
  );
});

Deno.test("corpus: a socket filter reads __sk_buff and loads bytes; a percpu array sums lengths", async () => {
  const all = await load("socket_filter");
  if (all === null) return;
  for (const { elf } of all) {
    const keep = elf.programs.get("keep_ipv4")!;
    assert.equal(keep.run(ipv4(17, [1, 2, 3, 4], [5, 6, 7, 8], 64, 70)), 70n);
    assert.equal(keep.run(ipv4(6, [1, 2, 3, 4], [5, 6, 7, 8], 64, 80)), 0n);
    const arp = ipv4(17, [1, 2, 3, 4], [5, 6, 7, 8], 64, 42);
    arp[12] = 0x08;
    arp[13] = 0x06;
    assert.equal(keep.run(arp), 0n);
    const stats = elf.maps.get("stats")!;
    assert.equal(stats.type, "percpu_array");
    assert.equal(u64(stats.lookup(u32(0))!), 192n);
  }
});

Deno.test("corpus: legacy packet loads (ld_abs/ld_ind) of a socket filter read the packet", async () => {
  const all = await load("socket_ldabs");
  if (all === null) return;
  for (const { elf } of all) {
    const http = elf.programs.get("http_only")!;
    const pkt = ipv4(6, [1, 1, 1, 1], [2, 2, 2, 2]);
    pkt[14 + 20 + 2] = 0;
    pkt[14 + 20 + 3] = 80;
    assert.equal(BigInt.asUintN(32, http.run(pkt)), 0xffffffffn); // -1: keep all of it
    pkt[14 + 20 + 3] = 81;
    assert.equal(http.run(pkt), 0n);
    assert.equal(http.run(pkt.subarray(0, 30)), 0n); // a load past the end: the program ends, 0
  }
});

Deno.test("corpus: a tc classifier writes mark and cb[], counts sources in a percpu hash", async () => {
  const all = await load("tc");
  if (all === null) return;
  for (const { elf } of all) {
    const mark = elf.programs.get("mark_ipv4")!;
    assert.equal(mark.run(ipv4(6, [10, 0, 0, 1], [10, 0, 0, 2], 33)), 0n);
    assert.equal(mark.run(ipv4(6, [10, 0, 0, 1], [10, 0, 0, 2], 33)), 0n);
    assert.equal(mark.run(new Uint8Array(20)), 2n);
    const per = elf.maps.get("per_source")!;
    assert.equal(per.type, "percpu_hash");
    assert.equal(u64(per.lookup(new Uint8Array([10, 0, 0, 1]))!), 2n);
  }
});

Deno.test("corpus: hash and LRU percpu hash maps, delete, skb_store_bytes and csum_diff in a tc action", async () => {
  const all = await load("hashes");
  if (all === null) return;
  for (const { elf } of all) {
    const p = elf.programs.get("rewrite")!;
    assert.equal(p.run(new Uint8Array(40)), 0n);
    assert.deepEqual([...p.lastPacket()!.subarray(0, 5)], [0xef, 0xbe, 0xad, 0xde, 0]);
    assert.equal(p.run(new Uint8Array(40)), 1n); // seen: deleted
    assert.equal(elf.maps.get("seen")!.size, 0);
    p.run(new Uint8Array(41));
    p.run(new Uint8Array(42)); // evicts 40 from the two-entry LRU
    const recent = elf.maps.get("recent")!;
    assert.equal(recent.type, "lru_percpu_hash");
    assert.equal(recent.lookup(u32(40)), null);
    assert.equal(u64(recent.lookup(u32(42))!), 42n);
  }
});

Deno.test("corpus: bpf_xdp_adjust_tail, a raw tracepoint and a perf_event program", async () => {
  const all = await load("xdp_tail");
  if (all === null) return;
  for (const { elf } of all) {
    const trim = elf.programs.get("trim")!;
    const pkt = new Uint8Array(64).map((_, i) => i);
    assert.equal(trim.run(pkt), 3n);
    assert.deepEqual(trim.lastPacket(), pkt.subarray(0, 20));
    const args = new BigUint64Array(12);
    args[1] = 0x1234n;
    assert.equal(elf.programs.get("on_switch")!.run(new Uint8Array(args.buffer)), 0x34n);
    const sample = new BigUint64Array(23);
    sample[21] = 4000n;
    assert.equal(elf.programs.get("on_sample")!.run(new Uint8Array(sample.buffer)), 4000n);
  }
});

Deno.test("corpus: kprobes read pt_regs, call time, random, trace_printk, snprintf and trace_vprintk", async () => {
  const lines: string[] = [];
  const all = await load("kprobe", {}, { trace: (l) => lines.push(l), clock: () => 5 });
  if (all === null) return;
  for (const { elf } of all) {
    const p = elf.programs.get("trace_open")!;
    const regs = new Uint8Array(168);
    const v = new DataView(regs.buffer);
    v.setBigUint64(14 * 8, 42n, true); // di
    v.setBigUint64(12 * 8, 0x8000n, true); // dx
    assert.equal(p.run(regs), 42n);
    // bpf_get_current_pid_tgid is declared for verification only: running it fails clearly.
    v.setBigUint64(13 * 8, 0x1234n, true); // si
    assert.throws(() => p.run(regs), /bpf_get_current_pid_tgid .* declared for verification only/);
  }
  assert.deepEqual(lines.slice(0, 2), [
    "open dfd=42 flags=8000 cpu=0",
    "open dfd=42 flags=8000 cpu=0",
  ]);
  lines.length = 0;
  for (const { elf } of all) {
    const regs = new BigUint64Array(21);
    regs.set([1n, 2n, 3n, 4n], 11); // cx, dx, si, di
    assert.equal(elf.programs.get("trace_unlink")!.run(new Uint8Array(regs.buffer)), 8n);
  }
  assert.deepEqual(lines, new Array(3).fill("unlink 4-3-2-1 (8 bytes)"));
  const c = (await corpus())!;
  assert.throws(
    () => loadElf(new BpfVm(), c.get("kprobe_write")!),
    /invalid bpf_context access off=80 size=8 \(pt_regs/,
  );
});

Deno.test("corpus: a tracepoint program sends perf events", async () => {
  const all = await load("tracepoint");
  if (all === null) return;
  for (const { elf } of all) {
    const rec = new Uint8Array(48);
    const v = new DataView(rec.buffer);
    v.setBigUint64(8, 257n, true); // syscall_nr
    v.setBigUint64(32, 0o100n, true); // flags
    assert.equal(elf.programs.get("on_openat")!.run(rec), 0n);
    const events = elf.maps.get("events") as BpfPerfEventArray;
    const [e] = events.drain();
    assert.equal(e.index, 0);
    assert.deepEqual([...new BigUint64Array(e.data.slice().buffer)], [257n, 0o100n]);
  }
});

Deno.test("corpus: ring buffer records reserved, submitted, discarded, output and queried", async () => {
  const all = await load("ringbuf");
  if (all === null) return;
  for (const { elf } of all) {
    const p = elf.programs.get("rb_events")!;
    const rb = elf.maps.get("rb") as BpfRingBuf;
    assert.equal(p.run(new Uint8Array([1, 2, 3, 4, 5])), 2n);
    assert.equal(p.run(new Uint8Array([0xff, 0, 0, 0])), 2n); // discarded
    const recs = rb.drain();
    assert.equal(recs.length, 3);
    assert.deepEqual([...recs[0]], [5, 0, 0, 0, 1, 2, 3, 4]);
    assert.equal(u64(recs[1]), 16n); // bytes available after the first record
    assert.equal(u64(recs[2]), 48n); // two records before, one discarded
  }
  // A record that one path never submits is rejected, as Linux's reference tracking does.
  const leak = (await corpus())!.get("ringbuf_leak")!;
  assert.throws(
    () => loadElf(new BpfVm(), leak),
    /Unreleased reference id=1/,
  );
});

Deno.test("corpus: queue and stack maps push, pop and peek", async () => {
  const all = await load("queue_stack");
  if (all === null) return;
  for (const { elf } of all) {
    const p = elf.programs.get("push_pop")!;
    assert.equal(p.run(new Uint8Array(1)), 0n);
    assert.equal(p.run(new Uint8Array(2)), 0n);
    // q: 1, 2, 5 → pops 1; s: 1, 2, 5 → peeks 5, pops 5.
    assert.equal(p.run(new Uint8Array(5)), 1_000_000n + 5_000n + 5n);
    const q = elf.maps.get("q") as BpfQueueMap;
    assert.deepEqual(q.pop(), u32(2));
  }
});

Deno.test("corpus: an LPM trie finds the longest prefix", async () => {
  const all = await load("lpm");
  if (all === null) return;
  for (const { elf } of all) {
    const routes = elf.maps.get("routes")!;
    const key = (len: number, a: number[]) => new Uint8Array([len, 0, 0, 0, ...a]);
    routes.update(key(8, [10, 0, 0, 0]), u32(1)); // 10/8: drop
    routes.update(key(24, [10, 1, 2, 0]), u32(3)); // 10.1.2/24: tx
    const route = elf.programs.get("route")!;
    assert.equal(route.run(ipv4(6, [1, 1, 1, 1], [10, 1, 2, 3])), 3n);
    assert.equal(route.run(ipv4(6, [1, 1, 1, 1], [10, 9, 9, 9])), 1n);
    assert.equal(route.run(ipv4(6, [1, 1, 1, 1], [11, 0, 0, 1])), 2n);
  }
});

Deno.test("corpus: maps of maps give inner maps to lookups", async () => {
  const all = await load("maps_of_maps");
  if (all === null) return;
  for (const { elf } of all) {
    const pick = elf.programs.get("pick")!;
    assert.equal(pick.run(new Uint8Array(60)), 1n);
    assert.equal(pick.run(new Uint8Array(61)), 1n);
    assert.equal(pick.run(new Uint8Array(60)), 2n);
    assert.equal(elf.maps.get("in0")!.lookup(u32(0))![0], 2);
    assert.equal(elf.maps.get("in1")!.lookup(u32(0))![0], 1);
    elf.maps.get("by_key")!.setInnerMap(u32(61), elf.maps.get("in0")!);
    assert.equal(pick.run(new Uint8Array(61)), 1002n);
  }
});

Deno.test("corpus: bpf_tail_call jumps through a program array initialised in the object", async () => {
  const all = await load("tail_call");
  if (all === null) return;
  for (const { elf } of all) {
    const dispatch = elf.programs.get("dispatch")!;
    assert.equal(dispatch.run(ipv4(6, [1, 1, 1, 1], [2, 2, 2, 2])), 3n); // handle_ipv4: TX
    const other = ipv4(6, [1, 1, 1, 1], [2, 2, 2, 2]);
    other[12] = 0x86;
    other[13] = 0xdd;
    assert.equal(dispatch.run(other), 1n); // handle_other: DROP
    other[12] = other[13] = 0;
    assert.equal(dispatch.run(other), 2n); // slot 3 empty: falls through, PASS
    elf.maps.get("jump")!.setProgram(3, elf.programs.get("handle_ipv4")!);
    assert.equal(dispatch.run(other), 3n);
  }
});

Deno.test("corpus: several programs per section, .text functions as programs, global data", async () => {
  const c = await corpus();
  if (c === null) return;
  const obj = parseElf(c.get("objects")!);
  assert.deepEqual(
    obj.programs.map((p) => [p.name, p.section, p.type, p.subprogram]),
    [["first", "socket", "socket_filter", false], ["second", "socket", "socket_filter", false], [
      "mix",
      ".text",
      "unspec",
      true,
    ]],
  );
  const all = await load("objects");
  for (const { elf } of all!) {
    assert.deepEqual([...elf.programs.keys()], ["first", "second"]);
    assert.equal(elf.programs.get("first")!.run(new Uint8Array(10)), 37n);
    assert.equal(elf.programs.get("second")!.run(new Uint8Array(10)), 37n + 40n);
    assert.equal(elf.maps.get(".bss")!.valueView(0)[0], 2);
    elf.maps.get(".data")!.valueView(0)[0] = 0;
    assert.equal(elf.programs.get("first")!.run(new Uint8Array(10)), 30n);
  }
  const mix = loadElf(new BpfVm(), c.get("objects")!, { programs: ["mix"] }).programs.get("mix")!;
  assert.equal(mix.report.instructions > 0, true);
  assert.throws(() => loadElf(new BpfVm(), c.get("rodata_write")!), /write into map forbidden/);
});

Deno.test("corpus: bloom filters: the program peeks the host's filter and pushes into its own", async () => {
  const all = await load("bloom");
  if (all === null) return;
  for (const { elf } of all) {
    const blocked = elf.maps.get("blocked") as BpfBloomFilter;
    const passed = elf.maps.get("passed") as BpfBloomFilter;
    assert.equal(blocked.type, "bloom_filter");
    assert.deepEqual([blocked.hashes, passed.hashes], [3, 5]); // map_extra 3; 0 means 5
    blocked.add(new Uint8Array([1, 1, 1, 1]));
    const p = elf.programs.get("bloom_block")!;
    assert.equal(p.run(ipv4(6, [1, 1, 1, 1], [9, 9, 9, 9])), 1n); // XDP_DROP
    assert.equal(p.run(ipv4(6, [2, 2, 2, 2], [9, 9, 9, 9])), 2n); // XDP_PASS
    assert.equal(p.run(new Uint8Array(20)), 0n); // too short: aborted
    assert.equal(passed.has(new Uint8Array([2, 2, 2, 2])), true);
    assert.equal(passed.has(new Uint8Array([1, 1, 1, 1])), false);
  }
  // Bloom filters go to push and peek only, as Linux's check_map_func_compatibility says.
  const lookup = (await corpus())!.get("bloom_lookup")!;
  assert.throws(
    () => loadElf(new BpfVm(), lookup),
    /cannot pass map_type bloom_filter into func bpf_map_lookup_elem#1/,
  );
});

Deno.test("corpus: bpf_redirect_map through devmap, devmap_hash, cpumap and xskmap", async () => {
  const all = await load("redirect");
  if (all === null) return;
  const XDP_DROP = 1n, XDP_PASS = 2n, XDP_REDIRECT = 4n;
  for (const { elf } of all) {
    const run = (name: string, first: number) =>
      elf.programs.get(name)!.run(new Uint8Array([first, 0, 0, 0]));
    const port = elf.maps.get("tx_port") as BpfRedirectMap;
    port.update(u32(1), u32(7)); // key 1: ifindex 7
    assert.equal(run("to_port", 1), XDP_REDIRECT);
    assert.equal(port.lastRedirect, 1);
    assert.equal(run("to_port", 2), XDP_DROP); // absent: the flags' action
    assert.equal(run("to_port", 0xff), XDP_REDIRECT); // BPF_F_BROADCAST
    assert.throws(() => port.update(u32(8), u32(1)), /index out of range 0-7/);
    const hash = elf.maps.get("tx_hash")!;
    assert.equal(run("to_hash", 200), XDP_PASS);
    hash.update(u32(200), u32(3));
    assert.equal(run("to_hash", 200), XDP_REDIRECT);
    assert.equal(run("to_cpu", 1), XDP_PASS);
    elf.maps.get("cpus")!.update(u32(1), u32(2048)); // queue size
    assert.equal(run("to_cpu", 1), XDP_REDIRECT);
    assert.equal(run("to_xsk", 0), XDP_PASS);
    elf.maps.get("xsks")!.update(u32(0), u32(5)); // a socket fd
    assert.equal(run("to_xsk", 0), XDP_REDIRECT);
  }
});

Deno.test("corpus: stack trace maps: bpf_get_stackid and bpf_get_stack return -EFAULT off-kernel", async () => {
  const all = await load("stack_trace");
  if (all === null) return;
  for (const { elf } of all) {
    const r = elf.programs.get("on_free")!.run(new Uint8Array(168));
    // -EFAULT from get_stackid (14), -EINVAL for bad flags (22), -EFAULT from get_stack, which
    // zeroes its buffer: 140000 + 2200 + 14 + 0 + 0.
    assert.equal(r, 142214n);
    const counts = elf.maps.get("counts")!;
    assert.equal(u64(counts.lookup(new Uint8Array(new BigInt64Array([-14n]).buffer))!), 1n);
    const stacks = elf.maps.get("stacks")!;
    assert.equal(stacks.type, "stack_trace");
    assert.equal(stacks.size, 0);
    assert.throws(() => stacks.update(u32(0), new Uint8Array(127 * 8)), /errno 22/);
  }
});

Deno.test("corpus: cgroup storage counted by a cgroup_skb program; task, sk, inode and cgroup storage verified", async () => {
  const all = await load("storage");
  if (all === null) return;
  for (const { elf } of all) {
    const egress = elf.programs.get("count_egress")!;
    assert.equal(egress.run(new Uint8Array(100)), 1n);
    assert.equal(egress.run(new Uint8Array(50)), 1n);
    const bytes = elf.maps.get("bytes") as BpfLocalStorageMap;
    assert.equal(u64(bytes.value!), 150n);
    assert.equal((elf.maps.get("packets") as BpfLocalStorageMap).value![0], 2);
    assert.equal((elf.maps.get("per_task") as BpfLocalStorageMap).value, null);
    assert.deepEqual(
      ["per_sock", "per_inode", "per_cgroup"].map((n) => elf.maps.get(n)!.type),
      ["sk_storage", "inode_storage", "cgrp_storage"],
    );
    assert.throws(
      () => elf.programs.get("count_switches")!.run(new Uint8Array(168)),
      /bpf_get_current_task_btf .* declared for verification only/,
    );
  }
});

Deno.test("corpus: sockmap and sockhash verdict programs verify; their helpers are kernel-only", async () => {
  const all = await load("sockmap");
  if (all === null) return;
  for (const { elf } of all) {
    assert.deepEqual([...elf.programs.keys()], ["verdict", "verdict_hash"]);
    const socks = elf.maps.get("socks")!;
    socks.update(u32(0), new Uint8Array(8));
    assert.equal(socks.size, 1);
    assert.throws(
      () => elf.programs.get("verdict")!.run(new Uint8Array(64)),
      /bpf_sk_redirect_map .* declared for verification only/,
    );
  }
});

Deno.test("corpus: bpf_spin_lock around map value updates; a path that keeps the lock or calls a helper under it is rejected", async () => {
  const all = await load("spin_lock");
  if (all === null) return;
  for (const { elf } of all) {
    const total = elf.maps.get("total")!;
    assert.equal(total.spinLock, 8); // struct flow { u64 packets; struct bpf_spin_lock lock; … }
    const p = elf.programs.get("count_locked")!;
    assert.equal(p.run(new Uint8Array(40)), 1n); // a new longest packet
    assert.equal(p.run(new Uint8Array(36)), 2n); // by_len[4] created
    assert.equal(p.run(new Uint8Array(20)), 3n); // by_len[4] counted under its lock
    const v = new DataView(total.lookup(u32(0))!.slice().buffer);
    assert.deepEqual([v.getBigUint64(0, true), v.getUint32(12, true), v.getBigUint64(16, true)], [
      3n,
      40,
      96n,
    ]);
    assert.equal(u64(elf.maps.get("by_len")!.lookup(u32(4))!), 2n);
  }
  const c = (await corpus())!;
  assert.throws(() => loadElf(new BpfVm(), c.get("spin_lock_leak")!), /bpf_spin_unlock is missing/);
  assert.throws(
    () => loadElf(new BpfVm(), c.get("spin_lock_call")!),
    /function calls are not allowed while holding a lock/,
  );
});

Deno.test("corpus: bpf_loop runs a callback with the index and a stack context until it returns 1", async () => {
  const all = await load("loop");
  if (all === null) return;
  for (const { elf } of all) {
    const sum = elf.programs.get("sum_indexes")!;
    // The callback stops at index skb->len: 0+…+9 and 11 iterations; past 100: all of them.
    assert.equal(sum.run(new Uint8Array(10)), 45_011n);
    assert.equal(sum.run(new Uint8Array(200)), 4_950_100n);
    const bytes = elf.maps.get("bytes")!.valueView(0);
    for (let i = 0; i < 64; i++) bytes[i] = i + 1;
    // The callback reads a map value through pointers kept in the caller's stack.
    assert.equal(elf.programs.get("sum_value")!.run(new Uint8Array(20)), 2080n);
    assert.equal(elf.programs.get("loop_errors")!.run(new Uint8Array(20)), 220_700n);
    assert.equal(elf.programs.get("global_callback")!.run(new Uint8Array(20)), 505n);
    // A counter in the context: 64 runs fill the value, the 65th returns 1.
    assert.equal(elf.programs.get("fill_value")!.run(new Uint8Array(20)), 64_065n);
    assert.deepEqual([...bytes], Array.from({ length: 64 }, (_, k) => (k * 3) & 0xff));
  }
  const c = (await corpus())!;
  assert.throws(
    () => loadElf(new BpfVm(), c.get("loop_bad_return")!),
    /At callback return the register R0 has smin=2 smax=2 should have been in \[0, 1\]/,
  );
  assert.throws(() => loadElf(new BpfVm(), c.get("loop_ctx")!), /R3 type=map_value expected=fp/);
});

Deno.test("corpus: a bpf_loop callback is verified again with what its last run left in the context", async () => {
  const c = await corpus();
  if (c === null) return;
  // Its first run is safe; the offset it leaves makes the second run write past the map value.
  assert.throws(
    () => loadElf(new BpfVm(), c.get("loop_later_pass")!),
    /R3 unbounded memory access/,
  );
});
