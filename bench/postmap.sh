#!/bin/sh
# bench/postmap.sh - postmap build and lookup speed, postkit vs Postfix vs bare GDBM.
#
# usage: bench/postmap.sh [POSTKIT_POSTMAP] [ENTRIES]
#
# Then one row per table type, postkit's and Postfix's postmap -q - on the same
# table in the same run: pcre: and sqlite: on ENTRIES keys, and lmdb:, pgsql:,
# mysql:, ldap:, memcache: and memcache-set (misses stored from a backup) on
# SERVER_ENTRIES (default 10,000) records and keys,
# the servers started by bench/postmap_servers.py with the integration tests'
# helpers (a backend whose server cannot start here is listed as skipped).
#
# Builds an ENTRIES-entry (default 100,000) hash: table and runs ENTRIES
# lookups (about half of them hits) from stdin with postkit's postmap and,
# when /usr/sbin/postmap is Postfix, with Postfix's (hash: on Berkeley DB).
# It also compiles a small C program that stores the same records with a bare
# loop of gdbm_store() calls into a fresh file, twice: with GDBM's default
# open flags (mmap) and with the flags postkit's writer uses (no mmap, 1000
# cached buckets).  Each measurement is the best of RUNS (default 3) wall
# clock times.  Prints the times and the ratios.  Writes only in a temporary
# directory, which it removes.
#
# Then one `postmap -q KEY hash:FILE` as a whole process, the everyday
# command (issue #18's goal: postkit <= 1.20x a bare GDBM lookup program),
# side by side with Postfix's and with a small C program that opens the same
# .db with gdbm_open() and fetches the one key: mean wall-clock and CPU
# (user + system) milliseconds over LOOKUP_RUNS (default 200) runs
# (PF_LOOKUP_RUNS, default 20, for Postfix's); postkit's and the bare
# program's runs take turns, so that the machine's load falls on both alike.
# With BEFORE=PATH (another
# postkit postmap, say one built from main), that one is timed in the same run
# too, on the same table, for before/after rows.

postkit=${1:-}
n=${2:-100000}
runs=${RUNS:-3}
if [ -z "$postkit" ]; then
	for p in "${top_builddir:-.}/tools/postmap/postmap" ./tools/postmap/postmap; do
		[ -x "$p" ] && postkit=$p && break
	done
fi
if [ -z "$postkit" ] || [ ! -x "$postkit" ]; then
	echo "bench/postmap.sh: postkit's postmap not found; pass its path" >&2
	exit 2
