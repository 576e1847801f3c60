#!/bin/sh
# tests/golden-postmap.sh - the postmap golden cases (tests/data/postmap) as one test.
exec "${top_srcdir:-$(dirname "$0")/..}/tests/golden-suite.sh" postmap
