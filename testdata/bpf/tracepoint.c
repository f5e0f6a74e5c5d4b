/* Tracepoint: a record read at fixed offsets; perf event output of what was read. */
#include "mxy_bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct enter_openat { __u64 common; __s64 syscall_nr; __u64 dfd, filename, flags, mode; };

SEC("tracepoint/syscalls/sys_enter_openat") int on_openat(struct enter_openat *ctx) {
  struct { __u64 nr, flags; } e = { ctx->syscall_nr, ctx->flags };
  bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
  return 0;
}
