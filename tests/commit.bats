#!/usr/bin/env bats
# commit: every option, bad input and state, failing commands, locking.

load test_helper

USAGE1='usage: commit [-a | -b] [-epvw] -o offsetfile [-n count] [-t ms] [-- command [arg ...]]'

# recs OFF...: one record per offset, payload "ev<OFF>".
recs() {
	for o in "$@"; do printf '%s\tev%s\n' "$o" "$o"; done
}

@test "usage errors exit 2 with a message and the usage line" {
	run -2 --separate-stderr commit
	assert_equal "${stderr_lines[0]}" "commit: -o offsetfile is required"
	assert_equal "${stderr_lines[1]}" "$USAGE1"
	run -2 --separate-stderr commit -o off -a -b
	assert_equal "${stderr_lines[0]}" "commit: -a and -b exclude each other"
	run -2 --separate-stderr commit -o off -e
	assert_equal "${stderr_lines[0]}" "commit: -e needs a command"
	run -2 --separate-stderr commit -o off -n 0
	assert_equal "${stderr_lines[0]}" "commit: -n 0: expected a count from 1 to 2^63-1"
	assert_equal "${stderr_lines[1]}" "$USAGE1"
	run -2 --separate-stderr commit -o off -n x
	assert_equal "${stderr_lines[0]}" "commit: -n x: expected a count from 1 to 2^63-1"
	run -2 --separate-stderr commit -o off -n 9223372036854775808
	assert_equal "${stderr_lines[0]}" "commit: -n 9223372036854775808: expected a count from 1 to 2^63-1"
	run -2 --separate-stderr commit -o off -t -5
	assert_equal "${stderr_lines[0]}" "commit: -t -5: expected milliseconds from 0 to 86400000"
	run -2 --separate-stderr commit -o off -t 86400001
	assert_equal "${stderr_lines[0]}" "commit: -t 86400001: expected milliseconds from 0 to 86400000"
	run -2 --separate-stderr commit -o off -R 5 -- cat
	assert_equal "${stderr_lines[0]}" "commit: -R takes only -o, -v and -w"
	run -2 --separate-stderr commit -o off -R 05
	assert_equal "${stderr_lines[0]}" "commit: -R 05: expected an offset from 0 to 2^63-1"
	run -2 --separate-stderr commit -o ''
	assert_equal "${stderr_lines[0]}" "commit: -o '': expected a file name"
	assert_equal "${stderr_lines[1]}" "$USAGE1"
	run -2 --separate-stderr commit -x -o off
	assert_equal "${stderr_lines[1]}" "$USAGE1"
	assert_file_not_exist off
}

@test "empty input: no output, nothing committed, exit 0" {
	run -0 --separate-stderr commit -o off </dev/null
	assert_output ''
	assert_equal "$stderr" ''
	assert_file_not_exist off
	run -0 commit -b -o off -- sh -c 'echo ran' </dev/null
	assert_output ''
	assert_file_not_exist off
}

@test "filter -a: records pass byte for byte, offset is last + 1" {
	tagged 0 1000 >in
	commit -o off <in >out
	cmp in out
	assert_equal "$(cat off)" 1000
	tagged 1000 5 | commit -a -o off >out
	tagged 1000 5 | cmp - out
	assert_equal "$(cat off)" 1005
}

@test "payloads are 8-bit clean: TAB, CR, NUL, invalid UTF-8, long lines" {
	{
		printf '0\ta\tb\r\n'
		printf '1\t\000\377\376x\n'
		printf '2\t\n'
		printf '3\t'; head -c 300000 /dev/zero | tr '\0' y; printf '\n'
	} >in
	commit -o off <in >out
	cmp in out
	commit -b -o off2 <in >out
	cmp in out
	assert_equal "$(cat off)" 4
	assert_equal "$(cat off2)" 4
}

@test "-p strips the tags, in filter and in command mode" {
	recs 0 1 2 >in
	run -0 commit -p -o off <in
	assert_output "$(printf 'ev0\nev1\nev2')"
	run -0 commit -b -p -o off2 <in
	assert_output "$(printf 'ev0\nev1\nev2')"
	run -0 commit -p -o off3 -- cat <in
	assert_output "$(printf 'ev0\nev1\nev2')"
	assert_equal "$(cat off) $(cat off2) $(cat off3)" "3 3 3"
}

