#!/bin/sh
# valgrind.sh: the exactly-once pipeline of DESIGN.md section 4, every
# tool (logcat, dedup, crashat in lockstep, commit) under valgrind
# memcheck, once on 1000 events and once on 10000.  Fails on any memory
# error, or if a tool loses more memory on the larger run: what a tool
# still holds when it exits is allocated once, in main, and is no leak; a
# loss that grows with the input is.  Run by make valgrind.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${EXACTLY_BIN:-$ROOT}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export LC_ALL=C

lost() { # lost TOOL N: bytes definitely lost by TOOL in run N
	sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "vg.$1.$2" |
	    tr -d , | awk '{ s += $1 } END { print s + 0 }'
}

for n in 1000 10000; do
	rm -rf st && mkdir st
	awk -v n=$n 'BEGIN {
		for (i = 0; i < n; i++) {
			id = (i % 10 == 9) ? i - 5 : i
			printf "{\"click_id\":\"c%d\",\"n\":%d}\n", id, i
		}
	}' >events.log
	vg() {
		tool=$1
		shift
		valgrind --error-exitcode=99 --leak-check=full \
		    --errors-for-leak-kinds=none --log-file="vg.$tool.$n" \
		    "$BIN/$tool" "$@"
	}
	vg logcat -o st/off events.log |
	    vg dedup -s st/seen -k click_id -e -n 100 -- \
		valgrind --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=none --log-file="vg.crashat.$n" \
		"$BIN/crashat" 999999999 -- \
		sh -c 'while read -r l; do echo ok; done' |
	    vg commit -a -o st/off >out
	# the pipeline's statuses are lost in sh: check the outcome instead:
	# the records delivered, then the progress mark of the last event (a
	# retry, dropped) and the offset committed past it
	want=$((n - n / 10))
	got=$(grep -c '	' out || :)
	[ "$got" = "$want" ] && [ "$(tail -n 1 out)" = $((n - 1)) ] &&
	    [ "$(head -n 1 st/off)" = "$n" ] || {
		echo "valgrind: $n events: $got delivered, not $want, or the mark" \
		    "$(tail -n 1 out | cut -f1) and offset $(head -n 1 st/off)" \
		    "not $((n - 1)) and $n" >&2
		cat vg.* >&2
		exit 1
	}
	if grep -q 'ERROR SUMMARY: [1-9]' vg.*."$n" ||
	    grep -qE 'Invalid (read|write|free)|uninitialised|Mismatched' vg.*."$n"; then
		cat vg.*."$n" >&2
		echo "valgrind: memory errors with $n events" >&2
		exit 1
	fi
done
status=0
for tool in logcat dedup crashat commit; do
	a=$(lost $tool 1000)
	b=$(lost $tool 10000)
	printf 'valgrind %-7s no memory errors; lost at exit %7s bytes (1000 events), %7s (10000)\n' \
	    "$tool" "$a" "$b"
	if [ "$b" -gt "$a" ]; then
		echo "valgrind: $tool loses more memory with more input" >&2
		status=1
	fi
done
exit $status
