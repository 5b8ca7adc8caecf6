#!/usr/bin/env bash
# Throughput comparison: kora-server vs Debian's redis-server, measured with redis-benchmark.
#
# Usage: bench/server_bench.sh [--rounds N] [--requests N] [--pipelined-requests N]
#                              [--types-requests N] [--groups "plain pipelined types"]
#                              [--workers-list "1 2"] [--no-build] [--server PATH]
#                              [--redis PATH] [--clients N] [--data-size N] [--out DIR]
#
#   --rounds N              rounds per workers setting (default 5)
#   --requests N            -n for unpipelined workloads SET GET INCR (default 100000)
#   --pipelined-requests N  -n for the -P 16 workloads SET GET (default 10 x --requests)
#   --types-requests N      -n for the data-type workloads (default --requests): LPUSH LPOP
#                           RPUSH RPOP SADD HSET SPOP ZADD ZPOPMIN LRANGE_100 MSET, plus XADD
#                           and ZRANGE over a 100-member sorted set as custom commands
#   --groups "..."          which workload groups to run: plain (SET GET INCR), pipelined
#                           (SET GET -P 16), types (the data types above); default all three
#   --workers-list "1 2"    kora --workers values to measure, each against redis (default "1 2")
#   --no-build              do not build; use --server PATH (default build-release/kora-server)
#   --server PATH           server binary to compare with redis (implies --no-build). If its
#                           basename contains "redis" it is started with redis flags, which is
#                           how this script is validated (redis vs redis gives ratios ~ 1).
#   --redis PATH            reference server (default /usr/bin/redis-server)
#   --out DIR               keep raw CSVs, results.tsv and table.md there (default: a temp dir)
#
# Without --no-build/--server it builds Release first:
#   cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build-release -j2
# Each round runs redis-benchmark (-c 50 -d 256 -r 100000 --csv) against both servers back to
# back, alternating which goes first; CPUs are not pinned. Prints a markdown table on stdout
# (progress on stderr): workload | workers | redis rps (median) | kora rps (median) |
# ratio (median of per-round kora/redis ratios).
set -euo pipefail

ROUNDS=5
REQUESTS=100000
PREQUESTS=""
TREQUESTS=""
GROUPS_TO_RUN="plain pipelined types"
WORKERS_LIST="1 2"
BUILD=1
SERVER=""
REDIS=/usr/bin/redis-server
CLIENTS=50
DATASIZE=256
KEYSPACE=100000
OUT=""
BENCH="${REDIS_BENCHMARK:-redis-benchmark}"
CLI="${REDIS_CLI:-redis-cli}"
PY=/usr/bin/python3

die() { echo "server_bench: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --pipelined-requests) PREQUESTS="$2"; shift 2 ;;
    --types-requests) TREQUESTS="$2"; shift 2 ;;
    --groups) GROUPS_TO_RUN="$2"; shift 2 ;;
    --workers-list) WORKERS_LIST="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --server) SERVER="$2"; BUILD=0; shift 2 ;;
    --redis) REDIS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --data-size) DATASIZE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[ -n "$PREQUESTS" ] || PREQUESTS=$((REQUESTS * 10))
[ -n "$TREQUESTS" ] || TREQUESTS=$REQUESTS
for g in $GROUPS_TO_RUN; do
  [[ "$g" == plain || "$g" == pipelined || "$g" == types ]] || die "bad --groups entry: $g"
done
for v in "$ROUNDS" "$REQUESTS" "$PREQUESTS" "$TREQUESTS" "$CLIENTS" "$DATASIZE"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: $v"
done
for w in $WORKERS_LIST; do [[ "$w" =~ ^[1-9][0-9]*$ ]] || die "bad --workers-list entry: $w"; done
command -v "$BENCH" >/dev/null || die "redis-benchmark not found"
command -v "$CLI" >/dev/null || die "redis-cli not found"
[ -x "$REDIS" ] || die "reference redis-server not found: $REDIS"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
if [ "$BUILD" -eq 1 ]; then
  echo "== building Release (build-release/)" >&2
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build build-release -j2 >&2
fi
[ -n "$SERVER" ] || SERVER="$ROOT/build-release/kora-server"
[ -x "$SERVER" ] || die "server binary not found: $SERVER"
SERVER="$(cd "$(dirname "$SERVER")" && pwd)/$(basename "$SERVER")"

