#!/bin/sh
# tests/oracle-regen.sh - regenerate golden expected files from the real Postfix 3.7.
#
# usage: tests/oracle-regen.sh [--check] [SUITE_DIR|CASE_DIR...]
#
# Runs the cases exactly as tests/golden.sh does, but with PATH=/usr/sbin:/usr/bin:/bin so
# that `postconf`, `postmap`, ... are Postfix's own programs, and rewrites out, err, status and
# after/ from what they really print. Cases holding a file `postkit-only` are skipped: their
# expected output is postkit's own behaviour. With --check nothing is rewritten: the corpus is
# only compared with the oracle. Without arguments every suite under tests/data is used.
# Refuses to run unless /usr/sbin/postconf is Postfix 3.7.

here=$(cd "$(dirname "$0")" && pwd)
mode=--update
if [ "${1:-}" = --check ]; then
	mode=
	shift
fi

if [ ! -x /usr/sbin/postconf ]; then
	echo "oracle-regen.sh: /usr/sbin/postconf not found: this needs Postfix 3.7 installed" >&2
	exit 1
fi
probe=$(mktemp -d "${TMPDIR:-/tmp}/oracle.XXXXXX") || exit 1
: >"$probe/main.cf"
version=$(/usr/sbin/postconf -c "$probe" -dh mail_version 2>/dev/null)
rm -rf "$probe"
case $version in
3.7.*) ;;
*)
	echo "oracle-regen.sh: /usr/sbin/postconf is not Postfix 3.7 (mail_version \"$version\")" >&2
	exit 1
	;;
esac

if [ $# -eq 0 ]; then
	for d in "$here"/data/*/; do
		set -- "$@" "${d%/}"
	done
fi

GOLDEN_ORACLE=1
export GOLDEN_ORACLE
exec "$here/golden.sh" --oracle $mode "$@"
