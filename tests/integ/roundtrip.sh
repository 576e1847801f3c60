#!/bin/bash
# roundtrip.sh - export -> import -> export over every configuration of the test corpus.
#
# For each distinct configuration (main.cf and master.cf) of the corpus (postconf,
# postconf-edit, postconf-export, postconf-import, postfix-check golden cases, examples/):
#   export JSON, import it into an empty directory, then postconf -n and postconf -M
#   of the two directories must be identical and exporting again must give the same
#   bytes; the YAML export imported into another empty directory must export the same
#   JSON (JSON -> YAML -> JSON).
# Every export (JSON and YAML, plain and with --expand --with-source) is then validated
# against the published schema with an independent validator, python3-jsonschema (the
# part is skipped with a message when it is not installed).
# A configuration whose values the registry refuses (the corpus holds deliberately
# broken ones) must be refused by the plain import with nothing written, and must
# then round-trip with --force.  Configurations postconf cannot load are skipped.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
PC="$top_builddir/tools/postconf/postconf"
# one DIR - the round trip of one configuration; prints OK/FORCED/SKIP/FAIL lines
one() {
	d=$1
	name=$(basename "$d")
	w=$(mktemp -d) || exit 99
	trap 'rm -rf "$w"' EXIT
	mkdir -p "$w/orig" "$w/new" "$w/yaml"
	cp "$d/main.cf" "$w/orig/"
	[ -f "$d/master.cf" ] && cp "$d/master.cf" "$w/orig/"
	if ! "$PC" -c "$w/orig" --export=json >"$w/e.json" 2>/dev/null; then
		echo "SKIP $name"
		return
	fi
	force= status=OK
	if ! "$PC" -c "$w/new" --import "$w/e.json" 2>"$w/err"; then
		if ! grep -q "nothing written" "$w/err" || [ -n "$(ls "$w/new")" ]; then
			echo "FAIL $name: import failed without refusing cleanly: $(head -1 "$w/err")"
			return
		fi
		force=--force status=FORCED
		if ! "$PC" -c "$w/new" --import "$w/e.json" --force 2>"$w/err"; then
			echo "FAIL $name: import --force failed: $(head -1 "$w/err")"
			return
		fi
	fi
	if [ "$(show "$w/orig" -n)" != "$(show "$w/new" -n)" ]; then
		echo "FAIL $name: postconf -n differs after the round trip"
		diff <(show "$w/orig" -n) <(show "$w/new" -n) | head -5
		status=
	fi
	if [ -f "$w/orig/master.cf" ] && [ "$(show "$w/orig" -M)" != "$(show "$w/new" -M)" ]; then
		echo "FAIL $name: postconf -M differs after the round trip"
		diff <(show "$w/orig" -M) <(show "$w/new" -M) | head -5
		status=
	fi
	"$PC" -c "$w/new" --export=json >"$w/again.json" 2>/dev/null
	if ! cmp -s "$w/e.json" "$w/again.json"; then
		echo "FAIL $name: the second export differs"
		status=
	fi
	"$PC" -c "$w/orig" --export=yaml >"$w/e.yaml" 2>/dev/null
	# every export goes to the schema validator, broken configurations' too
	key=$(basename "$(dirname "$d")")-$name
	cp "$w/e.json" "$RT_KEEP/$key.json"
	cp "$w/e.yaml" "$RT_KEEP/$key.yaml"
	"$PC" -c "$w/orig" --export=json --expand --with-source >"$RT_KEEP/$key.x.json" 2>/dev/null
	if "$PC" -c "$w/yaml" --import "$w/e.yaml" $force 2>"$w/err"; then
		"$PC" -c "$w/yaml" --export=json >"$w/yaml.json" 2>/dev/null
		if ! cmp -s "$w/e.json" "$w/yaml.json"; then
			echo "FAIL $name: JSON -> YAML -> JSON differs"
			status=
		fi
	else
		echo "FAIL $name: the YAML export does not import: $(head -1 "$w/err")"
		status=
	fi
	[ -n "$status" ] && echo "$status $name"
}

# show DIR OPT - postconf output with the directory name made neutral
show() {
	"$PC" -c "$1" $2 2>/dev/null | sed "s|$1|@DIR@|g"
}

if [ "${1:-}" = --one ]; then
	one "$2"
	exit 0
fi

