#!/usr/bin/env bash
# Throughput with all instrumentation on against off, in the same run on the same server:
# latency histograms and hot-key sketch toggled with CONFIG SET kora-instrumentation yes|no,
# memory by key prefix with kora-memory-prefix-depth 2|0 (commandstats, slow log and latency
# monitor are Redis features and stay on in both).
#
# Usage: bench/observe_overhead.sh [--server PATH] [--workers N] [--rounds N] [--requests N]
#                                  [--pipeline N] [--port N]
# Each round measures SET and GET with redis-benchmark (-c 50 -r 100000 -P pipeline) once
# with instrumentation off and once on, alternating which goes first. Besides requests per
# second it reads the server's CPU time (sum of /proc/PID/task/*/schedstat, ns) per request,
# which stays meaningful on a loaded machine where rps is noise. Prints per-round numbers on
# stderr and, on stdout, the medians and the median of the per-round on/off ratios
# (goal: rps ratio >= 0.99, i.e. CPU per request within 1%).
set -euo pipefail

SERVER=build-obs/kora-server
WORKERS=2
ROUNDS=5
REQUESTS=300000
PIPELINE=16
PORT=7480
while [[ $# -gt 0 ]]; do
  case "$1" in
    --server) SERVER="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --pipeline) PIPELINE="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

"$SERVER" --port "$PORT" --bind 127.0.0.1 --workers "$WORKERS" >/dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

cpu_ns() { cat /proc/"$PID"/task/*/schedstat | awk '{s += $1} END {printf "%.0f", s}'; }

measure() {  # $1 = yes|no ; prints "rps cpu_ns_per_request" for SET+GET
  redis-cli -p "$PORT" config set kora-instrumentation "$1" >/dev/null
  redis-cli -p "$PORT" config set kora-memory-prefix-depth "$([[ $1 == yes ]] && echo 2 || echo 0)" >/dev/null
  local c0 c1 rps
  c0=$(cpu_ns)
  rps=$(redis-benchmark -p "$PORT" -c 50 -r 100000 -P "$PIPELINE" -n "$REQUESTS" -t set,get \
    --csv | awk -F'","' 'NR>1 {gsub(/"/,"",$2); s+=$2} END {printf "%.0f", s}')
  c1=$(cpu_ns)
  echo "$rps $(awk -v a="$c0" -v b="$c1" -v n="$REQUESTS" 'BEGIN {printf "%.1f", (b - a) / (2 * n)}')"
}

ON=() OFF=() RATIOS=() CON=() COFF=() CRATIOS=()
for r in $(seq "$ROUNDS"); do
  if (( r % 2 )); then off=$(measure no); on=$(measure yes); else on=$(measure yes); off=$(measure no); fi
  read -r on_rps on_cpu <<<"$on"
  read -r off_rps off_cpu <<<"$off"
  ratio=$(awk -v a="$on_rps" -v b="$off_rps" 'BEGIN {printf "%.4f", a / b}')
  cratio=$(awk -v a="$off_cpu" -v b="$on_cpu" 'BEGIN {printf "%.4f", a / b}')
  echo "round $r: off $off_rps rps $off_cpu ns/req, on $on_rps rps $on_cpu ns/req," \
       "rps on/off $ratio, cpu off/on $cratio" >&2
  ON+=("$on_rps"); OFF+=("$off_rps"); RATIOS+=("$ratio")
  CON+=("$on_cpu"); COFF+=("$off_cpu"); CRATIOS+=("$cratio")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "instrumentation off: $(median "${OFF[@]}") rps (SET+GET, median of $ROUNDS)"
echo "instrumentation on:  $(median "${ON[@]}") rps"
echo "on/off ratio:        $(median "${RATIOS[@]}") (median of per-round ratios)"
echo "server CPU per request: off $(median "${COFF[@]}") ns, on $(median "${CON[@]}") ns"
echo "CPU-bound throughput ratio (cpu off/on): $(median "${CRATIOS[@]}")"
