#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds Kora and runs every test:
#   1. Release build: unit tests (GoogleTest), the differential suite against Debian's
#      redis-server (--workers 1 and 4), real clients (redis-cli, redis-py, RESP3), stress tests.
#   2. ASan+UBSan build: the same unit and integration tests.
#   3. TSan build: the concurrency tests (engine hops, cross-shard integration tests).
#   4. libFuzzer targets for every parser, each for a bounded time.
# KORA_TEST_QUICK=1 runs only step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
JOBS=${JOBS:-2}

run_ctest() {  # dir [ctest args]
  local dir=$1; shift
  ctest --test-dir "$dir" --output-on-failure "$@"
}

echo "== Release build and tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"
run_ctest build

if [[ ${KORA_TEST_QUICK:-0} == 1 ]]; then exit 0; fi

echo "== ASan+UBSan build and tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKORA_SANITIZE=address,undefined \
  -DKORA_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest build-asan

echo "== TSan build and concurrency tests"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKORA_SANITIZE=thread \
  -DKORA_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j "$JOBS"
TSAN_OPTIONS=halt_on_error=1 run_ctest build-tsan -L concurrency

echo "== Fuzzing (libFuzzer, bounded)"
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKORA_BUILD_FUZZ=ON -DKORA_BUILD_TESTS=OFF -DKORA_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$JOBS" --target fuzz_targets
./fuzz/run_fuzzers.sh build-fuzz "${KORA_FUZZ_SECONDS:-30}"
echo "fuzz: all targets ran clean"
