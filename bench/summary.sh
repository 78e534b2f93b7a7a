#!/bin/sh
# The table that ends make bench: every target that bench/[0-9]*.sh
# recorded in the file named by BENCH_SUMMARY (see lib.sh), met or missed.
. "$(dirname "$0")/lib.sh"

summary "${BENCH_SUMMARY:?}"
