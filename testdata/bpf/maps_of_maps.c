/* Maps of maps: an array of maps and a hash of maps, initialised in the object. */
#include "mxy_bpf.h"

struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); };
struct inner in0 SEC(".maps"), in1 SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, __u32);
  __array(values, struct inner);
} outer SEC(".maps") = { .values = { [0] = &in0, [1] = &in1 } };
struct {
  __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
  __uint(max_entries, 4);
  __type(key, __u32);
  __array(values, struct inner);
} by_key SEC(".maps");

SEC("socket") int pick(struct __sk_buff *skb) {
  __u32 which = skb->len & 1, zero = 0;
  void *inner = bpf_map_lookup_elem(&outer, &which);
  if (!inner) return -1;
  __u32 *v = bpf_map_lookup_elem(inner, &zero);
  if (!v) return -2;
  *v += 1;
  __u32 k = skb->len;
  void *other = bpf_map_lookup_elem(&by_key, &k);
  return other ? 1000 + *v : *v;
}