@test "filter -b: same records, same offset" {
	tagged 0 100 >in
	commit -b -n 30 -o off <in >out
	cmp in out
	assert_equal "$(cat off)" 100
}

@test "-n groups commits: one per batch and at EOF (-v counts them)" {
	recs $(seq 0 9) >in
	run -0 --separate-stderr commit -v -n 3 -o off <in
	assert_equal "${#lines[@]}" 10
	assert_regex "$stderr" '^commit: 10 records in, 10 out, offset 10 committed \(4 commits\), [0-9.]+ s$'
	run -0 --separate-stderr commit -v -o off2 <in
	assert_regex "$stderr" '^commit: 10 records in, 10 out, offset 10 committed \(1 commit\), [0-9.]+ s$'
	run -0 --separate-stderr commit -v -o off2 </dev/null
	assert_regex "$stderr" '^commit: 0 records in, 0 out, offset 10 unchanged \(0 commits\), [0-9.]+ s$'
}

@test "one fsync group per batch, not one per record" {
	command -v strace >/dev/null || skip "no strace"
	strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	tagged 0 1000 >in
	strace -f -e trace=fsync -o trace commit -n 250 -o off <in >/dev/null
	# each commit: the temporary file, then its directory
	assert_equal "$(grep -c 'fsync(' trace)" 8
	strace -f -e trace=fsync -o trace commit -n 250 -o off2 -- cat <in >/dev/null
	assert_equal "$(grep -c 'fsync(' trace)" 8
}

@test "a gap in the offsets is fine; the offset is the last + 1" {
	recs 0 5 9 >in
	commit -o off <in >out
	cmp in out
	assert_equal "$(cat off)" 10
}

@test "resuming: records below the committed offset are bad input (65)" {
	echo 5 >off
	recs 5 6 >in
	commit -o off <in >/dev/null
	assert_equal "$(cat off)" 7
	recs 6 7 >in
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: stdin: line 1: offset 6 is below the committed offset 7 of off"
	assert_output ''
	assert_equal "$(cat off)" 7
}

@test "decreasing or repeated offsets: 65, the bad batch is not committed" {
	recs 0 1 3 2 >in
	run -65 --separate-stderr commit -n 2 -o off <in
	assert_equal "$stderr" "commit: stdin: line 4: offset 2 does not follow 3 (offsets must increase)"
	assert_equal "$(cat off)" 2
	recs 0 0 >in
	run -65 --separate-stderr commit -o off2 <in
	assert_equal "$stderr" "commit: stdin: line 2: offset 0 does not follow 0 (offsets must increase)"
	assert_file_not_exist off2
}

@test "bad tags: 65 naming the line and what is wrong, nothing committed" {
	printf '0\ta\nx1\tb\n' >in
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: stdin: line 2: offset is not a decimal number"
	printf '0\ta\n01\tb\n' >in
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: stdin: line 2: offset has leading zeros"
	printf 'no tab here\n' >in
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: stdin: line 1: no TAB after the offset, expected OFFSET<TAB>PAYLOAD"
	printf '\n' >in
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: stdin: line 1: empty line, expected OFFSET<TAB>PAYLOAD"
	printf '9223372036854775808\tx\n' >in
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: stdin: line 1: offset is larger than 2^63-1"
	printf '0\ta\n1\ttorn' >in
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: stdin: line 2: no newline at the end of the input (a torn record)"
	assert_file_not_exist off
	printf '0\ta\n1\tb\nbad\n' >in
	run -65 commit -o off -- sh -c 'cat >ran' <in
	assert_file_not_exist off
}

@test "malformed, empty or unreadable offset files: 65, left as they were" {
	recs 0 1 >in
	echo abc >off
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: offset file off: offset is not a decimal number"
	assert_output ''
	assert_equal "$(cat off)" abc
	: >off
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: offset file off: empty offset file"
	assert_equal "$(wc -c <off)" 0
	rm off
	mkdir off
	run -65 --separate-stderr commit -o off <in
	assert_equal "$stderr" "commit: offset file off: Is a directory"
	assert [ -d off ]
}

