#!/bin/sh
# bench/postconf.sh - time postkit's postconf side by side with Postfix's.
#
# usage: bench/postconf.sh [--quick] [--builddir DIR] [--postfix PATH]
#
# Rows: `postconf -d`, `postconf -n` and a single `postconf NAME` on a
# realistic main.cf (a standalone server's settings, Debian's master.cf;
# issue #18's goal for these three: postkit <= 0.5x Postfix's time, i.e. a
# ratio >= 2.00), and `postconf -n` on generated
# main.cf files of 10,000 and 100,000 parameters that reference each other
# (p0 references p1 and p2, p1 references p3 and p4, ..., and mydestination
# references p0, so every one is used and -n has to scan them all).
# Each row checks first that both programs print the same thing, then times
# them with hyperfine when it is installed (else a loop over `date +%s%N`)
# and prints mean wall-clock and CPU (user + system) times and the ratios
# Postfix/postkit (> 1: postkit faster).  On a busy or virtualised machine
# the wall-clock numbers are noisy; the CPU column is the steadier one.
# Postfix's postconf is used when it exists and says mail_version 3.7.x;
# otherwise only postkit is timed.  --quick runs fewer iterations.

LC_ALL=C
export LC_ALL
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init postconf.sh "$@"

printf '%-34s %10s %10s %6s   %10s %10s %6s\n' "case (mean ms)" "Postfix" "postkit" "ratio" \
	"Postfix" "postkit" "ratio"
printf '%-34s %10s %10s %6s   %10s %10s %6s\n' "" "wall" "wall" "" "cpu" "cpu" ""
row() { # label dir args...
	label=$1
	dir=$2
	shift 2
	if [ $have_postfix = 1 ]; then
		"$postfix" -c "$dir" "$@" 2>/dev/null | grep -v '^process_id = ' >"$probe/a"
		"$ours" -c "$dir" "$@" 2>/dev/null | grep -v '^process_id = ' >"$probe/b"
		cmp -s "$probe/a" "$probe/b" || label="$label (OUTPUT DIFFERS)"
		set -- $(measure "$postfix" -c "$dir" "$@") "$@"
		pf_wall=$1 pf_cpu=$2
		shift 2
	else
		pf_wall=- pf_cpu=-
	fi
	set -- $(measure "$ours" -c "$dir" "$@")
	printf '%-34s %10s %10s %6s   %10s %10s %6s\n' "$label" "$pf_wall" "$1" "$(ratio "$pf_wall" "$1")" \
		"$pf_cpu" "$2" "$(ratio "$pf_cpu" "$2")"
}

setup "$probe/empty" empty
setup "$probe/real" realistic
setup "$probe/g10k" 10000
setup "$probe/g100k" 100000
row "postconf -d" "$probe/empty" -d
row "postconf -n (realistic main.cf)" "$probe/real" -n
row "postconf NAME (mydestination)" "$probe/real" mydestination
row "postconf -n (10,000 parameters)" "$probe/g10k" -n
row "postconf -n (100,000 parameters)" "$probe/g100k" -n

# Peak memory (maximum resident set size, GNU time's %M) of `postconf -n` on a
# main.cf of 1,000,000 settings nothing uses (so each draws an "unused
# parameter" warning too); skipped with --quick or without /usr/bin/time.
memrow() { # label dir
	if [ "$runs" -le 3 ] || [ ! -x /usr/bin/time ]; then
		return
	fi
	pf_kb=-
	if [ $have_postfix = 1 ]; then
		pf_kb=$(/usr/bin/time -f %M "$postfix" -c "$2" -n 2>&1 >/dev/null | tail -n 1)
	fi
	pk_kb=$(/usr/bin/time -f %M "$ours" -c "$2" -n 2>&1 >/dev/null | tail -n 1)
	printf '%-34s %10s %10s %6s   (peak KB; ratio > 1: postkit smaller)\n' "$1" "$pf_kb" "$pk_kb" \
		"$(ratio "$pf_kb" "$pk_kb")"
}

mkdir -p "$probe/unused1m"
awk 'BEGIN { print "compatibility_level = 3.6"
	for (i = 0; i < 1000000; i++) printf "custom_param_%d = value number %d for testing\n", i, i }' \
	>"$probe/unused1m/main.cf"
master >"$probe/unused1m/master.cf"
touch -d '1 minute ago' "$probe/unused1m/main.cf" "$probe/unused1m/master.cf"
memrow "memory, -n, 1,000,000 unused lines" "$probe/unused1m"
