#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds Kora (Release) and starts the server on its defaults
# (127.0.0.1:6379, one worker per hardware thread). Extra arguments go to kora-server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target kora-server
exec ./build/kora-server "$@"
