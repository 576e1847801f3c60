#!/bin/sh
# tests/golden.sh - run data-driven golden cases and compare with the expected files.
#
# usage: tests/golden.sh [--update] [--oracle] [--builddir DIR] SUITE_DIR|CASE_DIR...
#
# A suite is a directory of cases; a case is a directory holding a `cmd` file. Each case runs
# in a fresh temporary copy of its directory (without the control and expected files), with
# DIR=<that copy>, LC_ALL=C, TZ=UTC, MAIL_CONFIG unset, and postkit's built programs first in
# PATH. Its stdout, stderr and exit status (and the files listed under after/) are compared
# with the case's out, err, status (and after/ files). tests/README.md describes the format.
#
#   --update        (or UPDATE=1) rewrite out/err/status/after from the actual run
#   --oracle        (or GOLDEN_ORACLE=1) run against the real Postfix: PATH=/usr/sbin:/usr/bin:/bin
#                   and skip cases marked `postkit-only`
#   --builddir DIR  where postkit was built (default: $top_builddir, else this script's ../)
#
# Other environment: GOLDEN_PATH (use exactly this PATH), GOLDEN_TIMEOUT (seconds per case,
# default 60), GOLDEN_KEEP=1 (keep the temporary directories and print where they are).
#
# Output: one line per case, "PASS: suite/case", "FAIL: suite/case" followed by a unified diff
# of what differed, "SKIP: suite/case"; in update mode "UPDATE: suite/case" plus the diff of
# what was rewritten. Last line: "N passed, N failed" (", N skipped" when some were skipped).
# Exit status: 0 when nothing failed, 1 when a case failed, 2 on a usage error.

LC_ALL=C
export LC_ALL

me=golden.sh
update=${UPDATE:-0}
oracle=${GOLDEN_ORACLE:-0}
builddir=${top_builddir:-}
timeout_s=${GOLDEN_TIMEOUT:-60}

case $update in 0 | "" | no) update=0 ;; *) update=1 ;; esac
case $oracle in 0 | "" | no) oracle=0 ;; *) oracle=1 ;; esac

usage() {
	echo "usage: $me [--update] [--oracle] [--builddir DIR] SUITE_DIR|CASE_DIR..." >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--update) update=1 ;;
	--oracle) oracle=1 ;;
	--builddir)
		[ $# -ge 2 ] || usage
		builddir=$2
		shift
		;;
	--builddir=*) builddir=${1#--builddir=} ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || usage

# abspath - print the absolute form of an existing directory
abspath() {
	(cd "$1" && pwd)
}

if [ -z "$builddir" ]; then
	builddir=$(abspath "$(dirname "$0")/..")
else
	builddir=$(abspath "$builddir") || exit 2
fi

# The PATH the cases see.
if [ -n "${GOLDEN_PATH:-}" ]; then
	case_path=$GOLDEN_PATH
elif [ "$oracle" = 1 ]; then
	case_path=/usr/sbin:/usr/bin:/bin
else
	case_path=
	for prog in postconf postmap postalias postfix sendmail postqueue postsuper postcat postdrop; do
		if [ -d "$builddir/tools/$prog" ]; then
			case_path="$case_path$builddir/tools/$prog:"
		fi
	done
	case_path="$case_path@GUARD@:$PATH"
fi

# A per-case time limit when coreutils' timeout(1) is there.
run_timeout=$(command -v timeout 2>/dev/null)
[ -n "$run_timeout" ] && run_timeout="$run_timeout $timeout_s"

work=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXX") || exit 2
cleanup() {
	if [ "${GOLDEN_KEEP:-0}" = 1 ]; then
		echo "$me: kept $work" >&2
	else
		chmod -R u+w "$work" 2>/dev/null
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

# Guard: a Postfix command that postkit has not built must not silently run the system's
# Postfix further down PATH (the case would test the oracle against itself). Each such
# name gets a stub that says so and fails.
case $case_path in
*@GUARD@*)
	guard=$work/guard
	mkdir -p "$guard"
	for prog in postalias postcat postconf postdrop postfix postkick postlock postlog postmap \
		postmulti postqueue postsuper sendmail newaliases mailq; do
		found=
		for t in postconf postmap postalias postfix sendmail postqueue postsuper postcat postdrop; do
			[ -x "$builddir/tools/$t/$prog" ] && found=1
		done
		[ -n "$found" ] && continue
		printf '#!/bin/sh\necho "golden.sh: %s is not built in %s (the system Postfix is not used)" >&2\nexit 127\n' \
			"$prog" "$builddir" >"$guard/$prog"
		chmod +x "$guard/$prog"
	done
	case_path=$(printf '%s\n' "$case_path" | sed -e "s|@GUARD@|$guard|")
	;;
esac

input_mtime='2000-01-01 00:00:00 UTC'
passed=0
failed=0
skipped=0
seq=0

# The files of a case that are not inputs: they are never copied into DIR.
is_control() {
	case $1 in
	cmd | out | err | status | after | filter | skip-if | postkit-only | stdin | err-compare)
		return 0
		;;
	esac
	return 1
}

