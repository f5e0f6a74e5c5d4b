/* Must be rejected: a bpf_loop callback returning 2 (callbacks return 0 or 1). */
#include "mxy_bpf.h"

static long bad(__u32 i, void *c) { return 2; }

SEC("xdp") int loop_bad(struct xdp_md *ctx) {
  bpf_loop(4, bad, 0, 0);
  return XDP_PASS;
}
