#!/bin/sh
# tests/golden-postconf-import.sh - the postconf-import golden cases (tests/data/postconf-import) as one test.
exec "${top_srcdir:-$(dirname "$0")/..}/tests/golden-suite.sh" postconf-import
