/* Socket filter: __sk_buff fields, bpf_skb_load_bytes, a percpu array of counters. */
#include "mxy_bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

SEC("socket") int keep_ipv4(struct __sk_buff *skb) {
  __u32 k = 0;
  __u64 *bytes = bpf_map_lookup_elem(&stats, &k);
  if (bytes) *bytes += skb->len;
  if (skb->protocol != bpf_htons(0x0800)) return 0;
  __u8 proto;
  if (bpf_skb_load_bytes(skb, 14 + 9, &proto, 1) < 0) return 0;
  return proto == 17 ? skb->len : 0; /* keep UDP */
}
