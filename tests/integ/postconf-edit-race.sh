#!/bin/sh
# postconf-edit-race.sh - concurrent editors never lose an edit or leave a broken main.cf.
#
# Three writers run at once on one main.cf, each changing its own parameter
# ROUNDS times: two `postconf -e` loops and one `postconf --shell` loop
# ("set" + "write").  After each of its own edits a writer checks that its
# value is in the file exactly once (an edit lost to a racing
# read-modify-write would show up at once), and that the file still parses.
# At the end every writer's last value must be there, nothing else may have
# changed, and no temporary file may be left behind.

builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
postconf=$builddir/tools/postconf/postconf
ROUNDS=${RACE_ROUNDS:-25}

if [ ! -x "$postconf" ]; then
	echo "SKIP: $postconf is not built"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/race.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 99' HUP INT TERM
printf '# race test\nmyhostname = mx.example.com\nkeep_me = untouched\n' >"$work/main.cf"
: >"$work/master.cf"
HOME=$work
export HOME

# writer NAME HOW - ROUNDS edits of NAME; HOW is "e" (postconf -e) or "shell"
writer() {
	i=1
	while [ $i -le $ROUNDS ]; do
		if [ "$2" = shell ]; then
			printf 'set %s %s\nwrite\n' "$1" "$i" |
				"$postconf" -c "$work" --shell >/dev/null 2>"$work/err.shell" || {
				cat "$work/err.shell"
				echo "FAIL: shell write $1=$i"
				return 1
			}
		else
			"$postconf" -c "$work" -e "$1=$i" || {
				echo "FAIL: postconf -e $1=$i"
				return 1
			}
		fi
		n=$(grep -c "^$1 = $i\$" "$work/main.cf")
		if [ "$n" != 1 ]; then
			echo "FAIL: after writing $1 = $i the file has it $n times:"
			cat "$work/main.cf"
			return 1
		fi
		if ! "$postconf" -c "$work" -n >/dev/null 2>"$work/err.$1"; then
			echo "FAIL: main.cf does not parse after $1 = $i:"
			cat "$work/err.$1" "$work/main.cf"
			return 1
		fi
		i=$((i + 1))
	done
	return 0
}

status=0
writer alpha e >"$work/out.alpha" 2>&1 &
p1=$!
writer beta e >"$work/out.beta" 2>&1 &
p2=$!
writer gamma shell >"$work/out.gamma" 2>&1 &
p3=$!
# bounded: a stuck lock must not hang make check
(sleep 300 && kill $p1 $p2 $p3 2>/dev/null) &
guard=$!
wait $p1 || status=1
wait $p2 || status=1
wait $p3 || status=1
kill $guard 2>/dev/null
wait $guard 2>/dev/null
cat "$work/out.alpha" "$work/out.beta" "$work/out.gamma"

for name in alpha beta gamma; do
	if [ "$(grep -c "^$name = $ROUNDS\$" "$work/main.cf")" != 1 ]; then
		echo "FAIL: final $name = $ROUNDS missing"
		status=1
	fi
done
if [ "$(grep -c . "$work/main.cf")" != 6 ] || ! grep -q '^keep_me = untouched$' "$work/main.cf"; then
	echo "FAIL: unexpected final main.cf:"
	cat "$work/main.cf"
	status=1
fi
leftover=$(ls "$work" | grep -v -e '^main\.cf$' -e '^master\.cf$' -e '^out\.' -e '^err\.' \
	-e '^\.postkit_history$')
if [ -n "$leftover" ]; then
	echo "FAIL: files left behind: $leftover"
	status=1
fi
[ $status = 0 ] && echo "PASS: 3 writers x $ROUNDS edits, nothing lost"
exit $status