WORK="$(mktemp -d /tmp/kora-bench.XXXXXX)"
if [ -z "$OUT" ]; then OUT="$WORK/out"; fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
RESULTS="$OUT/results.tsv"
: >"$RESULTS"

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK/redis" "$WORK/kora"*
  [ "$OUT" == "$WORK/out" ] || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server BINARY NAME PORT WORKERS -> sets STARTED_PID
start_server() {
  local bin="$1" name="$2" port="$3" workers="$4" dir="$WORK/$2"
  mkdir -p "$dir"
  local args
  if [[ "$(basename "$bin")" == *redis* ]]; then
    args=(--port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir")
  else
    args=(--port "$port" --bind 127.0.0.1 --workers "$workers")
  fi
  (cd "$dir" && exec "$bin" "${args[@]}" >"$dir/server.log" 2>&1 </dev/null) &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  local _
  for _ in $(seq 1 300); do
    kill -0 "$STARTED_PID" 2>/dev/null || { tail -20 "$dir/server.log" >&2; die "$name exited during start-up"; }
    [ "$("$CLI" -p "$port" ping 2>/dev/null)" == "PONG" ] && return 0
    sleep 0.05
  done
  tail -20 "$dir/server.log" >&2
  die "$name did not answer PING on port $port"
}

# Fill the keyspace (so GET hits ~all keys on both servers) and warm the server up; not recorded.
warm_up() {  # warm_up PORT NAME
  "$BENCH" -h 127.0.0.1 -p "$1" -c "$CLIENTS" -d "$DATASIZE" -r "$KEYSPACE" -n $((KEYSPACE * 5)) \
    -P 16 -t set -q >/dev/null 2>&1 || die "warm-up against $2 failed"
  echo "== $2 warmed up: dbsize $("$CLI" -p "$1" dbsize)" >&2
}

stop_server() {  # stop_server PID
  local pid="$1" p keep=()
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [ "$p" == "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

# Appends the rows of a redis-benchmark CSV to $RESULTS: workers round server workload rps.
# Custom-command rows are renamed after their command ("XADD", "ZRANGE (100 members)").
record_csv() {  # record_csv CSV WORKERS ROUND SERVER SUFFIX
  awk -F'","' -v w="$2" -v r="$3" -v s="$4" -v sfx="$5" '
    NR > 1 && NF > 1 {
      t = $1; sub(/^"/, "", t)
      if (t ~ /^XADD /) t = "XADD"
      else if (t ~ /^ZRANGE /) t = "ZRANGE (100 members)"
      printf "%s\t%s\t%s\t%s%s\t%s\n", w, r, s, t, sfx, $2 }' "$1" >>"$RESULTS"
}

# run_bench SERVERNAME PORT WORKERS ROUND GROUP  (GROUP = plain | pipelined | types)
run_bench() {
  local name="$1" port="$2" workers="$3" round="$4" group="$5"
  local csv="$OUT/w${workers}-r${round}-${group}-${name}.csv" args suffix
  local common=(-h 127.0.0.1 -p "$port" -c "$CLIENTS" -d "$DATASIZE" -r "$KEYSPACE" --csv)
  if [ "$group" == "plain" ]; then
    args=(-n "$REQUESTS" -t "set,get,incr"); suffix=""
  elif [ "$group" == "pipelined" ]; then
    args=(-n "$PREQUESTS" -P 16 -t "set,get"); suffix=" (-P 16)"
  else
    args=(-n "$TREQUESTS" -t "lpush,lpop,rpush,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset")
    suffix=""
  fi
  if ! timeout 600 "$BENCH" "${common[@]}" "${args[@]}" >"$csv" 2>"$csv.err"; then
    echo "   !! redis-benchmark against $name failed (round $round, $group); see $csv.err" >&2
    return 0
  fi
  if [ "$group" == "types" ]; then
    # XADD to one stream, and ZRANGE over a sorted set of exactly 100 members.
    "$CLI" -p "$port" del bench:zset100 >/dev/null
    "$CLI" -p "$port" zadd bench:zset100 $(for i in $(seq 1 100); do echo "$i m$i"; done) >/dev/null
    local xadd=(XADD bench:stream '*' field __rand_int__) zrange=(ZRANGE bench:zset100 0 -1)
    timeout 600 "$BENCH" "${common[@]}" -n "$TREQUESTS" "${xadd[@]}" 2>>"$csv.err" |
      tail -n +2 >>"$csv" || echo "   !! custom XADD against $name failed" >&2
    timeout 600 "$BENCH" "${common[@]}" -n "$TREQUESTS" "${zrange[@]}" 2>>"$csv.err" |
      tail -n +2 >>"$csv" || echo "   !! custom ZRANGE against $name failed" >&2
    "$CLI" -p "$port" del bench:stream >/dev/null
  fi
  record_csv "$csv" "$workers" "$round" "$name" "$suffix"
  printf '   %-5s %-9s %s\n' "$name" "$group" \
    "$(awk -F'","' 'NR > 1 && NF > 1 { t = $1; sub(/^"/, "", t); printf "%s=%s ", t, $2 }' "$csv")" >&2
}

SECONDS=0
REDIS_PORT="$(free_port)"
start_server "$REDIS" redis "$REDIS_PORT" 0
REDIS_PID=$STARTED_PID
warm_up "$REDIS_PORT" redis
echo "== redis: $("$REDIS" --version | head -1) on port $REDIS_PORT" >&2
echo "== kora:  $SERVER" >&2
echo "== $ROUNDS rounds; -c $CLIENTS -d $DATASIZE -r $KEYSPACE; -n $REQUESTS (SET GET INCR), -n $PREQUESTS (-P 16 SET GET), -n $TREQUESTS (data types); groups: $GROUPS_TO_RUN; $(nproc) CPUs, not pinned" >&2

for W in $WORKERS_LIST; do
  KORA_PORT="$(free_port)"
  while [ "$KORA_PORT" == "$REDIS_PORT" ]; do KORA_PORT="$(free_port)"; done
  start_server "$SERVER" "kora-w$W" "$KORA_PORT" "$W"
  KORA_PID=$STARTED_PID
  echo "== kora --workers $W on port $KORA_PORT" >&2
  warm_up "$KORA_PORT" "kora-w$W"
  for ((R = 1; R <= ROUNDS; R++)); do
    if ((R % 2 == 1)); then ORDER="redis kora"; else ORDER="kora redis"; fi
    echo " round $R/$ROUNDS (first: ${ORDER%% *})" >&2
    for G in $GROUPS_TO_RUN; do
      for S in $ORDER; do
        if [ "$S" == "redis" ]; then run_bench redis "$REDIS_PORT" "$W" "$R" "$G"
        else run_bench kora "$KORA_PORT" "$W" "$R" "$G"; fi
      done
    done
    kill -0 "$KORA_PID" 2>/dev/null || die "kora (--workers $W) died during round $R; log: $WORK/kora-w$W/server.log"
  done
  stop_server "$KORA_PID"
done
stop_server "$REDIS_PID"

echo "== done in ${SECONDS}s; raw results in $OUT" >&2
{
  echo "Setup: redis-benchmark -c $CLIENTS -d $DATASIZE -r $KEYSPACE, -n $REQUESTS (unpipelined) / $PREQUESTS (-P 16), $ROUNDS rounds alternating order, $(nproc) CPUs (not pinned), reference $("$REDIS" --version | awk '{print $3}' | sed 's/v=/redis /')."
  echo
  "$PY" "$ROOT/bench/summarize.py" "$RESULTS"
} | tee "$OUT/table.md"
