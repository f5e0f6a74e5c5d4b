/* libbpf-style objects: several programs in one section, functions of .text called and exposed
 * as programs, .rodata/.data/.bss global data. */
#include "mxy_bpf.h"

const volatile __u32 scale = 3;   /* .rodata */
__u32 offset = 7;                 /* .data */
__u64 calls;                      /* .bss */

__attribute__((noinline)) int mix(int x) { return x * scale + offset; }
static __attribute__((noinline)) int twice(int x) { return mix(x) + mix(x + 1); }

SEC("socket") int first(struct __sk_buff *skb) { calls++; return mix(skb->len); }
SEC("socket") int second(struct __sk_buff *skb) { calls++; return twice(skb->len); }
