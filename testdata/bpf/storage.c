/* Local storage: a cgroup storage counted by a cgroup_skb program (bpf_get_local_storage),
 * task storage used by a kprobe (verified; tasks exist only in a kernel), and sk, inode and
 * cgroup storage maps declared as libbpf objects declare them. */
#include "mxy_bpf.h"

struct { __uint(type, BPF_MAP_TYPE_CGROUP_STORAGE); __type(key, struct bpf_cgroup_storage_key); __type(value, __u64); } bytes SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE); __type(key, __u64); __type(value, __u32); } packets SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_TASK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, int); __type(value, __u64); } per_task SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_SK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, int); __type(value, __u32); } per_sock SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_INODE_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, int); __type(value, __u32); } per_inode SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_CGRP_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, int); __type(value, __u32); } per_cgroup SEC(".maps");

SEC("cgroup_skb/egress") int count_egress(struct __sk_buff *skb) {
  __u64 *b = bpf_get_local_storage(&bytes, 0);
  __u32 *p = bpf_get_local_storage(&packets, 0);
  *b += skb->len;
  *p += 1;
  return 1;
}

SEC("kprobe/schedule") int count_switches(struct pt_regs *ctx) {
  void *task = bpf_get_current_task_btf();
  __u64 *n = bpf_task_storage_get(&per_task, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!n) return 0;
  *n += 1;
  if (*n > 1000) bpf_task_storage_delete(&per_task, task);
  return 1;
}
