/**
 * mxy db: public face of this capability.
 *
 * @module
 */
export * from "./ip_address.ts";
