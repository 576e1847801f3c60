#!/bin/sh
# tests/golden-postalias.sh - the postalias/newaliases golden cases (tests/data/postalias) as one test.
# newaliases is postalias under another name: give the cases one next to the built postalias.
top=${top_srcdir:-$(dirname "$0")/..}
build=${top_builddir:-$top}
if [ -x "$build/tools/postalias/postalias" ] && [ ! -e "$build/tools/postalias/newaliases" ]; then
	ln -s postalias "$build/tools/postalias/newaliases" 2>/dev/null
fi
exec "$top/tests/golden-suite.sh" postalias
