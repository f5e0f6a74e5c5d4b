/* bpf_xdp_adjust_tail: trims the packet to 20 bytes; a raw tracepoint and a perf_event program. */
#include "mxy_bpf.h"

SEC("xdp") int trim(struct xdp_md *ctx) {
  int len = ctx->data_end - ctx->data;
  if (len > 20 && bpf_xdp_adjust_tail(ctx, 20 - len)) return XDP_ABORTED;
  return XDP_TX;
}

SEC("raw_tracepoint/sched_switch") int on_switch(__u64 *args) { return args[1] & 0xff; }

struct bpf_perf_event_data { struct pt_regs regs; __u64 sample_period, addr; };
SEC("perf_event") int on_sample(struct bpf_perf_event_data *ctx) { return ctx->sample_period; }
