#!/usr/bin/env bats
# Chaos on Kafka (tests/chaos.bats on a topic partition): the pipelines of
# DESIGN.md section 8, crashed over and over (crashat -r at a seeded
# record, or kill -9 of the whole process group at a random moment) and
# restarted until the group's offset reaches the end or a run gets
# through.  After every run the group's offset has not gone back, and
# every record below it was processed; at the end the sink shows the
# guarantee held: at-least-once never lost, dedup every distinct event
# once, repeated only in the window DESIGN.md accepts.  Each seed is a
# consumer group of its own on one partition of the mock cluster.

# bats file_tags=slow

load test_helper
load kafka_helper

SEEDS=${KAFKA_CHAOS_SEEDS:-10}
N=300

# The "effect": append the record to the sink, then acknowledge it.
PROC='while IFS= read -r l; do printf "%s\n" "$l" >>sink; echo ok; done'

setup() {
	kafka_setup
	kmock_start t:1
	# every tenth event repeats the id of one five before it: a producer
	# retry, for dedup to drop
	awk -v n=$N 'BEGIN {
		for (i = 0; i < n; i++) {
			id = (i % 10 == 9) ? i - 5 : i
			printf "{\"click_id\":\"c%d\",\"n\":%d}\n", id, i
		}
	}' >log
	kproduce t 0 <log
	[ "$(kcat_read t 0 | wc -l)" = $N ]
}

teardown() {
	kmock_stop
}

# done_below V: every record below offset V was processed: its offset
# (at-least-once) or its key (dedup, which drops repeats) is in the sink.
done_below() {
	local v=$1
	if [ "$KEYED" ]; then
		comm -23 <(head -n "$v" log | keyset) <(keyset sink)
	else
		comm -23 <(seqrange 0 $((v - 1)) | sort) <(cut -f1 sink | sort -u)
	fi | head -3 | tr '\n' ' '
}

# chaos NAME END PIPELINE: for each seed, a group of its own (@K@ in
# PIPELINE), PIPELINE restarted until the group's offset reaches END (END
# 0: until a run gets through without a crash), the offset checked after
# every run.  The sink of every seed is left in sink.SEED; the runs,
# crashes and kills from outside are counted in counts and kills.
chaos() {
	local name=$1 end=$2 p=$3 seed try v prev crashes=0 runs=0 kills=0 gone
	for ((seed = 1; seed <= SEEDS; seed++)); do
		RANDOM=$seed
		store=$(klog t 0 "$name$seed")
		rm -rf st sink errs
		mkdir st
		: >sink
		prev=none
		for ((try = 1; ; try++)); do
			((try <= 300)) ||
			    fail "$name seed $seed: no complete run in 300 tries: $(grep -v crashing errs | sort | uniq -c | sort -rn | head -5)"
			attempt "${p//@K@/$store}" "$seed" "$try" "$store" 0.02
			runs=$((runs + 1))
			if [ "$(cat rc)" != 0 ]; then
				crashes=$((crashes + 1))
				((try % 3)) || kills=$((kills + 1))
			fi
			v=$(committed "$store")
			if [ "$v" = none ]; then
				[ "$prev" = none ] ||
				    fail "$name seed $seed try $try: offset $prev gone"
				[ "$end" != 0 ] || [ "$(cat rc)" != 0 ] ||
				    fail "$name seed $seed try $try: a whole run committed nothing: $(tail -3 errs)"
				continue
			fi
			[ "$prev" = none ] || [ "$v" -ge "$prev" ] ||
			    fail "$name seed $seed try $try: offset went back from $prev to $v"
			[ "$v" -le $N ] ||
			    fail "$name seed $seed try $try: offset $v past the end $N"
			gone=$(done_below "$v")
			[ -z "$gone" ] ||
			    fail "$name seed $seed try $try: committed $v, never processed: $gone"
			prev=$v
			if [ "$end" = 0 ]; then
				[ "$(cat rc)" != 0 ] || break
			elif [ "$v" -ge "$end" ]; then
				break
			fi
		done
		# the run that got through committed the whole partition; the
		# last event repeats an earlier one, which dedup drops: commit
		# commits past it by dedup's progress mark (DESIGN.md section 1)
		[ "$v" = $N ] || fail "$name seed $seed: ends at offset $v, not $N"
		mv sink "sink.$seed"
	done
	[ "$crashes" -ge "$SEEDS" ] || fail "$name: only $crashes crashes in $runs runs"
	echo "$kills" >kills
	printf '%s\t%s\t%s\n' "$SEEDS" "$runs" "$crashes" >counts
}

# counted: the test's trials all passed their checks; count them for
# make reliability (test_helper.bash).
counted() {
	tally chaos "$(cat counts)"
}

# report WHAT: the counts, for the reader of the test's output.
report() {
	local seeds runs crashes
	read -r seeds runs crashes <counts
	echo "# $seeds seeds, $runs runs, $crashes crashes ($(cat kills) kill -9): $1" >&3
}

@test "kafka: at-least-once (logcat -o K | commit -a -o K), crashes and kill -9: never a record lost" {
	KEYED= chaos alo $N 'logcat -o @K@ -n 150 |
	    commit -a -o @K@ -n 50 -- crashat -r @P@ -S @SEED@ -- sh -c '"'$PROC'"
	dups=0
	for ((seed = 1; seed <= SEEDS; seed++)); do
		cmp -s <(cut -f1 "sink.$seed" | sort -un) <(seq 0 $((N - 1))) ||
		    fail "seed $seed: records lost: $(comm -13 <(cut -f1 "sink.$seed" | sort -u) <(seq 0 $((N - 1)) | sort) | head -5 | tr '\n' ' ')"
		dups=$((dups + $(wc -l <"sink.$seed") - N))
	done
	# a crash replays the batch it hit, at most the 50 records of commit -n
	read -r _ _ crashes <counts
	[ "$dups" -gt 0 ]
	[ "$dups" -le $((50 * crashes)) ] ||
	    fail "$dups records delivered twice in $crashes crashes"
	report "0 lost, $dups duplicated"
	counted
}

# Every distinct event reached the sink of every seed; dups is how many
# were delivered twice in all.
eo_check() {
	local want got seed
	dups=0
	want=$(keyset log)
	for ((seed = 1; seed <= SEEDS; seed++)); do
		got=$(keys "sink.$seed")
		[ "$(uniq <<<"$got")" = "$want" ] ||
		    fail "seed $seed: lost: $(comm -13 <(uniq <<<"$got") <(cat <<<"$want") | head -3 | tr '\n' ' ')"
		dups=$((dups + $(uniq -d <<<"$got" | wc -l)))
	done
}

@test "kafka: effectively exactly-once (logcat -o K | dedup -e | commit -a -o K), crashes and kill -9: every event once, a repeat only per kill" {
	KEYED=1 chaos eo 0 'logcat -o @K@ |
	    dedup -s st/seen -k click_id -e -- crashat -r @P@ -S @SEED@ -- sh -c '"'$PROC'"' |
	    commit -a -o @K@'
	eo_check
	# crashat crashes between records, and dedup -n 1 (its default with
	# -e) feeds a record only once the key before it is durable: only a
	# kill -9 between the sink's append and dedup's record of that key
	# repeats one, the window of dedup(1) and DESIGN.md
	[ "$dups" -le "$(cat kills)" ] ||
	    fail "$dups keys delivered twice in $(cat kills) kills"
	report "0 lost, $dups delivered twice"
	counted
}
