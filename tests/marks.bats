#!/usr/bin/env bats
# Progress marks (DESIGN.md section 1): "OFFSET" alone on a line, "every
# record up to and including OFFSET is done; there is nothing to deliver".
# dedup writes one, in command mode and with -e, for the records it drops
# after the last one it passed on, so that commit can commit past them:
# a consumer whose log ends in duplicates reaches the end (lag 0) instead
# of reading them again at every run.  commit commits past a mark and
# never hands one to a command or, with -p, to stdout; crashat passes
# marks on uncounted; a sink never sees one.  Bad marks are bad input.
# Crashes are real (crashat, kill -9) and run under setsid; each test
# asserts which events the sink got and how often, and the offset file.

load test_helper
load seenset

# retries N D FILE: N events, click_ids c0 .. c(N-1), then D retries of
# the events c0 .. c(D-1), sent again by the producer: a log of N + D
# records whose last D are duplicates.
retries() {
	awk -v n="$1" -v d="$2" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "{\"click_id\":\"c%d\",\"advertiser\":\"a%d\",\"amount\":0.05}\n", i, i % 7
		for (i = 0; i < d; i++)
			printf "{\"click_id\":\"c%d\",\"retry\":1}\n", i
	}' >"$3"
}

# once_each N FILE...: the FILEs hold the events c0 .. c(N-1), each once.
once_each() {
	local want
	want=$(seq 0 $(($1 - 1)) | sed 's/^/c/' | sort)
	shift
	[ "$(keys "$@")" = "$want" ] || {
		echo "twice: $(keys "$@" | uniq -d | head -5 | tr '\n' ' ')" >&2
		echo "missing: $(comm -13 <(keys "$@" | uniq) <(cat <<<"$want") | head -5 | tr '\n' ' ')" >&2
		return 1
	}
}

# lag_is N [LOG]: logcat -L says the consumer of ./off is N behind.
lag_is() {
	run -0 logcat -L -o off "${2:-events.log}"
	assert_equal "$(cut -f5 <<<"$output")" "$1"
}

# no_marks FILE...: every line of the FILEs is a record (holds a TAB).
no_marks() {
	! grep -naxv '.*	.*' "$@" || fail "a mark reached a sink: $*"
}

# A stream of records 0, 2, 5 and marks 1, 3, 4, 6.
MIXED=$'0\ta\n1\n2\tb\n3\n4\n5\tc\n6'

setup() {
	mksink
	: >ledger
}

# --- the lag that never reached 0 ------------------------------------------

@test "dedup -e: a run whose tail is all duplicates ends at the end of the log, lag 0" {
	retries 100 20 events.log
	consume 'dedup -s seen -k click_id -e -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	once_each 100 ledger
	assert_equal "$(cat off)" 120
	lag_is 0
	# the next run reads nothing, delivers nothing
	consume 'dedup -s seen -k click_id -e -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	once_each 100 ledger
	assert_equal "$(cat off)" 120
	# more retries arrive, and nothing else: commit gets a mark alone
	head -n 30 events.log >more
	cat more >>events.log
	consume 'dedup -s seen -k click_id -e -n 10 -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	once_each 100 ledger
	assert_equal "$(cat off)" 150
	lag_is 0
	no_marks ledger
}

@test "dedup in command mode: a batch of duplicates at the end is committed past, lag 0" {
	retries 100 20 events.log
	# the sink echoes what it did; dedup's mark follows its output
	consume 'dedup -s seen -k click_id -n 30 -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	once_each 100 ledger
	assert_equal "$(cat off)" 120
	lag_is 0
	# under commit, one dedup run per batch: commit commits its batches
	rm -f off
	consume 'commit -a -n 30 -o off -- dedup -s seen -k click_id -- ./sink'
	assert_equal "$status" 0
	assert_equal "$(cat off)" 120
	once_each 100 ledger
	no_marks ledger
}

@test "-m drop: records without the key at the end are committed past as well" {
	mklog 10 events.log
	printf '{"other":%d}\n' 1 2 3 >>events.log
	consume 'dedup -s seen -k click_id -m drop -e -- ./sink | commit -a -o off'
	assert_equal "$(cat off)" 13
	once_each 10 ledger
	rm -rf off seen
	: >ledger
	consume 'dedup -s seen -k click_id -m drop -n 4 -- ./sink | commit -a -o off'
	assert_equal "$(cat off)" 13
	once_each 10 ledger
}

