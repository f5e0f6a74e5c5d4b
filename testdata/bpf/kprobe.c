/* kprobe: read-only pt_regs, bpf_ktime_get_ns, bpf_get_prandom_u32, bpf_trace_printk,
 * bpf_get_smp_processor_id; a declared-only helper behind a branch. */
#include "mxy_bpf.h"

SEC("kprobe/do_sys_openat2") int trace_open(struct pt_regs *ctx) {
  __u64 t = bpf_ktime_get_ns();
  __u32 r = bpf_get_prandom_u32();
  bpf_printk("open dfd=%d flags=%lx cpu=%u", (int)ctx->di, ctx->dx, bpf_get_smp_processor_id());
  if (ctx->si == 0x1234) return (int)(bpf_get_current_pid_tgid() >> 32);
  return t > 0 && (r | 1) ? (int)ctx->di : -1;
}
