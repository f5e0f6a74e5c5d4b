/* bpf_loop: a callback called with the index and a context on the stack; returning 1 stops. */
#include "mxy_bpf.h"

struct sum_ctx { __u64 sum; __u32 stop_at; __u8 *data, *end; };

static long add_index(__u32 i, void *p) {
  struct sum_ctx *c = p;
  if (i == c->stop_at) return 1;
  c->sum += i;
  return 0;
}

static long add_byte(__u32 i, struct sum_ctx *c) {
  __u8 *b = c->data + (i & 63);
  if ((void *)(b + 1) > (void *)c->end) return 1;
  c->sum += *b;
  return 0;
}

SEC("socket") int sum_indexes(struct __sk_buff *skb) {
  struct sum_ctx c = { .sum = 0, .stop_at = skb->len };
  long n = bpf_loop(100, add_index, &c, 0);
  return c.sum * 1000 + n;
}

/* Reading packet bytes needs the packet in the callback's context: socket filters cannot pass
 * packet pointers through the stack safely, so this sums a map value's bytes instead. */
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u8[64]); } bytes SEC(".maps");

SEC("xdp") int sum_value(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u8 *v = bpf_map_lookup_elem(&bytes, &zero);
  if (!v) return XDP_ABORTED;
  struct sum_ctx c = { .sum = 0, .data = v, .end = v + 64 };
  bpf_loop(64, add_byte, &c, 0);
  return c.sum;
}

/* Linux's run-time errors: flags must be 0 (-EINVAL), at most 1 << 23 iterations (-E2BIG). */
SEC("socket") int loop_errors(struct __sk_buff *skb) {
  struct sum_ctx c = { .sum = 0, .stop_at = 1000 };
  long bad_flags = bpf_loop(4, add_index, &c, 1);
  long too_many = bpf_loop((1 << 23) + 1, add_index, &c, 0);
  long none = bpf_loop(0, add_index, &c, 0);
  return (-bad_flags) * 10000 + (-too_many) * 100 + none + c.sum;
}

/* A global callback: clang relocates against the function's symbol, not .text's. */
long count_to_4(__u32 i, __u64 *c) { *c += 1; return i >= 4; }

SEC("xdp") int global_callback(struct xdp_md *ctx) {
  __u64 c = 0;
  long n = bpf_loop(10, count_to_4, &c, 0);
  return c * 100 + n;
}

/* A counter kept in the context, bounds-checked before each use: the verifier walks the callback
 * again with the counter it left, widens it once it keeps changing, and converges. */
struct fill_ctx { __u8 *v; __u64 n; };

static long fill_next(__u32 i, struct fill_ctx *c) {
  if (c->n >= 64) return 1;
  c->v[c->n] = (__u8)(i * 3);
  c->n++;
  return 0;
}

SEC("xdp") int fill_value(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u8 *v = bpf_map_lookup_elem(&bytes, &zero);
  if (!v) return XDP_ABORTED;
  struct fill_ctx c = { .v = v, .n = 0 };
  long runs = bpf_loop(100, fill_next, &c, 0);
  return c.n * 1000 + runs;
}
