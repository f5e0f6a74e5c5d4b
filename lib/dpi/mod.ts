/**
 * mxy dpi: protocol plugins (built-in DNS, HTTP/1.x, TLS and the core layers), their registry,
 * the attribute engine handlers subscribe to, session hooks and the engine's logger.
 *
 * @module
 */
export * from "./plugin.ts";
export * from "./core.ts";
export * from "./dns.ts";
export * from "./http.ts";
export * from "./tls.ts";
export * from "./engine.ts";
export * from "./logger.ts";
export { asciiStartsWith } from "../core/ascii.ts";