teardown() {
	# the test that makes the offset file immutable undoes it, even failed
	chattr -i "$BATS_TEST_TMPDIR/off" 2>/dev/null || true
}

@test "an offset file that cannot be replaced: 74, old offset kept" {
	echo 3 >off
	chattr +i off 2>/dev/null || skip "no chattr +i here"
	recs 3 4 >in
	run -74 --separate-stderr commit -o off <in
	assert_regex "$stderr" '^commit: rename: off\.tmp\.[0-9a-f]{8} to off: Operation not permitted$'
	assert_equal "$(cat off)" 3
	run -74 commit -o off -- cat <in
	assert_equal "$(cat off)" 3
	run -74 commit -o off -R 0
	assert_equal "$(cat off)" 3
	# each run that writes removes what the one before it left behind
	assert_equal "$(ls off.tmp.* | wc -l)" 1
	chattr -i off
	run -0 commit -o off <in
	assert_equal "$(cat off)" 5
	assert_equal "$(ls | grep -c '^off\.tmp')" 0
}

@test "an offset file on a read-only file system: 74, left as it was" {
	mkdir ro
	echo 5 >ro/off
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
	recs 5 6 >in
	run -74 --separate-stderr unshare -m sh -c \
	    'mount --bind ro ro && mount -o remount,bind,ro ro && commit -o ro/off <in'
	assert_equal "$stderr" "commit: open: ro/off.lock: Read-only file system"
	assert_equal "$(cat ro/off)" 5
}

@test "output to /dev/full: 74, nothing committed" {
	tagged 0 10 >in
	run -74 --separate-stderr sh -c 'commit -o off <in >/dev/full'
	assert_equal "$stderr" "commit: write: stdout: No space left on device"
	assert_file_not_exist off
	run -74 sh -c 'commit -b -p -o off2 <in >/dev/full'
	assert_equal "$(cat off2)" 10  # -b committed before it wrote: lost
}

@test "| head -1: the first record, and a batch not delivered is not committed" {
	tagged 0 100000 >in
	run -0 sh -c 'commit -o off <in | head -1'
	assert_output "$(tagged 0 1)"
	assert_file_not_exist off
}

@test "command mode: one run per batch, fed that batch" {
	recs $(seq 0 6) >in
	run -0 commit -n 3 -o off -- sh -c 'echo run; cat' <in
	assert_output "$(printf 'run\n'; recs 0 1 2; printf 'run\n'; recs 3 4 5; printf 'run\n'; recs 6)"
	assert_equal "$(cat off)" 7
	run -0 commit -b -n 4 -o off2 -- sh -c 'echo run; cat' <in
	assert_output "$(printf 'run\n'; recs 0 1 2 3; printf 'run\n'; recs 4 5 6)"
	assert_equal "$(cat off2)" 7
}

@test "command mode: a large batch streams through the command" {
	tagged 0 200000 >in
	commit -n 150000 -o off -- cat <in >out
	cmp in out
	assert_equal "$(cat off)" 200000
	commit -b -n 150000 -o off2 -- cat <in >out
	cmp in out
	assert_equal "$(cat off2)" 200000
}

@test "-a: a failed command's status passes through, its batch uncommitted, no further batch" {
	recs $(seq 0 9) >in
	# the second run fails
	run -3 commit -n 4 -o off -- sh -c 'cat >>got; echo x >>runs; [ $(wc -l <runs) -lt 2 ] || exit 3' <in
	assert_equal "$(cat off)" 4
	assert_equal "$(wc -l <runs)" 2
	assert_equal "$(cat got)" "$(recs $(seq 0 7))"
}

@test "-b: the batch is committed before the command runs, even if it fails" {
	recs $(seq 0 9) >in
	run -3 commit -b -n 4 -o off -- sh -c 'cat >>got; echo x >>runs; [ $(wc -l <runs) -lt 2 ] || exit 3' <in
	assert_equal "$(cat off)" 8
	assert_equal "$(wc -l <runs)" 2
}

