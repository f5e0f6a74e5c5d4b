/* Queue and stack maps: push, pop, peek. */
#include "mxy_bpf.h"

struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 4); __type(value, __u32); } q SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK); __uint(max_entries, 4); __type(value, __u32); } s SEC(".maps");

SEC("socket") int push_pop(struct __sk_buff *skb) {
  __u32 v = skb->len;
  bpf_map_push_elem(&q, &v, BPF_EXIST);
  bpf_map_push_elem(&s, &v, BPF_EXIST);
  __u32 a = 0, b = 0, c = 0;
  if (skb->len < 3) return 0;
  bpf_map_pop_elem(&q, &a);  /* oldest */
  bpf_map_peek_elem(&s, &b); /* newest */
  bpf_map_pop_elem(&s, &c);
  return a * 1000000 + b * 1000 + c;
}
