/* Must be rejected: a helper called while the lock is held. */
#include "mxy_bpf.h"

struct val { struct bpf_spin_lock lock; __u64 t; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct val); } stamps SEC(".maps");

SEC("tc") int call_locked(struct __sk_buff *skb) {
  __u32 zero = 0;
  struct val *v = bpf_map_lookup_elem(&stamps, &zero);
  if (!v) return 0;
  bpf_spin_lock(&v->lock);
  v->t = bpf_ktime_get_ns();
  bpf_spin_unlock(&v->lock);
  return 0;
}