# sed_escape - escape a string for use as a literal sed BRE
sed_escape() {
	printf '%s\n' "$1" | sed -e 's/[]\/$*.^[]/\\&/g'
}

# show_diff - unified diff of expected file $1 and actual file $2, labelled with $3
show_diff() {
	diff -u --label "$3 (expected)" --label "$3 (actual)" "$1" "$2"
}

# check_file - compare expected $1 with actual $2 (label $3); in update mode rewrite $1.
# Returns 0 when they were equal (or the file was rewritten), 1 on a difference.
check_file() {
	if [ -f "$1" ] && cmp -s "$1" "$2"; then
		return 0
	fi
	if [ "$update" = 1 ]; then
		if [ -f "$1" ]; then
			show_diff "$1" "$2" "$3"
		else
			echo "new file $3"
		fi
		mkdir -p "$(dirname "$1")"
		cat "$2" >"$1"
		changed=1
		return 0
	fi
	if [ -f "$1" ]; then
		show_diff "$1" "$2" "$3"
	else
		echo "missing expected file $3 (create it with --update)"
	fi
	return 1
}

# case_env - set up the environment a case runs in (call in a subshell)
case_env() {
	unset MAIL_CONFIG
	TZ=UTC
	PATH=$case_path
	export DIR TZ PATH
	umask 022
}

# distinct_lines - print the distinct lines of actual stderr $2, each one that extends an
# expected line of $1 by " more text" cut back to that expected line, sorted
distinct_lines() {
	awk -v wantfile="$1" 'BEGIN { while ((getline l <wantfile) > 0) want[l] = 1 }
	{
		line = $0
		if (!(line in want)) {
			best = ""
			for (e in want)
				if (length(e) > length(best) && substr(line, 1, length(e) + 1) == e " ")
					best = e
			if (best != "")
				line = best
		}
		print line
	}' "$2" | sort -u
}

# check_err - compare expected stderr $1 with actual $2 (label $3) in mode $4 (exact|distinct)
check_err() {
	if [ "$4" = distinct ] && [ -f "$1" ]; then
		sort -u "$1" >"$2.exp-distinct"
		distinct_lines "$1" "$2" >"$2.act-distinct"
		if cmp -s "$2.exp-distinct" "$2.act-distinct"; then
			return 0
		fi
		if [ "$update" != 1 ]; then
			echo "(stderr compared as distinct lines, see tests/README.md)"
			show_diff "$2.exp-distinct" "$2.act-distinct" "$3"
			return 1
		fi
	fi
	check_file "$1" "$2" "$3"
}

