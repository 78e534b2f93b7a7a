#!/usr/bin/env bats
# The delivery guarantees, proved with real processes and real crashes.
#
# A log of 1000 events (offsets 0-999); a sink that appends each event it
# processes to a ledger and then echoes it (its acknowledgement); the crash
# put exactly at offset 500 by crashat's lockstep form, so every number is
# exact.  Every pipeline runs under setsid: a crash kills its process group,
# never the test runner.  Each test asserts the whole ledger (which offsets,
# how many times) and the offset file.  consume and settle are in
# test_helper.bash.

load test_helper

setup() {
	mklog 1000 events.log
	mksink
	: >ledger
	CRASHES=0
}

# ledger_is SPEC...: the ledger holds exactly the events of the ranges
# A-B given, each range once (so a range given twice means twice).
ledger_is() {
	local r
	for r in "$@"; do
		tagged "${r%-*}" $((${r#*-} - ${r%-*} + 1))
	done | sort >want
	sort ledger >got
	if ! cmp -s want got; then
		echo "ledger differs from $*: (want / got, offset count)" >&2
		diff <(cut -f1 want | uniq -c) <(cut -f1 got | uniq -c) | head -20 >&2
		return 1
	fi
}

# recorded_are A-B: the seen-set ./seen holds the keys of exactly the
# events A to B (asked of a copy, so the set itself is left as it is).
recorded_are() {
	rm -rf seen.copy && cp -a seen seen.copy
	logcat events.log | dedup -s seen.copy -k click_id >passed
	rm -rf seen.copy seen.copy.lock
	tagged 0 1000 | awk -v a="$1" -v b="$2" -F '\t' '$1 < a || $1 > b' >notrecorded
	cmp -s passed notrecorded ||
	    fail "the seen-set does not hold exactly $1-$2: $(wc -l <passed) events pass it"
}

# recorded_upto CANDIDATE...: the seen-set ./seen holds the keys of
# exactly the events 0 to B-1, B one of the candidates (a dedup -e group
# boundary), and B is printed; fails if it holds anything else.
recorded_upto() {
	local b
	for b in "$@"; do
		if ( recorded_are 0 $((b - 1)) ) 2>/dev/null; then
			echo "$b"
			return 0
		fi
	done
	fail "the seen-set holds none of the prefixes ending before $*"
}

# off_at_most N [G]: the offset file, if any, is a group boundary (a
# multiple of G, 100 unless given) at most N (commit -a after dedup -e
# commits what reached it, when its batch ends: how much did before the
# crash is a matter of timing).
off_at_most() {
	[ ! -e off ] || { v=$(cat off); [ "$v" -le "$1" ] && [ $((v % ${2:-100})) = 0 ]; } ||
	    fail "offset $(cat off) after the crash"
}

@test "commit before processing, crash at 500: 0-499 once, 500-999 never" {
	consume 'commit -b -o off -- crashat 500 -- ./sink'
	assert_equal "$status" 137
	assert_equal "$(cat off)" 1000
	consume 'commit -b -o off -- ./sink'
	assert_equal "$status" 0
	ledger_is 0-499
	assert_equal "$(cat off)" 1000
}

@test "commit after processing, crash at 500: 0-499 twice, 500-999 once" {
	consume 'commit -a -o off -- crashat 500 -- ./sink'
	assert_equal "$status" 137
	assert_file_not_exist off
	consume 'commit -a -o off -- ./sink'
	assert_equal "$status" 0
	ledger_is 0-499 0-499 500-999
	assert_equal "$(cat off)" 1000
}

@test "-e -n 100 before processing, crash at 500: the group 500-599 is lost, nothing twice" {
	consume 'commit -e -b -n 100 -o off -- crashat 500 -- ./sink'
	assert_equal "$status" 137
	assert_equal "$(cat off)" 600
	consume 'commit -e -b -n 100 -o off -- ./sink'
	assert_equal "$status" 0
	ledger_is 0-499 600-999
	assert_equal "$(cat off)" 1000
}

@test "-e -n 100 after processing, crash at 500: the group boundary, nothing twice, nothing lost" {
	consume 'commit -e -a -n 100 -o off -- crashat 500 -- ./sink'
	assert_equal "$status" 137
	# record 500 is fed only once 0-499 are committed
	assert_equal "$(cat off)" 500
	consume 'commit -e -a -n 100 -o off -- ./sink'
	assert_equal "$status" 0
	ledger_is 0-499 500-999
	assert_equal "$(cat off)" 1000
}

@test "-e -n 100 after processing, crash at 550: the uncommitted part of the group twice" {
	consume 'commit -e -a -n 100 -o off -- crashat 550 -- ./sink'
	assert_equal "$status" 137
	assert_equal "$(cat off)" 500
	consume 'commit -e -a -n 100 -o off -- ./sink'
	assert_equal "$status" 0
	ledger_is 0-549 500-999
	assert_equal "$(cat off)" 1000
}

@test "a failing stage (crashat -x 3): commit exits 3, the offset unchanged" {
	echo 0 >off
	consume 'commit -a -o off -- crashat -x 3 500 -- ./sink'
	assert_equal "$status" 3
	assert_equal "$(cat off)" 0
	ledger_is 0-499
	consume 'commit -a -o off -- ./sink'
	assert_equal "$status" 0
	ledger_is 0-499 0-499 500-999
	assert_equal "$(cat off)" 1000
}

@test "a failing stage with -e: its acknowledged progress is kept" {
	consume 'commit -e -a -n 100 -o off -- crashat -x 3 500 -- ./sink'
	assert_equal "$status" 3
	assert_equal "$(cat off)" 500
	consume 'commit -e -a -n 100 -o off -- ./sink'
	ledger_is 0-499 500-999
	assert_equal "$(cat off)" 1000
}

@test "a failing stage before processing: the batch was committed, its rest lost" {
	consume 'commit -b -n 300 -o off -- crashat -x 3 500 -- ./sink'
	assert_equal "$status" 3
	assert_equal "$(cat off)" 600
	consume 'commit -b -n 300 -o off -- ./sink'
	ledger_is 0-499 600-999
	assert_equal "$(cat off)" 1000
}

# until_done STAGES SEED: run "logcat | STAGES" again and again, until the
# offset reaches 1000 (or give up after 200 runs).  In STAGES, $CRASH is a
# crashat with a seeded random crash, its seed drawn from SEED and the
# run; $CRASHAT a crashat at an offset so drawn, within 300 records of the
# committed one, for commands that start a crashat per batch (which with
# -r would draw the same crash point in every batch).
until_done() {
	local i off at stages
	for i in $(seq 200); do
		off=$(cat off 2>/dev/null || echo 0)
		at=$(awk -v s="$(($2 * 1000 + i))" -v o="$off" 'BEGIN { srand(s); print o + int(rand() * 300) }')
		stages=${1//\$CRASHAT/crashat $at}
		consume "${stages//\$CRASH/crashat -r 0.004 -S $(($2 * 1000 + i))}"
		[ "$status" = 137 ] && CRASHES=$((CRASHES + 1))
		[ "$(cat off 2>/dev/null)" = 1000 ] && return 0
	done
	fail "offset $(cat off 2>/dev/null) after 200 runs"
}

# never_lost: every event is in the ledger, at least once.
never_lost() {
	tagged 0 1000 >want
	sort -u ledger | sort -n | cmp - want || fail "events lost: $(cut -f1 want | sort | comm -23 - <(cut -f1 ledger | sort -u) | head -5 | tr '\n' ' ')"
}

# never_twice: no event is in the ledger twice, and nothing foreign is.
never_twice() {
	[ -z "$(sort ledger | uniq -d)" ] || fail "processed twice: $(sort ledger | uniq -d | cut -f1 | head -5 | tr '\n' ' ')"
	tagged 0 1000 | sort >all
	[ -z "$(sort ledger | comm -23 - all)" ] ||
	    fail "foreign events in the ledger: $(sort ledger | comm -23 - all | head -3 | sed -n l)"
}

# The crash is placed after the processing it races with, so that it
# falls after some records were processed (a crashat ahead of the sink
# reads ahead and kills every run before the sink has done anything).

@test "free-running crashes after processing, several seeds: nothing is ever lost" {
	for seed in 1 2 3; do
		rm -f off off.lock; : >ledger
		until_done './sink | $CRASH | commit -a -n 50 -o off' "$seed"
		never_lost
		rm -f off off.lock; : >ledger
		until_done "commit -a -n 50 -o off -- sh -c './sink | \$CRASHAT'" "$seed"
		never_lost
		rm -f off off.lock; : >ledger
		until_done "commit -e -a -n 20 -o off -- sh -c './sink | \$CRASH'" "$seed"
		never_lost
	done
	echo "# $CRASHES runs crashed" >&3
	[ "$CRASHES" -ge 9 ]
}

@test "free-running crashes before processing, several seeds: nothing is ever twice" {
	for seed in 1 2 3; do
		rm -f off off.lock; : >ledger
		until_done 'commit -b -n 50 -o off | ./sink | $CRASH' "$seed"
		never_twice
		rm -f off off.lock; : >ledger
		until_done "commit -b -n 50 -o off -- sh -c './sink | \$CRASHAT'" "$seed"
		never_twice
		rm -f off off.lock; : >ledger
		until_done "commit -e -b -n 20 -o off -- sh -c './sink | \$CRASH'" "$seed"
		never_twice
	done
	echo "# $CRASHES runs crashed" >&3
	[ "$CRASHES" -ge 9 ]
}

# whole_ms STAGES: how many milliseconds a whole run of STAGES takes here,
# measured on a copy of the log with state of its own.
whole_ms() {
	local t0 t1
	mkdir -p whole && cp events.log sink whole/ && rm -f whole/off*
	t0=$(date +%s%N)
	(cd whole && setsid -w sh -c "logcat -o off events.log | $1 >/dev/null")
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# killed STAGES SEED: like until_done, but the run is killed with SIGKILL
# (its whole process group) at a moment drawn from SEED within the first
# two thirds of a whole run, measured first: a fixed window would let a
# fast machine finish before the kill and a slow one die at once.
killed() {
	local i t ms
	ms=$(whole_ms "$1")
	for i in $(seq 60); do
		t=$(awk -v s="$(($2 * 100 + i))" -v ms="$ms" 'BEGIN { srand(s); printf "%.3f", (0.05 + rand() * 0.6) * ms / 1000 }')
		run setsid -w timeout -s KILL "$t" sh -c "logcat -o off events.log | $1 >/dev/null"
		settle
		[ "$status" = 137 ] && CRASHES=$((CRASHES + 1))
		[ "$(cat off 2>/dev/null)" = 1000 ] && return 0
	done
	fail "offset $(cat off 2>/dev/null) after 60 runs"
}

@test "kill -9 of the pipeline at random moments, several seeds: -a never loses, -b never duplicates" {
	for seed in 1 2 3; do
		rm -f off off.lock; : >ledger
		killed 'commit -a -n 50 -o off -- ./sink' "$seed"
		never_lost
		rm -f off off.lock; : >ledger
		killed 'commit -e -a -n 20 -o off -- ./sink' "$seed"
		never_lost
		rm -f off off.lock; : >ledger
		killed 'commit -b -n 50 -o off -- ./sink' "$seed"
		never_twice
		rm -f off off.lock; : >ledger
		killed 'commit -e -b -n 20 -o off -- ./sink' "$seed"
		never_twice
	done
	echo "# $CRASHES runs crashed" >&3
	[ "$CRASHES" -ge 9 ]
}

# --- effectively exactly-once: at-least-once + dedup -e ----------------------
#
# dedup records a key only once the sink acknowledged its record, and feeds
# at most -n records beyond its last group commit; commit -a after it
# commits only records whose keys are durable.  dedup -w: a killed run's
# lock on the seen-set may outlive the offset file's by a moment.

@test "dedup -e -n 1, crash at 500: after the restart every event exactly once" {
	consume 'dedup -w -s seen -k click_id -e -- crashat 500 -- ./sink | commit -a -o off'
	assert_equal "$status" 137
	ledger_is 0-499
	# each key durable before the next record was fed: 0-499 all
	recorded_are 0 499
	off_at_most 500
	consume 'dedup -w -s seen -k click_id -e -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	ledger_is 0-999
	assert_equal "$(cat off)" 1000
	# A third run finds nothing new.
	consume 'dedup -w -s seen -k click_id -e -- ./sink | commit -a -o off'
	ledger_is 0-999
}

@test "dedup -e -n 100, crash at 500: only what the last groups did twice, at most -n" {
	consume 'dedup -w -s seen -k click_id -e -n 100 -- crashat 500 -- ./sink | commit -a -o off'
	assert_equal "$status" 137
	ledger_is 0-499
	# groups of 50, each made durable while the next is fed: record 500
	# is fed only once 0-399 are durable, so the set holds 0-399, 0-449
	# or 0-499, whole groups, never a key of a record not acknowledged
	b=$(recorded_upto 400 450 500)
	off_at_most "$b" 50
	consume 'dedup -w -s seen -k click_id -e -n 100 -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	# exactly the acknowledged records whose keys were not yet recorded
	# come twice
	if [ "$b" = 500 ]; then ledger_is 0-999; else ledger_is 0-999 "$b-499"; fi
	assert_equal "$(cat off)" 1000
}

@test "dedup -e -n 100, crash at 550: only the unrecorded groups twice, at most -n" {
	consume 'dedup -w -s seen -k click_id -e -n 100 -- crashat 550 -- ./sink | commit -a -o off'
	assert_equal "$status" 137
	ledger_is 0-549
	# record 550 is fed only once 0-449 are durable
	b=$(recorded_upto 450 500 550)
	off_at_most "$b" 50
	consume 'dedup -w -s seen -k click_id -e -n 100 -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	if [ "$b" = 550 ]; then ledger_is 0-999; else ledger_is 0-999 "$b-549"; fi
	assert_equal "$(cat off)" 1000
}

@test "dedup in command mode, one run per batch, crash at 500: only the crashed batch twice" {
	# commit -a runs dedup once per batch of 300; dedup runs the sink on
	# the batch's new records and records their keys once it exits 0
	consume 'commit -a -n 300 -o off -- dedup -w -s seen -k click_id -- crashat 500 -- ./sink'
	assert_equal "$status" 137
	ledger_is 0-499
	assert_equal "$(cat off)" 300
	recorded_are 0 299
	consume 'commit -a -n 300 -o off -- dedup -w -s seen -k click_id -- ./sink'
	assert_equal "$status" 0
	# what the crashed batch's sink had done (300-499) is done again:
	# the duplicates of one batch, as dedup(1) says
	ledger_is 0-999 300-499
	assert_equal "$(cat off)" 1000
	recorded_are 0 999
}

@test "the stages after a filter are at-most-once: a later stage that fails loses what was committed" {
	# commit writes each batch on and commits it; the last stage fails at
	# 500 (a plain exit, not a crash of the group), after commit has
	# written into the pipe, and committed, most of the log
	consume 'commit -a -n 100 -o off | crashat -x 3 500 -- ./sink'
	ledger_is 0-499
	v=$(cat off)
	[ "$v" -gt 500 ] || fail "only $v committed"
	consume 'commit -a -n 100 -o off | ./sink'
	# 500 to v-1 were committed, never processed: lost
	if [ "$v" -lt 1000 ]; then ledger_is 0-499 "$v-999"; else ledger_is 0-499; fi
	assert_equal "$(cat off)" 1000
	# dedup in filter mode the same: a key is recorded once its record is
	# written on, so what a failing later stage did not do is lost
	rm -f off off.lock
	: >ledger
	consume 'dedup -s seen -k click_id | crashat -x 3 500 -- ./sink'
	ledger_is 0-499
	recorded_are 0 999
	consume 'dedup -s seen -k click_id | ./sink'
	ledger_is 0-499
}

@test "producer retries (a click_id several times) and a crash at 500: each charged once" {
	# Every fifth event is sent again after the next one, one in ten a
	# third time: 1300 records, 1000 click_ids.
	awk 'BEGIN {
		for (i = 0; i < 1000; i++) {
			printf "{\"click_id\":\"c%d\",\"advertiser\":\"a%d\",\"amount\":0.05}\n", i, i % 7
			if (i % 5 == 4)
				printf "{\"click_id\":\"c%d\",\"advertiser\":\"a%d\",\"amount\":0.05}\n", i - 1, (i - 1) % 7
			if (i % 10 == 9)
				printf "{\"click_id\":\"c%d\",\"retry\":2,\"amount\":0.05}\n", i - 1
		}
	}' >events.log
	assert_equal "$(wc -l <events.log)" 1300
	consume 'dedup -w -s seen -k click_id -e -- crashat 500 -- ./sink | commit -a -o off'
	assert_equal "$status" 137
	consume 'dedup -w -s seen -k click_id -e -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	# The last two records are retries dedup dropped: its progress mark
	# lets commit commit past them, to the end of the log.
	assert_equal "$(cat off)" 1300
	grep -o '"click_id":"c[0-9]*"' ledger | sort | uniq -c >counts
	assert_equal "$(wc -l <counts)" 1000
	assert_equal "$(awk '$1 != 1' counts)" ""
	# The first copy of each was the one charged.
	assert_equal "$(grep -c retry ledger)" 0
}

@test "free-running crashes with dedup -e, several seeds: never lost; twice only within a group" {
	for seed in 1 2 3; do
		# Lockstep: the crash falls between an acknowledgement and
		# the next record, so -n 1 leaves nothing twice.
		rm -rf off off.lock seen seen.lock; : >ledger
		until_done 'dedup -w -s seen -k click_id -e -- $CRASH -- ./sink | commit -a -n 50 -o off' "$seed"
		never_lost
		never_twice
		# The crash after the sink races with it: whatever the sink
		# did beyond the last group commit (-n 20) comes again.
		rm -rf off off.lock seen seen.lock; : >ledger
		before=$CRASHES
		until_done "dedup -w -s seen -k click_id -e -n 20 -- sh -c './sink | \$CRASH' | commit -a -n 50 -o off" "$seed"
		never_lost
		extra=$(($(wc -l <ledger) - 1000))
		[ "$extra" -le $((20 * (CRASHES - before))) ] ||
		    fail "$extra events twice in $((CRASHES - before)) crashes"
	done
	echo "# $CRASHES runs crashed" >&3
	[ "$CRASHES" -ge 6 ]
}
