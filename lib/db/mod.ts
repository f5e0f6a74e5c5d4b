/**
 * mxy db: public face of this capability.
 *
 * @module
 */
export {};
