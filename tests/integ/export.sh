#!/bin/sh
# export.sh - postconf -j and --export on every corpus configuration: JSON Lines
# shape, stable bytes, exports valid against the published schema with an
# independent validator (python3-jsonschema; skipped when absent), JSON and
# YAML carrying the same document.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
PC="$top_builddir/tools/postconf/postconf"
SCHEMA="$top_builddir/schemas/postkit-export.schema.json"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0 n=0 k=0
ok() { n=$((n + 1)); }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "FAIL: $*" >&2; }

for d in "$top_srcdir"/tests/data/postconf/*/; do
	[ -f "$d/main.cf" ] && [ -f "$d/master.cf" ] || continue
	name=$(basename "$d")
	c="$tmp/cf/$name"
	mkdir -p "$c"
	cp "$d/main.cf" "$d/master.cf" "$c/"
	touch -d '2000-01-01' "$c/main.cf" "$c/master.cf" 2>/dev/null
	modes="n x"
	[ $k -lt 3 ] && modes="n x a d" # -d and --all are nearly the same everywhere
	k=$((k + 1))
	for m in $modes; do
		case $m in
		n) opt="" ;; x) opt="--expand --with-source" ;; a) opt="--all" ;; d) opt="-d" ;;
		esac
		out="$tmp/out/$name.$m"
		mkdir -p "$tmp/out"
		"$PC" -c "$c" --export=json $opt >"$out.json" 2>/dev/null || { rm -f "$out.json"; continue; }
		"$PC" -c "$c" --export=json $opt >"$tmp/again" 2>/dev/null
		if cmp -s "$out.json" "$tmp/again"; then ok; else bad "$name $opt: unstable bytes"; fi
		"$PC" -c "$c" --export=yaml $opt >"$out.yaml" 2>/dev/null
	done
	for opt in -n -M -F -P; do
		"$PC" -c "$c" $opt >"$tmp/t" 2>/dev/null || continue
		"$PC" -c "$c" -j $opt >"$tmp/out/$name.jl$opt" 2>/dev/null
		if [ "$(wc -l <"$tmp/t")" = "$(wc -l <"$tmp/out/$name.jl$opt")" ]; then ok; else
			bad "$name -j $opt: line count differs from the text output"
		fi
	done
done

# One validator run over every file.
if python3 -c 'import jsonschema, yaml' 2>/dev/null; then
	if python3 - "$SCHEMA" "$tmp/out" <<'PY'; then ok; else bad "schema/JSON Lines checks"; fi
import glob, json, os, sys
import jsonschema, yaml
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = count = 0
for f in sorted(glob.glob(os.path.join(sys.argv[2], "*"))):
    count += 1
    try:
        if ".jl-" in f:
            for line in open(f):
                o = json.loads(line)
                assert isinstance(o, dict) and len(o) == 1, line
            continue
        text = open(f).read()
        if f.endswith(".yaml"):
            doc = yaml.safe_load(text)
            assert doc == json.load(open(f[:-5] + ".json")), "yaml and json differ"
        else:
            doc = json.loads(text)
        v.validate(doc)
    except Exception as e:
        bad += 1
        print("FAIL: %s: %s" % (os.path.basename(f), str(e).splitlines()[0]), file=sys.stderr)
print("validated %d files, %d bad" % (count, bad))
sys.exit(1 if bad else 0)
PY
else
	echo "python3-jsonschema or python3-yaml missing: schema checks skipped"
fi

echo "export.sh: $n checks, $fail failed"
[ $n -gt 0 ] || exit 77
[ $fail = 0 ]
