#!/bin/sh
# startup-libs.sh - the everyday commands start without loading the table client libraries,
# ICU or OpenSSL (issue #18: the dynamic loader took most of the time of `postconf NAME` and
# `postmap -q`).  libcfg loads those when a table of their type is opened (cfg/base/dlib.h)
# and postconf -T loads libcrypto itself; a program that links one of them again fails here.
# Reads the DT_NEEDED entries of the built programs with objdump (skips without it).
build=${top_builddir:-.}
command -v objdump >/dev/null 2>&1 || { echo "SKIP: no objdump"; exit 77; }
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
done
exit $fail
