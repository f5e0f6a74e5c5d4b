"""Looks up many addresses in one MaxMind DB with python's maxminddb, for the builder's tests.

Reads {"jobs": [{"path": ..., "ips": [...]}, ...]} as JSON on stdin and writes one
{"ext": [...], "py": [...]} per job: for each address [value, prefix_len] from the libmaxminddb-backed C extension (MODE_MMAP_EXT)
and from the pure-python reader (MODE_FILE). Values are typed so nothing is lost in JSON: ints
as ["int", "decimal"], floats as ["float", hex of the IEEE-754 double], bytes as hex, maps and
lists recursively, a missing record as null. Run with /usr/bin/python3 (Debian's
python3-maxminddb). It never calls reader.metadata() on the C extension: version 2.1.0 crashes
on metadata keys it does not know.
"""
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


def run(path, ips, mode):
    out = []
    with maxminddb.open_database(path, mode) as r:
        for ip in ips:
            try:
                value, plen = r.get_with_prefix_len(ip)
                out.append([enc(value), plen])
            except ValueError as e:
                out.append(["error", str(e)])
    return out


def main():
    req = json.load(sys.stdin)
    res = [
        {
            "ext": run(job["path"], job["ips"], maxminddb.MODE_MMAP_EXT),
            "py": run(job["path"], job["ips"], maxminddb.MODE_FILE),
        }
        for job in req["jobs"]
    ]
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
