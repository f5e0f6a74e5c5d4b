"""Looks up many addresses in one MaxMind DB with python's maxminddb, for the builder's tests.

Reads {"jobs": [{"path": ..., "ips": [...]}, ...]} as JSON on stdin and writes one
{"ext": [...], "py": [...]} per job: for each address [value, prefix_len] from the libmaxminddb-backed C extension (MODE_MMAP_EXT)
and from the pure-python reader (MODE_FILE). Values are typed so nothing is lost in JSON: ints
as ["int", "decimal"], floats as ["float", hex of the IEEE-754 double], bytes as hex, maps and
lists recursively, a missing record as null. Run with /usr/bin/python3 (Debian's
python3-maxminddb).
"""
import json
import sys

import maxminddb

from _mmdb_dump import enc  # the same typed encoding as the conformance dump


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
