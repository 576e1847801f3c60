#!/bin/sh
# tests/golden-postconf-shell.sh - the postconf-shell golden cases (tests/data/postconf-shell) as one test.
exec "${top_srcdir:-$(dirname "$0")/..}/tests/golden-suite.sh" postconf-shell
