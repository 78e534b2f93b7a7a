#!/bin/sh
# run.sh SECONDS HARNESS...: run each built harness (fuzz/out/HARNESS) for
# SECONDS on its committed seeds (fuzz/corpus/HARNESS), new inputs going to
# fuzz/out/corpus/HARNESS, and print one line per harness with the number
# of executions.  A crash leaves its input as fuzz/out/HARNESS-crash-*,
# prints the end of the log and fails: copy the input into the committed
# corpus once the bug is fixed, as a regression seed.
set -u
secs=$1
shift
status=0
for h in "$@"; do
	work=fuzz/out/corpus/$h
	log=fuzz/out/$h.log
	mkdir -p "$work"
	dict=
	[ -f "fuzz/$h.dict" ] && dict=-dict=fuzz/$h.dict
	# a harness's own libFuzzer options, if it needs any
	opts=
	[ -f "fuzz/$h.options" ] && opts=$(cat "fuzz/$h.options")
	if ./fuzz/out/"$h" -max_total_time="$secs" -print_final_stats=1 \
	    -timeout=10 -rss_limit_mb=2048 -artifact_prefix=fuzz/out/"$h"- \
	    $dict $opts "$work" "fuzz/corpus/$h" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		printf 'fuzz %-8s %10s executions in %s s, no failure\n' \
		    "$h" "${runs:-?}" "$secs"
	else
		tail -n 40 "$log" >&2
		echo "fuzz $h: FAILED, see $log" >&2
		status=1
	fi
done
exit $status
