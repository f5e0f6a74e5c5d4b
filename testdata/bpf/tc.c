/* tc classifier: data/data_end, writes to mark and cb[], a percpu hash keyed by source. */
#include "mxy_bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} per_source SEC(".maps");

SEC("tc") int mark_ipv4(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = data + sizeof(*eth);
  if ((void *)(ip + 1) > end) return 2; /* TC_ACT_SHOT */
  __u32 src = ip->saddr;
  __u64 zero = 0, *n = bpf_map_lookup_elem(&per_source, &src);
  if (!n) {
    bpf_map_update_elem(&per_source, &src, &zero, BPF_NOEXIST);
    n = bpf_map_lookup_elem(&per_source, &src);
    if (!n) return 2;
  }
  *n += 1;
  skb->mark = ip->ttl;
  skb->cb[0] = ip->protocol;
  return 0; /* TC_ACT_OK */
}