# run_case - run one case directory $1 that belongs to suite $2
run_case() {
	case_src=$1
	name=$2/$(basename "$case_src")
	seq=$((seq + 1))
	scratch=$work/$seq
	DIR=$scratch/dir
	mkdir -p "$DIR" || return 1

	if [ "$oracle" = 1 ] && [ -e "$case_src/postkit-only" ]; then
		echo "SKIP: $name (postkit-only)"
		skipped=$((skipped + 1))
		return 0
	fi

	# Copy the inputs; sources may be read-only (make distcheck).
	for f in "$case_src"/* "$case_src"/.[!.]*; do
		[ -e "$f" ] || continue
		is_control "$(basename "$f")" && continue
		cp -R "$f" "$DIR/" || return 1
	done
	chmod -R u+w "$DIR"
	# A fixed, old modification time: deterministic, and Postfix pauses (300 ms, several
	# times) before reading a main.cf that was modified less than a second ago.
	find "$DIR" -exec touch -h -d "$input_mtime" {} +

	if [ -f "$case_src/skip-if" ]; then
		if (cd "$DIR" && case_env && exec /bin/sh -c "$(cat "$case_src/skip-if")") \
			</dev/null >/dev/null 2>&1; then
			echo "SKIP: $name"
			skipped=$((skipped + 1))
			return 0
		fi
	fi

	stdin=/dev/null
	[ -f "$case_src/stdin" ] && stdin=$case_src/stdin
	snippet=$(cat "$case_src/cmd")
	(
		cd "$DIR" || exit 125
		case_env
		exec $run_timeout /bin/sh -c "$snippet"
	) <"$stdin" >"$scratch/out.raw" 2>"$scratch/err.raw"
	echo $? >"$scratch/status"

	# Normalise: the temp dir becomes @DIR@, then the case's filter runs.
	dir_re=$(sed_escape "$DIR")
	for s in out err; do
		sed -e "s/$dir_re/@DIR@/g" "$scratch/$s.raw" >"$scratch/$s.dir"
		if [ -f "$case_src/filter" ]; then
			sed -f "$case_src/filter" "$scratch/$s.dir" >"$scratch/$s"
		else
			mv "$scratch/$s.dir" "$scratch/$s"
		fi
	done

	changed=0
	report=$scratch/report
	: >"$report"
	ok=0
	err_mode=exact
	for f in "$case_src/../err-compare" "$case_src/err-compare"; do
		[ -f "$f" ] && err_mode=$(sed -n '1s/[[:space:]]*$//p' "$f")
	done
	case $err_mode in
	exact | distinct) ;;
	*)
		echo "$name: bad err-compare mode \"$err_mode\" (exact or distinct)" >>"$report"
		ok=1
		;;
	esac
	for s in out status; do
		check_file "$case_src/$s" "$scratch/$s" "$name/$s" >>"$report" 2>&1 || ok=1
	done
	check_err "$case_src/err" "$scratch/err" "$name/err" "$err_mode" >>"$report" 2>&1 || ok=1
	if [ -d "$case_src/after" ]; then
		(cd "$case_src/after" && find . -type f) | sort >"$scratch/after.list"
		while IFS= read -r exp; do
			rel=${exp#./}
			if [ ! -f "$DIR/$rel" ]; then
				echo "after/$rel: the run did not leave $rel" >>"$report"
				ok=1
				continue
			fi
			check_file "$case_src/after/$rel" "$DIR/$rel" "$name/after/$rel" \
				>>"$report" 2>&1 || ok=1
		done <"$scratch/after.list"
	fi
	if [ "$(cat "$scratch/status")" = 124 ] && [ -n "$run_timeout" ]; then
		echo "(timed out after ${timeout_s}s)" >>"$report"
	fi

	if [ $ok = 0 ]; then
		if [ $changed = 1 ]; then
			echo "UPDATE: $name"
			cat "$report"
		else
			echo "PASS: $name"
		fi
		passed=$((passed + 1))
	else
		echo "FAIL: $name"
		cat "$report"
		failed=$((failed + 1))
	fi
	if [ "${GOLDEN_KEEP:-0}" != 1 ]; then
		chmod -R u+w "$scratch" 2>/dev/null
		rm -rf "$scratch"
	fi
	return 0
}

for arg in "$@"; do
	if [ ! -d "$arg" ]; then
		echo "$me: $arg: not a directory" >&2
		exit 2
	fi
	arg=$(abspath "$arg")
	if [ -f "$arg/cmd" ]; then
		run_case "$arg" "$(basename "$(dirname "$arg")")"
		continue
	fi
	suite=$(basename "$arg")
	for c in "$arg"/*/; do
		c=${c%/}
		[ -f "$c/cmd" ] || continue
		run_case "$c" "$suite"
	done
done

line="$passed passed, $failed failed"
[ $skipped -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ $failed -eq 0 ]