@test "twins held back while the first is in flight are covered by the mark" {
	printf '0\t{"click_id":"a"}\n1\t{"click_id":"a"}\n2\t{"click_id":"a"}\n' >in
	# the command acknowledges only once it has read everything, so the
	# twins 1 and 2 are read while 0 is in flight
	run -0 dedup -s seen -k click_id -e -n 3 -- sh -c 'cat >got; sed "s/.*/ok/" got' <in
	assert_output "$(printf '0\t{"click_id":"a"}\n2')"
	assert_equal "$(cat got)" "$(head -n 1 in)"
}

# --- who writes a mark, and who never sees one --------------------------------

@test "commit commits past marks in every mode; a command never sees one, nor -p output" {
	printf '%s\n' "$MIXED" >in
	grep '	' in >records
	cut -f2 records >payloads
	for mode in '-a' '-b -n 2' '-a -n 1' '-b -n 1'; do
		rm -f off off2
		run -0 commit $mode -o off <in
		assert_equal "$output" "$MIXED"
		assert_equal "$(cat off)" 7
		run -0 commit $mode -p -o off2 <in
		assert_equal "$output" "$(cat payloads)"
		assert_equal "$(cat off2)" 7
	done
	for mode in '-a' '-b' '-a -n 2' '-b -n 1' '-a -p' '-b -p -n 2'; do
		rm -f off fed
		run -0 commit $mode -o off -- sh -c 'cat >>fed' <in
		assert_output ''
		if [[ $mode == *-p* ]]; then cmp fed payloads; else cmp fed records; fi
		assert_equal "$(cat off)" 7
	done
	ACKER='while IFS= read -r l; do printf "%s\n" "$l" >>fed; echo ok; done'
	for mode in '-a' '-b' '-a -n 1' '-b -n 1' '-a -n 3' '-a -t 0'; do
		rm -f off fed
		run -0 commit -e $mode -o off -- sh -c "$ACKER" <in
		cmp fed records
		# the records, and marks in their places: the last one at least
		assert_equal "$(grep '	' <<<"$output")" "$(cat records)"
		assert_equal "${lines[-1]}" 6
		cut -f1 <<<"$output" | sort -n -c -u
		[ -z "$(grep -vx '[0-9]*	.*\|1\|3\|4\|6' <<<"$output")" ]
		assert_equal "$(cat off)" 7
		rm -f off fed
		run -0 commit -e -p $mode -o off -- sh -c "$ACKER" <in
		cmp fed payloads
		assert_output "$(cat payloads)"
		assert_equal "$(cat off)" 7
	done
}

@test "commit: a batch of marks alone runs no command and is committed" {
	printf '3\n9\n' >in
	echo 3 >off
	run -0 commit -a -o off -- sh -c 'echo ran >>ran' <in
	assert_file_not_exist ran
	assert_equal "$(cat off)" 10
	echo 3 >off
	run -0 commit -b -n 1 -o off -- sh -c 'echo ran >>ran' <in
	assert_file_not_exist ran
	assert_equal "$(cat off)" 10
	echo 3 >off
	run -0 commit -e -o off -- sh -c 'cat >>fed' <in
	assert_output "$(printf '9')"
	assert_equal "$(wc -c <fed)" 0
	assert_equal "$(cat off)" 10
	echo 3 >off
	run -0 --separate-stderr commit -v -o off <in
	assert_output "$(printf '3\n9')"
	[[ $stderr == 'commit: 0 records in, 0 out, 2 progress marks, offset 10 committed (1 commit), '* ]]
}

