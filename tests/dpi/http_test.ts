import assert from "node:assert/strict";
import { createHttpPlugin } from "../../lib/dpi/mod.ts";
import { viewOf } from "./_packets.ts";

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
