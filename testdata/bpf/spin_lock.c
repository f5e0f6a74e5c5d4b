/* bpf_spin_lock/bpf_spin_unlock around updates of a map value holding a struct bpf_spin_lock
 * (found in the value's BTF), in an array and a hash map; released on every path. */
#include "mxy_bpf.h"

struct flow { __u64 packets; struct bpf_spin_lock lock; __u32 max_len; __u64 bytes; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct flow); } total SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, struct flow); } by_len SEC(".maps");

SEC("tc") int count_locked(struct __sk_buff *skb) {
  __u32 zero = 0, len = skb->len;
  struct flow *f = bpf_map_lookup_elem(&total, &zero);
  if (!f) return 0;
  bpf_spin_lock(&f->lock);
  f->packets += 1;
  f->bytes += len;
  if (len > f->max_len) {
    f->max_len = len;
    bpf_spin_unlock(&f->lock);
    return 1;
  }
  bpf_spin_unlock(&f->lock);
  __u32 k = len & 15;
  struct flow *g = bpf_map_lookup_elem(&by_len, &k);
  if (!g) {
    struct flow init = { .packets = 1, .bytes = len };
    bpf_map_update_elem(&by_len, &k, &init, BPF_NOEXIST);
    return 2;
  }
  bpf_spin_lock(&g->lock);
  g->packets += 1;
  bpf_spin_unlock(&g->lock);
  return 3;
}
