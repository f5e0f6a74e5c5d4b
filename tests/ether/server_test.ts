import assert from "node:assert/strict";
import fc from "fast-check";
import { connectEther, serveEther, type ServeEtherOptions } from "../../lib/runtime/mod.ts";
import type { EtherServer } from "../../lib/ether/mod.ts";
import {
  encodeEtherHeader,
  encodeEtherMessage,
  ETHER_BLOCK_OVERHEAD,
  ETHER_HEADER_SIZE,
  ETHER_MAX_PAYLOAD,
  EtherCommand,
  EtherFlag,
  EtherWireError,
} from "../../lib/ether/mod.ts";
import { hex, RawSocket, toHex } from "./_helpers.ts";

async function withServer(
  options: ServeEtherOptions,
  fn: (server: EtherServer) => Promise<void>,
): Promise<void> {
  const server = await serveEther({ port: 0, ...options });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** Another client still gets served: PING → PONG. */
async function stillServes(server: EtherServer): Promise<void> {
  const c = await connectEther("127.0.0.1", { port: server.port, timeout: 5000 });
  await c.ping();
  c.close();
}

function header(command: number, handle: bigint, size: number, flags = 0): Uint8Array {
  return encodeEtherHeader({ command, flags, handle, size, reserved: 0 });
}

function handleOf(raw: Uint8Array): bigint {
  return new DataView(raw.buffer, raw.byteOffset).getBigUint64(8);
}

Deno.test("server answers the reference client's legacy framing byte for byte", async () => {
  await withServer({}, async (server) => {
    const s = await RawSocket.open(server.port);
    // PING, flags 0, size 0
    await s.send(hex("e7e7e7e7 01 01 0000 0000000000000000 00000000 00000000"));
    assert.equal(
      toHex((await s.reply())!.raw),
      "e7e7e7e70101000000000000000000000000000000000000".replace(/^(.{10})01/, "$102"),
    );
    // ALLOC 16: the reference client sends 16 meaningless bytes after the header
    await s.send(
      hex("e7e7e7e7 01 10 0000 0000000000000000 00000010 00000000"),
      new Uint8Array(16).fill(0xaa),
    );
    const alloc = (await s.reply())!;
    assert.equal(alloc.header.command, EtherCommand.OK);
    assert.equal(alloc.header.size, 0);
    assert.equal(alloc.header.reserved, 0);
    const h = alloc.header.handle;
    assert.notEqual(h, 0n);
    const hh = h.toString(16).padStart(16, "0");
    // WRITE 16 bytes
    const data = "00112233445566778899aabbccddeeff";
    await s.send(hex(`e7e7e7e7 01 20 0000 ${hh} 00000010 00000000 ${data}`));
    assert.equal(toHex((await s.reply())!.raw), `e7e7e7e701f00000${hh}0000000000000000`);
    // READ 16, again followed by 16 meaningless bytes
    await s.send(hex(`e7e7e7e7 01 21 0000 ${hh} 00000010 00000000`), new Uint8Array(16).fill(0x55));
    assert.equal(toHex((await s.reply())!.raw), `e7e7e7e701f00000${hh}0000001000000000${data}`);
    // READ 8 bytes only
    await s.send(hex(`e7e7e7e7 01 21 0000 ${hh} 00000008 00000000`), new Uint8Array(8));
    assert.equal(
      toHex((await s.reply())!.raw),
      `e7e7e7e701f00000${hh}0000000800000000${data.slice(0, 16)}`,
    );
    // FREE
    await s.send(hex(`e7e7e7e7 01 11 0000 ${hh} 00000000 00000000`));
    assert.equal(toHex((await s.reply())!.raw), `e7e7e7e701f00000${hh}0000000000000000`);
    // FREE again: ERROR with CORRUPT in the reserved field, no payload (no message asked)
    await s.send(hex(`e7e7e7e7 01 11 0000 ${hh} 00000000 00000000`));
    assert.equal(toHex((await s.reply())!.raw), `e7e7e7e701ff0000${hh}00000000fffffffd`);
    s.close();
    await stillServes(server);
  });
});

Deno.test("server honours NO_PAYLOAD framing for ALLOC, REALLOC and READ", async () => {
  await withServer({}, async (server) => {
    const s = await RawSocket.open(server.port);
    await s.send(header(EtherCommand.ALLOC, 0n, 1000, EtherFlag.NO_PAYLOAD));
    const h = (await s.reply())!.header.handle;
    await s.send(
      encodeEtherMessage({ command: EtherCommand.WRITE, handle: h }, new Uint8Array([1, 2, 3])),
    );
    assert.equal((await s.reply())!.header.command, EtherCommand.OK);
    await s.send(header(EtherCommand.REALLOC, h, 2, EtherFlag.NO_PAYLOAD));
    assert.equal((await s.reply())!.header.handle, h);
    await s.send(header(EtherCommand.READ, h, 1000, EtherFlag.NO_PAYLOAD));
    const r = (await s.reply())!;
    assert.deepEqual([...r.payload], [1, 2]);
    s.close();
  });
});

Deno.test("server answers PING with capabilities only when asked", async () => {
  await withServer({}, async (server) => {
    const s = await RawSocket.open(server.port);
    await s.send(header(EtherCommand.PING, 0n, 0));
    assert.equal((await s.reply())!.header.size, 0);
    await s.send(header(EtherCommand.PING, 0n, 0, EtherFlag.CAPABILITIES));
    const r = (await s.reply())!;
    assert.equal(r.header.command, EtherCommand.PONG);
    assert.ok(r.payload.length > 8);
    assert.equal(new DataView(r.payload.buffer).getUint32(4), ETHER_MAX_PAYLOAD);
    s.close();
  });
});

for (
  const [what, bytes] of [
    [
      "a wrong magic",
      encodeEtherHeader({ command: 1, flags: 0, handle: 0n, size: 0, reserved: 0 }, {
        magic: 0xdeadbeef,
      }),
    ],
    [
      "a wrong version",
      encodeEtherHeader({ command: 1, flags: 0, handle: 0n, size: 0, reserved: 0 }, { version: 2 }),
    ],
    ["a size over 16 MiB", header(EtherCommand.WRITE, 1n, ETHER_MAX_PAYLOAD + 1)],
  ] as const
) {
  Deno.test(`server replies ERROR INVALID to ${what} and closes the connection`, async () => {
    await withServer({}, async (server) => {
      const s = await RawSocket.open(server.port);
      const b = new Uint8Array(bytes.length);
      b.set(bytes);
      b[7] = EtherFlag.ERROR_MESSAGE; // ask for a message
      await s.send(b);
      const r = (await s.reply())!;
      assert.equal(r.header.command, EtherCommand.ERROR);
      assert.equal(r.header.reserved, EtherWireError.INVALID);
      assert.match(new TextDecoder().decode(r.payload), /^INVALID: .*at byte \d+/);
      assert.ok(await s.closedByPeer());
      s.close();
      await stillServes(server);
    });
  });
}

Deno.test("server replies UNKNOWN_COMMAND to an unknown command and keeps the connection", async () => {
  await withServer({}, async (server) => {
    const s = await RawSocket.open(server.port);
    await s.send(
      encodeEtherMessage(
        { command: 0x77, flags: EtherFlag.ERROR_MESSAGE },
        new Uint8Array([1, 2, 3]),
      ),
    );
    const r = (await s.reply())!;
    assert.equal(r.header.reserved, EtherWireError.UNKNOWN_COMMAND);
    assert.match(new TextDecoder().decode(r.payload), /0x77 at byte 5/);
    // the 3 payload bytes were consumed: the next request is read correctly
    await s.send(header(EtherCommand.PING, 0n, 0));
    assert.equal((await s.reply())!.header.command, EtherCommand.PONG);
    // a reserved cluster opcode is unknown too
    await s.send(header(0x30, 0n, 0));
    assert.equal((await s.reply())!.header.reserved, EtherWireError.UNKNOWN_COMMAND);
    s.close();
  });
});

Deno.test("server rejects unknown flag bits with INVALID and keeps the connection", async () => {
  await withServer({}, async (server) => {
    const s = await RawSocket.open(server.port);
    await s.send(header(EtherCommand.PING, 0n, 0, 0x8000));
    assert.equal((await s.reply())!.header.reserved, EtherWireError.INVALID);
    await s.send(header(EtherCommand.PING, 0n, 0));
    assert.equal((await s.reply())!.header.command, EtherCommand.PONG);
    s.close();
  });
});

Deno.test("server rejects handle 0 (INVALID), unknown handles (NOTFOUND) and zero-size ALLOC", async () => {
  await withServer({}, async (server) => {
    const s = await RawSocket.open(server.port);
    await s.send(
      encodeEtherMessage({ command: EtherCommand.WRITE, handle: 0n }, new Uint8Array(4)),
    );
    assert.equal((await s.reply())!.header.reserved, EtherWireError.INVALID);
    await s.send(header(EtherCommand.FREE, 0n, 0));
    assert.equal((await s.reply())!.header.reserved, EtherWireError.INVALID);
    await s.send(header(EtherCommand.READ, 0x1234n, 4, EtherFlag.NO_PAYLOAD));
    const nf = (await s.reply())!;
    assert.equal(nf.header.reserved, EtherWireError.NOTFOUND);
    assert.equal(nf.header.handle, 0x1234n);
    await s.send(header(EtherCommand.FREE, 0x1234n, 0));
    assert.equal((await s.reply())!.header.reserved, EtherWireError.NOTFOUND);
    await s.send(header(EtherCommand.ALLOC, 0n, 0));
    assert.equal((await s.reply())!.header.reserved, EtherWireError.INVALID);
    s.close();
    await stillServes(server);
  });
});

Deno.test("server hides one connection's blocks from another (NOTFOUND, data untouched)", async () => {
  await withServer({}, async (server) => {
    const a = await connectEther("127.0.0.1", { port: server.port });
    const b = await connectEther("127.0.0.1", { port: server.port });
    const buf = await a.alloc(4);
    await buf.write(new Uint8Array([9, 8, 7, 6]));
    const stolen = b.buffer(buf.handle, 4);
    await assert.rejects(stolen.read(), { code: "not-found" });
    await assert.rejects(stolen.write(new Uint8Array([0])), { code: "not-found" });
    await assert.rejects(stolen.realloc(8), { code: "not-found" });
    await assert.rejects(stolen.free(), { code: "not-found" });
    assert.deepEqual([...await buf.read()], [9, 8, 7, 6]);
    a.close();
    b.close();
  });
});

Deno.test("server catches double free and use after free as CORRUPT", async () => {
  await withServer({}, async (server) => {
    const c = await connectEther("127.0.0.1", { port: server.port });
    const buf = await c.alloc(8);
    await buf.free();
    await assert.rejects(buf.free(), { code: "corrupt" });
    await assert.rejects(buf.read(), { code: "corrupt" });
    await assert.rejects(buf.write(new Uint8Array(1)), { code: "corrupt" });
    await c.ping();
    c.close();
  });
});

Deno.test("server refuses a write past the block (OVERFLOW) and caps a read at the block size", async () => {
  await withServer({}, async (server) => {
    const c = await connectEther("127.0.0.1", { port: server.port });
    const buf = await c.alloc(4);
    await buf.write(new Uint8Array([1, 2, 3, 4]));
    await assert.rejects(
      buf.write(new Uint8Array(5).fill(9)),
      (e: { code: string; message: string }) => {
        assert.equal(e.code, "overflow");
        assert.match(e.message, /holds only 4 bytes/);
        return true;
      },
    );
    assert.deepEqual([...await buf.read(1000)], [1, 2, 3, 4]);
    c.close();
  });
});

Deno.test("server drops a truncated header and a disconnect mid-payload, freeing that connection's memory", async () => {
  await withServer({}, async (server) => {
    const t = await RawSocket.open(server.port);
    await t.send(hex("e7e7e7e7 01 01 00"));
    t.close();
    const m = await RawSocket.open(server.port);
    await m.send(header(EtherCommand.ALLOC, 0n, 64, EtherFlag.NO_PAYLOAD));
    const h = (await m.reply())!.header.handle;
    assert.equal(server.stats().memoryInUse, 64 + ETHER_BLOCK_OVERHEAD);
    await m.send(header(EtherCommand.WRITE, h, 64), new Uint8Array(20));
    m.close();
    await stillServes(server);
    for (
      let i = 0;
      i < 100 && (server.stats().connections > 0 || server.stats().memoryInUse > 0);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(server.stats().memoryInUse, 0);
    assert.equal(server.stats().blocks, 0);
    assert.equal(server.stats().connections, 0);
  });
});

Deno.test("server answers ERROR TIMEOUT and closes a connection that leaves half a header hanging", async () => {
  await withServer({ frameTimeoutMs: 150 }, async (server) => {
    const s = await RawSocket.open(server.port);
    await s.send(hex("e7e7e7e7 01 01 0000 00000000"));
    const r = (await s.reply())!;
    assert.equal(r.header.command, EtherCommand.ERROR);
    assert.equal(r.header.reserved, EtherWireError.TIMEOUT);
    assert.ok(await s.closedByPeer());
    s.close();
    assert.equal(server.stats().timeouts, 1);
    await stillServes(server);
  });
});

Deno.test("server closes idle connections after the idle timeout", async () => {
  await withServer({ idleTimeoutMs: 150 }, async (server) => {
    const s = await RawSocket.open(server.port);
    await s.send(header(EtherCommand.PING, 0n, 0));
    assert.equal((await s.reply())!.header.command, EtherCommand.PONG);
    const r = (await s.reply())!;
    assert.equal(r.header.reserved, EtherWireError.TIMEOUT);
    assert.ok(await s.closedByPeer());
    s.close();
  });
});

Deno.test("server refuses connections over the limit with ERROR BUSY", async () => {
  await withServer({ maxConnections: 1 }, async (server) => {
    const a = await connectEther("127.0.0.1", { port: server.port });
    const s = await RawSocket.open(server.port);
    const r = (await s.reply())!;
    assert.equal(r.header.reserved, EtherWireError.BUSY);
    assert.ok(await s.closedByPeer());
    s.close();
    await a.ping();
    a.close();
    assert.equal(server.stats().connectionsRefused, 1);
  });
});

Deno.test("server enforces per-connection and total memory quotas with NOMEM", async () => {
  const o = ETHER_BLOCK_OVERHEAD; // what each block costs beyond its data
  await withServer({ maxConnectionBytes: 100 + o, maxTotalBytes: 150 + 2 * o }, async (server) => {
    const a = await connectEther("127.0.0.1", { port: server.port });
    const b = await connectEther("127.0.0.1", { port: server.port });
    const x = await a.alloc(60);
    await assert.rejects(a.alloc(41), { code: "out-of-memory" }); // a second block's overhead
    await assert.rejects(x.realloc(101), { code: "out-of-memory" });
    await b.alloc(90);
    await assert.rejects(b.alloc(1), { code: "out-of-memory" }); // 60 + 90 = 150 total
    await x.free();
    await a.alloc(10); // the total has room again
    a.close();
    b.close();
  });
});

Deno.test("server requires AUTH with the token as the first request", async () => {
  await withServer({ token: "s3cret" }, async (server) => {
    const s = await RawSocket.open(server.port);
    await s.send(header(EtherCommand.PING, 0n, 0));
    assert.equal((await s.reply())!.header.reserved, EtherWireError.AUTH);
    assert.ok(await s.closedByPeer());
    s.close();
    await assert.rejects(connectEther("127.0.0.1", { port: server.port, token: "wrong" }), {
      code: "auth-failed",
    });
    await assert.rejects(connectEther("127.0.0.1", { port: server.port }), {
      code: "auth-failed",
    });
    const c = await connectEther("127.0.0.1", { port: server.port, token: "s3cret" });
    await c.ping();
    const buf = await c.alloc(3);
    await buf.write(new Uint8Array([1, 2, 3]));
    c.close();
  });
});

Deno.test("serveEther() refuses a non-loopback address without a token", async () => {
  await assert.rejects(serveEther({ host: "0.0.0.0", port: 0 }), {
    name: "EtherError",
    code: "denied",
  });
});

Deno.test("STATS reports connections, requests and memory", async () => {
  await withServer({}, async (server) => {
    const c = await connectEther("127.0.0.1", { port: server.port });
    await c.alloc(10);
    const st = await c.stats();
    assert.equal(st.connections, 1);
    assert.equal(st.blockBytes, 10);
    assert.equal(st.memoryInUse, 10 + ETHER_BLOCK_OVERHEAD);
    assert.ok((st.requests as number) >= 2);
    c.close();
  });
});

Deno.test("close() lets pipelined requests already received finish, then resolves with stats", async () => {
  const server = await serveEther({ port: 0 });
  const c = await connectEther("127.0.0.1", { port: server.port });
  const buf = await c.alloc(1024);
  const writes = [];
  for (let i = 0; i < 20; i++) writes.push(buf.write(new Uint8Array(1024).fill(i)));
  await writes[0];
  const closing = server.close();
  const settled = await Promise.allSettled(writes);
  const ok = settled.filter((s) => s.status === "fulfilled").length;
  assert.ok(ok >= 1);
  // every request either completed or failed with a network error: nothing half-done
  for (const s of settled) {
    if (s.status === "rejected") {
      assert.equal((s.reason as { code: string }).code, "network");
    }
  }
  const stats = await closing;
  assert.equal(stats.connections, 0);
  assert.equal(stats.memoryInUse, 0);
  c.close();
});

Deno.test("replies use size = payload length so a reference client can read them", async () => {
  await withServer({}, async (server) => {
    const s = await RawSocket.open(server.port);
    await s.send(header(EtherCommand.ALLOC, 0n, 5, EtherFlag.NO_PAYLOAD));
    const r = (await s.reply())!;
    assert.equal(r.header.size, 0);
    assert.equal(r.raw.length, ETHER_HEADER_SIZE);
    assert.equal(handleOf(r.raw), r.header.handle);
    s.close();
  });
});

Deno.test("close() drops idle connections and gives a half-sent request the frame timeout", async () => {
  const server = await serveEther({ port: 0, frameTimeoutMs: 100 });
  const idle = await RawSocket.open(server.port);
  const half = await RawSocket.open(server.port);
  await half.send(hex("e7e7e7e7 01 10 0001"));
  await idle.send(header(EtherCommand.PING, 0n, 0));
  assert.equal((await idle.reply())!.header.command, EtherCommand.PONG);
  const stats = await server.close();
  assert.equal(stats.connections, 0);
  assert.ok(await idle.closedByPeer());
  const r = await half.reply();
  assert.equal(r?.header.reserved, EtherWireError.TIMEOUT);
  idle.close();
  half.close();
});

Deno.test("server zeroes new blocks and the tail a REALLOC adds", async () => {
  await withServer({}, async (server) => {
    const c = await connectEther("127.0.0.1", { port: server.port });
    for (let i = 0; i < 20; i++) {
      const b = await c.alloc(256);
      assert.deepEqual(await b.read(), new Uint8Array(256), `allocation ${i} is not zeroed`);
      await b.write(new Uint8Array(256).fill(0xff));
      await b.realloc(128);
      await b.realloc(300);
      const back = await b.read();
      assert.deepEqual(back.subarray(0, 128), new Uint8Array(128).fill(0xff));
      assert.deepEqual(back.subarray(128), new Uint8Array(172));
      await b.free();
    }
    c.close();
  });
});

Deno.test("server moves large blocks intact in both framings (1 KiB … 4 MiB)", async () => {
  await withServer({}, async (server) => {
    for (const legacy of [false, true]) {
      const c = await connectEther("127.0.0.1", { port: server.port, legacy });
      for (const size of [1024, 200 * 1024, 300 * 1024, 4 * 1024 * 1024]) {
        const data = new Uint8Array(size);
        for (let i = 0; i < size; i++) data[i] = (i * 31 + size) & 255;
        const b = await c.alloc(size);
        await b.write(data);
        const back = await b.read();
        assert.equal(back.length, size);
        assert.ok(back.every((x, i) => x === data[i]), `block of ${size} bytes differs`);
        await b.free();
      }
      c.close();
    }
  });
});

Deno.test("server survives random bytes and random headers and keeps serving others", async () => {
  await withServer({ frameTimeoutMs: 50 }, async (server) => {
    const headerish = fc.record({
      magic: fc.constantFrom(0xe7e7e7e7, 0xe7e7e7e6, 0),
      version: fc.constantFrom(1, 0, 2),
      command: fc.integer({ min: 0, max: 255 }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      handle: fc.bigUint(2n ** 64n - 1n),
      size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 0xffffffff })),
    }).map((h) => encodeEtherHeader({ ...h, reserved: 0 }, { magic: h.magic, version: h.version }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(headerish, fc.uint8Array({ maxLength: 64 })), { maxLength: 6 }),
        async (chunks) => {
          const s = await RawSocket.open(server.port);
          for (const c of chunks) await s.send(c).catch(() => {});
          s.close();
        },
      ),
      { numRuns: 60 },
    );
    await stillServes(server);
    for (let i = 0; i < 100 && server.stats().connections > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(server.stats().connections, 0);
    assert.equal(server.stats().memoryInUse, 0);
  });
});
