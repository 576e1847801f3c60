#!/bin/sh
# tests/golden-postconf-jsonl.sh - the postconf-jsonl golden cases (tests/data/postconf-jsonl) as one test.
exec "${top_srcdir:-$(dirname "$0")/..}/tests/golden-suite.sh" postconf-jsonl