@test "a command that cannot be found exits 127, one that cannot run 126" {
	recs 0 1 >in
	run -127 --separate-stderr commit -o off -- ./no-such-command <in
	assert_equal "$stderr" "commit: ./no-such-command: No such file or directory"
	assert_file_not_exist off
	printf '#!/bin/sh\ncat\n' >noexec
	chmod 644 noexec
	run -126 --separate-stderr commit -o off -- ./noexec <in
	assert_equal "$stderr" "commit: ./noexec: Permission denied"
	assert_file_not_exist off
	run -127 commit -b -o off2 -- ./no-such-command <in
	assert_equal "$(cat off2)" 2
}

@test "a command killed by signal N exits 128+N, nothing committed" {
	recs 0 1 >in
	run -137 commit -o off -- sh -c 'kill -9 $$' <in
	assert_file_not_exist off
	run -143 commit -n 1 -o off -- sh -c 'cat >>got; [ ! -s got1 ] || kill $$; cp got got1' <in
	assert_equal "$(cat off)" 1
}

@test "a command that exits 0 without reading its batch: 1, not committed" {
	tagged 0 100000 >in
	run -1 --separate-stderr commit -o off -- true <in
	assert_equal "$stderr" "commit: true: exited 0 without reading all of its batch; batch not committed"
	assert_file_not_exist off
}

@test "-t cuts a batch early on a live stream" {
	mkfifo fifo
	commit -t 100 -o off <fifo >out 3>&- &
	exec 8>fifo
	recs 0 >&8
	until_file off 1
	recs 1 2 >&8
	until_file off 3
	exec 8>&-
	wait
	assert_equal "$(cat out)" "$(recs 0 1 2)"
}

@test "-t in command mode: a batch's run ends at the deadline and is committed" {
	mkfifo fifo
	commit -t 100 -o off -- sh -c 'echo run; cat' <fifo >out 3>&- &
	exec 8>fifo
	recs 0 1 >&8
	until_file off 2
	recs 2 >&8
	exec 8>&-
	wait
	assert_equal "$(cat off)" 3
	assert_equal "$(cat out)" "$(printf 'run\n'; recs 0 1; printf 'run\n'; recs 2)"
}

@test "-R resets explicitly, also backwards and over a malformed file" {
	echo 500 >off
	run -0 --separate-stderr commit -o off -R 20
	assert_equal "$stderr" ''
	assert_equal "$(cat off)" 20
	echo garbage >off
	run -0 --separate-stderr commit -v -o off -R 0
	assert_regex "$stderr" '^commit: off reset to offset 0, [0-9.]+ s$'
	assert_equal "$(cat off)" 0
	recs 0 1 | commit -o off >/dev/null
	assert_equal "$(cat off)" 2
}

@test "a second consumer exits 75 naming the holder; neither double-processes" {
	tagged 0 100 >in
	mkfifo fifo
	setsid sh -c 'commit -o off -- sh -c "cat >>ledger" <fifo' 3>&- 8>&- &
	exec 8>fifo
	pid=$(holder_pid off)
	pgid=$(awk '{ print $2 }' off.lock)
	run -75 --separate-stderr setsid -w commit -o off -- sh -c 'cat >>ledger' <in
	assert_equal "$stderr" "commit: off: in use by process $pid (process group $pgid)"
	run -75 setsid -w commit -o off -R 0
	assert_file_not_exist ledger
	cat in >&8
	exec 8>&-
	wait
	assert_equal "$(cat off)" 100
	cmp in ledger
}

@test "-w waits for the holder, then resumes where it committed" {
	tagged 0 100 >in
	mkfifo fifo
	setsid sh -c 'commit -o off -- sh -c "cat >>ledger" <fifo' 3>&- 8>&- &
	exec 8>fifo
	holder_pid off >/dev/null
	tagged 50 50 >in2
	setsid -w commit -w -o off -- sh -c 'cat >>ledger' <in2 3>&- 8>&- &
	waiter=$!
	sleep 0.2
	assert_file_not_exist ledger
	tagged 0 50 >&8
	exec 8>&-
	wait "$waiter"
	wait
	assert_equal "$(cat off)" 100
	cmp in ledger
}

