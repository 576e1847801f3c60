#!/bin/sh
# man.sh - the manual pages: `make install-man` into a temporary DESTDIR puts
# every page under $(mandir), each renders with groff without a warning,
# `man -M` finds the commands' pages there (mailq and newaliases through
# their .so links), and postkit-params(5) names every parameter of
# schemas/params.def.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
command -v groff >/dev/null 2>&1 || { echo "SKIP: groff is not installed"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/postkit-man.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

if ! make -s -C "$top_builddir" install-man DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	echo "FAIL: make install-man"
	exit 1
fi
# $(mandir) is the directory that holds man1 after the install
man=$(find "$tmp/root" -type d -name man1 | head -n 1)
man=${man%/man1}
mandir=${man#"$tmp/root"}
[ -n "$man" ] || { echo "FAIL: make install-man installed no man1 directory"; exit 1; }

for page in man1/postconf.1 man1/postfix.1 man1/postmap.1 man1/postalias.1 \
	man1/sendmail.1 man1/mailq.1 man1/newaliases.1 man1/postqueue.1 \
	man1/postsuper.1 man1/postcat.1 man1/postdrop.1 man5/postkit-params.5 \
	man5/postkit-export.5 man8/postkit-daemon.8; do
	if [ ! -f "$man/$page" ]; then
		echo "FAIL: $page is not installed in $mandir"
		fail=1
		continue
	fi
	# -ww: every warning; .so links are resolved from the top of the tree
	(cd "$man" && groff -s -man -Tutf8 -ww -z "$page") >"$tmp/warn" 2>&1 ||
		{ echo "FAIL: groff failed on $page"; fail=1; }
	if [ -s "$tmp/warn" ]; then
		echo "FAIL: groff warns about $page:"
		cat "$tmp/warn"
		fail=1
	fi
	if command -v man >/dev/null 2>&1; then
		(cd "$man" && MANWIDTH=80 man --warnings -l "$page") >"$tmp/out" 2>"$tmp/warn"
		if [ -s "$tmp/warn" ] || [ ! -s "$tmp/out" ]; then
			echo "FAIL: man -l $page:"
			cat "$tmp/warn"
			fail=1
		fi
	fi
done

# man -M finds a command's page, and mailq's page is sendmail's
if command -v man >/dev/null 2>&1; then
	for want in 'postconf:POSTCONF(1)' 'mailq:SENDMAIL(1)'; do
		name=${want%%:*}
		MANWIDTH=80 man -M "$man" -P cat "$name" >"$tmp/out" 2>&1
		grep -q -- "${want#*:}" "$tmp/out" ||
			{ echo "FAIL: man -M $mandir $name:"; cat "$tmp/out"; fail=1; }
	done
fi

# postkit-params(5) has one entry (".B name") per parameter of params.def
sed -n 's/^PARAM("\([^"]*\)".*/\1/p' "$top_srcdir/schemas/params.def" | sort >"$tmp/want"
sed -n 's/^\.B \(.*\)$/\1/p' "$man/man5/postkit-params.5" | sed 's/\\-/-/g' | sort -u >"$tmp/got"
if [ ! -s "$tmp/want" ]; then
	echo "FAIL: no PARAM rows read from params.def"
	fail=1
fi
missing=$(comm -23 "$tmp/want" "$tmp/got")
if [ -n "$missing" ]; then
	echo "FAIL: postkit-params(5) leaves out:"
	echo "$missing"
	fail=1
fi
echo "$(wc -l <"$tmp/want") parameters checked in postkit-params(5)"
exit $fail
