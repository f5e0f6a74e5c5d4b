/**
 * mxy's version, read from `deno.json` so that there is one version string.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };

/**
 * The version of mxy, as `deno.json` states it (semantic versioning).
 *
 * @example
 * ```ts
 * import { VERSION } from "@mxy/mxy";
 * import assert from "node:assert/strict";
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION: string = config.version;
