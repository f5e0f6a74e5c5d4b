#!/usr/bin/env bash
# Ether server vs Redis, same machine, same run: requests per second for PING and for 64-byte and
# 64 KiB WRITE+READ (Redis: SET+GET with -d 64 / -d 65536), with 1 and 50 clients, no pipelining.
#
#   bench/ether_compare.sh            # N=40000 requests per run (4000 for 64 KiB), best of 3
#   N=100000 REPEAT=5 bench/ether_compare.sh
#
# Both servers listen on 127.0.0.1 on free ports. Our load generator is bench/ether_load.ts (Deno,
# one process, like redis-benchmark's one thread). Each configuration runs mxy and Redis
# alternately REPEAT times and keeps each side's best run, to damp noise from other processes.
# WRITE+READ and SET+GET are counted per request: rate = 2 / (1/rate(SET) + 1/rate(GET)).
# The last two columns are the servers' own CPU time per request (from /proc/PID/stat over all
# runs): unlike requests/s, they hardly depend on what else the machine is doing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark is not installed (apt-get install redis-tools)" >&2; exit 1; }

N=${N:-40000}
NBIG=${NBIG:-$((N / 10))}
REPEAT=${REPEAT:-3}
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

tmp=$(mktemp -d)
RPID=""; MPID=""
cleanup() {
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null || true
  [ -n "$MPID" ] && kill -TERM "$MPID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --logfile "$tmp/redis.log" &
RPID=$!
deno run --allow-net --allow-read --allow-env cli/main.ts serve --port 0 -q 2>"$tmp/mxy.err" &
MPID=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$tmp/mxy.err" 2>/dev/null && redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
MPORT=$(sed -nE 's/.*listening on [0-9.]+:([0-9]+).*/\1/p' "$tmp/mxy.err")
[ -n "$MPORT" ] || { echo "mxy serve did not start:" >&2; cat "$tmp/mxy.err" >&2; exit 1; }

mxy_rps() { # op clients n
  deno run --allow-net --allow-read --allow-env bench/ether_load.ts --port "$MPORT" --clients "$2" \
    --requests "$3" --op "$1" | sed -nE 's/.*"rps":([0-9]+).*/\1/p'
}
redis_rps() { # op clients n
  local out
  case "$1" in
    ping) redis-benchmark -h 127.0.0.1 -p "$RPORT" -c "$2" -n "$3" -t ping_mbulk --csv |
      awk -F'"' 'NR>1 {printf "%d\n", $4}' ;;
    rw64|rw64k)
      local d=64; [ "$1" = rw64k ] && d=65536
      out=$(redis-benchmark -h 127.0.0.1 -p "$RPORT" -c "$2" -n "$(( $3 / 2 ))" -t set,get -d "$d" --csv)
      echo "$out" | awk -F'"' 'NR>1 {r[$2]=$4} END {printf "%d\n", 2/(1/r["SET"]+1/r["GET"])}' ;;
  esac
}
max() { [ "$1" -gt "$2" ] && echo "$1" || echo "$2"; }
# CPU time (clock ticks) a process has used: utime + stime from /proc/PID/stat.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)

echo "Ether (mxy serve) vs Redis $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), $(nproc) cores, best of $REPEAT, $(date -u +%FT%TZ)"
printf '%-22s %8s %12s %12s %8s %14s %14s\n' "workload" "clients" "mxy req/s" "redis req/s" "ratio" \
  "mxy cpu us/req" "redis us/req"
for op in ping rw64 rw64k; do
  n=$N; [ "$op" = rw64k ] && n=$NBIG
  for c in 1 50; do
    best_m=0; best_r=0; cpu_m=0; cpu_r=0
    for _ in $(seq "$REPEAT"); do
      t0=$(cpu_ticks "$MPID")
      best_m=$(max "$best_m" "$(mxy_rps "$op" "$c" "$n")")
      cpu_m=$((cpu_m + $(cpu_ticks "$MPID") - t0))
      t0=$(cpu_ticks "$RPID")
      best_r=$(max "$best_r" "$(redis_rps "$op" "$c" "$n")")
      cpu_r=$((cpu_r + $(cpu_ticks "$RPID") - t0))
    done
    # server CPU per request, in microseconds (mxy counts its warm-up requests too: ~1%)
    us_m=$(awk -v t="$cpu_m" -v k="$TCK" -v n="$n" -v r="$REPEAT" 'BEGIN {printf "%.1f", t / k * 1e6 / (n * r)}')
    us_r=$(awk -v t="$cpu_r" -v k="$TCK" -v n="$n" -v r="$REPEAT" 'BEGIN {printf "%.1f", t / k * 1e6 / (n * r)}')
    case $op in ping) name="PING";; rw64) name="WRITE+READ 64 B";; rw64k) name="WRITE+READ 64 KiB";; esac
    printf '%-22s %8s %12s %12s %8s %14s %14s\n' "$name" "$c" "$best_m" "$best_r" \
      "$(awk -v a="$best_m" -v b="$best_r" 'BEGIN {printf "%.2fx", a/b}')" "$us_m" "$us_r"
  done
done
