#!/bin/sh
# startup-relocs.sh - the parameter registry costs the dynamic loader nothing (issue #18).
# Its strings are offsets into one read-only pool (libcfg/schema/registry.c): a table of
# pointers needed some 2,000 relative relocations, fifteen pages the loader wrote at every
# start of postconf, postmap and postalias.  Fails when one of them has more than LIMIT
# relative relocations again (RELACOUNT of its dynamic section; skips without readelf).
build=${top_builddir:-.}
limit=${STARTUP_RELOCS_LIMIT:-1600}
command -v readelf >/dev/null 2>&1 || { echo "SKIP: no readelf"; exit 77; }
fail=0
for prog in tools/postconf/postconf tools/postmap/postmap tools/postalias/postalias; do
	if [ ! -x "$build/$prog" ]; then
		echo "FAIL: $prog not built"
		fail=1
		continue
	fi
	n=$(readelf -d "$build/$prog" | awk '/RELACOUNT/ { print $3 }')
	n=${n:-0}
	if [ "$n" -gt "$limit" ]; then
		echo "FAIL: $prog has $n relative relocations (want at most $limit)"
		fail=1
	else
		echo "PASS: $prog has $n relative relocations"
	fi
done
exit $fail
