#!/bin/sh
# banned.sh - fail when C sources call functions the project bans
# (unbounded string writes, atoi without error checks, shelling out).
src=${top_srcdir:-$(dirname "$0")/../..}
cd "$src" || exit 99
pattern='(^|[^_a-zA-Z0-9.>])(sprintf|vsprintf|strcpy|strcat|gets|strtok|atoi|system)[[:space:]]*\('
hits=$(git ls-files '*.c' '*.h' 2>/dev/null || find libcfg tools mta tests -name '*.[ch]')
bad=$(echo "$hits" | xargs grep -nE "$pattern" 2>/dev/null | grep -v 'banned-ok')
if [ -n "$bad" ]; then
	echo "banned functions used (use snprintf/cfg_buf/strtol/exec*):"
	echo "$bad"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
