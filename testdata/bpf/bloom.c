/* Bloom filters: the host fills one, the program tests it (bpf_map_peek_elem) and records the
 * sources it let through in another (bpf_map_push_elem); map_extra sets the hash count. */
#include "mxy_bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
  __uint(max_entries, 64);
  __uint(map_extra, 3);
  __type(value, __u32);
} blocked SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
  __uint(max_entries, 1024);
  __type(value, __u32);
} passed SEC(".maps");

SEC("xdp") int bloom_block(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  struct iphdr *ip = data + sizeof(struct ethhdr);
  if ((void *)(ip + 1) > end) return XDP_ABORTED;
  __u32 src = ip->saddr;
  if (bpf_map_peek_elem(&blocked, &src) == 0) return XDP_DROP;
  if (bpf_map_push_elem(&passed, &src, BPF_EXIST) != -22) return XDP_ABORTED; /* flags: -EINVAL */
  bpf_map_push_elem(&passed, &src, BPF_ANY);
  return XDP_PASS;
}
