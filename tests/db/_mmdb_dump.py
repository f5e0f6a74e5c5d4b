"""Dumps every network of a MaxMind DB with python maxminddb's answers, as JSON, for
tests/db/conformance_test.ts. Run with /usr/bin/python3 (Debian's python3-maxminddb).

Output: {"nodeCount", "ipVersion", "leaves": [{"net", "q", "plen", "ptr", "q4", "plen4"}],
"data": {ptr: typed value}}. Values are typed so nothing is lost in JSON: ints as decimal
strings, floats as the hex of their IEEE-754 double, bytes as hex.
"""
import ipaddress
import json
import struct
import sys

import maxminddb


def enc(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["int", str(v)]
    if isinstance(v, float):
        return ["float", struct.pack(">d", v).hex()]
    if isinstance(v, str):
        return ["str", v]
    if isinstance(v, (bytes, bytearray)):
        return ["bytes", bytes(v).hex()]
    if isinstance(v, list):
        return ["list", [enc(x) for x in v]]
    if isinstance(v, dict):
        return ["map", {k: enc(x) for k, x in v.items()}]
    raise TypeError(type(v))


def main(path):
    # MODE_MMAP: the pure-python reader (not the libmaxminddb extension).
    r = maxminddb.open_database(path, maxminddb.MODE_MMAP)
    m = r.metadata()
    nc = m.node_count
    bits = 128 if m.ip_version == 6 else 32
    leaves = []
    data = {}
    stack = [(0, 0, 0)]
    while stack:
        node, depth, value = stack.pop()
        for bit in (1, 0):
            rec = r._read_node(node, bit)
            v = value | (bit << (bits - 1 - depth))
            if rec < nc:
                stack.append((rec, depth + 1, v))
            elif rec > nc:
                net = ipaddress.ip_network((v, depth + 1))
                addr = net.network_address
                record, plen = r.get_with_prefix_len(addr)
                leaf = {"net": str(net), "q": str(addr), "plen": plen, "ptr": rec}
                if bits == 128 and depth + 1 >= 96 and v >> 32 == 0:
                    a4 = ipaddress.IPv4Address(v & 0xFFFFFFFF)
                    _, plen4 = r.get_with_prefix_len(a4)
                    leaf["q4"] = str(a4)
                    leaf["plen4"] = plen4
                leaves.append(leaf)
                if str(rec) not in data:
                    data[str(rec)] = enc(record)
    json.dump({"nodeCount": nc, "ipVersion": m.ip_version, "leaves": leaves, "data": data},
              sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