@test "commit -e: a mark is committed only once every record before it is acknowledged" {
	printf '0\ta\n1\n' >in
	# record 0 is acknowledged only once ./go exists
	run -0 --separate-stderr bash -c '
		commit -e -t 10 -o off -- sh -c "read -r l; echo \"\$l\" >fed; while [ ! -e go ]; do sleep 0.01; done; echo ok; cat >/dev/null" <in >out &
		until_file() { for _ in $(seq 500); do [ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0; sleep 0.01; done; return 1; }
		until_file fed "$(printf "0\ta")" || exit 3
		sleep 0.3
		[ ! -e off ] || { echo "committed $(cat off) before the acknowledgement"; exit 4; }
		[ ! -s out ] || { echo "wrote $(cat out) before the acknowledgement"; exit 5; }
		touch go
		wait $!'
	assert_equal "$(cat out)" "$(cat in)"
	assert_equal "$(cat off)" 2
}

@test "dedup -e: the mark waits until every record fed before the drops is acknowledged and durable" {
	printf '0\ta\n1\tb\n2\ta\n3\tb\n' >in
	# both records are fed (-n 2), their twins held back; the command
	# acknowledges nothing until ./go exists
	run -0 --separate-stderr bash -c '
		dedup -e -n 2 -t 10 -s seen -- sh -c "while IFS= read -r l; do echo \"\$l\" >>fed; if [ \$(wc -l <fed) = 2 ]; then while [ ! -e go ]; do sleep 0.01; done; echo ok; echo ok; fi; done" <in >out &
		until_file() { for _ in $(seq 500); do [ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0; sleep 0.01; done; return 1; }
		until_file fed "$(printf "0\ta\n1\tb")" || exit 3
		sleep 0.3
		[ ! -s out ] || { echo "wrote $(cat out) before the acknowledgement"; exit 5; }
		touch go
		wait $!'
	assert_equal "$(cat out)" "$(printf '0\ta\n1\tb\n3')"
	# the keys were durable before the mark went out: a new run drops both
	run -0 dedup -s seen <in
	assert_output ''
	# command mode: only once the command exited 0 and the batch's keys
	# are durable
	printf '0\ta\n1\ta\n' >in3
	run -3 --separate-stderr dedup -s seen3 -- sh -c 'cat >/dev/null; exit 3' <in3
	assert_output ''
	run -0 dedup -s seen3 -- sh -c 'cat >/dev/null' <in3
	assert_output 1
	run -0 dedup -s seen3 <in3
	assert_output ''
}

@test "dedup writes marks in command mode and with -e only; it drops the marks it reads in filter mode" {
	printf '%s\n' "$MIXED" >in
	grep '	' in >records
	run -0 dedup -s s1 <in
	assert_output "$(cat records)"
	run -0 dedup -s s2 -- sh -c 'cat >>fed' <in
	assert_output 6
	cmp fed records
	rm fed
	run -0 dedup -s s3 -n 1 -- sh -c 'cat >>fed; echo done' <in
	assert_output "$(printf 'done\ndone\ndone\n6')"
	cmp fed records
	rm fed
	# -p: the command's output is not a tagged stream: no mark in it
	run -0 dedup -p -s s4 -- sh -c 'cat >>fed' <in
	assert_output ''
	rm fed
	run -0 dedup -e -s s5 -- sh -c 'tee -a fed' <in
	assert_output "$(printf '%s\n6' "$(cat records)")"
	cmp fed records
	rm fed
	run -0 dedup -e -p -s s6 -- sh -c 'tee -a fed' <in
	assert_output "$(printf '%s\n6' "$(cat records)")"
	cmp fed <(cut -f2 records)
	# a mark first: no record, no payload yet
	printf '3\n4\tx\n5\n' >in2
	run -0 dedup -s s8 <in2
	assert_output "$(printf '4\tx')"
	run -0 dedup -e -s s9 -- cat <in2
	assert_output "$(printf '4\tx\n5')"
	# -v counts them
	run -0 --separate-stderr dedup -v -e -s s7 -- cat <in
	[[ $stderr == 'dedup: 3 in, 3 out, 0 duplicates, 0 held back, 0 in flight, progress marks 4 in, 1 out, 0 without key, 3 keys in s7, '* ]]
}

@test "dedup after dedup: a mark read is a drop, and the last consumer reaches the end" {
	retries 100 20 events.log
	cat >sink2 <<-'SINK'
	#!/bin/sh
	while IFS= read -r ev; do
		printf '%s\n' "$ev" >>ledger2
		printf '%s\n' "$ev"
	done
	SINK
	chmod +x sink2
	consume 'dedup -s seen -k click_id -e -- ./sink | dedup -s seen2 -k click_id -e -- ./sink2 | commit -a -o off'
	assert_equal "$status" 0
	once_each 100 ledger
	once_each 100 ledger2
	assert_equal "$(cat off)" 120
	no_marks ledger ledger2
}

@test "commit without -p writes marks on: a second commit further on reaches the end too" {
	retries 50 10 events.log
	consume 'dedup -s seen -k click_id -e -- ./sink | commit -a -o off | commit -a -o off2'
	assert_equal "$(cat off)" 60
	assert_equal "$(cat off2)" 60
	# and -p on the last stage gives the plain events alone
	rm -rf off off2 seen
	: >ledger
	run setsid -w sh -c 'logcat -o off events.log | dedup -s seen -k click_id -e -- ./sink | commit -p -a -o off'
	assert_equal "$status" 0
	assert_equal "$output" "$(head -n 50 events.log)"
	assert_equal "$(cat off)" 60
}

# --- crashat ------------------------------------------------------------------

@test "crashat passes marks on uncounted: never a crash point, never fed, written in order" {
	printf '%s\n' "$MIXED" >in
	grep '	' in >records
	run -0 setsid -w crashat 1000 <in
	assert_output "$MIXED"
	run -0 setsid -w crashat -p 1000 <in
	assert_output "$(cut -f2 records)"
	run -0 setsid -w crashat 1000 -- ./sink <in
	assert_output "$MIXED"
	cmp ledger records
	# the first record at or after 4 is 5: mark 4 is no crash point, and
	# marks 3 and 4 reach stdout before the crash
	for at in 3 4 5; do
		: >ledger
		run -137 setsid -w crashat "$at" -- ./sink <in
		assert_output "$(printf '0\ta\n1\n2\tb\n3\n4')"
		assert_equal "$(cat ledger)" "$(printf '0\ta\n2\tb')"
		run -137 setsid -w crashat "$at" <in
		assert_output "$(printf '0\ta\n1\n2\tb\n3\n4')"
	done
	# -c counts lines, untagged: a mark is a line like any other there
	run -137 setsid -w crashat -c 2 <in
	assert_output "$(printf '0\ta\n1')"
	# -r draws only for records: the same seed crashes at the same record
	# with or without marks in the stream
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "%d\tp%d\n", 2 * i, i }' >plain
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "%d\tp%d\n%d\n", 2 * i, i, 2 * i + 1 }' >marked
	run -137 --separate-stderr setsid -w crashat -r 0.01 -S 11 <plain
	want=$stderr
	wantout=$output
	[[ $want == 'crashat: crashing at offset '*' (-S 11)' ]]
	run -137 --separate-stderr setsid -w crashat -r 0.01 -S 11 <marked
	assert_equal "$stderr" "$want"
	assert_equal "$(grep '	' <<<"$output")" "$wantout"
	# -v says how many
	run -0 --separate-stderr setsid -w crashat -v 1000 <in
	[[ $stderr == 'crashat: 3 records in, 3 out, 4 progress marks, '* ]]
}

