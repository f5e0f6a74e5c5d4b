/* Socket maps: sk_skb verdict programs redirect through a sockmap and a sockhash (verified;
 * the helpers need sockets, which exist only in a kernel). */
#include "mxy_bpf.h"

struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } socks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_SOCKHASH); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } by_port SEC(".maps");

SEC("sk_skb/stream_verdict") int verdict(struct __sk_buff *skb) {
  return bpf_sk_redirect_map(skb, &socks, skb->len & 3, 0);
}
SEC("sk_skb/stream_verdict") int verdict_hash(struct __sk_buff *skb) {
  __u32 port = skb->local_port;
  return bpf_sk_redirect_hash(skb, &by_port, &port, 0);
}
