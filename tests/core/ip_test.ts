import assert from "node:assert/strict";
import { isIPv4, isIPv6 } from "node:net";
import fc from "fast-check";
import {
  compareIp,
  formatIp,
  formatIpv4,
  formatIpv6,
  formatIpWords,
  formatNetwork,
  IpAddressError,
  isIp,
  networkContains,
  parseCidr,
  parseIp,
  parseIpInto,
  parseIpv4,
} from "../../lib/core/ip.ts";
import { MxyError } from "../../lib/core/mxy_error.ts";

Deno.test("parseIp() reads IPv4, IPv6, :: and embedded IPv4 forms", () => {
  assert.deepEqual([...parseIp("0.0.0.0").bytes], [0, 0, 0, 0]);
  assert.deepEqual([...parseIp("255.255.255.255").bytes], [255, 255, 255, 255]);
  assert.deepEqual([...parseIp("::").bytes], new Array(16).fill(0));
  const one = new Array(16).fill(0);
  one[15] = 1;
  assert.deepEqual([...parseIp("::1").bytes], one);
  assert.deepEqual([...parseIp("0:0:0:0:0:0:0:1").bytes], one);
  const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4];
  assert.deepEqual([...parseIp("::ffff:1.2.3.4").bytes], mapped);
  assert.deepEqual([...parseIp("::FFFF:102:304").bytes], mapped);
  assert.deepEqual([...parseIp("0:0:0:0:0:ffff:1.2.3.4").bytes], mapped);
  const tail = new Array(16).fill(0);
  tail[0] = 0x00;
  tail[1] = 0x01;
  assert.deepEqual([...parseIp("1::").bytes], tail);
  assert.deepEqual([...parseIp("1:0:0:0:0:0:0::").bytes], tail);
  assert.equal(parseIp("2001:db8:0:0:1::1").version, 6);
});

Deno.test("parseIp() rejects malformed text with IpAddressError", () => {
  const bad = [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.4 ",
    " 1.2.3.4",
    "1..2.3",
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "12345::",
    "1:2:3:4:5:6:7",
    "1:",
    ":1",
    "::ffff:1.2.3",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::1.2.3.4:5",
    "g::",
    "fe80::1%eth0",
    "[::1]",
    "example.com",
  ];
  for (const text of bad) {
    assert.throws(() => parseIp(text), IpAddressError, text);
    assert.equal(isIp(text), false, text);
  }
});

Deno.test("parseIp() agrees with node:net on random text", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        fc.ipV4Extended(),
        fc.stringOf(fc.constantFrom(..."0123456789abcdef:."), { maxLength: 45 }),
      ),
      (text) => {
        const ours = isIp(text);
        const node = isIPv4(text) || isIPv6(text);
        // node accepts inet_aton-like forms with leading zeros in IPv4; we reject those.
        if (/(^|[.:])0\d/.test(text) && /\./.test(text)) return true;
        assert.equal(ours, node, text);
        return true;
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("formatIp() and parseIp() round-trip every address", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 0, max: 7 }),
      (b, zeros) => {
        // Force runs of zero groups to exercise "::" placement.
        for (let i = 0; i < zeros * 2; i++) b[(i + zeros * 3) % 16] = 0;
        const text = formatIp(b);
        assert.deepEqual([...parseIp(text).bytes], [...b]);
        assert.ok(isIPv6(text));
      },
    ),
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      assert.equal(parseIpv4(formatIpv4(n)), n);
    }),
  );
});

Deno.test("formatIp() writes RFC 5952 text, IPv4-mapped addresses with a dotted tail", () => {
  const cases: [string, string][] = [
    ["0:0:0:0:0:0:0:0", "::"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:0:0:1:1:0:0:1", "2001::1:1:0:0:1"],
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::ffff:102:304", "::ffff:1.2.3.4"],
    ["::ffff:0:0", "::ffff:0.0.0.0"],
    ["::1.2.3.4", "::102:304"],
    ["::ffff:0:1.2.3.4", "::ffff:0:102:304"],
    ["64:ff9b::1.2.3.4", "64:ff9b::102:304"],
    ["1:ffff::", "1:ffff::"],
  ];
  for (const [input, want] of cases) assert.equal(formatIp(parseIp(input).bytes), want, input);
});

Deno.test("parseIpInto() writes into the caller's buffer", () => {
  const out = new Uint8Array(16).fill(7);
  assert.equal(parseIpInto("1.2.3.4", out), 4);
  assert.deepEqual([...out.subarray(0, 4)], [1, 2, 3, 4]);
  assert.equal(parseIpInto("a::b", out), 6);
  assert.deepEqual([...out], [0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
});

Deno.test("parseCidr() reads networks and checks host bits", () => {
  const n = parseCidr("2001:db8::/32");
  assert.equal(n.version, 6);
  assert.equal(n.prefixLength, 32);
  assert.equal(parseCidr("1.2.3.4").prefixLength, 32);
  assert.equal(parseCidr("::1").prefixLength, 128);
  assert.equal(parseCidr("0.0.0.0/0").prefixLength, 0);
  assert.equal(formatNetwork(parseCidr("10.0.0.0/8").bytes, 8), "10.0.0.0/8");
  const err = (() => {
    try {
      parseCidr("10.0.0.1/8");
    } catch (e) {
      return e as IpAddressError;
    }
    return undefined;
  })();
  assert.equal(err?.code, "host-bits-set");
  assert.match(err!.message, /10\.0\.0\.0\/8/);
  assert.equal(
    formatNetwork(parseCidr("2001:db8::1/32", { normalize: true }).bytes, 32),
    "2001:db8::/32",
  );
  for (
    const bad of ["1.2.3.0/33", "::/129", "1.2.3.0/", "1.2.3.0/024", "1.2.3.0/-1", "1.2.3.0/x"]
  ) {
    assert.throws(
      () => parseCidr(bad),
      (e: unknown) => e instanceof IpAddressError && e.code === "bad-prefix",
      bad,
    );
  }
  assert.throws(
    () => parseCidr("1.2.3/24"),
    (e: unknown) => e instanceof IpAddressError && e.code === "bad-address",
  );
});

Deno.test("formatNetwork() clears host bits and checks the prefix", () => {
  assert.equal(formatNetwork(new Uint8Array([255, 255, 255, 255]), 20), "255.255.240.0/20");
  assert.equal(formatNetwork(new Uint8Array(16).fill(255), 65), "ffff:ffff:ffff:ffff:8000::/65");
  assert.throws(() => formatNetwork(new Uint8Array(4), 33), RangeError);
  assert.throws(() => formatNetwork(new Uint8Array(5), 8), TypeError);
});

Deno.test("formatNetwork() is formatIp() of the address with the host bits cleared, input untouched", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
      ),
      fc.nat(128),
      (bytes, p) => {
        const prefix = p % (bytes.length * 8 + 1);
        const before = bytes.slice();
        const masked = bytes.map((b, i) => {
          const keep = prefix - i * 8;
          return keep >= 8 ? b : keep <= 0 ? 0 : b & (0xff << (8 - keep));
        });
        assert.equal(formatNetwork(bytes, prefix), `${formatIp(masked)}/${prefix}`);
        assert.deepEqual(bytes, before);
      },
    ),
  );
});

