/* Ring buffer: reserve/submit, reserve/discard, output, query. */
#include "mxy_bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096);
} rb SEC(".maps");

struct event { __u32 len; __u8 first[4]; };

SEC("xdp") int rb_events(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  if (data + 4 > end) return XDP_PASS;
  struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) return XDP_DROP;
  e->len = end - data;
  __builtin_memcpy(e->first, data, 4);
  if (e->first[0] == 0xff) bpf_ringbuf_discard(e, 0);
  else bpf_ringbuf_submit(e, 0);
  __u64 avail = bpf_ringbuf_query(&rb, 0);
  bpf_ringbuf_output(&rb, &avail, sizeof(avail), 0);
  return XDP_PASS;
}