# --- bad marks ----------------------------------------------------------------

@test "bad marks: 65 naming the line and what is wrong, nothing committed past the last good line" {
	echo 5 >off
	while IFS='|' read -r mark why order; do
		printf "5\tgood\n6\n$mark\n9\tafter\n" >in
		# one batch: not committed, nothing written on
		run -65 --separate-stderr commit -o off <in
		assert_equal "$stderr" "commit: stdin: line 3: $why"
		assert_output ''
		assert_equal "$(cat off)" 5
		# batches of one: the first written and committed (a mark out
		# of order would then be below the committed offset)
		[ -z "$order" ] || continue
		run -65 --separate-stderr commit -n 1 -o off <in
		assert_equal "$stderr" "commit: stdin: line 3: $why"
		assert_output "$(printf '5\tgood')"
		assert_equal "$(cat off)" 6
		echo 5 >off
		tally badinput 1
	done <<-'BAD'
	07|progress mark: offset has leading zeros
	00|progress mark: offset has leading zeros
	-8|progress mark: offset has a sign
	+8|progress mark: offset has a sign
	-0|progress mark: offset has a sign
	99999999999999999999|progress mark: offset is larger than 2^63-1
	6|progress mark 6 does not follow 6 (offsets must increase)|order
	5|progress mark 5 does not follow 6 (offsets must increase)|order
	9223372036854775807|progress mark 9223372036854775807 is the largest: the offset after it cannot be committed
	8 |no TAB after the offset, expected OFFSET<TAB>PAYLOAD
	BAD
	# a mark below the committed offset
	printf '4\n' >in
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" 'commit: stdin: line 1: progress mark 4 is below the committed offset 5 of off'
	assert_equal "$(cat off)" 5
	# a record that does not follow a mark
	printf '5\n5\tx\n' >in
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" 'commit: stdin: line 2: offset 5 does not follow 5 (offsets must increase)'
	assert_equal "$(cat off)" 5
	# in command mode and with -e too, before anything is fed
	printf '5\n07\n6\tx\n' >in
	run -65 --separate-stderr commit -o off -- sh -c 'cat >fed' <in
	assert_equal "$stderr" 'commit: stdin: line 2: progress mark: offset has leading zeros'
	assert_equal "$(cat off)" 5
	run -65 --separate-stderr commit -e -o off -- cat <in
	assert_equal "$stderr" 'commit: stdin: line 2: progress mark: offset has leading zeros'
	assert_equal "$(cat off)" 5
	# crashat and dedup: the same reasons, after the lines before
	printf '0\ta\n1\n-2\n3\tb\n' >in
	run -65 --separate-stderr setsid -w crashat 1000 <in
	assert_equal "$stderr" 'crashat: stdin: line 3: progress mark: offset has a sign'
	assert_output "$(printf '0\ta\n1')"
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" 'dedup: stdin: line 3: progress mark: offset has a sign'
	assert_output "$(printf '0\ta')"
	run -65 --separate-stderr dedup -s seen2 -e -- cat <in
	assert_equal "$stderr" 'dedup: stdin: line 3: progress mark: offset has a sign'
	assert_output "$(printf '0\ta\n1')"
	tally badinput 8
}

