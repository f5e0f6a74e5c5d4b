/* XDP: xdp_md's data/data_end, bounds checks, bpf_xdp_adjust_head, a per-protocol LRU count. */
#include "mxy_bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} by_proto SEC(".maps");

SEC("xdp") int xdp_count(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return XDP_DROP;
  if (eth->h_proto != bpf_htons(0x0800)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end) return XDP_DROP;
  __u32 key = ip->protocol;
  __u64 one = 1, *n = bpf_map_lookup_elem(&by_proto, &key);
  if (n) __sync_fetch_and_add(n, 1);
  else bpf_map_update_elem(&by_proto, &key, &one, BPF_ANY);
  return XDP_PASS;
}

/* Strips the Ethernet header and sends the rest back (XDP_TX). */
SEC("xdp") int xdp_strip(struct xdp_md *ctx) {
  if (bpf_xdp_adjust_head(ctx, 14)) return XDP_ABORTED;
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  if (data + 1 > end) return XDP_DROP;
  return XDP_TX;
}
