#!/bin/bash
# Runs the ioredis pub/sub test against a server binary.
#   tests/clients/ioredis/run.sh --server PATH [--workers N] [--workdir DIR]
# npm installs ioredis into DIR (default: a temp dir), never into the source tree. Exits 77
# (ctest SKIP) with a message when node or npm is missing or the npm registry cannot be reached.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
SERVER="" WORKERS=2 WORKDIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --server) SERVER="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --workdir) WORKDIR="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$SERVER" ] || { echo "usage: $0 --server PATH [--workers N] [--workdir DIR]" >&2; exit 2; }
# Absolute, but not through symlinks: /usr/bin/redis-server is a link to redis-check-rdb.
SERVER="$(cd "$(dirname "$SERVER")" && pwd)/$(basename "$SERVER")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node/npm not installed; the ioredis pub/sub test needs them"
  exit 77
fi
[ -n "$WORKDIR" ] || WORKDIR="$(mktemp -d /tmp/kora-ioredis-XXXXXX)"
mkdir -p "$WORKDIR"
cp "$HERE/package.json" "$HERE/pubsub_test.js" "$WORKDIR/"
if [ ! -d "$WORKDIR/node_modules/ioredis" ]; then
  if ! (cd "$WORKDIR" && npm install --no-audit --no-fund --silent >npm.log 2>&1); then
    echo "SKIP: npm install ioredis failed (registry unreachable?):"
    tail -5 "$WORKDIR/npm.log"
    exit 77
  fi
fi
cd "$WORKDIR" && exec node pubsub_test.js --server "$SERVER" --workers "$WORKERS"
