// A packet filter for `mxy pcap match --bpf`: DNS responses (IPv4, UDP, source port 53) on
// Ethernet. Compile: clang -O2 -target bpf -c testdata/dns_responses.c -o dns.o
__attribute__((section("socket"), used)) int dns(unsigned char *p, unsigned len) {
  if (len < 42 || p[12] != 8 || p[13] != 0 || p[23] != 17) return 0;
  unsigned ihl = (p[14] & 15) * 4;
  if (ihl < 20 || 14 + ihl + 8 > len) return 0;
  return p[14 + ihl] == 0 && p[14 + ihl + 1] == 53;
}
char _license[] __attribute__((section("license"), used)) = "GPL";
