# Shared set-up for every .bats file: load with `load test_helper`.
#
# Tests run the tools built in the top directory (or in $EXACTLY_BIN, for a
# sanitizer build), each test in its own scratch directory.  CI runs as
# root, so "unreadable" is made with a directory, never with chmod.

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PATH="${EXACTLY_BIN:-$ROOT}:$ROOT/tests/bin:$PATH"
export PATH LC_ALL=C

cd "$BATS_TEST_TMPDIR" || exit 1

# mklog N FILE [FIRST]: N JSON events, numbered from FIRST (default 0),
# each with a distinct click_id.
mklog() {
	awk -v n="$1" -v f="${3:-0}" 'BEGIN {
		for (i = f; i < f + n; i++)
			printf "{\"click_id\":\"c%d\",\"advertiser\":\"a%d\",\"amount\":0.05}\n", i, i % 7
	}' >"$2"
}

# tagged FIRST N: the tagged records logcat writes for mklog N from FIRST.
tagged() {
	awk -v f="$1" -v n="$2" 'BEGIN {
		for (i = f; i < f + n; i++)
			printf "%d\t{\"click_id\":\"c%d\",\"advertiser\":\"a%d\",\"amount\":0.05}\n", i, i, i % 7
	}'
}

# seqrange A B: the numbers A..B, one a line (empty when B < A).
seqrange() {
	[ "$2" -ge "$1" ] && seq "$1" "$2"
	return 0
}

# The reliability table (README.md, make reliability) is made from counts
# the suites write as they run.  When EXACTLY_STATS names a file, a suite
# appends one line per trial or sweep, tab-separated: KIND, NAME, numbers.
#   chaos      NAME SEEDS RUNS CRASHES    tests/chaos.bats, per pipeline
#   faults     NAME FAULTS                tests/faults.bats, per sweep
#   powerloss  NAME CRASHPOINTS           tests/powerloss.bats
#   badstate   NAME CASES                 tests/badstate.bats
#   badinput   NAME CASES                 tests/badinput.bats
#   fuzz       NAME EXECUTIONS            make fuzz-check, per harness
# Write a line only once the trials it counts passed their checks, so a
# count is of trials where nothing was lost.  Unset: nothing is written.

# tally KIND COUNT: one such line, NAME being the test's description.
tally() {
	[ -n "${EXACTLY_STATS:-}" ] || return 0
	printf '%s\t%s\t%s\n' "$1" "$BATS_TEST_DESCRIPTION" "$2" \
	    >>"$EXACTLY_STATS"
}

# --- Helpers shared by the consumer tests ------------------------------------
#
# (A .bats file that needs a helper of the same name with another meaning
# defines its own after load, which replaces the one here.)

# holdset SEEN RECORD: a dedup on the set SEEN, fed RECORD (a new key)
# through ./fifo on fd 5 and kept running once it has passed it; $held is
# its pid.  unholdset: let it end.
holdset() {
	mkfifo fifo
	dedup -s "$1" <fifo >held.out &
	held=$!
	exec 5>fifo
	printf '%s\n' "$2" >&5
	while ! [ -s held.out ]; do sleep 0.05; done
}

unholdset() {
	exec 5>&-
	wait "$held"
}

# waitsfor SEEN IN WANT: dedup -w on the set SEEN, which holdset holds,
# passes nothing while it is held, then exactly WANT of IN.
waitsfor() {
	local w
	dedup -w -s "$1" <"$2" >waited.out 5>&- &
	w=$!
	sleep 0.3
	assert_equal "$(cat waited.out)" ""
	unholdset
	wait $w
	assert_equal "$(cat waited.out)" "$3"
}

# tagit FIRST: tag stdin's lines from offset FIRST, byte for byte.
tagit() {
	LC_ALL=C awk -v f="$1" '{ printf "%d\t%s\n", f + NR - 1, $0 }'
}

