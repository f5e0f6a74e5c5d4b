/* Rejected: a ring buffer record reserved and never submitted or discarded. */
#include "mxy_bpf.h"
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
SEC("xdp") int rb_leak(struct xdp_md *ctx) {
  __u32 *e = bpf_ringbuf_reserve(&rb, 4, 0);
  if (!e) return XDP_DROP;
  *e = 1;
  if (ctx->ingress_ifindex == 3) bpf_ringbuf_submit(e, 0);
  return XDP_PASS;
}
