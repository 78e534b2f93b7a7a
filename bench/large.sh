#!/bin/sh
# make bench-large: a seen-set of 100M keys (DESIGN.md section 7: it opens
# in under 10 ms and takes at most 48 bytes of disk a key).  Not part of
# make bench: building it takes minutes and about 3 GB of disk.
#
# The set is grown as a long-lived consumer grows it, in runs of 10M new
# keys, each run one group commit (so it doubles on the way, as in life).
# Then: the time to open it and find nothing new (a cron run with nothing
# to do), its disk bytes a key, and the rate of a run of 10M keys that are
# all in it (lookups), and of 1M that are not (lookups and inserts, made
# durable and checkpointed).
. "$(dirname "$0")/lib.sh"

N=${LARGE_KEYS:-100000000}
STEP=10000000
T=$(mktemp -d "$BENCH_DIR/large.XXXXXX")
trap 'rm -rf "$T"' EXIT

# keys A B: tagged records whose payloads are the keys A..B.
keys() {
	seq "$1" "$2" | awk '{ print NR - 1 "\t" $1 }'
}

# peak_anon SET INPUT: run dedup -s SET <INPUT, printing the most
# anonymous memory (kB) it held, sampled every 20 ms.
peak_anon() {
	dedup -s "$1" <"$2" >/dev/null &
	top=0
	while kill -0 $! 2>/dev/null; do
		a=$(sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$!/status" 2>/dev/null)
		[ -n "$a" ] && [ "$a" -gt "$top" ] && top=$a
		sleep 0.02
	done
	wait $!
	echo "$top"
}

t0=$(date +%s.%N)
i=0
while [ "$i" -lt "$N" ]; do
	keys "$i" $((i + STEP - 1)) >"$T/batch"
	before=$(stat -c %s "$T/set/table" 2>/dev/null || echo 0)
	a=$(peak_anon "$T/set" "$T/batch")
	tbl=$(stat -c %s "$T/set/table")
	# the last run that doubled the table
	[ "$tbl" != "$before" ] && anon=$a gtbl=$tbl
	i=$((i + STEP))
done
rm -f "$T/batch"
t1=$(date +%s.%N)
bytes=$(du -sb "$T/set" | cut -f1)
alloc=$(du -s --block-size=1 "$T/set" | cut -f1)
# dedup -v times itself from main's start: open, lock, close, no exec
inproc=$(dedup -v -s "$T/set" </dev/null 2>&1 | awk '{ print $(NF - 1) }')

keys 0 $((STEP - 1)) >"$T/old"
# New keys: 1M a run, a fresh million for each of the three runs, so they
# stay misses and the set stays below its next doubling.
for r in 1 2 3; do
	keys $((N + r * 1000000)) $((N + r * 1000000 + 999999)) >"$T/new$r"
done
echo 1 >"$T/run"
open_s=$(seconds "dedup -s '$T/set' </dev/null")
old_s=$(seconds "dedup -s '$T/set' <'$T/old'")
new_s=$(seconds "r=\$(cat '$T/run'); echo \$((r + 1)) >'$T/run'; dedup -s '$T/set' <'$T/new'\$r")

echo "dedup seen-set of $N keys, built in $STEP-key runs in $(echo "$t1 - $t0" | bc -l | awk '{ printf "%.1f", $1 }') s"
printf '%-44s %8.2f ms   target < 10 ms\n' "a run with nothing new: sh -c 'dedup ...'" \
    "$(echo "$open_s * 1000" | bc -l)"
printf '%-44s %8.2f ms   target < 10 ms\n' "the same, as dedup -v times itself (1 ms steps)" \
    "$(echo "$inproc * 1000" | bc -l)"
printf '%-44s %8.1f      target <= 48\n' "disk bytes a key (file sizes)" \
    "$(echo "$bytes / $N" | bc -l)"
printf '%-44s %8.0f MB   (its new table: %.0f MB)\n' "anonymous memory of the last doubling run" \
    "$(echo "$anon / 1024" | bc -l)" "$(echo "$gtbl / 1048576" | bc -l)"
printf '%-44s %8.1f\n' "disk bytes a key (blocks allocated)" \
    "$(echo "$alloc / $N" | bc -l)"
printf '%-44s %8.2f M/s\n' "lookups, $STEP keys all present" \
    "$(echo "$STEP / $old_s / 1000000" | bc -l)"
printf '%-44s %8.2f M/s\n' "lookups and inserts, 1M new keys" \
    "$(echo "1000000 / $new_s / 1000000" | bc -l)"