RT_KEEP=$(mktemp -d) || exit 99
trap 'rm -rf "$RT_KEEP"' EXIT INT TERM
export top_srcdir top_builddir RT_KEEP
# many cases share their configuration: each distinct pair of files is tried once
seen=
out=$(for d in "$top_srcdir"/tests/data/postconf/*/ "$top_srcdir"/tests/data/postconf-edit/*/ \
	"$top_srcdir"/tests/data/postconf-export/*/ "$top_srcdir"/tests/data/postconf-import/*/ \
	"$top_srcdir"/tests/data/postfix-check/*/ "$top_srcdir"/examples/; do
	[ -f "$d/main.cf" ] || continue
	sum=$({ cat "$d/main.cf"; echo "=== master.cf"; cat "$d/master.cf" 2>/dev/null ||
		echo "(none)"; } | cksum)
	case " $seen " in *" ${sum% *} "*) continue ;; esac
	seen="$seen ${sum% *}"
	printf '%s\0' "$d"
done | xargs -0 -n 8 -P "$(nproc 2>/dev/null || echo 2)" sh -c \
	'for d; do bash "$0" --one "$d"; done' "$0")
printf '%s\n' "$out" | grep -v '^\(OK\|FORCED\|SKIP\) ' >&2
n=$(printf '%s\n' "$out" | grep -c '^\(OK\|FORCED\) ')
forced=$(printf '%s\n' "$out" | grep -c '^FORCED ')
skipped=$(printf '%s\n' "$out" | grep -c '^SKIP ')
fail=$(printf '%s\n' "$out" | grep -c '^FAIL ')
echo "roundtrip.sh: $n configurations round-trip ($forced needed --force), $skipped not loadable, $fail failed"
# Every default passes the import's own checks: the -d export of examples/, imported into an
# empty directory, is exactly what postconf -d lists (the per-process names aside), and the
# --all export imports too.
w=$(mktemp -d) || exit 99
mkdir "$w/orig" "$w/d" "$w/all"
cp "$top_srcdir/examples/main.cf" "$top_srcdir/examples/master.cf" "$w/orig/"
"$PC" -c "$w/orig" -d --export=yaml >"$w/d.yaml" 2>/dev/null
if "$PC" -c "$w/d" --import "$w/d.yaml" 2>"$w/err"; then
	"$PC" -c "$w/d" -n 2>/dev/null | grep -v '^config_directory = ' >"$w/got"
	"$PC" -c "$w/orig" -d 2>/dev/null |
		grep -v '^\(process_id\|process_name\|service_name\|config_directory\) =' >"$w/want"
	if ! cmp -s "$w/got" "$w/want"; then
		echo "FAIL: the -d export, imported, is not postconf -d" >&2
		fail=$((fail + 1))
	fi
else
	echo "FAIL: the -d export does not import: $(head -1 "$w/err")" >&2
	fail=$((fail + 1))
fi
"$PC" -c "$w/orig" -d --export=json >"$RT_KEEP/examples-d.json" 2>/dev/null
cp "$w/d.yaml" "$RT_KEEP/examples-d.yaml"
"$PC" -c "$w/orig" --all --export=json >"$w/all.json" 2>/dev/null
cp "$w/all.json" "$RT_KEEP/examples-all.json"
if ! "$PC" -c "$w/all" --import "$w/all.json" 2>"$w/err"; then
	echo "FAIL: the --all export does not import: $(head -1 "$w/err")" >&2
	fail=$((fail + 1))
fi
rm -rf "$w"

if python3 -c 'import jsonschema, yaml' 2>/dev/null; then
	python3 - "$top_builddir/schemas/postkit-export.schema.json" "$RT_KEEP" \
		"$top_srcdir/tests/data/postconf-import" <<'PY' || fail=$((fail + 1))
import glob, json, os, sys
import jsonschema, yaml
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
files = sorted(glob.glob(os.path.join(sys.argv[2], "*.json")))
for f in files:
    try:
        doc = json.load(open(f))
        v.validate(doc)
        y = f[:-5] + ".yaml"
        if os.path.exists(y):
            assert yaml.safe_load(open(y)) == doc, "the YAML export is not the same document"
    except Exception as e:
        bad += 1
        print("FAIL %s: %s" % (os.path.basename(f), str(e).splitlines()[0]), file=sys.stderr)
print("schema: %d exports validated by python3-jsonschema, %d invalid" % (len(files), bad))
# The JSON documents postconf --import refuses for their shape are refused by the schema too.
def no_dups(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)
refused = 0
for f in sorted(glob.glob(os.path.join(sys.argv[3], "bad-json-*", "doc.json"))):
    try:
        doc = json.loads(open(f).read(), object_pairs_hook=no_dups)
    except ValueError:
        refused += 1
        continue
    if v.is_valid(doc):
        bad += 1
        print("FAIL %s: the schema accepts a document import refuses" % f, file=sys.stderr)
    else:
        refused += 1
print("schema: %d bad JSON documents refused by both" % refused)
sys.exit(1 if bad or not files or not refused else 0)
PY
else
	echo "python3-jsonschema or python3-yaml missing: schema validation skipped"
fi
[ "$n" -gt 100 ] || { echo "too few configurations found under $top_srcdir" >&2; exit 1; }
[ "$fail" -eq 0 ]