@test "a lock left by a killed consumer never blocks the next" {
	tagged 0 10 >in
	setsid sh -c 'sleep 30 | commit -o off' 3>&- &
	holder_pid off >/dev/null
	pgid=$(awk '{ print $2 }' off.lock)
	kill -9 -- "-$pgid"
	wait || true
	released off
	run -0 commit -o off <in
	assert_equal "$(cat off)" 10
}

# ack: acknowledge every line read, at once (line-buffered).
ACK='while IFS= read -r l; do printf "%s\n" "$l" >>fed; echo ok; done'

@test "-e: each acknowledgement hands on the oldest record, tagged" {
	recs $(seq 0 9) >in
	run -0 --separate-stderr commit -e -v -n 3 -o off -- sh -c "$ACK" <in
	assert_output "$(recs $(seq 0 9))"
	assert_regex "$stderr" '^commit: 10 records in, 10 out, 0 in flight, offset 10 committed \(4 commits\), [0-9.]+ s$'
	assert_equal "$(cat off)" 10
	assert_equal "$(cat fed)" "$(recs $(seq 0 9))"
}

@test "-e -p: the command is fed payloads and they are handed on" {
	recs 0 1 2 >in
	run -0 commit -e -p -o off -- sh -c "$ACK" <in
	assert_output "$(printf 'ev0\nev1\nev2')"
	assert_equal "$(cat fed)" "$(printf 'ev0\nev1\nev2')"
	assert_equal "$(cat off)" 3
}

@test "-e: a command that exits 0 early leaves the unacknowledged uncommitted" {
	recs $(seq 0 4) >in
	run -1 --separate-stderr commit -e -o off -- sh -c 'read l; echo ok; read l; echo ok' <in
	assert_equal "$stderr" "commit: sh: exited 0 with 3 of 5 records unacknowledged; they stay uncommitted"
	assert_output "$(recs 0 1)"
	assert_equal "$(cat off)" 2
}

@test "-e: a failing command's status passes through, its acknowledged progress kept" {
	recs $(seq 0 4) >in
	run -4 --separate-stderr commit -e -o off -- sh -c 'read l; echo ok; exit 4' <in
	assert_output "$(recs 0)"
	assert_equal "$stderr" "commit: sh: exited 4"
	assert_equal "$(cat off)" 1
	run -137 --separate-stderr commit -e -o off2 -- sh -c 'read l; echo ok; kill -9 $$' <in
	assert_equal "$stderr" "commit: sh: killed by SIGKILL"
	assert_equal "$(cat off2)" 1
	run -127 --separate-stderr commit -e -o off3 -- ./no-such-command <in
	assert_equal "$stderr" "commit: ./no-such-command: No such file or directory"
	assert_file_not_exist off3
}

@test "-e -b: each group is committed before it is fed" {
	recs $(seq 0 9) >in
	run -0 commit -e -b -n 4 -o off -- sh -c "$ACK" <in
	assert_output "$(recs $(seq 0 9))"
	assert_equal "$(cat off)" 10
	# acknowledges 5 of 10 in groups of 4: the second group was committed
	run -1 --separate-stderr commit -e -b -n 4 -o off2 -- sh -c 'for i in 1 2 3 4 5; do read l; echo ok; done' <in
	assert_equal "$stderr" "commit: sh: exited 0 with 3 of 8 records unacknowledged; they are lost"
	assert_output "$(recs 0 1 2 3 4)"
	assert_equal "$(cat off2)" 8
}

@test "-e: more acknowledgements than records is bad output (65)" {
	recs 0 1 >in
	run -65 commit -e -o off -- sh -c 'read l; echo ok; echo ok; echo ok; cat >/dev/null' <in
	assert_file_not_exist off
}

@test "-e: bad input stops the run (65) and the command is not orphaned" {
	printf '0\ta\nbad\n' >in
	run -65 --separate-stderr commit -e -o off -- sh -c "$ACK; echo done >done" <in
	assert_equal "$stderr" "commit: stdin: line 2: no TAB after the offset, expected OFFSET<TAB>PAYLOAD"
	assert_file_exist done
	assert_file_not_exist off
}

@test "-e: output to /dev/full is 74, nothing committed" {
	recs 0 1 >in
	run -74 --separate-stderr sh -c "commit -e -o off -- sh -c '$ACK' <in >/dev/full"
	assert_equal "$stderr" "commit: write: stdout: No space left on device"
	assert_file_not_exist off
}

