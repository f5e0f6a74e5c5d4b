/* Rejected: kprobe contexts are read-only. */
#include "mxy_bpf.h"
SEC("kprobe/x") int write_regs(struct pt_regs *ctx) { ctx->ax = 0; return 0; }
