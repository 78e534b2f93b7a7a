#!/bin/sh
# dedup -W in its steady state (DESIGN.md section 7: within 10 % of dedup
# without -W).  The 2M events of 30-dedup.sh as ten hourly cron runs of
# 200k, -W 4h: a slice an hour, so from the sixth run on the window is
# full (four slices and the current) and every run starts a slice and
# drops the oldest.  EXACTLY_NOW is each run's hour.  Measured, the last
# five runs:
#   - with -W 4h;
#   - without -W, the same ten runs on a set that never forgets (the
#     reference: what a user gets without -W; it doubles on the way);
#   - without -W, each on a set holding just the keys of the four runs
#     before it (what -W holds), built untimed: each of these runs
#     doubles its table, as a set of that size must when it grows.
# Each is the best of three; the seen-sets are on the disk of BENCH_DIR.
. "$(dirname "$0")/lib.sh"

F=$BENCH_DIR/events.log
events 2000000 "$F"
T=$(mktemp -d "$BENCH_DIR/window.XXXXXX")
trap 'rm -rf "$T"' EXIT
logcat "$F" | split -d -a 1 -l 200000 - "$T/p."
H0=1700000000

# hourly FLAGS SET: the ten runs on SET with dedup FLAGS; prints the
# seconds the last five took.
hourly() {
	rm -rf "$2"
	tot=0
	for i in 0 1 2 3 4 5 6 7 8 9; do
		t0=$(date +%s.%N)
		EXACTLY_NOW=$((H0 + 3600 * i)) dedup -s "$2" -k click_id $1 \
		    <"$T/p.$i" >/dev/null
		t1=$(date +%s.%N)
		[ "$i" -ge 5 ] && tot=$(echo "$tot + $t1 - $t0" | bc -l)
	done
	echo "$tot"
}

# window_sized: the last five runs without -W, each on a set of the four
# runs before it; prints the seconds they took.
window_sized() {
	tot=0
	for i in 5 6 7 8 9; do
		rm -rf "$T/ws"
		cat "$T/p.$((i - 4))" "$T/p.$((i - 3))" "$T/p.$((i - 2))" \
		    "$T/p.$((i - 1))" | dedup -s "$T/ws" -k click_id >/dev/null
		t0=$(date +%s.%N)
		dedup -s "$T/ws" -k click_id <"$T/p.$i" >/dev/null
		t1=$(date +%s.%N)
		tot=$(echo "$tot + $t1 - $t0" | bc -l)
	done
	echo "$tot"
}

# best3 CMD ARG...: the least of three results of CMD ARG....
best3() {
	b=
	for _ in 1 2 3; do
		v=$("$@")
		if [ -z "$b" ] || [ "$(echo "$v < $b" | bc -l)" = 1 ]; then
			b=$v
		fi
	done
	echo "$b"
}

w_s=$(best3 hourly -W4h "$T/wset")
ref_s=$(best3 window_sized)
all_s=$(best3 hourly "" "$T/aset")

bytes=$(du -sb "$T/wset" | cut -f1)
keys=$(EXACTLY_NOW=$((H0 + 3600 * 9)) dedup -v -s "$T/wset" </dev/null 2>&1 |
    sed 's/.* \([0-9]*\) keys in .*/\1/')
slices=$(ls "$T/wset" | grep -c -E '^(table|slice\.[0-9]+)$')

echo "dedup -W 4h: ten hourly runs of 200k events, the last five with the window full (sets on $(stat -f -c %T "$T"))"
row "dedup without -W, a set that never forgets (ref)" "$all_s" "$all_s" ""
row "dedup -W 4h, a slice started and dropped a run" "$w_s" "$all_s" "<= 1.10"
row "dedup without -W, a set of just the window's keys" "$ref_s" "$all_s" ""
echo "the -W set after the last run: $slices slices, $keys keys, $bytes bytes"
value "dedup -W 4h, disk bytes a key held" \
    "$(echo "scale=1; $bytes / $keys" | bc -l)" bytes "<=" 48
