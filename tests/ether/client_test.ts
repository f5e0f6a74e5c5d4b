import assert from "node:assert/strict";
import { connectEther, serveEther } from "../../lib/runtime/mod.ts";
import { listenTcp, type TcpStream } from "../../lib/runtime/net.ts";
import {
  decodeEtherHeader,
  encodeEtherCapabilities,
  encodeEtherMessage,
  ETHER_HEADER_SIZE,
  EtherCommand,
  EtherFlag,
} from "../../lib/ether/mod.ts";
import { toHex } from "./_helpers.ts";

/**
 * A scripted server: reads requests (honouring the framing it was told the client uses), records
 * the raw bytes, and answers with `answer(header)`.
 */
async function fakeServer(
  answer: (h: ReturnType<typeof decodeEtherHeader>, payload: Uint8Array) => Uint8Array | null,
  fn: (port: number, received: Uint8Array[]) => Promise<void>,
): Promise<void> {
  const listener = listenTcp(0);
  const received: Uint8Array[] = [];
  let stream: TcpStream | null = null;
  const serving = (async () => {
    stream = await listener.accept();
    if (!stream) return;
    let buf = new Uint8Array(0);
    const need = async (n: number) => {
      while (buf.length < n) {
        const chunk = new Uint8Array(65536);
        const got = await stream!.read(chunk);
        if (!got) return false;
        const next = new Uint8Array(buf.length + got);
        next.set(buf);
        next.set(chunk.subarray(0, got), buf.length);
        buf = next;
      }
      return true;
    };
    for (;;) {
      if (!(await need(ETHER_HEADER_SIZE))) return;
      const h = decodeEtherHeader(buf);
      const lengthOnly = (h.flags & EtherFlag.NO_PAYLOAD) !== 0;
      const body = lengthOnly ? 0 : h.size;
      if (!(await need(ETHER_HEADER_SIZE + body))) return;
      received.push(buf.slice(0, ETHER_HEADER_SIZE + body));
      const payload = buf.slice(ETHER_HEADER_SIZE, ETHER_HEADER_SIZE + body);
      buf = buf.slice(ETHER_HEADER_SIZE + body);
      const reply = answer(h, payload);
      if (reply) await stream.writeAll(reply);
    }
  })();
  try {
    await fn(listener.port, received);
  } finally {
    (stream as TcpStream | null)?.close();
    listener.close();
    await serving;
  }
}

/** Answers like the reference server: PONG without payload, OK with a fixed handle. */
function referenceAnswer(h: ReturnType<typeof decodeEtherHeader>, _p: Uint8Array): Uint8Array {
  if (h.command === EtherCommand.PING) return encodeEtherMessage({ command: EtherCommand.PONG });
  if (h.command === EtherCommand.ALLOC) {
    return encodeEtherMessage({ command: EtherCommand.OK, handle: 0x42n });
  }
  if (h.command === EtherCommand.READ) {
    return encodeEtherMessage(
      { command: EtherCommand.OK, handle: h.handle },
      new Uint8Array(h.size).fill(7),
    );
  }
  return encodeEtherMessage({ command: EtherCommand.OK, handle: h.handle });
}

Deno.test("connectEther() falls back to the legacy framing against a reference server", async () => {
  await fakeServer(referenceAnswer, async (port, received) => {
    const c = await connectEther("127.0.0.1", { port });
    assert.equal(c.capabilities, null);
    const buf = await c.alloc(8);
    assert.equal(buf.handle, 0x42n);
    await buf.write(new Uint8Array([1, 2]));
    assert.deepEqual([...await buf.read(4)], [7, 7, 7, 7]);
    await buf.free();
    c.close();
    assert.deepEqual(received.map(toHex), [
      // PING asking for capabilities (a reference server ignores the flag)
      "e7e7e7e7010100020000000000000000" + "0000000000000000",
      // ALLOC 8 followed by 8 bytes, as the reference client does
      "e7e7e7e7011000000000000000000000" + "0000000800000000" + "0000000000000000",
      "e7e7e7e7012000000000000000000042" + "0000000200000000" + "0102",
      // READ 4 followed by 4 bytes
      "e7e7e7e7012100000000000000000042" + "0000000400000000" + "00000000",
      "e7e7e7e7011100000000000000000042" + "0000000000000000",
    ]);
  });
});

Deno.test("connectEther() uses NO_PAYLOAD and error messages when the server announces them", async () => {
  const answer = (h: ReturnType<typeof decodeEtherHeader>, p: Uint8Array) => {
    if (h.command === EtherCommand.PING) {
      return encodeEtherMessage(
        { command: EtherCommand.PONG },
        encodeEtherCapabilities({ bits: 0x03, maxPayload: 1 << 24, software: "fake" }),
      );
    }
    return referenceAnswer(h, p);
  };
  await fakeServer(answer, async (port, received) => {
    const c = await connectEther("127.0.0.1", { port });
    assert.equal(c.capabilities?.software, "fake");
    await c.alloc(8);
    c.close();
    assert.equal(
      toHex(received[1]),
      "e7e7e7e7011000050000000000000000" + "0000000800000000",
    );
  });
});

Deno.test("a request with no reply fails with TIMEOUT", async () => {
  const answer = (h: ReturnType<typeof decodeEtherHeader>, p: Uint8Array) =>
    h.command === EtherCommand.ALLOC ? null : referenceAnswer(h, p);
  await fakeServer(answer, async (port) => {
    const c = await connectEther("127.0.0.1", { port, timeout: 200 });
    await assert.rejects(c.alloc(4), { code: "timeout" });
    assert.equal(c.closed, true);
  });
});