# --- crashes around a mark ----------------------------------------------------
#
# events.log: 1000 events, of which 500-599 are retries of 0-99 (dedup
# drops them); the sink appends each event it gets to the ledger.

mid_retries() {
	awk 'BEGIN {
		for (i = 0; i < 1000; i++) {
			id = (i >= 500 && i < 600) ? i - 500 : i
			printf "{\"click_id\":\"c%d\",\"n\":%d}\n", id, i
		}
	}' >events.log
}

# distinct: the click_ids of the log, each once
distinct_ids() {
	sed 's/.*"click_id":"\([^"]*\)".*/\1/' events.log | sort -u
}

# once_but_flight: after the rerun, every event of the log is in the
# ledger, and at most one twice: the record after 600 that the sink may
# have charged when crashat's kill came, before dedup made its key durable
# (the window of -e -n 1).
once_but_flight() {
	local twice
	assert_equal "$(keys ledger | uniq)" "$(distinct_ids)"
	twice=$(keys ledger | uniq -d)
	[ "$(wc -w <<<"$twice")" -le 1 ] || fail "twice: $twice"
	[ -z "$twice" ] || [ "${twice#c}" -gt 600 ] || fail "$twice, done before the crash, twice"
}

# crash_after_mark DEDUP FROM: "DEDUP | crashat 600 | commit -a -t 50 -o
# off" fed records FROM to 599 (not with -o: the pipeline's commit holds
# off); DEDUP, with -e -t 50, writes the mark of 500-599 once the input
# pauses there, and commit commits it; then record 600 comes, and crashat
# kills the pipeline before writing it on.
crash_after_mark() {
	local pid st=0
	mkfifo feed
	setsid sh -c "$1 <feed | crashat 600 | commit -a -t 50 -o off >/dev/null" &
	pid=$!
	exec 5>feed
	logcat -s "$2" -n $((600 - $2)) events.log >&5
	until_file off 600 || fail "the mark was not committed: offset $(cat off 2>/dev/null)"
	logcat -s 600 events.log >&5
	exec 5>&-
	wait "$pid" || st=$?
	assert_equal "$st" 137
	released off
	assert_equal "$(cat off)" 600
}

