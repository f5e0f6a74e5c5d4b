/* A socket filter with legacy packet loads (load_byte/load_half, as old samples and Suricata's
 * filters use): keeps IPv4 TCP packets to port 80. */
#include "mxy_bpf.h"
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

SEC("socket") int http_only(struct __sk_buff *skb) {
  if (load_half(skb, 12) != 0x0800) return 0;
  if (load_byte(skb, 14 + 9) != 6) return 0;
  __u32 ihl = (load_byte(skb, 14) & 0xf) * 4;
  return load_half(skb, 14 + ihl + 2) == 80 ? -1 : 0;
}
