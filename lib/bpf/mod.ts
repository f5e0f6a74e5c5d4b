/**
 * mxy bpf: public face of this capability.
 *
 * @module
 */
export {};
