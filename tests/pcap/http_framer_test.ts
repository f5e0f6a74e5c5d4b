import assert from "node:assert/strict";
import fc from "fast-check";
import { HTTP_REQUEST, HTTP_RESPONSE, HttpFramer } from "../../lib/pcap/http_framer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A framer that records each message's head and body length, and where messages started. */
function framer(): { f: HttpFramer; heads: string[]; bodies: number[]; starts: number[] } {
  const f = new HttpFramer();
  const heads: string[] = [], bodies: number[] = [], starts: number[] = [];
  f.onStart = (kind) => starts.push(kind);
  f.onMessage = (head, offset, length) => {
    assert.ok(offset >= 0 && offset + length <= head.length);
    heads.push(dec.decode(head.subarray(offset, offset + length)));
    bodies.push(f.bodyLength);
  };
  return { f, heads, bodies, starts };
}

/** Feeds `text` cut at `cuts`. */
function feed(f: HttpFramer, bytes: Uint8Array, cuts: number[] = []): void {
  const edges = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])]
    .sort((a, b) => a - b);
  for (let i = 1; i < edges.length; i++) {
    // Each piece in a buffer of its own, at an offset, as segments come.
    const piece = new Uint8Array(edges[i] - edges[i - 1] + 3);
    piece.set(bytes.subarray(edges[i - 1], edges[i]), 3);
    f.data(piece, 3, edges[i] - edges[i - 1]);
    piece.fill(0x23); // the bytes are valid during the call only, as a reader's buffer
  }
}

interface Msg {
  head: string;
  body: string;
}

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const bodyArb = fc.string({ maxLength: 300 });
const requestArb = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "PROPFIND", "PATCH"),
  path: token,
  cookie: fc.nat({ max: 3000 }),
  body: bodyArb,
  chunked: fc.boolean(),
  chunks: fc.array(fc.nat({ max: 50 }), { maxLength: 5 }),
});

type RequestSpec = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function request(r: RequestSpec): Msg {
  const chunked = r.chunked && r.body.length > 0;
  let head = `${r.method} /${r.path} HTTP/1.1\r\nHost: a.test\r\nCookie: ${
    "c".repeat(r.cookie)
  }\r\n`;
  let body = "";
  const bytes = enc.encode(r.body);
  if (chunked) {
    head += "Transfer-Encoding: gzip, chunked\r\n\r\n";
    let at = 0;
    for (const c of r.chunks) {
      const n = Math.min(c + 1, bytes.length - at);
      if (n <= 0) break;
      body += `${n.toString(16)};ext=1\r\n${dec.decode(bytes.subarray(at, at + n))}\r\n`;
      at += n;
    }
    if (at < bytes.length) {
      body += `${(bytes.length - at).toString(16)}\r\n${dec.decode(bytes.subarray(at))}\r\n`;
    }
    body += "0\r\nX-Trailer: 1\r\n\r\n";
  } else {
    if (bytes.length > 0) head += `content-length: ${bytes.length}\r\n`;
    head += "\r\n";
    body = r.body;
  }
  return { head, body };
}

