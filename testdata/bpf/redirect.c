/* XDP redirects through a devmap, devmap_hash, cpumap and xskmap (bpf_redirect_map): the key is
 * the packet's first byte; absent keys fall back to the flags' action. */
#include "mxy_bpf.h"

struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 8); __type(key, __u32); __type(value, __u32); } tx_port SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_DEVMAP_HASH); __uint(max_entries, 8); __type(key, __u32); __type(value, __u32); } tx_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_CPUMAP); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } cpus SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } xsks SEC(".maps");

static __always_inline int first_byte(struct xdp_md *ctx) {
  __u8 *d = (void *)(long)ctx->data;
  if ((void *)(d + 1) > (void *)(long)ctx->data_end) return -1;
  return d[0];
}

SEC("xdp") int to_port(struct xdp_md *ctx) {
  int k = first_byte(ctx);
  if (k < 0) return XDP_ABORTED;
  if (k == 0xff) return bpf_redirect_map(&tx_port, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
  return bpf_redirect_map(&tx_port, k, XDP_DROP);
}
SEC("xdp") int to_hash(struct xdp_md *ctx) {
  int k = first_byte(ctx);
  return k < 0 ? XDP_ABORTED : bpf_redirect_map(&tx_hash, k, XDP_PASS);
}
SEC("xdp") int to_cpu(struct xdp_md *ctx) {
  int k = first_byte(ctx);
  return k < 0 ? XDP_ABORTED : bpf_redirect_map(&cpus, k, XDP_PASS);
}
/* As xdpsock does: redirect to the queue's socket if one is registered. */
SEC("xdp") int to_xsk(struct xdp_md *ctx) {
  int k = first_byte(ctx);
  if (k < 0) return XDP_ABORTED;
  __u32 q = k;
  if (bpf_map_lookup_elem(&xsks, &q)) return bpf_redirect_map(&xsks, q, 0);
  return XDP_PASS;
}
