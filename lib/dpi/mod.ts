/**
 * mxy dpi: public face of this capability.
 *
 * @module
 */
export {};
