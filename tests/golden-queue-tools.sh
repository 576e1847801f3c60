#!/bin/sh
# tests/golden-queue-tools.sh - the queue tool golden cases (tests/data/queue-tools) as one test.
exec "${top_srcdir:-$(dirname "$0")/..}/tests/golden-suite.sh" queue-tools
