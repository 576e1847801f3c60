#!/bin/sh
# layering.sh - enforce DESIGN.md's dependency rules on #include lines:
#  - libcfg's folders are layers, lowest first: base, schema, param, doc and map (side by
#    side: neither includes the other), config, io, check.  A file of a layer (its sources
#    in libcfg/LAYER/ and its public headers in libcfg/include/cfg/LAYER/) includes only
#    headers of its own layer and of lower ones ("cfg/LAYER/x.h", "../LAYER/x_int.h");
#  - libcfg never includes anything from tools/ or mta/ and never readline;
#  - gdbm.h, yaml.h, jansson.h, resolv.h and the table client libraries' headers are each
#    included by exactly one adapter file;
#  - a tool never includes another tool's or a daemon's private header (a daemon's
#    DAEMON_api.h and an engine's public header are what tools may use);
#  - a daemon in mta/DAEMON/ includes its own headers, mta/common's and the public header of
#    a shared engine ("cleanup_engine/cleanup_engine.h"), never another daemon's header or an
#    engine's internal one.
src=${top_srcdir:-$(dirname "$0")/../..}
cd "$src" || exit 99
fail=0
files() { git ls-files "$@" 2>/dev/null || find $(echo "$@" | sed 's/\*.*//') -name '*.[ch]'; }

rank() {
	case $1 in
	base) echo 0 ;; schema) echo 1 ;; param) echo 2 ;; doc | map) echo 3 ;;
	config) echo 4 ;; io) echo 5 ;; check) echo 6 ;; *) echo 99 ;;
	esac
}
for f in $(files 'libcfg/*.c' 'libcfg/*.h'); do
	case $f in
	libcfg/include/cfg/*/*) layer=$(echo "$f" | cut -d/ -f4) ;;
	libcfg/*/*) layer=$(echo "$f" | cut -d/ -f2) ;;
	*) echo "$f: a libcfg file outside the layer folders"; fail=1; continue ;;
	esac
	mine=$(rank "$layer")
	for dep in $(grep -oE '#include "(cfg|\.\.)/[a-z]+/' "$f" | sed -E 's|#include "(cfg\|\.\.)/||; s|/$||' | sort -u); do
		theirs=$(rank "$dep")
		if [ "$dep" != "$layer" ] && { [ "$theirs" -ge "$mine" ] || [ "$theirs" = 99 ]; }; then
			echo "$f: layer $layer includes layer $dep (same or higher)"
			fail=1
		fi
	done
done
for f in $(files 'libcfg/*.c' 'libcfg/*.h'); do
	grep -nE '#include [<"](tools|mta)/|readline' "$f" | sed "s|^|$f: libcfg reaches up: |" | grep . && fail=1
done
for lib in gdbm.h yaml.h jansson.h resolv.h pcre2.h libpq-fe.h mysql.h sqlite3.h lmdb.h ldap.h openssl/ssl.h; do
	n=$(files '*.c' '*.h' | grep -v '^tests/' | xargs grep -lE "#include <$lib>" 2>/dev/null | wc -l)
	if [ "$n" -gt 1 ]; then
		echo "$lib is included by $n files; only one adapter may include it:"
		files '*.c' '*.h' | grep -v '^tests/' | xargs grep -lE "#include <$lib>"
		fail=1
	fi
done
for f in $(files 'tools/*.c' 'tools/*.h'); do
	tool=$(echo "$f" | cut -d/ -f2)
	grep -nE '#include "(\.\./)+(tools|mta)/' "$f" | grep -v "tools/$tool/" | sed "s|^|$f: tool includes another program: |" | grep . && fail=1
done
engines="cleanup_engine"
# a tool reaches a daemon only through its _api.h, or an engine through its public header
for f in $(files 'tools/*.c' 'tools/*.h'); do
	for inc in $(grep -oE '#include "[a-z_]+/[a-z_]+\.h"' "$f" | sed -E 's/#include "//; s/"$//'); do
		top=${inc%%/*}
		[ "$top" = cfg ] || [ "$top" = common ] && continue
		[ -d "mta/$top" ] || continue
		case $inc in
		*_api.h) continue ;;
		cleanup_engine/cleanup_engine.h) continue ;;
		esac
		echo "$f: includes $inc, a daemon's private header"
		fail=1
	done
done
for f in $(files 'mta/*.c' 'mta/*.h'); do
	dir=$(echo "$f" | cut -d/ -f2)
	for inc in $(grep -oE '#include "[a-z_]+/[a-z_]+\.h"' "$f" | sed -E 's/#include "//; s/"$//'); do
		top=${inc%%/*}
		[ "$top" = cfg ] && continue
		[ "$top" = "$dir" ] && continue
		case " $engines " in
		*" $top "*)
			[ "${inc#*/}" = "$top.h" ] && continue
			echo "$f: includes $inc, an engine's internal header"
			;;
		*) echo "$f: includes $inc, another daemon's header" ;;
		esac
		fail=1
	done
	if [ "$dir" != cleanup_engine ] && grep -q '#include "cleanup_int.h"' "$f"; then
		echo "$f: includes cleanup_int.h outside the cleanup engine"
		fail=1
	fi
done
if [ $fail -ne 0 ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
