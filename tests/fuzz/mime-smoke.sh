#!/bin/sh
# mime-smoke.sh - cleanup's MIME parser fuzz target over its seed corpus and mutations of it
FUZZ_CORPUS=tests/fuzz/corpus-mime FUZZ_ITERATIONS=${FUZZ_ITERATIONS:-20000} \
	exec "${top_builddir:-.}/tests/fuzz/fuzz_mime_smoke"
