/* XDP: passes UDP over IPv4 and IPv6, drops everything else (a capture filter for mxy pcap). */
#include "mxy_bpf.h"

SEC("xdp") int xdp_udp(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return XDP_DROP;
  __u8 *l3 = (void *)(eth + 1);
  if (eth->h_proto == bpf_htons(0x0800)) {
    if ((void *)(l3 + 10) > end) return XDP_DROP;
    return l3[9] == 17 ? XDP_PASS : XDP_DROP;
  }
  if (eth->h_proto == bpf_htons(0x86dd)) {
    if ((void *)(l3 + 7) > end) return XDP_DROP;
    return l3[6] == 17 ? XDP_PASS : XDP_DROP;
  }
  return XDP_DROP;
}
