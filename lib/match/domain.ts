/**
 * Registrable domains and parent domains, by the Public Suffix List algorithm, for matching a
 * domain against a database at every level from the name itself down to what was registered.
 *
 * @module
 */
import { B_DOT } from "./_char_class.ts";
import { publicSuffixStart } from "./_psl.ts";

/** A handler called with the range of each parent domain. */
export type ParentDomainHandler = (start: number, end: number) => void;

/** The end of the range without one trailing dot; -1 when the range holds no proper name. */
function nameEnd(bytes: Uint8Array, start: number, end: number): number {
  if (end > start && bytes[end - 1] === B_DOT) end--;
  if (end <= start || bytes[start] === B_DOT || bytes[end - 1] === B_DOT) return -1;
  for (let i = start + 1; i < end; i++) {
    if (bytes[i] === B_DOT && bytes[i - 1] === B_DOT) return -1;
  }
  return end;
}

function checkRange(bytes: Uint8Array, start: number, end: number): void {
  if (!(start >= 0 && start <= end && end <= bytes.length)) {
    throw new RangeError(
      `Cannot read range ${start}..${end}: the buffer holds ${bytes.length} bytes`,
    );
  }
}

/**
 * Where the registrable domain (the public suffix and one label before it) of the domain
 * `bytes[start..end)` starts, by the Public Suffix List algorithm: exception rules first, then
 * the longest matching rule, and the default rule `*` (the last label) when no rule matches. ASCII
 * case is ignored; one trailing dot is allowed.
 *
 * @param bytes The text.
 * @param start First byte of the domain (default 0).
 * @param end One past its last byte (default `bytes.length`).
 * @returns The offset of the registrable domain's first byte, or -1 when the name is itself a
 * public suffix or is not a sequence of non-empty labels.
 * @throws {RangeError} When the range is outside the buffer.
 * @example
 * ```ts
 * import { registrableDomainStart } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * const name = new TextEncoder().encode("www.example.co.uk");
 * assert.equal(registrableDomainStart(name), 4);
 * assert.equal(registrableDomainStart(name, 12), -1); // "co.uk"
 * ```
 */
export function registrableDomainStart(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
): number {
  checkRange(bytes, start, end);
  end = nameEnd(bytes, start, end);
  if (end < 0) return -1;
  let suffix = publicSuffixStart(bytes, start, end);
  if (suffix < 0) {
    // the default rule: the last label
    suffix = end;
    while (suffix > start && bytes[suffix - 1] !== B_DOT) suffix--;
  }
  if (suffix <= start) return -1;
  let i = suffix - 1; // the dot before the suffix
  while (i > start && bytes[i - 1] !== B_DOT) i--;
  return i;
}

/**
 * The registrable domain of a name, by the Public Suffix List algorithm (see
 * {@linkcode registrableDomainStart}), with ASCII letters in lower case. A convenience over
 * strings; the byte functions allocate nothing.
 *
 * @param name A domain name, e.g. `"WwW.Example.COM"`.
 * @returns The registrable domain (`"example.com"`), or `null` when the name is a public suffix,
 * empty, or has an empty label (`".com"`).
 * @example
 * ```ts
 * import { registrableDomain } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(registrableDomain("a.b.example.co.uk"), "example.co.uk");
 * assert.equal(registrableDomain("b.test.ck"), "b.test.ck"); // *.ck
 * assert.equal(registrableDomain("www.ck"), "www.ck"); // !www.ck
 * assert.equal(registrableDomain("co.uk"), null);
 * ```
 */
export function registrableDomain(name: string): string | null {
  const bytes = new TextEncoder().encode(name);
  const start = registrableDomainStart(bytes);
  if (start < 0) return null;
  const end = bytes[bytes.length - 1] === B_DOT ? bytes.length - 1 : bytes.length;
  return new TextDecoder().decode(bytes.subarray(start, end)).replace(
    /[A-Z]+/g,
    (s) => s.toLowerCase(),
  );
}

/**
 * Calls `onParent` with each parent of the domain `bytes[start..end)`, from the longest down to
 * the registrable domain (see {@linkcode registrableDomainStart}), never the public suffix:
 * `a.b.evil.com` gives `b.evil.com`, then `evil.com`. The name itself is not reported; a name
 * that is already registrable (or a public suffix) has no parents. A trailing dot is left out of
 * every range. Allocates nothing.
 *
 * @param bytes The text.
 * @param onParent Called with `(start, end)` of each parent, in `bytes`.
 * @param start First byte of the domain (default 0).
 * @param end One past its last byte (default `bytes.length`).
 * @returns How many parents were reported.
 * @throws {RangeError} When the range is outside the buffer.
 * @example
 * ```ts
 * import { forEachParentDomain } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * const text = new TextEncoder().encode("x a.b.evil.com y");
 * const parents: string[] = [];
 * forEachParentDomain(text, (s, e) => parents.push(new TextDecoder().decode(text.subarray(s, e))), 2, 14);
 * assert.deepEqual(parents, ["b.evil.com", "evil.com"]);
 * ```
 */
export function forEachParentDomain(
  bytes: Uint8Array,
  onParent: ParentDomainHandler,
  start = 0,
  end: number = bytes.length,
): number {
  const registrable = registrableDomainStart(bytes, start, end);
  if (registrable < 0) return 0;
  if (bytes[end - 1] === B_DOT) end--;
  let count = 0;
  for (let i = start; i < registrable; i++) {
    if (bytes[i] === B_DOT) {
      onParent(i + 1, end);
      count++;
    }
  }
  return count;
}
