#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds examples/ against that installed
# package (find_package(kora) and pkg-config), never against the build tree, then runs the
# programs, including the hybrid mode with redis-cli.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/kora-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/kora/database.h include/kora/reply.h include/kora/config.h \
         include/kora/status.h include/kora/export.h; do
  [[ -f $prefix/$f ]] || { echo "missing $f"; exit 1; }
done
libdir=$(dirname "$(find "$prefix" -name libkora.a | head -1)")
[[ -f $libdir/libkora.a && -e $libdir/libkora.so ]] || { echo "libraries missing"; exit 1; }
[[ -f $libdir/pkgconfig/kora.pc && -f $libdir/cmake/kora/koraConfig.cmake ]] || {
  echo "package files missing"; exit 1; }
# The shared library exports the API only.
if grep -q 'kora::Engine' <<<"$(nm -D --defined-only "$libdir/libkora.so" | c++filt)"; then
  echo "libkora.so exports engine internals"; exit 1
fi

# 1. CMake package. Only the prefix is searched: no package registry, no build tree.
cmake -S "$src/examples" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >/dev/null
grep -q "kora_DIR:PATH=$prefix/" "$work/build/CMakeCache.txt" || {
  echo "find_package(kora) did not use the installed package"; grep kora_DIR "$work/build/CMakeCache.txt"; exit 1; }
cmake --build "$work/build" >/dev/null
# Each program runs bounded in time and output.
run() { timeout 60 "$@" | head -c 100000; }
out=$(run "$work/build/app")
echo "$out"
grep -q '^user:1 = Augustus$' <<<"$out"
grep -q '^queue: task-2$' <<<"$out"
grep -q 'WrongType: WRONGTYPE' <<<"$out"
out=$(LD_LIBRARY_PATH= run "$work/build/app_shared")
grep -q '^user:1 = Augustus$' <<<"$out"
grep -q "$libdir/libkora.so" <<<"$(ldd "$work/build/app_shared")" || {
  echo "app_shared does not use the installed libkora.so"; exit 1; }

# 2. pkg-config, shared and static.
export PKG_CONFIG_PATH=$libdir/pkgconfig
c++ -O1 -o "$work/app_pc" "$src/examples/app.cc" $(pkg-config --cflags --libs kora) \
  -Wl,-rpath,"$libdir"
grep -q '^user:1 = Augustus$' <<<"$(run "$work/app_pc")"
c++ -O1 -o "$work/app_pc_static" "$src/examples/app.cc" $(pkg-config --cflags kora) \
  "$libdir/libkora.a" $(pkg-config --static --libs-only-other --libs-only-l kora | sed 's/-lkora//')
grep -q '^user:1 = Augustus$' <<<"$(run "$work/app_pc_static")"

# 3. Hybrid: the example serves RESP while redis-cli writes, then reports the new value.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fifo=$work/stdin
mkfifo "$fifo"
timeout 120 "$work/build/app" --listen "127.0.0.1:$port" <"$fifo" >"$work/hybrid.out" &
app=$!
exec 3>"$fifo"
for _ in $(seq 100); do
  redis-cli -p "$port" PING >/dev/null 2>&1 && break
  sleep 0.1
done
[[ $(redis-cli -p "$port" GET user:1) == Augustus ]]
redis-cli -p "$port" SET user:1 Tiberius >/dev/null
echo >&3
exec 3>&-
wait "$app"
grep -q '^user:1 is now Tiberius$' "$work/hybrid.out"
echo "install test: OK"
