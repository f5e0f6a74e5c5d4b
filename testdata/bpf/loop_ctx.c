/* Must be rejected: bpf_loop's context must be a stack pointer or NULL, not a map value. */
#include "mxy_bpf.h"

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } counter SEC(".maps");

static long bump(__u32 i, __u64 *c) { *c += i; return 0; }

SEC("xdp") int loop_map_ctx(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u64 *c = bpf_map_lookup_elem(&counter, &zero);
  if (!c) return XDP_ABORTED;
  bpf_loop(8, bump, c, 0);
  return XDP_PASS;
}
