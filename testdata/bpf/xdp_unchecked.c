/* Rejected: reads the packet without comparing against data_end first. */
#include "mxy_bpf.h"
SEC("xdp") int xdp_unchecked(struct xdp_md *ctx) {
  unsigned char *data = (void *)(long)ctx->data;
  return data[12];
}
