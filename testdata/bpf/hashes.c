/* Plain and LRU percpu hash maps, bpf_map_delete_elem, bpf_skb_store_bytes, bpf_csum_diff; a
 * tc action (SEC("action")). */
#include "mxy_bpf.h"

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8); __type(key, __u32); __type(value, __u32); } seen SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} recent SEC(".maps");

SEC("action") int rewrite(struct __sk_buff *skb) {
  __u32 len = skb->len, one = 1;
  __u64 n = len;
  bpf_map_update_elem(&recent, &len, &n, BPF_ANY);
  if (bpf_map_lookup_elem(&seen, &len)) {
    bpf_map_delete_elem(&seen, &len); /* seen twice: forget it */
    return 1;
  }
  bpf_map_update_elem(&seen, &len, &one, BPF_NOEXIST);
  __u32 word = 0xdeadbeef;
  bpf_skb_store_bytes(skb, 0, &word, 4, 0); /* overwrite the first 4 bytes */
  __u32 zero = 0;
  return (__u32)bpf_csum_diff(&zero, 4, &word, 4, 0) == 0xdeadbeef ? 0 : 2;
}
