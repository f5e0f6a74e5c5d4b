/* Stack trace maps and bpf_get_stackid/bpf_get_stack: off-kernel there is no stack, so both
 * return -EFAULT (and -EINVAL for unknown flags); the counts keep what the program saw. */
#include "mxy_bpf.h"

struct { __uint(type, BPF_MAP_TYPE_STACK_TRACE); __uint(max_entries, 128); __type(key, __u32); __uint(value_size, 127 * 8); } stacks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __type(key, long); __type(value, __u64); } counts SEC(".maps");

SEC("kprobe/kfree") int on_free(struct pt_regs *ctx) {
  long id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
  long bad = bpf_get_stackid(ctx, &stacks, 1 << 12);
  __u64 buf[4] = { 1, 2, 3, 4 };
  long got = bpf_get_stack(ctx, buf, sizeof(buf), 0);
  __u64 one = 1, *c = bpf_map_lookup_elem(&counts, &id);
  if (c) *c += 1;
  else bpf_map_update_elem(&counts, &id, &one, BPF_ANY);
  return (int)(-id * 10000 - bad * 100 - got + buf[0] + buf[3]);
}
