/* Must be rejected: one path exits holding the lock. */
#include "mxy_bpf.h"

struct val { struct bpf_spin_lock lock; __u32 n; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct val); } counts SEC(".maps");

SEC("tc") int leak(struct __sk_buff *skb) {
  __u32 zero = 0;
  struct val *v = bpf_map_lookup_elem(&counts, &zero);
  if (!v) return 0;
  bpf_spin_lock(&v->lock);
  if (skb->len > 100) return 1; /* still locked */
  v->n++;
  bpf_spin_unlock(&v->lock);
  return 0;
}
