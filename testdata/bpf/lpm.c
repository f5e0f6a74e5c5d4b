/* LPM trie: longest-prefix match of the IPv4 destination. */
#include "mxy_bpf.h"

struct lpm_key { __u32 prefixlen; __u32 addr; };
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 16);
  __type(key, struct lpm_key);
  __type(value, __u32);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

SEC("xdp") int route(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct iphdr *ip = data + sizeof(struct ethhdr);
  if ((void *)(ip + 1) > end) return XDP_ABORTED;
  struct lpm_key k = { 32, ip->daddr };
  __u32 *action = bpf_map_lookup_elem(&routes, &k);
  return action ? *action : XDP_PASS;
}
