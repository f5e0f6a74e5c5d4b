/* Must be rejected: the first run of the callback writes inside the map value, and leaves an
 * offset in its context that takes the next run's write 4,096 bytes past it. A verifier that walks
 * the callback once accepts it (Linux before 6.7); Linux since then, and mxy, walk it again with
 * what the last run left until the states converge. */
#include "mxy_bpf.h"

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u8[64]); } bytes SEC(".maps");

struct at { __u8 *v; __u64 off; };

static long poke(__u32 i, struct at *a) {
  a->v[a->off] = 1;
  a->off = 4096;
  return 0;
}

SEC("xdp") int loop_later_pass(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u8 *v = bpf_map_lookup_elem(&bytes, &zero);
  if (!v) return XDP_ABORTED;
  struct at a = { .v = v, .off = 0 };
  bpf_loop(2, poke, &a, 0);
  return XDP_PASS;
}
