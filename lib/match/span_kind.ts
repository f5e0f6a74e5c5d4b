/**
 * The kinds of indicator the extractor reports, as small integer constants (the callback and the
 * typed-array output carry the number) with their names for output.
 *
 * @module
 */

/**
 * The kind of a reported span. The numbers are stable across versions; {@linkcode spanKindName}
 * gives the name used in output.
 *
 * @example
 * ```ts
 * import { SpanKind, spanKindName } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(SpanKind.DOMAIN, 3);
 * assert.equal(spanKindName(SpanKind.SHA256), "sha256");
 * ```
 */
export const SpanKind = {
  /** A dotted-quad IPv4 address. */
  IPV4: 1,
  /** An IPv6 address (without its zone id), IPv4-mapped ones included. */
  IPV6: 2,
  /** A domain name under a suffix of the Public Suffix List (no trailing dot). */
  DOMAIN: 3,
  /** A URL `scheme://host…`; its host is reported as well, as a domain or an address. */
  URL: 4,
  /** An e-mail address; its domain is reported as well. */
  EMAIL: 5,
  /** 32 hex digits. */
  MD5: 6,
  /** 40 hex digits. */
  SHA1: 7,
  /** 64 hex digits. */
  SHA256: 8,
  /** 128 hex digits. */
  SHA512: 9,
  /** A Bitcoin address: base58check `1…`/`3…` or bech32/bech32m `bc1…`, checksum verified. */
  BITCOIN: 10,
  /** An Ethereum address `0x` + 40 hex digits (EIP-55 checksum verified when mixed case). */
  ETHEREUM: 11,
} as const;

/** One of the {@linkcode SpanKind} values. */
export type SpanKind = typeof SpanKind[keyof typeof SpanKind];

/**
 * Every kind, in numeric order: what an `Extractor` reports by default.
 *
 * @example
 * ```ts
 * import { ALL_SPAN_KINDS, SpanKind } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(ALL_SPAN_KINDS.length, 11);
 * assert.equal(ALL_SPAN_KINDS[0], SpanKind.IPV4);
 * ```
 */
export const ALL_SPAN_KINDS: readonly SpanKind[] = Object.freeze(
  Object.values(SpanKind).sort((a, b) => a - b),
);

const NAMES: readonly string[] = [
  "",
  "ipv4",
  "ipv6",
  "domain",
  "url",
  "email",
  "md5",
  "sha1",
  "sha256",
  "sha512",
  "bitcoin",
  "ethereum",
];

/**
 * The lower-case name of a span kind, as output and command-line flags spell it.
 *
 * @param kind A {@linkcode SpanKind} value.
 * @returns `"ipv4"`, `"ipv6"`, `"domain"`, `"url"`, `"email"`, `"md5"`, `"sha1"`, `"sha256"`,
 * `"sha512"`, `"bitcoin"` or `"ethereum"`.
 * @throws {RangeError} When `kind` is not a span kind.
 * @example
 * ```ts
 * import { SpanKind, spanKindName } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(spanKindName(SpanKind.IPV6), "ipv6");
 * ```
 */
export function spanKindName(kind: SpanKind): string {
  const name = NAMES[kind];
  if (!name) throw new RangeError(`Unknown span kind ${kind}: expected 1 to ${NAMES.length - 1}`);
  return name;
}

/**
 * The span kind with a given name (the inverse of {@linkcode spanKindName}), for parsing flags.
 *
 * @param name A kind name, e.g. `"domain"` (ASCII case is ignored).
 * @returns The kind, or `undefined` when no kind has that name.
 * @example
 * ```ts
 * import { SpanKind, spanKindFromName } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(spanKindFromName("SHA1"), SpanKind.SHA1);
 * assert.equal(spanKindFromName("mac"), undefined);
 * ```
 */
export function spanKindFromName(name: string): SpanKind | undefined {
  const i = NAMES.indexOf(name.toLowerCase());
  return i > 0 ? i as SpanKind : undefined;
}
