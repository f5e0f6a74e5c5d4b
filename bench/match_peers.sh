#!/usr/bin/env bash
# The external tools of the `mxy match` benchmark: grep -F -f and rg -F -f over the same log with
# the feed's literal list, each timed by /usr/bin/time (wall, user, system seconds and peak RSS).
# Prints one line per tool: "name wall user sys maxrss_kb matching_lines".
#
# Usage: bench/match_peers.sh LOG LITERALS
# Installs ripgrep from Debian when it is missing (apt-get, as root).
set -euo pipefail
log="$1"
literals="$2"

if ! command -v rg >/dev/null 2>&1; then
  echo "ripgrep not found: installing it from Debian" >&2
  apt-get update -qq >/dev/null && apt-get install -y -qq ripgrep >/dev/null
fi

run() {
  local name="$1"
  shift
  local out
  out=$(mktemp)
  # -c prints the number of matching lines; grep and rg exit 1 when nothing matched
  /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$@" >"$out" || true
  echo "$name $(cat "$out.time") $(tail -n 1 "$out")"
  rm -f "$out" "$out.time"
}

export LC_ALL=C
run grep grep -F -c -f "$literals" "$log"
run rg rg -F -c -f "$literals" "$log"
