#!/bin/sh
# import-smoke.sh - the --import fuzz target over its seed corpus and mutations of it
FUZZ_CORPUS=tests/fuzz/corpus-import FUZZ_ITERATIONS=${FUZZ_ITERATIONS:-4000} \
	exec "${top_builddir:-.}/tests/fuzz/fuzz_import_smoke"
