/* Must be rejected: a bloom filter has no elements to look up (only push and peek). */
#include "mxy_bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
  __uint(max_entries, 16);
  __type(value, __u32);
} filter SEC(".maps");

SEC("xdp") int lookup_bloom(struct xdp_md *ctx) {
  __u32 v = 1;
  return bpf_map_lookup_elem(&filter, &v) ? XDP_DROP : XDP_PASS;
}
