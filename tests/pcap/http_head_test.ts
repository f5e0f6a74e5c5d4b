import assert from "node:assert/strict";
import fc from "fast-check";
import { HttpHead, readHttpHead } from "../../lib/pcap/http_head.ts";

const enc = new TextEncoder();

/** ASCII-only lower case (as header names are compared). */
function lower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function trim(s: string): string {
  return s.replace(/^[ \t]+/, "").replace(/[ \t]+$/, "");
}

/** What `readHttpHead` must find, read with string operations (offsets from the head). */
function model(text: string) {
  const lines: { start: number; text: string; lf: boolean }[] = [];
  let p = 0;
  for (;;) {
    const lf = text.indexOf("\n", p);
    const eol = lf < 0 ? text.length : lf;
    const raw = text.slice(p, eol);
    lines.push({ start: p, text: raw.endsWith("\r") ? raw.slice(0, -1) : raw, lf: lf >= 0 });
    if (lf < 0) break;
    p = lf + 1;
    if (p >= text.length) break;
  }
  const first = lines[0];
  const sp1 = first.text.indexOf(" ");
  const sp2 = sp1 < 0 ? first.text.length : first.text.indexOf(" ", sp1 + 1);
  const r = {
    end: -1,
    lineEnd: first.text.length,
    sp1,
    sp2: sp2 < 0 ? first.text.length : sp2,
    host: undefined as string | undefined,
    ua: undefined as string | undefined,
    ct: undefined as string | undefined,
    cl: undefined as string | undefined,
    contentLength: -1,
    badLength: false,
    chunked: false,
  };
  for (const line of lines.slice(1)) {
    if (line.text === "") {
      if (line.lf) r.end = line.start + line.text.length + (text[line.start] === "\r" ? 2 : 1);
      break;
    }
    const colon = line.text.indexOf(":");
    if (colon < 0) continue;
    const name = lower(line.text.slice(0, colon));
    const value = trim(line.text.slice(colon + 1));
    if (name === "host") r.host = value;
    else if (name === "user-agent") r.ua = value;
    else if (name === "content-type") r.ct = value;
    else if (name === "content-length") {
      r.cl = value;
      const n = /^[0-9]{1,15}$/.test(value) ? Number(value) : -1;
      if (n < 0 || (r.contentLength >= 0 && n !== r.contentLength)) r.badLength = true;
      else r.contentLength = n;
    } else if (name === "transfer-encoding") {
      r.chunked = /(^|[ ,])chunked$/i.test(value);
    }
  }
  return r;
}

const nameArb = fc.constantFrom(
  "Host",
  "HOST",
  "host",
  "Hostx",
  "User-Agent",
  "user-agent",
  "Content-Type",
  "Content-Length",
  "CONTENT-LENGTH",
  "Transfer-Encoding",
  "transfer-encoding",
  "Cookie",
  "X-Other",
  "C",
  "",
);
const valueArb = fc.oneof(
  fc.constantFrom("12", "0", "8", "x1", "", "chunked", "gzip, chunked", "gzip,chunked", "CHUNKED"),
  fc.stringMatching(/^[ \ta-z0-9.:/-]{0,20}$/),
  fc.nat({ max: 600 }).map((n) => "c".repeat(n)), // long lines: the native search
);
const lineArb = fc.oneof(
  fc.tuple(nameArb, fc.constantFrom(":", ": ", ":\t", " :"), valueArb).map(([n, s, v]) =>
    `${n}${s}${v}`
  ),
  fc.stringMatching(/^[ -~]{0,30}$/),
);
const endArb = fc.constantFrom("\r\n", "\n", "\r\n", "\n");
const headArb = fc.record({
  start: fc.constantFrom(
    "GET /a HTTP/1.1",
    "HTTP/1.1 200 OK",
    "HTTP/1.0 404 Not Found",
    "POST /x",
    "NOSPACE",
    "HEAD / HTTP/1.1 extra",
  ),
  lines: fc.array(fc.tuple(lineArb, endArb), { maxLength: 8 }),
  blank: fc.constantFrom("\r\n", "\n", "", "\r"),
  after: fc.constantFrom("", "body bytes\r\nHost: not-a-header\r\n\r\n"),
  cut: fc.nat(),
});

Deno.test("readHttpHead finds the head's end, the start line's parts and the headers read (property)", () => {
  fc.assert(
    fc.property(headArb, (h) => {
      let text = `${h.start}\r\n${h.lines.map(([l, e]) => l + e).join("")}${h.blank}${h.after}`;
      // Sometimes only a part of it, as a first segment.
      if (h.cut % 3 === 0) text = text.slice(0, h.cut % (text.length + 1));
      if (text.length === 0) return;
      const m = model(text);
      // At an offset in a larger buffer, with bytes after it that must not be read.
      const bytes = new Uint8Array(text.length + 10).fill(0x0a);
      bytes.set(enc.encode(text), 5);
      const head = new HttpHead();
      assert.equal(readHttpHead(bytes, 5, text.length, head), m.end);
      const value = (s: number, e: number) => s < 0 ? undefined : text.slice(s, e);
      assert.deepEqual(
        {
          end: head.end,
          lineEnd: head.lineEnd,
          sp1: head.sp1,
          sp2: head.sp2,
          host: value(head.hostStart, head.hostEnd),
          ua: value(head.uaStart, head.uaEnd),
          ct: value(head.ctStart, head.ctEnd),
          cl: value(head.clStart, head.clEnd),
          contentLength: head.contentLength,
          badLength: head.badLength,
          chunked: head.chunked,
        },
        m,
      );
    }),
    { numRuns: 600 },
  );
});

Deno.test("readHttpHead reads a head that has no empty line as far as it goes", () => {
  const text = "GET /p HTTP/1.1\r\nHost:  a.test \r\nContent-Length: 5";
  const head = new HttpHead();
  assert.equal(readHttpHead(enc.encode(text), 0, text.length, head), -1);
  assert.equal(text.slice(head.hostStart, head.hostEnd), "a.test");
  assert.equal(head.contentLength, 5);
  assert.equal(text.slice(0, head.sp1), "GET");
  assert.equal(text.slice(head.sp1 + 1, head.sp2), "/p");
});
