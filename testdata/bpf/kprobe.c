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

/* bpf_snprintf and bpf_trace_vprintk: formats with their arguments in an array. */
SEC("kprobe/do_unlinkat") int trace_unlink(struct pt_regs *ctx) {
  static const char fmt[] = "%d-%d-%d-%d";
  __u64 args[4] = { ctx->di, ctx->si, ctx->dx, ctx->cx };
  char out[32];
  long n = bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args));
  static const char line[] = "unlink %s (%d bytes)";
  __u64 args2[2] = { (__u64)(long)out, n };
  bpf_trace_vprintk(line, sizeof(line), args2, sizeof(args2));
  return n;
}
