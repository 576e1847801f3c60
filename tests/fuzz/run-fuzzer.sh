#!/bin/sh
# run-fuzzer.sh - run the libFuzzer target for a while (default 60 s).
# Needs a build configured with: CC=clang ./configure --enable-fuzz
# Usage (from the build directory): tests/fuzz/run-fuzzer.sh [SECONDS [JOBS]]
# New interesting inputs go to a scratch corpus (never into the source tree);
# a crash leaves crash-* / leak-* files in the current directory.
set -e
secs=${1:-60}
jobs=${2:-1}
here=$(cd "$(dirname "$0")" && pwd)
src=${top_srcdir:-$here/../..}
bin=${FUZZER:-./tests/fuzz/fuzz_config}
if [ ! -x "$bin" ]; then
	echo "run-fuzzer.sh: $bin not built (configure with CC=clang --enable-fuzz)" >&2
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src"/tests/fuzz/corpus/* "$work"/
"$bin" -max_total_time="$secs" -jobs="$jobs" -workers="$jobs" -max_len=4096 \
	-print_final_stats=1 "$work"
