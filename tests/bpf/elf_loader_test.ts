import assert from "node:assert/strict";
import { loadElf } from "../../lib/bpf/elf_loader.ts";
import { parseElf } from "../../lib/bpf/elf_object.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { hasProgram } from "../_fixtures.ts";

const HEADER = `
#define SEC(n) __attribute__((section(n), used))
struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
typedef unsigned int u32;
typedef unsigned long long u64;
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, u64 flags) = (void *)2;
`;

async function compile(source: string, extra: string[] = []): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/p.c`, HEADER + source);
    const r = await new Deno.Command("clang", {
      args: ["-O2", ...extra, "-target", "bpf", "-c", `${dir}/p.c`, "-o", `${dir}/p.o`],
      stderr: "piped",
    }).output();
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
    return await Deno.readFile(`${dir}/p.o`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

Deno.test("loadElf() runs a C program compiled with clang -target bpf, with legacy maps", async () => {
  if (!hasProgram("clang")) return;
  const obj = await compile(`
struct bpf_map_def SEC("maps") counters = { .type = 2, .key_size = 4, .value_size = 8, .max_entries = 4 };
struct bpf_map_def SEC("maps") seen = { .type = 1, .key_size = 4, .value_size = 8, .max_entries = 16 };
SEC("socket") int count(unsigned char *pkt) {
  u32 key = pkt[0] & 3;
  u64 *v = bpf_map_lookup_elem(&counters, &key);
  if (v) __sync_fetch_and_add(v, 1);
  u32 k2 = pkt[1];
  u64 one = 1;
  bpf_map_update_elem(&seen, &k2, &one, 0);
  return key;
}
char _license[] SEC("license") = "GPL";
`);
  const parsed = parseElf(obj, { file: "p.o" });
  assert.deepEqual(parsed.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]), [
    ["counters", 2, 4, 8, 4],
    ["seen", 1, 4, 8, 16],
  ]);
  assert.equal(parsed.license, "GPL");
  for (const profile of ["cloud", "embedded"] as const) {
    const vm = new BpfVm({ profile });
    const { programs, maps } = loadElf(vm, obj, {
      programType: "unspec",
      input: { kind: "packet", size: 1514 },
    });
    const count = programs.get("count")!;
    assert.equal(count.run(new Uint8Array([5, 9, 0])), 1n);
    assert.equal(count.run(new Uint8Array([7, 9, 0])), 3n);
    assert.equal(count.run(new Uint8Array([1, 4, 0])), 1n);
    const counters = maps.get("counters")!;
    assert.equal(counters.lookup(u32(1))![0], 2);
    assert.equal(counters.lookup(u32(3))![0], 1);
    const seen = maps.get("seen")!;
    assert.equal(seen.size, 2);
    assert.ok(seen.lookup(u32(9)) !== null && seen.lookup(u32(4)) !== null);
  }
});

Deno.test("loadElf() links calls into .text, global data and bounded loops (cloud only)", async () => {
  if (!hasProgram("clang")) return;
  const obj = await compile(`
int calls;
int bias = 5;
__attribute__((noinline)) int mix(int x, int y) { return x * 3 + y; }
SEC("xdp") int sum8(unsigned char *p) {
  int s = 0;
  #pragma clang loop unroll(disable)
  for (int i = 0; i < 8; i++) s += p[i];
  calls += 1;
  return mix(s, bias);
}
`);
  const vm = new BpfVm({ profile: "cloud" });
  const { programs, maps } = loadElf(vm, obj, {
    programType: "unspec",
    input: { kind: "packet", size: 64 },
  });
  const sum8 = programs.get("sum8")!;
  assert.equal(sum8.report.subprograms, 2);
  assert.equal(sum8.report.hasLoops, true);
  assert.equal(sum8.run(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), 36n * 3n + 5n);
  maps.get(".data")!.valueView(0)[0] = 100; // the host changes the global `bias`
  assert.equal(sum8.run(new Uint8Array(8)), 100n);
  assert.equal(maps.get(".bss")!.valueView(0)[0], 2); // `calls`
  // A packet shorter than the loop reads is stopped at run time, not silently read.
  assert.throws(
    () => sum8.run(new Uint8Array(4)),
    (e: unknown) => e instanceof BpfError && e.code === "memory",
  );
  // The same object is refused under embedded: it loops.
  assert.throws(
    () => loadElf(new BpfVm({ profile: "embedded" }), obj, { programType: "unspec" }),
    /back-edge/,
  );
  // The JIT gives the same results.
  const jit = loadElf(new BpfVm(), obj, {
    programType: "unspec",
    input: { kind: "packet", size: 64 },
    jit: true,
  });
  assert.equal(jit.programs.get("sum8")!.run(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), 113n);
});

Deno.test("loadElf() resolves calls to static functions through the .text section symbol", async () => {
  if (!hasProgram("clang")) return;
  const obj = await compile(`
