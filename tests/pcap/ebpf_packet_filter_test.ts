import assert from "node:assert/strict";
import { filterCapture, forEachPacket, PcapError } from "../../lib/pcap/mod.ts";
import { BpfVm, loadElf } from "../../lib/bpf/mod.ts";
import { forEachPacketInFile, openCaptureFile } from "../../lib/runtime/mod.ts";
import { fixture, hasProgram } from "../_fixtures.ts";

/** Packets of a capture as comparable strings: µs timestamp, lengths and the bytes in hex. */
async function packetsOf(source: string | Uint8Array): Promise<string[]> {
  const out: string[] = [];
  const read = typeof source === "string"
    ? (cb: Parameters<typeof forEachPacket>[1]) =>
      forEachPacketInFile(source, cb, { decode: false })
    : (cb: Parameters<typeof forEachPacket>[1]) => forEachPacket(source, cb, { decode: false });
  await read((v) => {
    const data = v.buf.subarray(v.dataOffset, v.dataOffset + v.caplen);
    out.push(
      `${v.tsSec}.${Math.floor(v.tsNsec / 1000)} ${v.caplen}/${v.origlen} ${data.join(",")}`,
    );
  });
  return out;
}

Deno.test("filterCapture() runs an XDP program from clang on a capture: it keeps what tcpdump 'udp' keeps", async () => {
  const dir = fixture("pcap/loopback");
  if (dir === null || !hasProgram("clang") || !hasProgram("tcpdump")) return;
  const tmp = await Deno.makeTempDir();
  try {
    const src = new URL("../../testdata/bpf/xdp_udp.c", import.meta.url).pathname;
    const cc = await new Deno.Command("clang", {
      args: ["-O2", "-g", "-target", "bpf", "-c", src, "-o", `${tmp}/x.o`],
      stderr: "piped",
    }).output();
    assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
    const obj = await Deno.readFile(`${tmp}/x.o`);
    for (const name of ["mixed.pcapng", "mixed-usec.pcap"]) {
      const ref = `${tmp}/ref.pcap`;
      const t = await new Deno.Command("tcpdump", {
        args: ["-r", `${dir}/${name}`, "-w", ref, "udp"],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.ok(t.success);
      for (const engine of ["interpreter", "jit-js", "wasm"] as const) {
        const xdp = loadElf(new BpfVm(), obj, { engine }).programs.get("xdp_udp")!;
        const file = await openCaptureFile(`${dir}/${name}`);
        try {
          const r = await filterCapture(file.source, xdp, { name });
          const want = await packetsOf(ref);
          assert.ok(want.length > 10);
          assert.deepEqual(await packetsOf(r.bytes), want, `${name} (${engine})`);
        } finally {
          file.close();
        }
      }
    }
    // A typed program reads Ethernet frames: a cooked capture is refused clearly.
    const xdp = loadElf(new BpfVm(), obj).programs.get("xdp_udp")!;
    const sll = await openCaptureFile(`${dir}/linux-sll.pcap`);
    try {
      await assert.rejects(
        () => filterCapture(sll.source, xdp),
        (e: unknown) =>
          e instanceof PcapError && /xdp programs read Ethernet frames/.test(e.message),
      );
    } finally {
      sll.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
