#!/bin/sh
# layering.sh - enforce DESIGN.md's dependency rules on #include lines:
#  - libcfg/base includes only base headers (no other libcfg module);
#  - libcfg never includes anything from tools/ or mta/ and never readline;
#  - gdbm.h, yaml.h, jansson.h, resolv.h and the table client libraries' headers are each
#    included by exactly one adapter file;
#  - a tool never includes another tool's or a daemon's private header.
src=${top_srcdir:-$(dirname "$0")/../..}
cd "$src" || exit 99
fail=0
base_hdrs='xalloc|buf|strvec|htab|diag|lines|fileio'
files() { git ls-files "$@" 2>/dev/null || find $(echo "$@" | sed 's/\*.*//') -name '*.[ch]'; }

for f in $(files 'libcfg/base/*.c' 'libcfg/base/*.h'); do
	grep -nE '#include "cfg/' "$f" | grep -vE "\"cfg/($base_hdrs)\.h\"" | sed "s|^|$f: base includes libcfg module: |" | grep . && fail=1
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
if [ $fail -ne 0 ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
