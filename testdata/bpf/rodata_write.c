/* Rejected: .rodata is read-only to programs. */
#include "mxy_bpf.h"
const volatile __u32 limit = 3;
SEC("socket") int write_rodata(struct __sk_buff *skb) { *(volatile __u32 *)&limit = skb->len; return 0; }