@test "crash right after a mark was committed: nothing lost, nothing twice but the record in flight" {
	mid_retries
	crash_after_mark 'dedup -w -s seen -k click_id -e -t 50 -- ./sink' 0
	# 0-499 charged, and 600 with its key made durable before dedup wrote
	# it on, to the crash; with -n 1 dedup may have fed the sink 601 and
	# more, each once the key before it was durable, before the kill
	# reached it: a run from 600 on, each once
	n=$(($(wc -l <ledger) - 500))
	[ "$n" -ge 1 ] || fail "600 was not charged"
	assert_equal "$(keys ledger)" "$( (seq 0 499; seq 600 $((599 + n))) | sed 's/^/c/' | sort)"
	# the run above read the log without -o: tell logcat -o it begins
	# at offset 0, as logcat(1) says
	printf 'exactly-segments 2\n' >off.seg
	consume 'dedup -w -s seen -k click_id -e -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	assert_equal "$(cat off)" 1000
	once_but_flight
	no_marks ledger
}

@test "crash at the first record after the drops, lockstep: nothing lost, nothing twice" {
	mid_retries
	# crashat is fed only what dedup passes on: the first at or after 500
	# is 600, so the crash falls right after the drops
	consume 'dedup -w -s seen -k click_id -e -- crashat 500 -- ./sink | commit -a -o off'
	assert_equal "$status" 137
	once_each 500 ledger
	[ "$(cat off 2>/dev/null || echo 0)" -le 600 ]
	consume 'dedup -w -s seen -k click_id -e -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	assert_equal "$(cat off)" 1000
	assert_equal "$(keys ledger)" "$(distinct_ids)"
	# the same in command mode: the batch of drops (500-599) runs no
	# command, its mark is written, and the crash falls in the next
	rm -rf off seen seen.lock
	: >ledger
	consume 'dedup -w -s seen -k click_id -n 100 -- crashat 600 -- ./sink | commit -a -o off'
	assert_equal "$status" 137
	once_each 500 ledger
	[ "$(cat off 2>/dev/null || echo 0)" -le 600 ]
	consume 'dedup -w -s seen -k click_id -n 100 -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	assert_equal "$(cat off)" 1000
	assert_equal "$(keys ledger)" "$(distinct_ids)"
	no_marks ledger
}

# at_end WHAT: after a run, the offset file, if any, is whole and has not
# gone back from $prev (then updated); true once it is at $END.
at_end() {
	local v
	[ -e off ] || return 1
	v=$(cat off)
	[[ $v =~ ^(0|[1-9][0-9]*)$ ]] || fail "$1: torn offset file"
	[ "$v" -ge "$prev" ] || fail "$1: offset back from $prev to $v"
	prev=$v
	[ "$v" = "$END" ]
}

# all_there SEED: the runs of SEED reached the end, delivered every event,
# and no mark reached the sink.
all_there() {
	[ "$prev" = "$END" ] || fail "seed $1: offset $prev after 300 runs"
	[ "$(keys ledger | uniq)" = "$(distinct_ids)" ] || fail "seed $1: events lost"
	no_marks ledger
}

# sweep STAGES SEEDS: cron-like runs of "logcat -o off -n 50 events.log |
# STAGES" ($CRASH a crashat -r with a seed drawn from the seed and the
# run, $NOW a clock in seconds from 1000 that moves on by one after each
# run that got through), again and again until the offset reaches the end
# of the log,
# checking after every run that the offset file is whole and never went
# back.  Each batch of 50 ends, now and then, in drops, so marks are
# written and crashed around often.  Counts crashes in $CRASHES.
sweep() {
	local seed i stages
	for seed in $2; do
		rm -rf off off.lock off.seg seen seen.lock
		: >ledger
		prev=0 NOW=1000
		for i in $(seq 300); do
			stages=${1//\$CRASH/crashat -r 0.02 -S $((seed * 1000 + i))}
			run setsid -w sh -c "logcat -o off -n 50 events.log | ${stages//\$NOW/$NOW} >/dev/null"
			settle
			RUNS=$((RUNS + 1))
			[ "$status" = 137 ] && CRASHES=$((CRASHES + 1))
			[ "$status" = 0 ] && NOW=$((NOW + 1))
			at_end "seed $seed run $i" && break
		done
		all_there "$seed"
		DUPS=$((DUPS + $(keys ledger | uniq -d | wc -l)))
	done
}

# chaos_log [near]: three in ten events retry one five before them, and
# the log ends in a run of ten retries, the tail a consumer must commit
# past: of events far back (0, 10, ... 90), or with near of 280-286, so
# that a retry comes at most ten records after its original, in its run
# or the one after: a second old at most on the clock of sweep, inside a
# window of two while every run that gets through starts a slice and
# drops one.
chaos_log() {
	awk -v near="${1:-}" 'BEGIN {
		for (i = 0; i < 300; i++) {
			if (i < 290)
				id = i % 10 >= 7 ? i - 5 : i
			else
				id = near ? 280 + (i - 290) % 7 : (i - 290) * 10
			printf "{\"click_id\":\"c%d\",\"n\":%d}\n", id, i
		}
	}' >events.log
	END=300
}

