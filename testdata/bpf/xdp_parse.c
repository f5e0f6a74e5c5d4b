/* Parsing as real XDP programs do: VLAN tags in an unrolled loop, a variable IP header length,
 * UDP/TCP ports counted in a percpu array; and a bounded loop over packet bytes. */
#include "mxy_bpf.h"
struct vlan_hdr { __u16 tci, proto; };
struct udphdr { __u16 source, dest, len, check; };
struct tcphdr { __u16 source, dest; __u32 seq, ack; __u16 flags, window, check, urg; };
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 65536); __type(key, __u32); __type(value, __u64); } ports SEC(".maps");

static __always_inline int parse_eth(void **pos, void *end, __u16 *proto) {
  struct ethhdr *eth = *pos;
  if ((void *)(eth + 1) > end) return -1;
  *pos = eth + 1;
  __u16 p = eth->h_proto;
  #pragma unroll
  for (int i = 0; i < 2; i++) {
    if (p != bpf_htons(0x8100) && p != bpf_htons(0x88a8)) break;
    struct vlan_hdr *v = *pos;
    if ((void *)(v + 1) > end) return -1;
    p = v->proto;
    *pos = v + 1;
  }
  *proto = p;
  return 0;
}

SEC("xdp") int count_ports(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  void *pos = data;
  __u16 proto;
  if (parse_eth(&pos, end, &proto) < 0) return XDP_ABORTED;
  if (proto != bpf_htons(0x0800)) return XDP_PASS;
  struct iphdr *ip = pos;
  if ((void *)(ip + 1) > end) return XDP_ABORTED;
  int hl = (ip->ihl_version & 0xf) * 4;
  if (hl < 20) return XDP_ABORTED;
  if ((void *)ip + hl > end) return XDP_ABORTED;
  pos = (void *)ip + hl;
  __u32 port;
  if (ip->protocol == 17) {
    struct udphdr *u = pos;
    if ((void *)(u + 1) > end) return XDP_ABORTED;
    port = bpf_htons(u->dest);
  } else if (ip->protocol == 6) {
    struct tcphdr *t = pos;
    if ((void *)(t + 1) > end) return XDP_ABORTED;
    port = bpf_htons(t->dest);
  } else return XDP_PASS;
  __u64 *n = bpf_map_lookup_elem(&ports, &port);
  if (n) *n += 1;
  return XDP_PASS;
}

/* A bounded loop over packet bytes (kernel 5.3+ style). */
SEC("xdp") int sum_payload(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  __u32 s = 0;
  for (int i = 0; i < 64; i++) {
    if (p + i + 1 > end) break;
    s += p[i];
  }
  return s & 3;
}