static __attribute__((noinline)) int sq(int x) { return x * x; }
static __attribute__((noinline)) int add(int x, int y) { return sq(x) + y; }
SEC("socket") int f(unsigned char *p) { return add(p[0], p[1]); }
`);
  const { programs } = loadElf(new BpfVm(), obj, {
    programType: "unspec",
    input: { kind: "packet", size: 64 },
  });
  const f = programs.get("f")!;
  assert.equal(f.report.callDepth, 3);
  assert.equal(f.run(new Uint8Array([3, 4])), 13n);
});

Deno.test('loadElf() reads BTF-defined maps (SEC(".maps")) from an object built with -g', async () => {
  if (!hasProgram("clang")) return;
  const obj = await compile(
    `
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
struct pair { u64 a; u32 b; };
struct { __uint(type, 2); __uint(max_entries, 4); __type(key, u32); __type(value, u64); } counts SEC(".maps");
struct { __uint(type, 1); __uint(max_entries, 16); __uint(key_size, 4); __type(value, struct pair); } pairs SEC(".maps");
SEC("xdp") int f(unsigned char *p) {
  u32 k = p[0] & 3;
  u64 *v = bpf_map_lookup_elem(&counts, &k);
  if (v) { *v += 1; return *v; }
  struct pair *q = bpf_map_lookup_elem(&pairs, &k);
  return q ? q->b : 0;
}
`,
    ["-g"],
  );
  assert.deepEqual(
    parseElf(obj).maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]),
    [
      ["counts", 2, 4, 8, 4],
      ["pairs", 1, 4, 16, 16],
    ],
  );
  const { programs, maps } = loadElf(new BpfVm(), obj, {
    programType: "unspec",
    input: { kind: "packet", size: 64 },
  });
  const f = programs.get("f")!;
  assert.equal(f.run(new Uint8Array([1])), 1n);
  assert.equal(f.run(new Uint8Array([5])), 2n);
  assert.equal(maps.get("counts")!.lookup(u32(1))![0], 2);
});

Deno.test("parseElf() refuses BTF-defined maps without BTF and unsupported map types with clear errors", async () => {
  if (!hasProgram("clang")) return;
  const btf = await compile(`
struct { int (*type)[2]; int (*max_entries)[4]; u32 *key; u64 *value; } m SEC(".maps");
SEC("xdp") int f(void *c) { u32 k = 0; u64 *v = bpf_map_lookup_elem(&m, &k); return v ? 1 : 0; }
`);
  assert.throws(() => parseElf(btf, { file: "btf.o" }), /BTF-defined maps.*btf\.o/);
  const lru = await compile(`
struct bpf_map_def SEC("maps") m = { .type = 26, .key_size = 4, .value_size = 8, .max_entries = 4 };
SEC("xdp") int f(void *c) { u32 k = 0; u64 *v = bpf_map_lookup_elem(&m, &k); return v ? 1 : 0; }
`);
  assert.throws(
    () => loadElf(new BpfVm(), lru),
    /Map "m" has type 26 \(struct_ops\), which mxy does not implement/,
  );
});

Deno.test("parseElf() reports damaged objects with the byte offset", () => {
  assert.throws(
    () => parseElf(new Uint8Array(100), { file: "z.o" }),
    /not an ELF file.*byte offset 0/,
  );
  const head = new Uint8Array(64);
  head.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  new DataView(head.buffer).setUint16(18, 62, true); // x86-64
  assert.throws(() => parseElf(head), /machine is 62, not BPF/);
  new DataView(head.buffer).setUint16(18, 247, true);
  new DataView(head.buffer).setBigUint64(0x28, 4096n, true);
  new DataView(head.buffer).setUint16(0x3a, 64, true);
  new DataView(head.buffer).setUint16(0x3c, 3, true);
  assert.throws(
    () => parseElf(head),
    (e: unknown) => e instanceof BpfError && e.code === "elf" && /Truncated/.test(e.message),
  );
});

Deno.test("parseElf() throws only BpfError on damaged copies of a real object", async () => {
  if (!hasProgram("clang")) return;
  const obj = await compile(`