@test "crashat crashes around marks, several seeds: every event, the offset at the end, no repeat beyond the window" {
	chaos_log
	CRASHES=0 DUPS=0 RUNS=0
	# lockstep, -n 1: the crash falls between a key made durable and the
	# next record, so nothing is ever twice
	sweep 'dedup -w -s seen -k click_id -e -- $CRASH -- ./sink | commit -a -o off' '1 2'
	assert_equal "$DUPS" 0
	# a crash between dedup and commit, where the marks go by: it may
	# kill dedup between the sink's effect and its key's commit, the
	# window of -n 1, one record a crash at most
	before=$CRASHES
	sweep 'dedup -w -s seen -k click_id -e -- ./sink | $CRASH | commit -a -n 7 -o off' '3 4'
	[ "$DUPS" -le $((CRASHES - before)) ] ||
	    fail "$DUPS events twice in $((CRASHES - before)) crashes"
	echo "# $CRASHES of $RUNS runs crashed, $DUPS events twice" >&3
	[ "$CRASHES" -ge 4 ]
	tally chaos "4	$RUNS	$CRASHES"
}

# kill_sweep STAGES SEEDS [CHECK]: as sweep, with "logcat -o off -n 50
# events.log | STAGES" killed (kill -9 of the session, by timeout) at a
# random moment of a run's first two thirds, its length measured on a
# copy, however fast the machine; $NOW as in sweep.  After each seed,
# every event there, at most one repeat per kill (-n 1: the record fed
# beyond the last commit), then CHECK SEED if given.  Counts kills in
# $KILLS.
kill_sweep() {
	local seed i t ms t0 seedkills dups row m
	mkdir -p whole && cp events.log sink whole/
	# the fastest of three runs: one slowed by a burst of load elsewhere
	# would put most kills after the runs had ended
	ms=
	for _ in 1 2 3; do
		t0=$(date +%s%N)
		(cd whole && rm -rf off off.seg seen && setsid -w sh -c "logcat -o off -n 50 events.log | ${1//\$NOW/1000} >/dev/null")
		m=$((($(date +%s%N) - t0) / 1000000))
		[ -n "$ms" ] && [ "$ms" -le "$m" ] || ms=$m
	done
	for seed in $2; do
		rm -rf off off.lock off.seg seen seen.lock
		: >ledger
		prev=0 NOW=1000 seedkills=0 row=0
		for i in $(seq 300); do
			t=$(awk -v s="$((seed * 1000 + i))" -v ms="$ms" 'BEGIN { srand(s); printf "%.3f", (0.05 + rand() * 0.6) * ms / 1000 }')
			run setsid -w timeout -s KILL "$t" sh -c "logcat -o off -n 50 events.log | ${1//\$NOW/$NOW} >/dev/null"
			settle
			[ "$status" = 137 ] && seedkills=$((seedkills + 1)) row=$((row + 1))
			[ "$status" = 0 ] && NOW=$((NOW + 1)) row=0
			# a loaded machine runs slower than it measured: give
			# the runs longer after five kills in a row
			[ "$row" -lt 5 ] || ms=$((ms * 2)) row=0
			at_end "seed $seed run $i" && break
		done
		all_there "$seed"
		dups=$(keys ledger | uniq -d | wc -l)
		[ "$dups" -le "$seedkills" ] || fail "seed $seed: $dups twice in $seedkills kills"
		KILLS=$((KILLS + seedkills))
		[ -z "${3:-}" ] || "$3" "$seed"
	done
	echo "# $KILLS kill -9 (runs of $ms ms)" >&3
}

