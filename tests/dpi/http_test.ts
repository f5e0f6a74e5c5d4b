import assert from "node:assert/strict";
import { createHttpPlugin } from "../../lib/dpi/mod.ts";
import { HTTP_METHODS } from "../../lib/pcap/http_method.ts";
import { hasProgram, tsharkFields } from "../_fixtures.ts";
import { engineRows, tempCapture, viewOf } from "./_packets.ts";

const enc = new TextEncoder();

Deno.test("createHttpPlugin() extracts method, URI, version and headers of a request on any port", () => {
  const http = createHttpPlugin();
  const payload = enc.encode(
    "POST /api/v1?q=1 HTTP/1.1\r\nhost: shop.example.test\r\nUser-Agent: curl/8.0\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
  );
  const v = viewOf({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: "tcp",
    srcPort: 40000,
    dstPort: 8081,
    payload,
  });
  assert.ok(http.classify(v) && http.parse!(v));
  const a = http.attributes;
  assert.equal(a.method(v), "POST");
  assert.equal(a.uri(v), "/api/v1?q=1");
  assert.equal(a.version(v), "HTTP/1.1");
  assert.equal(a.host(v), "shop.example.test");
  assert.equal(a.user_agent(v), "curl/8.0");
  assert.equal(a.content_type(v), "text/plain");
  assert.equal(a.content_length(v), 5);
  assert.equal(a.request(v), true);
  assert.equal(a.status(v), undefined);
});

Deno.test("createHttpPlugin() extracts status and reason of a response", () => {
  const http = createHttpPlugin();
  const payload = enc.encode("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n");
  const v = viewOf({
    src: "10.0.0.2",
    dst: "10.0.0.1",
    proto: "tcp",
    srcPort: 80,
    dstPort: 40000,
    payload,
  });
  assert.ok(http.classify(v) && http.parse!(v));
  assert.equal(http.attributes.status(v), 404);
  assert.equal(http.attributes.reason(v), "Not Found");
  assert.equal(http.attributes.version(v), "HTTP/1.0");
  assert.equal(http.attributes.method(v), undefined);
  assert.equal(http.attributes.host(v), undefined);
});

Deno.test("createHttpPlugin() does not claim other TCP payloads or UDP", () => {
  const http = createHttpPlugin();
  for (
    const text of ["GETX / HTTP/1.1\r\n\r\n", "\x16\x03\x01\x00\x05hello", "SSH-2.0-OpenSSH_9\r\n"]
  ) {
    assert.equal(
      http.classify(
        viewOf({
          src: "10.0.0.1",
          dst: "10.0.0.2",
          proto: "tcp",
          dstPort: 80,
          payload: enc.encode(text),
        }),
      ),
      false,
    );
  }
  assert.equal(
    http.classify(
      viewOf({
        src: "10.0.0.1",
        dst: "10.0.0.2",
        dstPort: 80,
        payload: enc.encode("GET / HTTP/1.1\r\n\r\n"),
      }),
    ),
    false,
  );
});

Deno.test("createHttpPlugin() reads a request of every registered method", () => {
  const http = createHttpPlugin();
  for (const method of HTTP_METHODS) {
    const line = enc.encode(`${method} /x HTTP/1.1\r\nHost: h\r\n\r\n`);
    const v = viewOf({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "tcp",
      dstPort: 80,
      payload: line,
    });
    assert.ok(http.classify(v) && http.parse!(v), method);
    assert.equal(http.attributes.method(v), method);
    assert.equal(http.attributes.request(v), true);
  }
});

Deno.test({
  name: "the http plugin names HEAD, PATCH and WebDAV requests as tshark does",
  ignore: !hasProgram("tshark"),
  async fn() {
    const methods = ["HEAD", "PATCH", "PROPFIND", "MKCOL", "COPY", "LOCK", "REPORT", "SEARCH"];
    const { path, bytes } = await tempCapture(methods.map((m, i) => ({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "tcp" as const,
      srcPort: 40000 + i,
      dstPort: 80,
      payload: enc.encode(`${m} /r${i} HTTP/1.1\r\nHost: dav.example.test\r\n\r\n`),
    })));
    const theirs = await tsharkFields(path, [
      "frame.number",
      "http.request.method",
      "http.request.uri",
      "http.host",
    ], ";");
    await Deno.remove(path);
    const ours = engineRows(bytes, ["http.method", "http.uri", "http.host"]);
    assert.deepEqual(ours, theirs);
    assert.equal(ours[0][1], "HEAD");
  },
});
