#!/bin/sh
# readme.sh - README.md's list of what postkit does not implement is the one
# `postfix check --unsupported` prints now (run `make readme-unsupported` when
# a row of schemas/ changes).
: "${top_srcdir:?}" "${top_builddir:?}"
exec sh "$top_srcdir/man/readme-unsupported.sh" --check \
	"$top_builddir/tools/postfix/postfix" "$top_srcdir/README.md"
