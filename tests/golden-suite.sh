#!/bin/sh
# tests/golden-suite.sh - run one golden suite of tests/data/ for `make check`.
#
# usage: tests/golden-suite.sh SUITE
#
# Called by the per-suite wrappers listed in tests/golden.am (tests/golden-SUITE.sh), so that
# automake's test driver shows one result per suite. Cases come from $top_srcdir, programs
# from $top_builddir (both set by AM_TESTS_ENVIRONMENT), which keeps VPATH builds and
# `make distcheck` working. The suite is skipped (exit 77) when it has no directory yet or
# when a program named in the suite's optional `requires` file (one path relative to the
# build tree per line, e.g. tools/postconf/postconf) has not been built: otherwise the cases
# would silently run the system's Postfix found later in PATH.

suite=${1:?usage: golden-suite.sh SUITE}
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
dir=$srcdir/tests/data/$suite

if [ ! -d "$dir" ]; then
	echo "SKIP: suite $suite: no directory $dir"
	exit 77
fi
if [ -f "$dir/requires" ]; then
	while read -r prog; do
		case $prog in "" | "#"*) continue ;; esac
		if [ ! -x "$builddir/$prog" ]; then
			echo "SKIP: suite $suite: $prog is not built"
			exit 77
		fi
	done <"$dir/requires"
fi
exec "$srcdir/tests/golden.sh" --builddir "$builddir" "$dir"
