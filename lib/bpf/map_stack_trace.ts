/**
 * Stack trace maps (`BPF_MAP_TYPE_STACK_TRACE`): stack ids (4-byte keys below `maxEntries`) to
 * the instruction pointers of a stack (8 bytes each) or build ids (`BPF_F_STACK_BUILD_ID`),
 * written by `bpf_get_stackid`. Off-kernel a program has no kernel or user stack to record:
 * `bpf_get_stackid` returns `-EFAULT` (as Linux does when it can get no call chain) and the map
 * stays empty; the host may read and delete entries (there are none unless it kept a map from
 * elsewhere), and updates are refused with `-EINVAL`, as Linux refuses them.
 *
 * @module
 */
import { BpfMap } from "./maps.ts";
import { BPF_MAP_ERRNO } from "./map_errno.ts";

/** `BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID`. */
const STACKID_FLAGS = 0xff | 0x100 | 0x200 | 0x400;
/** Linux's errno for "no call chain". */
const EFAULT = 14;

/**
 * A stack trace map. Create one with
 * `createBpfMap({ type: "stack_trace", keySize: 4, valueSize: 8 * depth, maxEntries })`.
 *
 * @example
 * ```ts
 * import { BpfStackTraceMap, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const stacks = createBpfMap({ type: "stack_trace", keySize: 4, valueSize: 8 * 127, maxEntries: 16 }) as BpfStackTraceMap;
 * assert.equal(stacks.stackId(0), -14); // -EFAULT: no stack off-kernel
 * assert.equal(stacks.stackId(1 << 12), -22); // -EINVAL: unknown flags
 * assert.equal(stacks.size, 0);
 * ```
 */
export class BpfStackTraceMap extends BpfMap {
  /**
   * Stack traces are only written by `bpf_get_stackid`: `-EINVAL`, as Linux.
   *
   * @returns `-EINVAL`.
   */
  override updateErrno(): number {
    return -BPF_MAP_ERRNO.EINVAL;
  }

  /**
   * What `bpf_get_stackid(ctx, map, flags)` returns off-kernel.
   *
   * @param flags The helper's flags.
   * @returns `-EINVAL` for unknown flags, else `-EFAULT` (no stack to record).
   */
  stackId(flags: number): number {
    if (flags < 0 || flags > 0xffffffff || (flags & ~STACKID_FLAGS) !== 0) {
      return -BPF_MAP_ERRNO.EINVAL;
    }
    return -EFAULT;
  }
}
