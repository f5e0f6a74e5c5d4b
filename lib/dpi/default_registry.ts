/**
 * The registry a DPI engine starts with: the core plugins and the built-in application plugins.
 *
 * @module
 */
import { ProtocolRegistry } from "./protocol_registry.ts";
import { CORE_PLUGINS } from "./core_plugins.ts";
import { createDnsPlugin } from "./dns.ts";
import { createHttpPlugin } from "./http.ts";
import { createTlsPlugin } from "./tls.ts";

/**
 * Creates a registry holding the core plugins (`meta`, `eth`, `vlan`, `ip`, `ipv6`, `tcp`,
 * `udp`, `icmp`, `icmpv6`) and the built-in application plugins (`dns`, `http`, `tls`).
 *
 * @returns A new registry; register your own plugins on it.
 * @example
 * ```ts
 * import { createDefaultRegistry } from "@mxy/mxy/dpi";
 * import assert from "node:assert/strict";
 * const r = createDefaultRegistry();
 * assert.ok(r.attributeNames().includes("tls.sni"));
 * ```
 */
export function createDefaultRegistry(): ProtocolRegistry {
  const r = new ProtocolRegistry();
  for (const p of CORE_PLUGINS) r.register(p);
  r.register(createDnsPlugin());
  r.register(createHttpPlugin());
  r.register(createTlsPlugin());
  return r;
}
