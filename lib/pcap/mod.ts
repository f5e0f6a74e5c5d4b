/**
 * mxy pcap: public face of this capability.
 *
 * @module
 */
export {};
