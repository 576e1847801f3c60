#!/bin/sh
# tests/golden-postconf.sh - the postconf golden cases (tests/data/postconf) as one test.
exec "${top_srcdir:-$(dirname "$0")/..}/tests/golden-suite.sh" postconf