@test "-e -t: acknowledged progress is committed on a live stream" {
	mkfifo fifo
	commit -e -t 100 -o off -- sh -c "$ACK" <fifo >out 3>&- &
	exec 8>fifo
	recs 0 1 >&8
	until_file off 2
	recs 2 >&8
	until_file off 3
	exec 8>&-
	wait
	assert_equal "$(cat out)" "$(recs 0 1 2)"
}

@test "-e: a large stream through a slow reader does not deadlock" {
	tagged 0 100000 >in
	commit -e -n 10000 -o off -- sed -u 's/.*/ok/' <in >out
	cmp in out
	assert_equal "$(cat off)" 100000
}

@test "-e -v: a command that buffers its acknowledgements is reported, not hidden" {
	recs $(seq 0 9) >in
	# sed buffers a pipe: with 5 records in flight it never answers
	run -124 --separate-stderr timeout 2.5 commit -v -e -n 5 -o off -- sed 's/^/x/' <in
	assert_equal "${stderr_lines[0]}" "commit: sed: no acknowledgement for 1 s, 5 records in flight (is its output line-buffered?)"
	assert_equal "${stderr_lines[1]}" "commit: sed: no acknowledgement for 2 s, 5 records in flight (is its output line-buffered?)"
	assert_file_not_exist off
	run -0 commit -e -n 5 -o off -- sed -u 's/^/x/' <in
	assert_equal "$(cat off)" 10
}

# --- commands that misbehave, readers that leave, signals -----------------

@test "a command that exits 0 after reading part of a batch that fits the pipe: 1, not committed" {
	seq 10 >ev.log
	run -1 --separate-stderr sh -c 'logcat -o off ev.log | commit -a -o off -- sh -c '\''read l; echo "$l" >> ledger'\'
	assert_equal "$stderr" "commit: sh: exited 0 without reading all of its batch; batch not committed"
	assert_file_not_exist off
	assert_equal "$(cat ledger)" "0	1"
	# -b had committed the batch before it ran: the rest is lost, and said
	run -1 --separate-stderr sh -c 'logcat -o off2 ev.log | commit -b -o off2 -- sh -c '\''read l; echo "$l" >> ledger2'\'
	assert_equal "$stderr" "commit: sh: exited 0 without reading all of its batch; the rest of the batch is lost"
	assert_equal "$(cat off2)" 10
	# batches of 3: the first run reads two lines of its three
	recs $(seq 0 9) >in
	run -1 commit -n 3 -o off3 -- sh -c 'read a; read b; echo "$a" >>ledger3' <in
	assert_file_not_exist off3
	# a command that reads it all, however it reads, is fine
	run -0 commit -n 3 -o off4 -- sh -c 'while read -r l; do :; done' <in
	assert_equal "$(cat off4)" 10
}

@test "a failing command is said in one line: exited N, or killed by SIGNAME" {
	recs 0 1 >in
	run -3 --separate-stderr commit -o off -- sh -c 'cat >/dev/null; exit 3' <in
	assert_equal "$stderr" "commit: sh: exited 3"
	assert_output ''
	run -137 --separate-stderr commit -o off -- sh -c 'cat >/dev/null; kill -9 $$' <in
	assert_equal "$stderr" "commit: sh: killed by SIGKILL"
	run -143 --separate-stderr commit -b -o off2 -- sh -c 'cat >/dev/null; kill $$' <in
	assert_equal "$stderr" "commit: sh: killed by SIGTERM"
	assert_equal "$(cat off2)" 2
	assert_file_not_exist off
}

@test "a reader that leaves while the input is idle stops commit at once, committing nothing more" {
	tagged 0 10 >in
	mkfifo fifo
	# -t 60000: the batch is never cut while the test runs
	{ st=0; commit -t 60000 -o off <fifo || st=$?; echo "$st" >st; } |
	    head -n 3 >got &
	exec 8>fifo
	cat in >&8
	until_exists st || fail "commit still waits for input after its reader left"
	exec 8>&-
	wait
	assert_equal "$(cat st)" 141
	assert_equal "$(cat got)" "$(tagged 0 3)"
	assert_file_not_exist off
	# -e: the same while the command is idle too
	mkfifo fifo2
	{ st=0; commit -e -t 60000 -o off2 -- sh -c "$ACK" <fifo2 || st=$?
	    echo "$st" >st2; } | head -n 3 >got2 &
	exec 8>fifo2
	cat in >&8
	until_exists st2 || fail "commit -e still waits after its reader left"
	exec 8>&-
	wait
	assert_equal "$(cat st2)" 141
	assert_file_not_exist off2
}

