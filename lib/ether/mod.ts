/**
 * mxy ether: public face of this capability.
 *
 * @module
 */
export {};
