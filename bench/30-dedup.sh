#!/bin/sh
# dedup against the references of DESIGN.md section 7: 2M events, about
# 10 % of them repeating an earlier click_id (1.8M distinct).
#   - mawk -F'"' '!seen[$4]++', which keeps nothing on disk;
#   - sqlite3, the ids loaded into a PRIMARY KEY table with INSERT ... ON
#     CONFLICT DO NOTHING, one transaction, synchronous=FULL (the SQL text
#     is generated beforehand and not timed, and sqlite3 gets a 1 GB page
#     cache so it never spills mid-transaction: the reference at its best).
# dedup -k click_id reads the tagged records logcat writes, with its
# seen-set durable on a disk (never tmpfs: if BENCH_DIR is one, the sets go
# under build/ in the source tree): a first run that creates the set, and
# a second over the same input, where every record is a duplicate.
. "$(dirname "$0")/lib.sh"

F=$BENCH_DIR/events.log
events 2000000 "$F"
SETS=$BENCH_DIR
if [ "$(stat -f -c %T "$BENCH_DIR")" = tmpfs ]; then
	SETS=$ROOT/build/bench
	mkdir -p "$SETS"
fi
T=$(mktemp -d "$SETS/dedup.XXXXXX")
trap 'rm -rf "$T"' EXIT
logcat "$F" >"$T/tagged"
{
	echo "PRAGMA synchronous=FULL; PRAGMA cache_size=-1000000;"
	echo "CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID; BEGIN;"
	cut -d'"' -f4 "$F" |
	    sed "s/.*/INSERT INTO seen VALUES ('&') ON CONFLICT DO NOTHING;/"
	echo "COMMIT;"
} >"$T/ins.sql"

# dedup must agree with mawk on which records are first seen
mawk -F'"' '!seen[$4]++' "$F" >"$T/mawk.out"
dedup -p -s "$T/check" -k click_id <"$T/tagged" | cmp -s - "$T/mawk.out" ||
    { echo "bench: dedup output differs from mawk's" >&2; exit 1; }
[ -z "$(dedup -s "$T/check" -k click_id <"$T/tagged")" ] ||
    { echo "bench: dedup passed a duplicate on its second run" >&2; exit 1; }

# once CMD: wall time of a single run (sqlite3 takes long enough).
once() {
	t0=$(date +%s.%N)
	sh -c "$1" >/dev/null
	t1=$(date +%s.%N)
	printf '%.4f\n' "$(echo "$t1 - $t0" | bc -l)"
}

# mawk and dedup take turns (bests), so that a burst of load from elsewhere
# falls on both alike; the files written above (300 MB) are on the disk
# first, so that dedup's fsyncs do not queue behind their writeback.
dedup -s "$T/set2" -k click_id <"$T/tagged" >/dev/null
sync
b=$(bests "mawk -F'\"' '!seen[\$4]++' '$F'" \
    "rm -rf '$T/set'; dedup -s '$T/set' -k click_id <'$T/tagged'" \
    "dedup -s '$T/set2' -k click_id <'$T/tagged'")
set -- $b
mawk_s=$1 d1_s=$2 d2_s=$3
sql1_s=$(once "rm -f '$T/db'; sqlite3 '$T/db' <'$T/ins.sql'")
sql2_s=$(once "sed 's/^CREATE TABLE/CREATE TABLE IF NOT EXISTS/' '$T/ins.sql' | sqlite3 '$T/db'")

# The whole exactly-once pipeline of DESIGN.md section 4, sink cat: with
# -n 1000 (one fsync a thousand events), and with the default -n 1 on the
# first 20000 events (one fsync an event: bound by the disk's latency).
head -n 20000 "$T/tagged" >"$T/tagged20k"
journal_s=$(floor journal "$T" 200)
p3_s=$(seconds "rm -rf '$T/pset' '$T/poff'; dedup -e -n 1000 -s '$T/pset' -k click_id -- cat <'$T/tagged' | commit -a -o '$T/poff'")
p1_s=$(seconds "rm -rf '$T/pset' '$T/poff'; dedup -e -s '$T/pset' -k click_id -- cat <'$T/tagged20k' | commit -a -o '$T/poff'")


echo "dedup: 2M events, $(wc -l <"$T/mawk.out") distinct click_ids; best of 3 (sqlite3: one run); sets on $(stat -f -c %T "$T")"
row "mawk -F'\"' '!seen[\$4]++' (reference)" "$mawk_s" "$mawk_s" ""
row "sqlite3 INSERT ... ON CONFLICT, new table" "$sql1_s" "$mawk_s" ""
row "sqlite3, again: all duplicates" "$sql2_s" "$mawk_s" ""
row "dedup -k click_id, new set" "$d1_s" "$mawk_s" ""
row "dedup -k click_id, again: all duplicates" "$d2_s" "$mawk_s" ""
nkeys=$(wc -l <"$T/mawk.out")
value "seen-set, disk bytes a key (file sizes)" \
    "$(echo "scale=1; $(du -sb "$T/set" | cut -f1) / $nkeys" | bc -l)" bytes "<=" 48
value "seen-set, disk bytes a key (blocks)" \
    "$(echo "scale=1; $(du -s --block-size=1 "$T/set" | cut -f1) / $nkeys" | bc -l)" bytes "<=" 48
echo "speed-up of dedup (the reference's time over dedup's):"
value "new set, against mawk" "$(ratio "$mawk_s" "$d1_s")" "x faster" ">=" 10
value "new set, against sqlite3" "$(ratio "$sql1_s" "$d1_s")" "x faster" ">=" 20
echo "  all duplicates: $(ratio "$mawk_s" "$d2_s") x mawk's speed, $(ratio "$sql2_s" "$d2_s") x sqlite3's (no target)"
echo "the exactly-once pipeline, dedup -e -k click_id -- cat | commit -a:"
value "pipeline, 2M events, -n 1000" "$(ratio 2 "$p3_s")" \
    "M events/s" ">=" 2
# -n 1: against one journal fsync a record, the 20000 of them alone
target "pipeline, 20000 events, -n 1 (the default)" "$p1_s" \
    "$(echo "20000 * $journal_s" | bc -l)" "20000 journal fsyncs" "<=" 1.5