struct bpf_map_def SEC("maps") m = { .type = 2, .key_size = 4, .value_size = 8, .max_entries = 4 };
SEC("xdp") int f(void *c) { u32 k = 0; u64 *v = bpf_map_lookup_elem(&m, &k); return v ? 1 : 0; }
`);
  const withBtf = await compile(
    `
struct { int (*type)[2]; int (*max_entries)[4]; u32 *key; u64 *value; } m2 SEC(".maps");
SEC("xdp") int g(void *c) { u32 k = 0; u64 *v = bpf_map_lookup_elem(&m2, &k); return v ? 1 : 0; }
`,
    ["-g"],
  );
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  // Damage aimed at the BTF type data (magic 0xeb9f, little-endian).
  let btfAt = 0;
  while (btfAt + 1 < withBtf.length && !(withBtf[btfAt] === 0x9f && withBtf[btfAt + 1] === 0xeb)) {
    btfAt++;
  }
  assert.ok(btfAt + 1 < withBtf.length, "no .BTF section found");
  for (let n = 0; n < 400; n++) {
    const copy = withBtf.slice();
    for (let k = 0; k < 1 + (n % 3); k++) copy[btfAt + (rand() % 600)] = rand() & 0xff;
    try {
      loadElf(new BpfVm(), copy);
    } catch (e) {
      assert.ok(e instanceof BpfError, String(e));
    }
  }
  for (const original of [obj, withBtf]) {
    for (let n = 0; n < 400; n++) {
      const copy = original.slice(0, n % 7 === 0 ? rand() % original.length : original.length);
      for (let k = 0; k < 4; k++) if (copy.length) copy[rand() % copy.length] = rand() & 0xff;
      try {
        loadElf(new BpfVm(), copy);
      } catch (e) {
        assert.ok(e instanceof BpfError, String(e));
      }
    }
  }
});

Deno.test("loadElf() verifies clang -O0 loops that keep their counters in 4-byte stack slots", async () => {
  if (!hasProgram("clang")) return;
  // At -O0 every local lives in the stack: `i` and `s` are 4-byte slots reloaded on each pass.
  const obj = await compile(
    `
SEC("xdp/a") int sum(unsigned char *p) {
  int s = 0;
  for (int i = 0; i < 64; i++) { if (p[i] > 100) s += 2; else s += 1; }
  return s;
}
SEC("xdp/b") int bounded(unsigned char *p) {
  int n = p[0], s = 0;
  for (int i = 0; i < n && i < 32; i++) s += p[i + 1];
  return s;
}
SEC("xdp/c") int nested(unsigned char *p) {
  int s = 0;
  for (int i = 0; i < 20; i++)
    for (int j = 0; j < 20; j++)
      if (p[i] > p[j]) s++;
  return s;
}
`,
    ["-O0"],
  );
  const { programs } = loadElf(new BpfVm(), obj, {
    programType: "unspec",
    input: { kind: "packet", size: 64 },
  });
  const pkt = new Uint8Array(64).map((_, i) => (i * 37) & 0xff);
  let s = 0;
  for (let i = 0; i < 64; i++) s += pkt[i] > 100 ? 2 : 1;
  assert.equal(programs.get("sum")!.run(pkt), BigInt(s));
  pkt[0] = 5;
  assert.equal(
    programs.get("bounded")!.run(pkt),
    BigInt(pkt[1] + pkt[2] + pkt[3] + pkt[4] + pkt[5]),
  );
  let pairs = 0;
  for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) if (pkt[i] > pkt[j]) pairs++;
  assert.equal(programs.get("nested")!.run(pkt), BigInt(pairs));
  // A bound one past the packet is caught: 65 bytes read from a packet of at most 64.
  const over = await compile(
    `SEC("xdp") int f(unsigned char *p) { int s = 0; for (int i = 0; i < 65; i++) s += p[i]; return s; }`,
    ["-O0"],
  );
  assert.throws(
    () =>
      loadElf(new BpfVm(), over, { programType: "unspec", input: { kind: "packet", size: 64 } }),
    /invalid access to packet, off=64 size=1, max packet size 64/,
  );
});

Deno.test("loadElf() loads an object of .text alone as ubpf does: its function is the program", async () => {
  if (!hasProgram("clang")) return;
  const obj = await compile(`int sum(unsigned char *p) { return p[0] + p[1]; }`);
  const { programs } = loadElf(new BpfVm(), obj, { input: { kind: "ctx", size: 2 } });
  assert.equal(programs.get("sum")!.run(new Uint8Array([1, 2])), 3n);
});
