#!/bin/sh
# Builds the native benchmark peers into bench/data/peers/ (git-ignored), installing the Debian
# packages they need when missing: g++, libhyperscan-dev, libre2-dev, libmaxminddb-dev.
# Usage: bench/peers/build.sh   -> prints the directory holding the binaries
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../data/peers"
mkdir -p "$out"
need=""
command -v g++ >/dev/null 2>&1 || need="$need g++"
[ -f /usr/include/hs/hs.h ] || need="$need libhyperscan-dev"
[ -f /usr/include/re2/set.h ] || need="$need libre2-dev"
# Debian puts maxminddb.h under the multiarch include directory.
[ -f /usr/include/maxminddb.h ] || ls /usr/include/*/maxminddb.h >/dev/null 2>&1 \
  || need="$need libmaxminddb-dev"
if [ -n "$need" ]; then
  echo "installing$need" >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq $need) >/tmp/mxy-peers-apt.log 2>&1 \
    || { tail -20 /tmp/mxy-peers-apt.log >&2; exit 1; }
fi
build() {
  src="$here/$1"
  bin="$out/$2"
  shift 2
  if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
    g++ -O3 -march=native -std=c++20 -o "$bin" "$src" "$@"
  fi
}
build pattern_peer.cpp pattern_peer -lhs -lre2
build ip_peer.cpp ip_peer -lmaxminddb
echo "$out"
