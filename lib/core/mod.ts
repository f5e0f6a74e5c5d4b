/**
 * Runtime-neutral primitives every other layer builds on: the IP address module, ASCII case
 * folding, the base error class and the version. Imports nothing outside this folder.
 *
 * @module
 */
export * from "./ip.ts";
export * from "./ascii.ts";
export * from "./mxy_error.ts";
export * from "./version.ts";
