#!/bin/sh
# bench/export.sh - time postconf --export and --import on a 10,000-parameter configuration.
#
# usage: bench/export.sh [--quick] [--builddir DIR] [--postfix PATH] [--params N]
#
# The configuration is bench/lib.sh's generated main.cf (N parameters that reference each
# other, so every one is in use) with Debian's master.cf.  Rows:
#   export json / export yaml        postconf --export of the whole configuration
#   import json / yaml (empty dir)   the export applied to a directory without main.cf
#                                    and master.cf: every setting and service is written
#   import json (no change)          the export applied to the configuration it came from:
#                                    everything is read, checked and compared, nothing written
#   import --dry-run (one change)    the same with one value changed, printing the diff
# Postfix has no export or import; the nearest things it does are printed beside them as
# a reference: `postconf -n` (it reads and prints the same settings) and `postconf -e` with
# all N settings as arguments into an empty main.cf (it writes the same settings).  Each
# round is checked first: the import must give the same postconf -n as the original.
# Times are means in milliseconds (hyperfine when installed, else a loop; CPU = user +
# system, "-" without hyperfine).

LC_ALL=C
export LC_ALL
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init export.sh "$@"

# measure_prep PREPARE PROG ARGS... - like measure, running PREPARE (no shell) before each run
measure_prep() {
	prep=$1
	shift
	if command -v hyperfine >/dev/null 2>&1; then
		json=$probe/hf.json
		cmd=$(printf '%s ' "$@")
		hyperfine -N --style none --warmup 1 --runs "$runs" --prepare "$prep" \
			--export-json "$json" "$cmd" >/dev/null 2>&1 || { echo "? ?"; return; }
		awk -F: '
			/"mean"/ && !m { gsub(/[ ,]/, "", $2); m = $2 }
			/"user"/ && !u { gsub(/[ ,]/, "", $2); u = $2 }
			/"system"/ && !s { gsub(/[ ,]/, "", $2); s = $2 }
			END { printf "%.1f %.1f", m * 1000, (u + s) * 1000 }' "$json"
	else
		total=0 i=0
		while [ $i -lt "$runs" ]; do
			$prep
			start=$(now_ns)
			"$@" >/dev/null 2>&1
			end=$(now_ns)
			total=$((total + end - start))
			i=$((i + 1))
		done
		echo $((total / runs / 1000)) | awk '{ printf "%.1f -", $1 / 1000 }'
	fi
}

line() { # label ours_wall ours_cpu ref_label ref_wall ref_cpu
	printf '%-34s %9s %9s   %-30s %9s %9s\n' "$@"
}

setup "$probe/cfg" "$params"
mkdir -p "$probe/new"
"$ours" -c "$probe/cfg" --export=json >"$probe/doc.json" || exit 1
"$ours" -c "$probe/cfg" --export=yaml >"$probe/doc.yaml" || exit 1
sed 's/"item0 /"changed0 /' "$probe/doc.json" >"$probe/doc1.json"
n_main=$(grep -c ' = ' "$probe/cfg/main.cf")
echo "configuration: $n_main main.cf settings ($params generated), Debian's master.cf;" \
	"export $(wc -c <"$probe/doc.json") bytes JSON, $(wc -c <"$probe/doc.yaml") bytes YAML"

# correctness first: both imports reproduce the configuration
for f in doc.json doc.yaml; do
	rm -f "$probe/new/main.cf" "$probe/new/master.cf"
	"$ours" -c "$probe/new" --import "$probe/$f" || exit 1
	"$ours" -c "$probe/cfg" -n | sed "s|$probe/cfg|DIR|" >"$probe/a"
	"$ours" -c "$probe/new" -n | sed "s|$probe/new|DIR|" >"$probe/b"
	cmp -s "$probe/a" "$probe/b" || { echo "export.sh: $f does not round-trip" >&2; exit 1; }
done

# Postfix's reference rows: postconf -n, and postconf -e of every setting
ref_n="- -" ref_e="- -"
if [ $have_postfix = 1 ]; then
	ref_n=$(measure "$postfix" -c "$probe/cfg" -n)
	mkdir -p "$probe/pfe"
	sed -n 's/^\([^ #][^ ]*\) = \(.*\)$/\1=\2/p' "$probe/cfg/main.cf" >"$probe/settings"
	: >"$probe/empty.cf"
	# the arguments go through hyperfine's word splitting: values must not contain blanks
	if ! grep -q ' ' "$probe/settings"; then
		set -- $(cat "$probe/settings")
		ref_e=$(measure_prep "cp $probe/empty.cf $probe/pfe/main.cf" "$postfix" -c "$probe/pfe" -e "$@")
	else
		tr '\n' '\0' <"$probe/settings" >"$probe/settings0"
		ref_e=$(measure_prep "cp $probe/empty.cf $probe/pfe/main.cf" \
			xargs -0 -a "$probe/settings0" "$postfix" -c "$probe/pfe" -e)
	fi
fi

printf '%-34s %9s %9s   %-30s %9s %9s\n' "postkit (mean ms)" "wall" "cpu" "Postfix reference" "wall" \
	"cpu"
line "export json" $(measure "$ours" -c "$probe/cfg" --export=json) "postconf -n" $ref_n
line "export yaml" $(measure "$ours" -c "$probe/cfg" --export=yaml) "postconf -n" $ref_n
line "import json (empty dir)" \
	$(measure_prep "rm -f $probe/new/main.cf $probe/new/master.cf" \
		"$ours" -c "$probe/new" --import "$probe/doc.json") \
	"postconf -e (all settings)" $ref_e
line "import yaml (empty dir)" \
	$(measure_prep "rm -f $probe/new/main.cf $probe/new/master.cf" \
		"$ours" -c "$probe/new" --import "$probe/doc.yaml") \
	"postconf -e (all settings)" $ref_e
line "import json (no change)" $(measure "$ours" -c "$probe/cfg" --import "$probe/doc.json") "" "" ""
line "import --dry-run (one change)" \
	$(measure "$ours" -c "$probe/cfg" --import "$probe/doc1.json" --dry-run) "" "" ""
