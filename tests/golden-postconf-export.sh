#!/bin/sh
# tests/golden-postconf-export.sh - the postconf-export golden cases (tests/data/postconf-export) as one test.
exec "${top_srcdir:-$(dirname "$0")/..}/tests/golden-suite.sh" postconf-export