# mksink: ./sink, which appends each record it is given to ./ledger and
# then acknowledges it (echoes it back), line by line.
mksink() {
	cat >sink <<-'SINK'
	#!/bin/sh
	# process an event: append it to the ledger, then acknowledge it
	while IFS= read -r ev; do
		printf '%s\n' "$ev" >>ledger
		printf '%s\n' "$ev"
	done
	SINK
	chmod +x sink
}

# consume STAGES [LOG]: one run of "logcat -o off LOG | STAGES" (LOG
# events.log) in its own session, so that a crash of its process group
# never reaches bats; its status is left in $status.  Then settle.
consume() {
	run setsid -w sh -c "logcat -o off ${2:-events.log} | $1 >/dev/null"
	settle
}

# released FILE: wait (at most 10 s) until FILE's consumer is gone: a
# consumer of another process group may take it.  (A killed pipeline's
# stages die a moment after the shell that ran them was reaped.)  The
# probe is a commit on no input, in a session of its own: it commits
# nothing, and exits 75 only while FILE is held.
released() {
	local st
	for _ in $(seq 1000); do
		st=0
		setsid -w commit -o "$1" </dev/null >/dev/null 2>&1 || st=$?
		[ "$st" != 75 ] && return 0
		sleep 0.01
	done
	return 1
}

