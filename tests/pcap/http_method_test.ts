import assert from "node:assert/strict";
import { HTTP_METHODS, httpMessageKind, httpMethodLength } from "../../lib/pcap/http_method.ts";

const enc = new TextEncoder();

Deno.test("httpMessageKind() knows every registered method (RFC 9110, PATCH, WebDAV …); case matters", () => {
  for (const method of HTTP_METHODS) {
    const line = enc.encode(`${method} /x HTTP/1.1\r\n`);
    assert.equal(httpMessageKind(line, 0, line.length), 1, method);
    assert.equal(httpMethodLength(line, 0, line.length), method.length, method);
    const lower = enc.encode(`${method.toLowerCase()} /x HTTP/1.1\r\n`);
    assert.equal(httpMessageKind(lower, 0, lower.length), 0, method.toLowerCase());
  }
  for (const text of ["HEA / HTTP/1.1", "HEADX / HTTP/1.1", "GET/ HTTP/1.1", "PRI * HTTP/2.0"]) {
    assert.equal(httpMessageKind(enc.encode(text), 0, text.length), 0, text);
  }
  // A payload starting with "H" is a response only when it starts with "HTTP/".
  assert.equal(httpMessageKind(enc.encode("HEAD / HTTP/1.1"), 0, 15), 1);
  assert.equal(httpMessageKind(enc.encode("HTTP/1.1 200 OK"), 0, 15), 2);
  assert.ok(HTTP_METHODS.includes("PATCH") && HTTP_METHODS.includes("PROPFIND"));
  assert.ok(!HTTP_METHODS.includes("PRI"));
});

Deno.test("httpMethodLength() does not read past the bytes it is given", () => {
  const line = enc.encode("PROPFIND /x");
  assert.equal(httpMethodLength(line, 0, 8), 0); // "PROPFIND" without its space
  assert.equal(httpMethodLength(line, 0, 9), 8);
  assert.equal(httpMethodLength(line, 4, 7), 0);
});
