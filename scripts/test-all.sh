#!/bin/sh
# test-all.sh - build postkit out of tree and run the whole test suite.
#   scripts/test-all.sh               plain build: make check
#   scripts/test-all.sh --sanitizers  ASan+UBSan build: make check
#   scripts/test-all.sh --distcheck   plain build: make check, then make distcheck
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] || ./autogen.sh
if [ "${1:-}" = "--sanitizers" ]; then
	build="$top/build-asan"
	flags="--enable-sanitizers --enable-werror"
else
	build="$top/build"
	flags="--enable-werror"
fi
mkdir -p "$build"
cd "$build"
"$top/configure" $flags
make -j"$(nproc)"
status=0
make -j"$(nproc)" check || status=$?
if [ -f test-suite.log ]; then
	[ $status -eq 0 ] || cat test-suite.log
	pass=$(sed -n 's/^# PASS: *//p' test-suite.log)
	fail=$(sed -n 's/^# FAIL: *//p' test-suite.log)
	err=$(sed -n 's/^# ERROR: *//p' test-suite.log)
	skip=$(sed -n 's/^# SKIP: *//p' test-suite.log)
	echo "check: ${pass:-0} passed, $(( ${fail:-0} + ${err:-0} )) failed, ${skip:-0} skipped"
fi
[ $status -eq 0 ] || exit $status
if [ "${1:-}" = "--distcheck" ]; then
	make -j"$(nproc)" distcheck
fi
