#!/bin/sh
# local-smoke.sh - local's list parser fuzz target over its seed corpus and mutations of it
FUZZ_CORPUS=tests/fuzz/corpus-local FUZZ_ITERATIONS=${FUZZ_ITERATIONS:-20000} \
	exec "${top_builddir:-.}/tests/fuzz/fuzz_local_smoke"