Deno.test("parseIp() errors are MxyErrors with the rejected text", () => {
  try {
    parseIp("01.2.3.4");
    assert.fail("a leading zero must be refused");
  } catch (err) {
    assert.ok(err instanceof MxyError);
    assert.ok(err instanceof IpAddressError);
    assert.equal(err.code, "bad-address");
    assert.equal(err.input, "01.2.3.4");
    assert.equal(err.name, "IpAddressError");
  }
});

Deno.test("parseIpv4() and parseIpInto() read a slice of a longer string", () => {
  const line = "GET / from 192.0.2.7:443 and [2001:db8::9]";
  const out = new Uint8Array(16);
  assert.equal(parseIpv4(line, 11, 20), 0xc0000207);
  assert.equal(parseIpv4(line, 11, 21), -1);
  assert.equal(parseIpInto(line, out, 30, 41), 6);
  assert.equal(formatIpv6(out), "2001:db8::9");
  assert.equal(parseIpInto(line, out, 30, 30), 0);
});

Deno.test("formatIpv6() reads at an offset and formatIpWords() agrees with it (property)", () => {
  const word = fc.oneof(
    fc.constant(0),
    fc.constant(0xffff),
    fc.integer({ min: 0, max: 0xffffffff }),
  );
  fc.assert(
    fc.property(fc.array(word, { minLength: 4, maxLength: 4 }), fc.nat(8), (w, at) => {
      const buf = new Uint8Array(at + 16);
      const dv = new DataView(buf.buffer);
      w.forEach((x, i) => dv.setUint32(at + 4 * i, x));
      const text = formatIpv6(buf, at);
      assert.equal(formatIpWords(w, 6), text);
      assert.equal(formatIp(buf.slice(at)), text);
      assert.deepEqual([...parseIp(text).bytes], [...buf.subarray(at)]);
      assert.ok(isIPv6(text), text);
    }),
    { numRuns: 500 },
  );
  assert.throws(() => formatIpv6(new Uint8Array(16), 1), RangeError);
  assert.equal(formatIpWords([0xc0000201], 4), "192.0.2.1");
});

Deno.test("networkContains() checks every prefix length and never mixes versions", () => {
  const net = parseCidr("2001:db8::/33");
  assert.equal(networkContains(net, parseIp("2001:db8:7fff:ffff::").bytes), true);
  assert.equal(networkContains(net, parseIp("2001:db8:8000::").bytes), false);
  assert.equal(networkContains(parseCidr("0.0.0.0/0"), parseIp("1.2.3.4").bytes), true);
  assert.equal(networkContains(parseCidr("::/0"), parseIp("1.2.3.4").bytes), false);
  assert.equal(networkContains(parseCidr("1.2.3.0/24"), parseIp("::ffff:1.2.3.4").bytes), false);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 32 }),
      (a, p) => {
        const addr = parseIp(formatIpv4(a)).bytes;
        const net4 = parseCidr(`${formatIpv4(a)}/${p}`, { normalize: true });
        assert.equal(networkContains(net4, addr), true);
        if (p > 0) {
          const flipped = addr.slice();
          const bit = p - 1;
          flipped[bit >> 3] ^= 0x80 >> (bit & 7);
          assert.equal(networkContains(net4, flipped), false);
        }
      },
    ),
  );
});

Deno.test("compareIp() orders IPv4 before IPv6, then by value", () => {
  const texts = ["::1", "10.0.0.10", "2001:db8::", "10.0.0.2", "::", "0.0.0.0"];
  const sorted = texts.map((t) => parseIp(t).bytes).sort(compareIp).map(formatIp);
  assert.deepEqual(sorted, ["0.0.0.0", "10.0.0.2", "10.0.0.10", "::", "::1", "2001:db8::"]);
  assert.equal(compareIp(parseIp("1.2.3.4").bytes, parseIp("1.2.3.4").bytes), 0);
});