Deno.test("HttpFramer finds each pipelined request and skips its body however the bytes are cut (property)", () => {
  fc.assert(
    fc.property(
      fc.array(requestArb, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      (reqs, cuts) => {
        const msgs = reqs.map(request);
        const { f, heads, starts } = framer();
        feed(f, enc.encode(msgs.map((m) => m.head + m.body).join("")), cuts);
        assert.deepEqual(heads, msgs.map((m) => m.head));
        assert.deepEqual(starts, msgs.map(() => HTTP_REQUEST));
        assert.equal(f.lost, 0);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("HttpFramer frames responses by their requests: HEAD, 1xx, 204, 304 have no body", () => {
  const client = framer(), server = framer();
  client.f.peer = server.f;
  server.f.peer = client.f;
  feed(
    client.f,
    enc.encode("HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"),
  );
  feed(
    server.f,
    enc.encode(
      "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + // HEAD: no body despite the length
        "HTTP/1.1 100 Continue\r\n\r\n" +
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n" +
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    ),
    [10, 50, 51, 90],
  );
  assert.deepEqual(server.heads.map((h) => h.split("\r\n")[0]), [
    "HTTP/1.1 200 OK",
    "HTTP/1.1 100 Continue",
    "HTTP/1.1 304 Not Modified",
    "HTTP/1.1 200 OK",
  ]);
  assert.deepEqual(server.bodies, [0, 0, 0, 5]);
  assert.deepEqual(server.starts, [HTTP_RESPONSE, HTTP_RESPONSE, HTTP_RESPONSE, HTTP_RESPONSE]);
  assert.equal(server.f.status, 200);
});

Deno.test("HttpFramer ends a body without length at the stream's end and stops at CONNECT tunnels", () => {
  const client = framer(), server = framer();
  client.f.peer = server.f;
  server.f.peer = client.f;
  feed(client.f, enc.encode("GET / HTTP/1.0\r\n\r\n"));
  feed(server.f, enc.encode("HTTP/1.0 200 OK\r\n\r\nuntil the end"));
  assert.equal(server.heads.length, 0);
  server.f.end();
  assert.deepEqual(server.bodies, [13]);
  const c2 = framer(), s2 = framer();
  c2.f.peer = s2.f;
  s2.f.peer = c2.f;
  feed(
    c2.f,
    enc.encode("CONNECT a.test:443 HTTP/1.1\r\n\r\n\x16\x03\x01\x00\x05GET / HTTP/1.1\r\n\r\n"),
  );
  feed(s2.f, enc.encode("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"));
  assert.equal(c2.heads.length, 1); // what follows the CONNECT is not HTTP to the framer …
  assert.equal(s2.heads.length, 1); // … nor what follows its 2xx
});

Deno.test("HttpFramer skips gaps inside bodies and resynchronises at a segment starting a message", () => {
  const { f, heads } = framer();
  feed(f, enc.encode("POST /a HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789"));
  f.gap(80); // inside the body: the framing holds
  feed(f, enc.encode("0123456789GET /b HTTP/1.1\r\n\r\n"));
  assert.equal(heads.length, 2);
  f.data(enc.encode("GET /c HTT"), 0, 10);
  f.gap(5); // inside the headers: that message is lost
  feed(f, enc.encode("not a start\r\n\r\n"));
  feed(f, enc.encode("PUT /d HTTP/1.1\r\n\r\n"));
  assert.deepEqual(heads.map((h) => h.split(" ")[1]), ["/a", "/b", "/d"]);
  assert.equal(f.lost, 1);
});

Deno.test("HttpFramer refuses headers beyond its limit and bytes that are not HTTP", () => {
  const f = new HttpFramer({ maxHeaderBytes: 100 });
  let n = 0;
  f.onMessage = () => n++;
  feed(f, enc.encode(`GET / HTTP/1.1\r\nCookie: ${"x".repeat(200)}\r\n\r\n`), [30, 60]);
  feed(f, enc.encode("SSH-2.0-OpenSSH_9.6\r\n"));
  feed(f, enc.encode("GET / HTTP/1.1\r\n\r\n"));
  assert.equal(n, 1);
  assert.equal(f.lost, 1);
});

Deno.test("HttpFramer reads the framing headers wherever they stand in a head given whole or cut", () => {
  // Lines starting with `c` or `t` that do not frame the body, framing names in any case, a
  // name followed by a space before its colon (not the header), a long line before them.
  const head = "POST /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nTE: trailers\r\n" +
    `Cookie: ${"c".repeat(400)}\r\nContent-Length : 99\r\nCONTENT-LENGTH: 4\r\n` +
    "content-type: text/plain\r\n\r\n";
  const chunkedHead = "PUT /y HTTP/1.1\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n";
  const text = head + "abcd" + chunkedHead + "2\r\nhi\r\n0\r\n\r\n" + "GET /z HTTP/1.1\r\n\r\n";
  for (const cuts of [[], [30], [60, 300, 470], [head.length + 10]]) {
    const { f, heads, bodies } = framer();
    feed(f, enc.encode(text), cuts);
    assert.deepEqual(heads, [head, chunkedHead, "GET /z HTTP/1.1\r\n\r\n"]);
    assert.deepEqual(bodies, [4, 2, 0]);
    assert.equal(f.lost, 0);
  }
});
