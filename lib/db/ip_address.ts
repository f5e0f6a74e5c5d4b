/**
 * IP addresses for the database: the one IP module of `lib/core/ip.ts`.
 *
 * @module
 */
export * from "../core/ip.ts";
