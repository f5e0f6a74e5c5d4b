import assert from "node:assert/strict";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import type { BpfRedirectMap } from "../../lib/bpf/map_redirect.ts";
import { BPF_MAP_ERRNO } from "../../lib/bpf/map_errno.ts";
import { BPF_NOEXIST } from "../../lib/bpf/map_update_flags.ts";
import { BPF_F } from "../../lib/bpf/map_types.ts";

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const make = (type: "devmap" | "devmap_hash" | "cpumap" | "xskmap", valueSize = 4) =>
  createBpfMap({ type, keySize: 4, valueSize, maxEntries: 4 }) as BpfRedirectMap;

Deno.test("bpf_redirect_map's verdict: XDP_REDIRECT for a present key, else the flags' action", () => {
  for (const type of ["devmap", "devmap_hash", "cpumap", "xskmap"] as const) {
    const m = make(type);
    for (let action = 0; action < 4; action++) assert.equal(m.redirect(1, action), action);
    m.update(u32(1), u32(9));
    assert.equal(m.redirect(1, 2), 4);
    assert.equal(m.lastRedirect, 1);
    assert.equal(m.redirect(1, 1 << 8), 0); // unknown flags: XDP_ABORTED
  }
  assert.equal(make("devmap").redirect(3, 8), 4); // BPF_F_BROADCAST
  assert.equal(make("cpumap").redirect(3, 8), 0); // only devmaps broadcast
});

Deno.test("redirect maps follow Linux's sizes, index bounds and flags", () => {
  assert.throws(() => make("xskmap", 8), /xskmap maps take 4-byte keys and values/);
  assert.throws(() => make("devmap", 6), /devmap values are 4 or 8 bytes/);
  assert.equal(make("devmap", 8).valueSize, 8); // struct bpf_devmap_val with a program fd
  const dev = make("devmap");
  assert.equal(dev.updateErrno(u32(4), 0, u32(1), 0, 0), -BPF_MAP_ERRNO.E2BIG);
  assert.equal(dev.updateErrno(u32(0), 0, u32(1), 0, BPF_NOEXIST), -BPF_MAP_ERRNO.EEXIST);
  assert.ok((dev.flags & BPF_F.RDONLY_PROG) !== 0); // programs may read, not write
  const hash = make("devmap_hash");
  assert.equal(hash.updateErrno(u32(1000), 0, u32(1), 0, 0), 0); // any key
  const sock = createBpfMap({ type: "sockhash", keySize: 12, valueSize: 8, maxEntries: 2 });
  assert.equal(sock.keySize, 12);
});