# attempt PIPELINE SEED TRY STORE P: one run of the chaos suites'
# PIPELINE (tests/chaos.bats, tests/kafka-chaos.bats) in a session of its
# own, @SEED@ in it the run's seed and @P@ crashat's probability P; every
# third run is killed whole from outside at a random moment instead
# (unless NOKILL is set), with @P@ 0.  Status in rc; returns once STORE is
# released.
attempt() {
	local p=$1 s=$(($2 * 1000 + $3)) pid st=0
	p=${p//@SEED@/$s}
	if (($3 % 3 == 0)) && [ -z "${NOKILL:-}" ]; then
		p=${p//@P@/0}
		setsid sh -c "$p" >/dev/null 2>>errs &
		pid=$!
		sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
		kill -KILL -- -"$pid" 2>/dev/null || true
		wait "$pid" || st=$?
	else
		p=${p//@P@/$5}
		setsid -w sh -c "$p" >/dev/null 2>>errs || st=$?
	fi
	echo "$st" >rc
	released "$4" || fail "$4 still held 10 s after a run"
}

# settle: after a run, wait until its consumer of ./off is gone, keeping
# the run's $status.
settle() {
	local st=$status
	released off || fail "off is still held 10 s after the run"
	[ "$st" = 0 ] || untear
	status=$st
}

# flipbit FILE BYTE BIT: flip one bit of FILE in place (a damage that
# always changes the byte, whatever it held).
flipbit() {
	local v
	v=$(od -An -tu1 -j "$2" -N1 "$1")
	printf "\\$(printf %03o $((v ^ (1 << $3))))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# untear: a sink killed while appending an event to ./ledger may leave
# that line cut short, since a write(2) to a file that crosses one of its
# pages can stop at the page for a fatal signal (4 of 300 SIGKILLs of a
# loop of 100-byte appends here).  Its event was not processed whole, as
# a sink's transaction would not have been committed: the cut line is
# removed, or the next append would run on from it and the checks would
# read one line that is no event.
untear() {
	local size cut
	[ -s ledger ] || return 0
	[ "$(tail -c 1 ledger | od -An -tx1)" != " 0a" ] || return 0
	size=$(wc -c <ledger)
	cut=$(tail -n 1 ledger | wc -c)
	truncate -s $((size - cut)) ledger
}

# holder_pid FILE: the pid recorded in FILE.lock, once a holder wrote it.
holder_pid() {
	for _ in $(seq 500); do
		if [ -s "$1.lock" ]; then
			awk '{ print $1 }' "$1.lock"
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# until_file FILE TEXT: wait (at most 5 s) until FILE holds TEXT.
until_file() {
	for _ in $(seq 500); do
		[ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.01
	done
	return 1
}

# until_exists FILE: wait (at most 5 s) until FILE exists.
until_exists() {
	for _ in $(seq 500); do
		[ -e "$1" ] && return 0
		sleep 0.01
	done
	return 1
}

# keys FILE...: the click_ids of the events in the FILEs, sorted, each as
# often as it occurs; keyset: each once.
keys() {
	cat "$@" | grep -ao '"click_id":"[^"]*"' | cut -d'"' -f4 | sort
}

keyset() {
	keys "$@" | uniq
}

# delivered FILE: how many whole records FILE holds, checking that they
# are the first records of ./want, in order.
delivered() {
	local k
	k=$(tr -cd '\n' <"$1" | wc -c)
	cmp -s <(head -n "$k" "$1") <(head -n "$k" want) || return 1
	echo "$k"
}

# ---- logs that rotate: rotation.bats, follow.bats -----------------------
#
# events.log holds numbered events, event N being the log's record N, so a
# test says which records must have arrived with ev_want A B.  Events vary
# in length, so that byte positions differ from one event to the next.

EV_PAD=abcdefghijklmnopqrstuvwxyz0123456789

# ev_write A B: append events A..B to events.log, opening it for every
# line, as a writer that reopens its log after rotation does.
ev_write() {
	awk -v a="$1" -v b="$2" -v pad="$EV_PAD" 'BEGIN {
		for (i = a; i <= b; i++) {
			printf "{\"n\":%d,\"pad\":\"%s\"}\n", i, substr(pad, 1 + i % 30) >>"events.log"
			close("events.log")
		}
	}'
}

# ev_want A B: the tagged records of events A..B.
ev_want() {
	awk -v a="$1" -v b="$2" -v pad="$EV_PAD" 'BEGIN {
		for (i = a; i <= b; i++)
			printf "%d\t{\"n\":%d,\"pad\":\"%s\"}\n", i, i, substr(pad, 1 + i % 30)
	}'
}

# lr_conf OPTION...: the logrotate configuration of events.log, lr.conf.
lr_conf() {
	{
		echo "$PWD/events.log {"
		printf '\t%s\n' "$@"
		echo "}"
	} >lr.conf
}

# lr_rotate: rotate now, with Debian's logrotate and a private state file.
lr_rotate() {
	command -v logrotate >/dev/null || PATH=$PATH:/usr/sbin
	logrotate -s lr.state -f lr.conf
}

# cron_consume [LOGCAT OPTION...]: one run of an at-least-once consumer,
# as cron starts it: logcat of events.log*, then commit -a, appending what
# was delivered to got.
cron_consume() {
	set -o pipefail
	logcat -o st/off "$@" events.log* | commit -a -o st/off >>got
}

# ev_delivered A B: got holds events A..B, each exactly once, at its
# offset, in order.
ev_delivered() {
	ev_want "$1" "$2" >want.txt
	touch got
	diff want.txt got
}

# live_consume ARG...: logcat -F -o st/off ARG... | commit -a -o st/off
# -t 100 in the background, into out, err (logcat's) and cerr (commit's);
# pid is logcat's, cpid the pipeline's, status logcat's exit status once
# it ended.
live_consume() {
	{ logcat -F -o st/off "$@" 2>err & echo $! >pid; wait $!; echo $? >status; } |
	    commit -a -o st/off -t 100 >out 2>cerr 3>&- &
	echo $! >cpid
	for ((t = 0; t < 100; t++)); do
		[ -s pid ] && return 0
		sleep 0.05
	done
	return 1
}

# live_finish: SIGTERM to the logcat of live_consume; the pipeline ends,
# logcat with status 0.
live_finish() {
	kill -TERM "$(cat pid)"
	wait "$(cat cpid)" || return
	rm pid
	[ "$(cat status)" = 0 ]
}
