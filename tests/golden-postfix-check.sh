#!/bin/sh
# tests/golden-postfix-check.sh - the `postfix check` golden cases (tests/data/postfix-check).
exec "${top_srcdir:-$(dirname "$0")/..}/tests/golden-suite.sh" postfix-check
