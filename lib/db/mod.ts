/**
 * mxy db: public face of this capability.
 *
 * @module
 */
export * from "./ip_address.ts";
export * from "./input_error.ts";
export * from "./builder.ts";
