#!/usr/bin/env bash
# Installs every Debian package Kora needs to build, test and benchmark. Idempotent: packages
# already present are not reinstalled, and apt's index is refreshed only when something is
# missing.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config clang-14 libclang-rt-14-dev llvm-14
  # libraries
  libabsl-dev libxxhash-dev libmimalloc-dev libfmt-dev libtomlplusplus-dev liblz4-dev
  # Lua 5.1 as Redis embeds it, with its cjson and bit libraries
  liblua5.1-0-dev lua-cjson-dev lua-cjson lua-bitop-dev lua-bitop
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the reference server, its tools and the Python client used by the tests
  redis-server redis-tools python3 python3-redis
  # ioredis tests (npm), promtool for the metrics check, headless Chromium for the dashboard
  nodejs prometheus chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The distribution starts a redis-server service on 6379 on install; the tests start their own
# on free ports and Kora's default port is 6379, so stop that one where systemd runs it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  systemctl stop redis-server 2>/dev/null || true
fi
echo "setup: all packages present"