fi
case $postkit in /*) ;; *) postkit=$(pwd)/$postkit ;; esac
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-postmap.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 2' HUP INT TERM
cd "$work" || exit 2
: >main.cf

awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
	printf "key%07d.example.com value-%d smtp:[relay%d.example.net]\n", i, i, i % 97 }' >src
awk -v n="$n" 'BEGIN { srand(1); for (i = 0; i < n; i++)
	printf "key%07d.example.com\n", int(rand() * 2 * n) }' >keys

# now_ms - a millisecond clock
now_ms() {
	date +%s%N | cut -c1-13
}

# best - run "$@" $runs times (stdin from $in, stdout to $outf); print the best time in ms.
# With $fresh set, the tables are removed before each run (builds start from nothing).
best() {
	b=
	i=0
	while [ $i -lt "$runs" ]; do
		[ -n "$fresh" ] && rm -f src.db srcb.db
		t0=$(now_ms)
		"$@" <"$in" >"$outf" || return 1
		t1=$(now_ms)
		t=$((t1 - t0))
		if [ -z "$b" ] || [ $t -lt "$b" ]; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}

# ratio - a/b with two decimals
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

# per_sec - lookups per second for n lookups in ms milliseconds
per_sec() {
	awk -v n="$n" -v ms="$1" 'BEGIN { if (ms > 0) printf "%d", n * 1000 / ms; else print "n/a" }'
}

in=/dev/null
outf=/dev/null
fresh=1
pk_build=$(best "$postkit" -c "$work" src) || { echo "postkit build failed" >&2; exit 1; }
fresh=
"$postkit" -c "$work" src
in=keys
outf=pk.out
pk_query=$(best "$postkit" -c "$work" -q - src) || true
in=/dev/null
outf=/dev/null

pf_build= pf_query=
if [ -x /usr/sbin/postmap ] && /usr/sbin/postconf -c "$work" -h mail_version 2>/dev/null | grep -q '^3\.'; then
	cp src srcb
	fresh=1
	pf_build=$(best /usr/sbin/postmap -c "$work" srcb)
	fresh=
	/usr/sbin/postmap -c "$work" srcb
	in=keys
	outf=pf.out
	pf_query=$(best /usr/sbin/postmap -c "$work" -q - srcb) || true
	in=/dev/null
	outf=/dev/null
	if ! cmp -s pk.out pf.out; then
		echo "warning: postkit and Postfix lookups gave different answers" >&2
	fi
fi

# The bare GDBM loop: times only open + gdbm_store() of every record + close.
cat >bare.c <<'EOF'
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	FILE *f = fopen(argv[1], "r");
	char line[4096], **k, **v;
	size_t n = 0, cap = 1024;
	int flags = GDBM_NEWDB | GDBM_NOLOCK, tuned = argc > 3, cache = 1000;
	struct timespec a, b;
	GDBM_FILE db;

	k = malloc(cap * sizeof(*k));
	v = malloc(cap * sizeof(*v));
	while (f && fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');
		line[strcspn(line, "\n")] = 0;
		*sp = 0;
		if (n == cap) {
			cap *= 2;
			k = realloc(k, cap * sizeof(*k));
			v = realloc(v, cap * sizeof(*v));
		}
		k[n] = strdup(line);
		v[n++] = strdup(sp + 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (tuned)
		flags |= GDBM_NOMMAP;
	if ((db = gdbm_open(argv[2], 0, flags, 0644, NULL)) == NULL)
		return 1;
	if (tuned)
		gdbm_setopt(db, GDBM_SETCACHESIZE, &cache, sizeof(cache));
	for (size_t i = 0; i < n; i++) {
		datum dk = {k[i], (int)strlen(k[i]) + 1}, dv = {v[i], (int)strlen(v[i]) + 1};
		if (gdbm_store(db, dk, dv, GDBM_INSERT) != 0)
			return 1;
	}
	gdbm_close(db);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%ld\n", (long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
	return 0;
}
EOF
bare_default= bare_tuned=
if ${CC:-cc} -O2 -o bare bare.c -lgdbm 2>/dev/null; then
	for mode in default tuned; do
		b=
		i=0
		while [ $i -lt "$runs" ]; do
			rm -f bare.db
			if [ $mode = tuned ]; then t=$(./bare src bare.db tuned); else t=$(./bare src bare.db); fi
			if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
			i=$((i + 1))
		done
		eval "bare_$mode=\$b"
	done
else
	echo "note: cannot compile the bare GDBM loop (needs cc and libgdbm-dev)" >&2
fi

# One row per other table type that needs no server: the same keys through
# postkit's and (when it has the plug-in) Postfix's postmap -q -.
rows=
in=keys
awk 'BEGIN { for (i = 0; i < 100; i++) printf "/^key%05d[0-9]*\\.example\\.com$/ value-%d\n", i, i }' >rules.pcre
echo "dbpath = $work/src.sqlite" >sqlite.cf
echo "query = SELECT v FROM t WHERE k='%s'" >>sqlite.cf
if command -v sqlite3 >/dev/null; then
	{ echo "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT); BEGIN;"
	  awk '{ printf "INSERT INTO t VALUES (\x27%s\x27, \x27%s %s\x27);\n", $1, $2, $3 }' src
	  echo "COMMIT;"; } | sqlite3 src.sqlite
fi
for spec in "pcre:$work/rules.pcre" "sqlite:$work/sqlite.cf"; do
	type=${spec%%:*}
	[ "$type" = sqlite ] && [ ! -f src.sqlite ] && continue
	outf=pk.$type
	pk_t=$(best "$postkit" -c "$work" -q - "$spec") || pk_t=
	pf_t=
	if [ -n "$pf_query" ] && /usr/sbin/postconf -c "$work" -m 2>/dev/null | grep -qx "$type"; then
		outf=pf.$type
		pf_t=$(best /usr/sbin/postmap -c "$work" -q - "$spec") || pf_t=
		cmp -s "pk.$type" "pf.$type" || echo "warning: $type: postkit and Postfix answers differ" >&2
	fi
	rows="$rows$type $pk_t $pf_t
"
done
in=/dev/null
outf=/dev/null

# The backends with a server (and lmdb:), from the Python helper: "TYPE PROGRAM MS" lines.
srv_n=${SERVER_ENTRIES:-10000}
[ "$srv_n" -gt "$n" ] && srv_n=$n
: >servers.out
if command -v python3 >/dev/null && [ -f "$here/postmap_servers.py" ]; then
	python3 "$here/postmap_servers.py" "$postkit" "$work" "$srv_n" "$runs" >servers.out ||
		echo "note: bench/postmap_servers.py failed" >&2
fi

# One lookup per process: postkit, Postfix and a bare GDBM lookup program
# (open the .db read-only, fetch the key with its NUL as postmap stores it,
# else without, print the value, close).
cat >lookup.c <<'EOF'
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	GDBM_FILE db = gdbm_open(argv[1], 0, GDBM_READER | GDBM_NOLOCK, 0, NULL);
	datum k = {argv[2], (int)strlen(argv[2]) + 1}, v;

	if (db == NULL)
		return 2;
	v = gdbm_fetch(db, k);
	if (v.dptr == NULL) {
		k.dsize--;
		v = gdbm_fetch(db, k);
	}
	if (v.dptr == NULL)
		return 1;
	printf("%.*s\n", (int)strnlen(v.dptr, (size_t)v.dsize), v.dptr);
	free(v.dptr);
	gdbm_close(db);
	return 0;
}
EOF
one_key=key0000001.example.com
one_rows=
if command -v python3 >/dev/null 2>&1 && . "$here/lib.sh"; then
	probe=$work
	runs_saved=$runs
	runs=${LOOKUP_RUNS:-200}
	# the Postfix build above removed src.db (best() with $fresh)
	[ -f src.db ] || "$postkit" -c "$work" src
	# postkit, the bare program (and BEFORE) take turns, run by run (interleaved_ms)
	pk_cmd="$postkit -c $work -q $one_key hash:$work/src"
	before_cmd=
	[ -n "${BEFORE:-}" ] && [ -x "$BEFORE" ] && before_cmd="$BEFORE -c $work -q $one_key hash:$work/src"
	bare_one="- -"
	before_one=
	if ${CC:-cc} -O2 -o lookup lookup.c -lgdbm 2>/dev/null; then
		pk_v=$("$postkit" -c "$work" -q "$one_key" "hash:$work/src")
		[ -n "$pk_v" ] && [ "$(./lookup "$work/src.db" "$one_key")" = "$pk_v" ] ||
			echo "warning: the bare GDBM lookup and postkit's postmap -q differ" >&2
		set -- $(interleaved_ms "$pk_cmd" "$work/lookup $work/src.db $one_key" ${before_cmd:+"$before_cmd"})
		pk_one="$1 $2" bare_one="$3 $4"
		[ -n "$before_cmd" ] && before_one="$5 $6"
	else
		set -- $(interleaved_ms "$pk_cmd" ${before_cmd:+"$before_cmd"})
		pk_one="$1 $2"
		[ -n "$before_cmd" ] && before_one="$3 $4"
	fi
	pf_one="- -"
	# Postfix's postmap waits about a second per run here (wall), so it gets fewer runs
	runs=${PF_LOOKUP_RUNS:-20}
	[ -n "$pf_query" ] && pf_one=$(measure /usr/sbin/postmap -c "$work" -q "$one_key" "hash:$work/srcb")
	runs=$runs_saved
	one_rows="postkit $pk_one
bare-gdbm $bare_one
Postfix $pf_one
"
	[ -n "$before_one" ] && one_before="postkit-before $before_one
"
fi

echo "postmap benchmark: $n entries, $n lookups (best of $runs)"
printf '%-44s %8s ms\n' "postkit build (hash: on GDBM)" "$pk_build"
[ -n "$bare_default" ] && printf '%-44s %8s ms\n' "bare gdbm_store loop, GDBM defaults (mmap)" "$bare_default"
[ -n "$bare_tuned" ] && printf '%-44s %8s ms\n' "bare gdbm_store loop, postkit's GDBM flags" "$bare_tuned"
[ -n "$pf_build" ] && printf '%-44s %8s ms\n' "Postfix build (hash: on Berkeley DB)" "$pf_build"
printf '%-44s %8s ms  (%s lookups/s)\n' "postkit lookups (postmap -q -)" "$pk_query" "$(per_sec "$pk_query")"
[ -n "$pf_query" ] && printf '%-44s %8s ms  (%s lookups/s)\n' "Postfix lookups (postmap -q -)" "$pf_query" "$(per_sec "$pf_query")"
printf '%s' "$rows" | while read -r type pk_t pf_t; do
	[ -n "$pk_t" ] && printf '%-44s %8s ms  (%s lookups/s)\n' "postkit $type: lookups (postmap -q -)" "$pk_t" "$(per_sec "$pk_t")"
	[ -n "$pf_t" ] && printf '%-44s %8s ms  (%s lookups/s)\n' "Postfix $type: lookups (postmap -q -)" "$pf_t" "$(per_sec "$pf_t")"
done
while read -r type prog t; do
	case $type in
	skip) printf '%-44s %s\n' "$prog: lookups" "skipped: $t" ;;
	*) [ -n "$t" ] && printf '%-44s %8s ms  (%s lookups/s)\n' "$prog $type: lookups ($srv_n keys)" "$t" \
		"$(awk -v n="$srv_n" -v ms="$t" 'BEGIN { if (ms > 0) printf "%d", n * 1000 / ms; else print "n/a" }')" ;;
	esac
done <servers.out
if [ -n "$one_rows" ]; then
	printf '%-44s %8s %8s   (mean ms of %s runs)\n' "one lookup: postmap -q KEY hash:FILE" wall cpu "${LOOKUP_RUNS:-200}"
	printf '%s%s' "$one_rows" "${one_before:-}" | while read -r who wall cpu; do
		printf '%-44s %8s %8s\n' "  $who" "$wall" "$cpu"
	done
fi
echo "ratios (below 1.00: postkit is faster):"
[ -n "$bare_tuned" ] && echo "  build, postkit / bare GDBM loop (same flags): $(ratio "$pk_build" "$bare_tuned")   goal <= 1.20"
[ -n "$bare_default" ] && echo "  build, postkit / bare GDBM loop (defaults):   $(ratio "$pk_build" "$bare_default")"
[ -n "$pf_build" ] && echo "  build, postkit / Postfix:                     $(ratio "$pk_build" "$pf_build")"
[ -n "$pf_query" ] && echo "  lookups, postkit time / Postfix time:         $(ratio "$pk_query" "$pf_query")   goal <= 1.00"
if [ -n "$one_rows" ]; then
	set -- $one_rows
	echo "  one lookup, postkit / bare GDBM program (cpu):  $(ratio "$3" "$6")   goal <= 1.20"
	echo "  one lookup, postkit / bare GDBM program (wall): $(ratio "$2" "$5")"
	[ "$9" != "-" ] && echo "  one lookup, postkit / Postfix (cpu):            $(ratio "$3" "$9")"
	if [ -n "${one_before:-}" ]; then
		bare_cpu=$6
		set -- $one_before
		echo "  one lookup, postkit-before / bare GDBM (cpu):   $(ratio "$3" "$bare_cpu")"
	fi
fi
exit 0
