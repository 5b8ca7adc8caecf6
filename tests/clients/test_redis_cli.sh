#!/usr/bin/env bash
# Client compatibility tests with redis-cli (Debian redis-tools 7.0.15).
#
# Usage: tests/clients/test_redis_cli.sh --server PATH [--workers N]
#   PATH is build/kora-server, or /usr/bin/redis-server for the reference run. When the
#   basename contains "redis", Kora flags are translated to redis-server style.
# Starts its own servers on free loopback ports (plain+unix socket, and one with a password),
# stops them on exit. Final line: "redis-cli: N passed, N failed"; nonzero exit on failure.
set -u

SERVER=""
WORKERS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --server) SERVER="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$SERVER" ] || [ ! -x "$SERVER" ]; then
  echo "usage: $0 --server PATH [--workers N]  (server binary not found: '$SERVER')" >&2
  exit 2
fi
SERVER="$(cd "$(dirname "$SERVER")" && pwd)/$(basename "$SERVER")"
CLI="${REDIS_CLI:-redis-cli}"
PY=/usr/bin/python3
PASSWORD='cli-Test-pw'

WORK="$(mktemp -d /tmp/kora-clitest.XXXXXX)"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

PASSED=0
FAILED=0
ok()   { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; shift; [ $# -gt 0 ] && printf '       %s\n' "$@"; }
# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" == "$3" ]; then ok "$1"; else fail "$1" "expected: $(printf %q "$2")" "actual:   $(printf %q "$3")"; fi
}
# check_contains NAME NEEDLE HAYSTACK
check_contains() {
  if [[ "$3" == *"$2"* ]]; then ok "$1"; else fail "$1" "expected to contain: $(printf %q "$2")" "actual: $(printf %q "$3")"; fi
}

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME PORT [PASSWORD] [UNIXSOCKET] -> pid appended to PIDS
start_server() {
  local name="$1" port="$2" pw="${3:-}" sock="${4:-}"
  local dir="$WORK/$name"; mkdir -p "$dir"
  local args
  if [[ "$(basename "$SERVER")" == *redis* ]]; then
    args=(--port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir")
    [ -n "$pw" ] && args+=(--requirepass "$pw")
    [ -n "$sock" ] && args+=(--unixsocket "$sock" --unixsocketperm 700)
  else
    args=(--port "$port" --bind 127.0.0.1 --workers "$WORKERS")
    [ -n "$pw" ] && args+=(--password "$pw")
    [ -n "$sock" ] && args+=(--unix-socket "$sock")
  fi
  (cd "$dir" && exec "$SERVER" "${args[@]}" >"$dir/server.log" 2>&1 </dev/null) &
  local pid=$!
  PIDS+=("$pid")
  local i out
  for i in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server $name exited during start-up; log:" >&2; tail -20 "$dir/server.log" >&2
      return 1
    fi
    out="$("$CLI" -p "$port" ping 2>/dev/null)"
    if [ "$out" == "PONG" ] || [[ "$out" == NOAUTH* ]]; then
      if [ -n "$sock" ]; then
        for _ in $(seq 1 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
        echo "server $name never created unix socket $sock" >&2; return 1
      fi
      return 0
    fi
    sleep 0.05
  done
  echo "server $name did not answer PING on port $port" >&2; tail -20 "$dir/server.log" >&2
  return 1
}

P="$(free_port)"
SOCK="$WORK/kora.sock"
if ! start_server main "$P" "" "$SOCK"; then
  echo "redis-cli: 0 passed, 1 failed"; exit 1
fi
PA="$(free_port)"
while [ "$PA" == "$P" ]; do PA="$(free_port)"; done
if ! start_server auth "$PA" "$PASSWORD" ""; then
  echo "redis-cli: 0 passed, 1 failed"; exit 1
fi

cli() { "$CLI" -p "$P" "$@" 2>&1; }

# --- basics -----------------------------------------------------------------------------------
check "ping" "PONG" "$(cli ping)"
check "ping with message" "hello world" "$(cli ping 'hello world')"
check "flushall" "OK" "$(cli flushall)"
check "set" "OK" "$(cli set greeting 'hi there')"
check "get" "hi there" "$(cli get greeting)"
check "get missing (raw mode prints empty line)" "" "$(cli get no-such-key)"
check "get missing --no-raw" "(nil)" "$(cli --no-raw get no-such-key)"
check "incr --no-raw" "(integer) 1" "$(cli --no-raw incr ctr)"
check "repeat -r 4 incr" "$(printf '2\n3\n4\n5')" "$(cli -r 4 incr ctr)"
check "echo quoting --no-raw" '"a\nb"' "$(cli --no-raw echo "$(printf 'a\nb')")"
check "error reply" "ERR unknown command 'nosuchcmd', with args beginning with: 'x' " "$(cli nosuchcmd x)"
check "wrong arity" "ERR wrong number of arguments for 'get' command" "$(cli get)"
check "info has redis_version" "1" "$(cli info server | tr -d '\r' | grep -c '^redis_version:')"
check "-n selects a database" "OK|db3val|" "$(cli -n 3 set dbk db3val)|$(cli -n 3 get dbk)|$(cli -n 0 get dbk)"

# --- --raw vs default formatting ----------------------------------------------------------------
cli set multiline "$(printf 'line1\nline2')" >/dev/null
check "--raw prints value verbatim" "$(printf 'line1\nline2')" "$(cli --raw get multiline)"
check "--no-raw quotes value" '"line1\nline2"' "$(cli --no-raw get multiline)"
check "--raw integer" "6" "$(cli --raw incr ctr)"
cli del l >/dev/null; cli rpush l a b c >/dev/null
check "--raw array" "$(printf 'a\nb\nc')" "$(cli --raw lrange l 0 -1)"
check "--no-raw array" "$(printf '1) "a"\n2) "b"\n3) "c"')" "$(cli --no-raw lrange l 0 -1)"

# --- -x: last argument from stdin ---------------------------------------------------------------
check "-x set from stdin" "OK" "$(printf 'from\nstdin\x01' | cli -x set xkey)"
# --raw appends one newline after the value
check "-x value round trip" "$(printf 'from\nstdin\x01\n' | od -An -c)" "$(cli --raw get xkey | od -An -c)"
check "-x strlen" "11" "$(cli strlen xkey)"

# --- --pipe mass insertion ----------------------------------------------------------------------
cli flushall >/dev/null
awk 'BEGIN { for (i = 0; i < 10000; i++) { k = "mass:" i; v = "value-" i;
  printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' \
  >"$WORK/mass.resp"
PIPE_OUT="$("$CLI" -p "$P" --pipe <"$WORK/mass.resp" 2>&1)"
check_contains "--pipe reports no errors" "errors: 0, replies: 10000" "$PIPE_OUT"
check "dbsize after --pipe" "10000" "$(cli dbsize)"
check "--pipe value" "value-9999" "$(cli get mass:9999)"
# inline commands through --pipe as well
printf 'SET inl1 v1\r\nSET inl2 v2\r\nINCR inlc\r\n' >"$WORK/inline.txt"
check_contains "--pipe inline commands" "errors: 0, replies: 3" "$("$CLI" -p "$P" --pipe <"$WORK/inline.txt" 2>&1)"
check "dbsize after inline --pipe" "10003" "$(cli dbsize)"

# --- --scan --pattern ---------------------------------------------------------------------------
cli flushall >/dev/null
{
  for i in $(seq 1 300); do printf 'SET user:%d u%d\r\n' "$i" "$i"; done
  for i in $(seq 1 200); do printf 'SET session:%d s\r\n' "$i"; done
  printf 'SET user x\r\nSET xuser:1 y\r\nSET usr:1 z\r\n'
} | "$CLI" -p "$P" --pipe >/dev/null 2>&1
EXPECTED_SCAN="$( (for i in $(seq 1 300); do echo "user:$i"; done) | sort)"
check "--scan --pattern user:* returns exactly the user keys" "$EXPECTED_SCAN" "$(cli --scan --pattern 'user:*' | sort)"
check "--scan --pattern has no duplicates" "300" "$(cli --scan --pattern 'user:*' | sort -u | wc -l | tr -d ' ')"
check "--scan all keys" "503" "$(cli --scan | sort -u | wc -l | tr -d ' ')"
check "--scan -i (interval between SCAN calls)" "$EXPECTED_SCAN" "$(cli --scan --pattern 'user:*' -i 0.001 | sort)"
check "keys pattern" "$(printf 'user:1\nuser:2\nuser:3')" "$(cli keys 'user:[1-3]' | sort)"

# --- RESP3 (-3) ---------------------------------------------------------------------------------
HELLO3="$(cli -3 --no-raw hello 3)"
check_contains "-3 hello 3 shows a map (server)" '1# "server" => ' "$HELLO3"
check_contains "-3 hello 3 shows proto 3" '"proto" => (integer) 3' "$HELLO3"
check_contains "-3 hello 3 shows mode" '"mode" => "standalone"' "$HELLO3"
check_contains "-3 hello 3 shows modules" '7# "modules" => ' "$HELLO3"
HELLO2="$(cli --no-raw hello 2)"
check_contains "hello 2 shows a flat array" ' 1) "server"' "$HELLO2"
cli del h z s >/dev/null
cli hset h field value >/dev/null
cli zadd z 1.5 m >/dev/null
cli sadd s only >/dev/null
check "-3 hgetall is a map" '1# "field" => "value"' "$(cli -3 --no-raw hgetall h)"
check "resp2 hgetall is an array" "$(printf '1) "field"\n2) "value"')" "$(cli --no-raw hgetall h)"
check "-3 zscore is a double" "(double) 1.5" "$(cli -3 --no-raw zscore z m)"
check "resp2 zscore is a bulk string" '"1.5"' "$(cli --no-raw zscore z m)"
check "-3 smembers is a set" '1~ "only"' "$(cli -3 --no-raw smembers s)"
check "-3 get missing" "(nil)" "$(cli -3 --no-raw get no-such-key)"
check "-3 config get is a map" '1# "maxmemory" => "0"' "$(cli -3 --no-raw config get maxmemory)"

# --- inline protocol over a raw TCP socket ------------------------------------------------------
inline_exchange() {  # inline_exchange PAYLOAD NREPLYLINES -> prints reply lines (CR stripped)
  local payload="$1" n="$2" line i
  if ! exec 3<>"/dev/tcp/127.0.0.1/$P"; then echo "connect failed"; return; fi
  printf '%b' "$payload" >&3
  for ((i = 0; i < n; i++)); do
    IFS= read -r -t 3 line <&3 || break
    printf '%s\n' "${line%$'\r'}"
  done
  exec 3<&- 3>&-
}
check "inline PING" "+PONG" "$(inline_exchange 'PING\r\n' 1)"
check "inline lowercase, LF only" "+PONG" "$(inline_exchange 'ping\n' 1)"
check "inline quoting" "$(printf '+OK\n$3\nc d')" "$(inline_exchange 'SET "a b" '"'"'c d'"'"'\r\nGET "a b"\r\n' 3)"
check "inline escapes in double quotes" "$(printf '$4\nxA\ty')" "$(inline_exchange 'ECHO "x\\x41\\ty"\r\n' 2)"
check "inline pipelined" "$(printf '+PONG\n:1\n:2\n+PONG')" "$(inline_exchange 'PING\r\nINCR inl\r\nINCR inl\r\nPING\r\n' 4)"
check "inline empty lines ignored" "+PONG" "$(inline_exchange '\r\n\r\nPING\r\n' 1)"
check "inline unbalanced quotes" "-ERR Protocol error: unbalanced quotes in request" "$(inline_exchange 'SET "abc\r\n' 1)"

# --- password server (-a) -----------------------------------------------------------------------
check "-a password ping" "PONG" "$("$CLI" -p "$PA" -a "$PASSWORD" --no-auth-warning ping 2>&1)"
check "-a password set/get" "OK|secret-value" \
  "$("$CLI" -p "$PA" -a "$PASSWORD" --no-auth-warning set sk secret-value 2>&1)|$("$CLI" -p "$PA" -a "$PASSWORD" --no-auth-warning get sk 2>&1)"
check "no password -> NOAUTH" "NOAUTH Authentication required." "$("$CLI" -p "$PA" get sk 2>/dev/null)"
WRONG="$("$CLI" -p "$PA" -a wrong-password --no-auth-warning ping 2>&1)"
check_contains "wrong -a -> WRONGPASS" "AUTH failed: WRONGPASS invalid username-password pair or user is disabled." "$WRONG"
check_contains "wrong -a -> command refused" "NOAUTH Authentication required." "$WRONG"
check "--user default --pass" "PONG" "$("$CLI" -p "$PA" --user default --pass "$PASSWORD" --no-auth-warning ping 2>&1)"
check "-3 with -a" '1# "field" => "v"' \
  "$("$CLI" -p "$PA" -a "$PASSWORD" --no-auth-warning hset ah field v >/dev/null 2>&1; "$CLI" -p "$PA" -a "$PASSWORD" --no-auth-warning -3 --no-raw hgetall ah 2>&1)"

# --- unix socket (-s) ---------------------------------------------------------------------------
check "-s ping" "PONG" "$("$CLI" -s "$SOCK" ping 2>&1)"
check "-s set" "OK" "$("$CLI" -s "$SOCK" set via-unix yes 2>&1)"
check "-s data visible over TCP" "yes" "$(cli get via-unix)"
check "-s -n 4 select" "OK|" "$("$CLI" -s "$SOCK" -n 4 set u4 x 2>&1)|$("$CLI" -s "$SOCK" get u4 2>&1)"
printf 'SET us:%d v\r\n' $(seq 1 500) | "$CLI" -s "$SOCK" --pipe >"$WORK/unixpipe.out" 2>&1
check_contains "-s --pipe" "errors: 0, replies: 500" "$(cat "$WORK/unixpipe.out")"
check "-s --scan" "500" "$("$CLI" -s "$SOCK" --scan --pattern 'us:*' | sort -u | wc -l | tr -d ' ')"

# --- servers still alive ------------------------------------------------------------------------
for pid in "${PIDS[@]}"; do
  if kill -0 "$pid" 2>/dev/null; then ok "server pid $pid still running"; else fail "server pid $pid died"; fi
done

echo "redis-cli: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
