/**
 * The numbers protocols use on the wire: ethertypes, IP protocol numbers, IPv6 extension
 * headers, PPP protocols, address families, TCP options and fixed header sizes. One table for
 * the decoders, flows and correlation.
 *
 * @module
 */

/** Ethertype of IPv4. */
export const ETHERTYPE_IPV4 = 0x0800;
/** Ethertype of IPv6. */
export const ETHERTYPE_IPV6 = 0x86dd;
/** Ethertype of an 802.1Q VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** Ethertype of an 802.1ad service tag (QinQ outer tag). */
export const ETHERTYPE_QINQ = 0x88a8;
/** Ethertype of the old, pre-standard QinQ outer tag. */
export const ETHERTYPE_QINQ_OLD = 0x9100;
/** Ethertype of a PPPoE session-stage frame. */
export const ETHERTYPE_PPPOE_SESSION = 0x8864;

/** PPP protocol number of IPv4. */
export const PPP_IPV4 = 0x0021;
/** PPP protocol number of IPv6. */
export const PPP_IPV6 = 0x0057;

/** BSD address family of IPv4 (`AF_INET`, the same everywhere). */
export const AF_INET = 2;
/** `AF_INET6` on Linux. */
export const AF_INET6_LINUX = 10;
/** `AF_INET6` on OpenBSD and NetBSD. */
export const AF_INET6_BSD = 24;
/** `AF_INET6` on FreeBSD. */
export const AF_INET6_FREEBSD = 28;
/** `AF_INET6` on macOS. */
export const AF_INET6_DARWIN = 30;

/** IP protocol number of ICMP. */
export const IPPROTO_ICMP = 1;
/** IP protocol number of TCP. */
export const IPPROTO_TCP = 6;
/** IP protocol number of UDP. */
export const IPPROTO_UDP = 17;
/** IP protocol number of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;

/** IPv6 extension header: hop-by-hop options. */
export const IPV6_HOP_BY_HOP = 0;
/** IPv6 extension header: routing. */
export const IPV6_ROUTING = 43;
/** IPv6 extension header: fragment. */
export const IPV6_FRAGMENT = 44;
/** IPv6 extension header: authentication (its length counts 4-byte units, less 2). */
export const IPV6_AUTH = 51;
/** IPv6 extension header: destination options. */
export const IPV6_DEST_OPTIONS = 60;
/** IPv6 extension header: mobility. */
export const IPV6_MOBILITY = 135;
/** IPv6 extension header: host identity protocol. */
export const IPV6_HIP = 139;
/** IPv6 extension header: shim6. */
export const IPV6_SHIM6 = 140;

/** TCP option: end of the option list. */
export const TCPOPT_END = 0;
/** TCP option: no-operation padding. */
export const TCPOPT_NOP = 1;
/** TCP option: maximum segment size. */
export const TCPOPT_MSS = 2;
/** TCP option: window scale. */
export const TCPOPT_WSCALE = 3;
/** TCP option: SACK permitted. */
export const TCPOPT_SACK_PERMITTED = 4;
/** TCP option: timestamps. */
export const TCPOPT_TIMESTAMP = 8;

/** Bytes of an Ethernet II header. */
export const ETH_HEADER_LEN = 14;
/** Offset of the ethertype in an Ethernet header. */
export const ETH_TYPE_OFFSET = 12;
/** Bytes of a VLAN tag (tag control, then the next ethertype). */
export const VLAN_TAG_LEN = 4;
/** Bytes of a Linux cooked (SLL) header. */
export const SLL_HEADER_LEN = 16;
/** Offset of the protocol in an SLL header. */
export const SLL_PROTOCOL_OFFSET = 14;
/** Bytes of a Linux cooked v2 (SLL2) header; its protocol comes first. */
export const SLL2_HEADER_LEN = 20;
/** Bytes of the NULL/LOOP link header (the address family). */
export const NULL_HEADER_LEN = 4;
/** Bytes of a PPPoE session header and the PPP protocol after it. */
export const PPPOE_HEADER_LEN = 8;
/** Bytes of an IPv4 header without options. */
export const IPV4_MIN_HEADER_LEN = 20;
/** Bytes of the fixed IPv6 header. */
export const IPV6_HEADER_LEN = 40;
/** Bytes of a TCP header without options. */
export const TCP_MIN_HEADER_LEN = 20;
/** Bytes of a UDP header. */
export const UDP_HEADER_LEN = 8;
/** Bytes of an ICMP header (type, code, checksum, and 4 bytes the type defines). */
export const ICMP_HEADER_LEN = 8;
