/* Program array and bpf_tail_call: a dispatcher jumps to a handler picked by the EtherType. */
#include "mxy_bpf.h"

SEC("xdp") int handle_ipv4(struct xdp_md *ctx) { return XDP_TX; }
SEC("xdp") int handle_other(struct xdp_md *ctx) { return XDP_DROP; }

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __uint(key_size, sizeof(__u32));
  __array(values, int (void *));
} jump SEC(".maps") = { .values = { [0] = (void *)&handle_ipv4, [1] = (void *)&handle_other } };

SEC("xdp") int dispatch(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return XDP_ABORTED;
  bpf_tail_call(ctx, &jump, eth->h_proto == bpf_htons(0x0800) ? 0 : eth->h_proto == 0 ? 3 : 1);
  return XDP_PASS; /* empty slot: the tail call falls through */
}
