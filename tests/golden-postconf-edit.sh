#!/bin/sh
# tests/golden-postconf-edit.sh - the postconf-edit golden cases (tests/data/postconf-edit) as one test.
exec "${top_srcdir:-$(dirname "$0")/..}/tests/golden-suite.sh" postconf-edit
