/**
 * Redirect maps: where XDP's `bpf_redirect_map` sends a packet (`devmap`, `devmap_hash`: network
 * devices; `cpumap`: CPUs; `xskmap`: AF_XDP sockets) and where socket programs redirect
 * (`sockmap`, `sockhash`: sockets). Off-kernel there are no devices or sockets: the maps hold
 * what the host stores (an ifindex, a queue size, a socket's fd or cookie), and XDP's
 * `bpf_redirect_map` gives Linux's verdict, recording the key it redirected to.
 *
 * @module
 */
import { BpfMap } from "./maps.ts";
import { BPF_MAP_ERRNO } from "./map_errno.ts";
import { BPF_NOEXIST } from "./map_update_flags.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import type { BpfMapPool } from "./map_pool.ts";
import type { BpfProfile } from "./profile.ts";
import { BPF_F } from "./map_types.ts";
import { isIndexed } from "./_map_spec_check.ts";

/** `XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX`: the fallback actions in the flags' low bits. */
const ACTION_MASK = 3;
/** `BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS` (devmaps only). */
const DEVMAP_FLAGS = 8 | 16, BROADCAST = 8;
/** `XDP_ABORTED`, `XDP_REDIRECT`. */
const XDP_ABORTED = 0, XDP_REDIRECT = 4;

/**
 * A devmap, devmap_hash, cpumap, xskmap, sockmap or sockhash. Create one with `createBpfMap`.
 * Keys of the indexed types (all but the `_hash`/`sockhash` ones) are below `maxEntries`, and an
 * element exists once stored; programs may read a devmap's or xskmap's values (never write
 * them: the map is `BPF_F_RDONLY_PROG`, as Linux makes it).
 *
 * @example
 * ```ts
 * import { BpfRedirectMap, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const ports = createBpfMap({ type: "devmap", keySize: 4, valueSize: 4, maxEntries: 4 }) as BpfRedirectMap;
 * ports.update(new Uint8Array([1, 0, 0, 0]), new Uint8Array([7, 0, 0, 0])); // key 1: ifindex 7
 * assert.equal(ports.redirect(1, 0), 4); // XDP_REDIRECT
 * assert.equal(ports.redirect(2, 2), 2); // absent: the flags' action, XDP_PASS
 * assert.equal(ports.lastRedirect, 1);
 * ```
 */
export class BpfRedirectMap extends BpfMap {
  /** The key of the last successful `bpf_redirect_map` (−1 for a broadcast), or `null`. */
  lastRedirect: number | null = null;
  #indexed: boolean;
  #key = new Uint8Array(4);

  /**
   * Use `createBpfMap`; this constructor is internal.
   *
   * @param spec The map's shape.
   * @param profile Its profile.
   * @param pool The pool, when the profile has one.
   */
  constructor(spec: BpfMapSpec, profile: BpfProfile, pool: BpfMapPool | undefined) {
    const readOnly = spec.type === "devmap" || spec.type === "devmap_hash" ||
      spec.type === "xskmap";
    super(
      readOnly ? { ...spec, flags: (spec.flags ?? 0) | BPF_F.RDONLY_PROG } : spec,
      profile,
      pool,
    );
    this.#indexed = isIndexed(spec.type);
  }

  /**
   * {@linkcode BpfMap.updateErrno} with Linux's rules: an index at or past `maxEntries` is
   * `-E2BIG`, and `BPF_NOEXIST` on a devmap or cpumap is always `-EEXIST`.
   *
   * @param kbuf Bytes holding the key.
   * @param koff Where the key starts.
   * @param vbuf Bytes holding the value.
   * @param voff Where the value starts.
   * @param flags The update flag.
   * @returns 0 or a negative errno.
   */
  override updateErrno(
    kbuf: Uint8Array,
    koff: number,
    vbuf: Uint8Array,
    voff: number,
    flags: number,
  ): number {
    if (this.#indexed && readU32(kbuf, koff) >= this.maxEntries) return -BPF_MAP_ERRNO.E2BIG;
    if ((this.type === "devmap" || this.type === "cpumap") && flags === BPF_NOEXIST) {
      return -BPF_MAP_ERRNO.EEXIST;
    }
    return super.updateErrno(kbuf, koff, vbuf, voff, flags);
  }

  /**
   * `bpf_redirect_map(map, key, flags)` of an XDP program, as Linux's `__bpf_xdp_redirect_map`:
   * `XDP_REDIRECT` when the key is present (or, for a devmap, with `BPF_F_BROADCAST`); else the
   * action in the flags' low two bits; `XDP_ABORTED` for unknown flags.
   *
   * @param key The key (a 32-bit number).
   * @param flags The flags.
   * @returns The XDP action.
   */
  redirect(key: number, flags: number): number {
    const allowed = ACTION_MASK |
      (this.type === "devmap" || this.type === "devmap_hash" ? DEVMAP_FLAGS : 0);
    if ((flags & ~allowed) !== 0 || flags < 0 || flags > 0xffffffff) return XDP_ABORTED;
    const k = this.#key;
    k[0] = key & 0xff;
    k[1] = (key >>> 8) & 0xff;
    k[2] = (key >>> 16) & 0xff;
    k[3] = (key >>> 24) & 0xff;
    if ((flags & BROADCAST) !== 0 && (allowed & BROADCAST) !== 0) {
      this.lastRedirect = -1;
      return XDP_REDIRECT;
    }
    if (this.findSlot(k, 0) < 0) return flags & ACTION_MASK;
    this.lastRedirect = key >>> 0;
    return XDP_REDIRECT;
  }
}

function readU32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