@test "kill -9 at random moments around marks: every event, a repeat only per kill, the offset at the end" {
	chaos_log
	KILLS=0
	kill_sweep 'dedup -w -s seen -k click_id -e -t 20 -- ./sink | commit -a -t 20 -o off' '1 2'
	[ "$KILLS" -ge 2 ]
}

# --- the same with a window (-W) ---------------------------------------------

@test "-W: a tail of duplicates committed past is not read again once the window forgot its keys" {
	retries 100 20 events.log
	for mode in '-e' '-n 30'; do
		rm -rf off off.seg seen
		: >ledger
		consume "EXACTLY_NOW=1000 dedup -W 100 -s seen -k click_id $mode -- ./sink | commit -a -o off"
		assert_equal "$status" 0
		assert_equal "$(cat off)" 120
		lag_is 0
		# long after, c0-c19 forgotten: the retries, committed past,
		# are not read again, so never pass as new
		consume "EXACTLY_NOW=2000 dedup -W 100 -s seen -k click_id $mode -- ./sink | commit -a -o off"
		assert_equal "$status" 0
		assert_equal "$(cat off)" 120
		once_each 100 ledger
		lag_is 0
	done
	no_marks ledger
}

@test "-W: crash right after a mark, the slice before it expired by the rerun: nothing lost, nothing twice but the record in flight" {
	mid_retries
	# 0-299 at 1000; then, at 1080, 300-599 (500-599 retries of 0-99,
	# 80 s old: dropped, their mark committed) and the crash before 600
	run setsid -w sh -c 'logcat -o off -n 300 events.log | EXACTLY_NOW=1000 dedup -W 100 -w -s seen -k click_id -e -- ./sink | commit -a -o off >/dev/null'
	settle
	assert_equal "$status" 0
	assert_equal "$(cat off)" 300
	crash_after_mark 'EXACTLY_NOW=1080 dedup -W 100 -w -s seen -k click_id -e -t 50 -- ./sink' 300
	# at 1110 the keys of 0-299 (their slice last committed at 1000) are
	# forgotten: had the mark not been committed, 500-599 would pass as
	# new; 600, charged at 1080, is still remembered
	consume 'EXACTLY_NOW=1110 dedup -W 100 -w -s seen -k click_id -e -- ./sink | commit -a -o off'
	assert_equal "$status" 0
	assert_equal "$(cat off)" 1000
	once_but_flight
	printf '0\t{"click_id":"c0"}\n' >old
	run -0 env EXACTLY_NOW=1110 dedup -W 100 -s seen -k click_id <old
	assert_output "$(cat old)"
	no_marks ledger
}

@test "-W: crashat and kill -9 around marks while slices expire: every event, the offset at the end, no repeat beyond the window" {
	chaos_log near
	CRASHES=0 DUPS=0 RUNS=0
	sweep 'EXACTLY_NOW=$NOW dedup -W 2 -w -s seen -k click_id -e -- $CRASH -- ./sink | commit -a -o off' '1 2'
	assert_equal "$DUPS" 0
	expired 2
	before=$CRASHES
	sweep 'EXACTLY_NOW=$NOW dedup -W 2 -w -s seen -k click_id -e -- ./sink | $CRASH | commit -a -n 7 -o off' '3 4'
	[ "$DUPS" -le $((CRASHES - before)) ] ||
	    fail "$DUPS events twice in $((CRASHES - before)) crashes"
	expired 4
	echo "# crashat: $CRASHES of $RUNS runs crashed, $DUPS events twice" >&3
	[ "$CRASHES" -ge 4 ]
	KILLS=0
	kill_sweep 'EXACTLY_NOW=$NOW dedup -W 2 -w -s seen -k click_id -e -t 20 -- ./sink | commit -a -t 20 -o off' '5 6' expired
	[ "$KILLS" -ge 2 ]
}

# expired SEED: slices were dropped on the way: the first is gone
expired() {
	! slices seen | grep -qx table ||
	    fail "seed $1: no slice expired (clock $NOW, $(slices seen | tr '\n' ' '))"
}
