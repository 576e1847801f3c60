#!/bin/sh
# startup-libs.sh - the everyday commands start without loading the table client libraries,
# ICU or OpenSSL (issue #18: the dynamic loader took most of the time of `postconf NAME` and
# `postmap -q`).  libcfg loads those when a table of their type is opened (cfg/base/dlib.h)
# and postconf -T loads libcrypto itself; a program that links one of them again fails here.
# Reads the DT_NEEDED entries of the built programs with objdump (skips without it).
# Also: the parameter registry costs the dynamic loader nothing.  Its strings are offsets
# into one read-only pool (libcfg/schema/registry.c); as a table of pointers they needed
# some 2,000 relative relocations, fifteen pages the loader wrote at every start.  So each
# program may have at most RELOCS_LIMIT relative relocations (readelf's RELACOUNT; not
# checked in a sanitizer build).
build=${top_builddir:-.}
command -v objdump >/dev/null 2>&1 || { echo "SKIP: no objdump"; exit 77; }
limit=${RELOCS_LIMIT:-1600}
lazy='libpq|libmariadb|libmysqlclient|libldap|liblber|libsqlite3|liblmdb|libpcre2|libicu|libssl|libcrypto'
fail=0
for prog in tools/postconf/postconf tools/postmap/postmap tools/postalias/postalias; do
	if [ ! -x "$build/$prog" ]; then
		echo "FAIL: $prog not built"
		fail=1
		continue
	fi
	needed=$(objdump -p "$build/$prog" | awk '$1 == "NEEDED" { print $2 }')
	bad=$(printf '%s\n' "$needed" | grep -E "^($lazy)" | tr '\n' ' ')
	if [ -n "$bad" ]; then
		echo "FAIL: $prog links $bad(got, want none of them at start)"
		fail=1
	else
		echo "PASS: $prog links only" $needed
	fi
	# sanitizer builds describe every global to the runtime: thousands of relocations
	command -v readelf >/dev/null 2>&1 || continue
	printf '%s\n' "$needed" | grep -q '^libasan' && continue
	n=$(readelf -d "$build/$prog" | awk '/RELACOUNT/ { print $3 }')
	if [ "${n:-0}" -gt "$limit" ]; then
		echo "FAIL: $prog has $n relative relocations (want at most $limit)"
		fail=1
	else
		echo "PASS: $prog has ${n:-0} relative relocations"
	fi
done
exit $fail