# A command that appends "PID LINE" to ./ledger for each record, slowly,
# after writing its pid to ./cmd.pid; and a fast one that does the same.
mkslow() {
	cat >slow <<-'EOF'
	#!/bin/sh
	echo $$ >cmd.pid
	while IFS= read -r l; do sleep 0.01; printf '%s %s\n' $$ "$l" >>ledger; done
	EOF
	sed 's/sleep 0.01; //; s/cmd.pid/cmd2.pid/' slow >fast
	chmod +x slow fast
}

@test "a signal to commit stops its command first: nothing runs on beside the next run" {
	mkslow
	tagged 0 200 >in
	for sig in TERM INT HUP; do
		rm -f ledger cmd.pid off off.lock
		# a background job of a script starts with SIGINT ignored,
		# which commit rightly keeps: give it the default
		setsid env --default-signal=INT,HUP,TERM \
		    commit -a -o off -- ./slow <in 3>&- &
		pid=$!
		until_exists cmd.pid
		until [ -s ledger ]; do sleep 0.01; done
		kill -s "$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		assert_equal "$st:$sig" "$(( 128 + $(kill -l "$sig") )):$sig"
		# the command ended before commit did
		run ! kill -0 "$(cat cmd.pid)"
		assert_file_not_exist off
		n=$(wc -l <ledger)
		[ "$n" -lt 200 ] || fail "the run was not interrupted"
		run -0 commit -a -o off -- ./fast <in
		# the first command wrote nothing after the second began
		awk -v p="$(cat cmd2.pid)" '$1 == p { seen = 1 } $1 != p && seen { exit 1 }' ledger ||
		    fail "$sig: the first command ran on beside the second"
		assert_equal "$(grep -c "^$(cat cmd2.pid) " ledger)" 200
		assert_equal "$(cat off)" 200
	done
}

@test "a signal to commit -e stops its command first" {
	tagged 0 200 >in
	printf '#!/bin/sh\necho $$ >cmd.pid\nwhile IFS= read -r l; do sleep 0.01; echo ok; done\necho done >ended\n' >acker
	chmod +x acker
	setsid sh -c 'exec commit -e -a -n 10 -o off -- ./acker' <in >/dev/null 3>&- &
	pid=$!
	until_exists off
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	assert_equal "$st" 143
	run ! kill -0 "$(cat cmd.pid)"
	v=$(cat off)
	[ "$v" -ge 10 ] && [ "$v" -lt 200 ]
}

@test "commit dying of a failed write inside lib/ stops its command first" {
	tagged 0 100 >in
	echo 0 >off
	chattr +i off 2>/dev/null || skip "no chattr +i here"
	printf '#!/bin/sh\necho $$ >cmd.pid\nwhile IFS= read -r l; do echo ok; sleep 0.1; done\n' >acker
	chmod +x acker
	# the first commit, after two acknowledgements, cannot rename
	run -74 --separate-stderr commit -e -a -n 2 -o off -- ./acker <in
	err=$stderr
	run ! kill -0 "$(cat cmd.pid)"
	assert_regex "$err" '^commit: rename: off\.tmp\.[0-9a-f]{8} to off: Operation not permitted$'
	chattr -i off
	assert_equal "$(cat off)" 0
}

@test "-t 0: batches end at -n or at the end of the input, never on time" {
	mkfifo fifo
	commit -t 0 -n 3 -o off <fifo >out 3>&- &
	exec 8>fifo
	recs 0 1 >&8
	sleep 1.2
	assert_file_not_exist off
	recs 2 >&8
	until_file off 3
	recs 3 >&8
	exec 8>&-
	wait
	assert_equal "$(cat off)" 4
}
