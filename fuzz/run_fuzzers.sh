#!/usr/bin/env bash
# Runs every fuzz target in BUILD_DIR/fuzz for SECONDS each, starting from fuzz/corpus/<name>.
set -euo pipefail
build=${1:?build dir}
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
for bin in "$build"/fuzz/*_fuzz; do
  name=$(basename "$bin")
  seeds="$here/corpus/${name%_fuzz}"
  work=$(mktemp -d)
  cp -r "$seeds"/. "$work"/ 2>/dev/null || true
  echo "fuzz: $name for ${secs}s"
  "$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=0 "$work" 2>&1 | tail -n 3
  rm -rf "$work"
done