Deno.test("connectEther() fails with NETWORK when nothing listens", async () => {
  const l = listenTcp(0);
  const port = l.port;
  l.close();
  await assert.rejects(connectEther("127.0.0.1", { port }), { code: "network" });
});

Deno.test("pending requests fail with NETWORK when the server goes away", async () => {
  const answer = (h: ReturnType<typeof decodeEtherHeader>, p: Uint8Array) =>
    h.command === EtherCommand.READ ? null : referenceAnswer(h, p);
  let c: Awaited<ReturnType<typeof connectEther>> | null = null;
  let pending: Promise<unknown> | null = null;
  await fakeServer(answer, async (port) => {
    c = await connectEther("127.0.0.1", { port });
    pending = c.buffer(1n, 4).read().catch((e) => e);
    await new Promise((r) => setTimeout(r, 20));
  });
  const err = await pending!;
  assert.equal((err as { code: string }).code, "network");
  (c as unknown as { close(): void }).close();
});

Deno.test("pipelined requests on one connection are answered in order", async () => {
  const server = await serveEther({ port: 0 });
  const c = await connectEther("127.0.0.1", { port: server.port });
  const bufs = await Promise.all(Array.from({ length: 50 }, (_, i) => c.alloc(i + 1)));
  await Promise.all(bufs.map((b, i) => b.write(new Uint8Array(i + 1).fill(i))));
  const back = await Promise.all(bufs.map((b) => b.read()));
  back.forEach((bytes, i) => assert.deepEqual(bytes, new Uint8Array(i + 1).fill(i)));
  assert.equal(new Set(bufs.map((b) => b.handle)).size, 50);
  c.close();
  await server.close();
});

Deno.test("errors from the server are EtherErrors with the code and the server's message", async () => {
  const server = await serveEther({ port: 0 });
  const c = await connectEther("127.0.0.1", { port: server.port });
  const b = await c.alloc(2);
  await assert.rejects(b.write(new Uint8Array(3)), (e: Error & { code: string }) => {
    assert.equal(e.name, "EtherError");
    assert.equal(e.code, "overflow");
    assert.match(e.message, /^WRITE failed on 127\.0\.0\.1:\d+: OVERFLOW: WRITE of 3 bytes/);
    return true;
  });
  c.close();
  await server.close();
});

Deno.test("RemoteBuffer keeps its mirror in step with write, read, realloc and sync", async () => {
  const server = await serveEther({ port: 0 });
  const c = await connectEther("127.0.0.1", { port: server.port });
  const b = await c.alloc(4);
  assert.deepEqual([...b.mirror], [0, 0, 0, 0]);
  b.mirror.set([5, 6, 7, 8]);
  await b.sync();
  const other = c.buffer(b.handle, 4);
  assert.deepEqual([...await other.read()], [5, 6, 7, 8]);
  await b.realloc(6);
  assert.deepEqual([...b.mirror], [5, 6, 7, 8, 0, 0]);
  assert.deepEqual([...await b.read()], [5, 6, 7, 8, 0, 0]);
  await b.realloc(2);
  assert.deepEqual([...await b.read()], [5, 6]);
  await b.free();
  assert.equal(b.freed, true);
  c.close();
  const st = await server.close();
  assert.equal(st.memoryInUse, 0);
});

Deno.test("ping() measures a round trip through the server", async () => {
  const server = await serveEther({ port: 0 });
  const c = await connectEther("127.0.0.1", { port: server.port });
  assert.equal(typeof (await c.ping()), "number");
  c.close();
  assert.ok((await server.close()).requests >= 2);
});

Deno.test("an ERROR without a code (0) from another server is not reported as OK", async () => {
  await fakeServer(
    (h) =>
      h.command === EtherCommand.PING
        ? encodeEtherMessage({ command: EtherCommand.PONG })
        : encodeEtherMessage({ command: EtherCommand.ERROR, handle: h.handle, reserved: 0 }),
    async (port) => {
      const c = await connectEther("127.0.0.1", { port });
      await assert.rejects(c.alloc(8), (e: Error & { code: string; wireCode: number }) => {
        assert.equal(e.code, "unknown-error");
        assert.equal(e.wireCode, 0);
        assert.doesNotMatch(e.message, /: OK$/);
        assert.match(e.message, /ERROR without an error code/);
        return true;
      });
      c.close();
    },
  );
});

Deno.test("control characters in a server's text are escaped before they reach a terminal", async () => {
  const evil = "\x1b]0;owned\x07\x1b[2J\r\u202e";
  await fakeServer(
    (h) =>
      h.command === EtherCommand.PING
        ? encodeEtherMessage(
          { command: EtherCommand.PONG },
          encodeEtherCapabilities({ bits: 3, maxPayload: 1 << 24, software: `x${evil}` }),
        )
        : encodeEtherMessage(
          { command: EtherCommand.ERROR, handle: h.handle, reserved: -2 },
          new TextEncoder().encode(`INVALID: ${evil}`),
        ),
    async (port) => {
      const c = await connectEther("127.0.0.1", { port });
      // deno-lint-ignore no-control-regex
      const control = /[\u0000-\u001f\u007f-\u009f\u202e]/;
      assert.doesNotMatch(c.capabilities!.software, control);
      await assert.rejects(c.alloc(8), (e: Error) => {
        assert.doesNotMatch(e.message, control);
        assert.match(e.message, /\\x1b\]0;owned\\x07\\x1b\[2J\\x0d\\u202e/);
        return true;
      });
      c.close();
    },
  );
});
