#!/bin/sh
# demo.sh - the README's "main job": build postkit, then run postconf on the
# bundled example configuration.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] || ./autogen.sh
mkdir -p build && cd build
[ -f Makefile ] || "$top/configure"
make -j"$(nproc)" >/dev/null
echo "== postconf -n (examples/main.cf)"
tools/postconf/postconf -c "$top/examples" -n
echo "== postconf -d | head (built-in defaults)"
tools/postconf/postconf -c "$top/examples" -d | head -n 20
