#!/usr/bin/env bats
# dedup: the idempotent consumer and its seen-set.

load test_helper
load powerloss/pl

teardown() {
	pl_cleanup
}

USAGE='usage: dedup [-epvw] -s seenfile [-k name | -f field [-d delim]] [-m pass|drop] [-n count] [-t ms] [-W age] [-- command [arg ...]]'

# --- usage -------------------------------------------------------------------

@test "usage errors exit 2 with a message and the usage line" {
	for args in "" "-k a -f 1 -s s" "-s s -m maybe" "-s s -e" "-s s -d ," \
	    "-s s -n 0" "-s s -n x" "-s s -t -1" "-s s -t 86400001" "-s s -f 0" \
	    "-s s -d ab -f 1" "-s s -k ''" "-s s -x" "-s ''" "-s '' -- cat"; do
		eval "run -2 --separate-stderr dedup $args </dev/null"
		assert_output ""
		assert_equal "$(tail -n 1 <<<"$stderr")" "$USAGE"
		[[ "$(head -n 1 <<<"$stderr")" == dedup:* ]]
	done
	run -2 --separate-stderr dedup -k a -f 1 -s s
	assert_equal "${stderr_lines[0]}" "dedup: -k and -f exclude each other"
	# one style, the limits of every tool
	run -2 --separate-stderr dedup -s s -n 0
	assert_equal "${stderr_lines[0]}" "dedup: -n 0: expected a count from 1 to 2^63-1"
	run -2 --separate-stderr dedup -s s -t 86400001
	assert_equal "${stderr_lines[0]}" "dedup: -t 86400001: expected milliseconds from 0 to 86400000"
	run -2 --separate-stderr dedup -s ''
	assert_equal "${stderr_lines[0]}" "dedup: -s '': expected a file name"
	run -2 --separate-stderr dedup -s s -f 1 -d ''
	assert_equal "${stderr_lines[0]}" "dedup: -d '': expected one byte"
	assert_file_not_exists s
	assert_file_not_exists .lock
}

# --- the filter --------------------------------------------------------------

@test "empty input: no output, and an empty set is created" {
	run -0 --separate-stderr dedup -s seen </dev/null
	assert_output ""
	assert_equal "$stderr" ""
	assert_file_exists seen/table
	assert_file_exists seen/journal
	assert_equal "$(stat -c %s seen/table)" $((4096 + 16 * 1024))
	assert_equal "$(stat -c %s seen/journal)" 64
}

@test "whole payloads: first occurrences pass, tagged, byte for byte" {
	printf 'a\nb\na\nc\nb\n\n\n' | tagit 0 >in
	run -0 --separate-stderr dedup -s seen <in
	assert_output "$(printf '0\ta\n1\tb\n3\tc\n5\t')"
	assert_equal "$stderr" ""
}

@test "a set reopened by a second run drops keys of the first" {
	printf 'a\nb\nc\n' | tagit 0 >in1
	printf '%s\n' 10 c 11 d 12 a 13 e | paste - - >in2
	run -0 dedup -s seen <in1
	assert_output "$(cat in1)"
	run -0 dedup -s seen <in2
	assert_output "$(printf '11\td\n13\te')"
	run -0 dedup -s seen <in2
	assert_output ""
}

@test "a duplicate right after its first copy is dropped, also across the output buffer's flushes" {
	# pairs of one key: many of them straddle a flush of the buffer
	seq 0 99999 | awk '{ print; print }' | tagit 0 >in
	dedup -s seen <in >out
	awk 'NR % 2 == 1' in | cmp - out
}

@test "-p writes payloads only" {
	printf 'x\ty\nz\nx\ty\n' | tagit 0 >in
	run -0 dedup -p -s seen <in
	assert_output "$(printf 'x\ty\nz')"
}

@test "-v prints one summary line on stderr" {
	printf '{"k":1}\n{"k":2}\n{"k":1}\n{"j":3}\n' | tagit 0 >in
	run -0 --separate-stderr dedup -v -k k -m drop -s seen <in
	assert_output "$(printf '0\t{"k":1}\n1\t{"k":2}')"
	[[ "$stderr" =~ ^dedup:\ 4\ in,\ 2\ out,\ 1\ duplicates,\ 0\ held\ back,\ 1\ without\ key,\ 2\ keys\ in\ seen,\ [0-9]+\.[0-9]{3}\ s$ ]]
}

@test "| head -1 stops quietly" {
	seq 0 99999 | tagit 0 >in
	run -0 --separate-stderr bash -c 'dedup -s seen <in | head -n 1'
	assert_output "$(printf '0\t0')"
	assert_equal "$stderr" ""
}

@test "stdout on /dev/full exits 74 and records no key" {
	printf 'a\nb\n' | tagit 0 >in
	run -74 --separate-stderr bash -c 'dedup -s seen <in >/dev/full'
	assert_equal "$stderr" "dedup: write: stdout: No space left on device"
	run -0 dedup -s seen <in
	assert_output "$(cat in)"
}

# --- bad input ---------------------------------------------------------------

@test "a malformed record exits 65 naming the line; earlier keys are kept" {
	printf '0\ta\n1\tb\nx\tc\n3\td\n' >in
	run -65 --separate-stderr dedup -s seen <in
	assert_output "$(printf '0\ta\n1\tb')"
	assert_equal "$stderr" "dedup: stdin: line 3: offset is not a decimal number"
	printf '0\ta\n1\tb\n2\te\n' >in
	run -0 dedup -s seen <in
	assert_output "$(printf '2\te')"
}

@test "a torn last record (no newline) exits 65" {
	printf '0\ta\n1\tb' >in
	run -65 --separate-stderr dedup -s seen <in
	assert_output "$(printf '0\ta')"
	assert_equal "$stderr" "dedup: stdin: line 2: no newline at the end (a torn record)"
}

# --- bad input deep in a big input ------------------------------------------
# Filter mode reads ahead and computes keys in a second thread, in chunks
# of thousands of records: bad input in the middle of one still ends the
# input exactly there.

# big N [M]: N records keyed k, every tenth repeating an earlier key, every
# M-th (default 97; 0: none) without it, and a progress mark after every
# 1000th.
big() {
	LC_ALL=C awk -v n="$1" -v m="${2-97}" 'BEGIN {
		for (i = 1; i <= n; i++) {
			k = i % 10 == 0 ? int(i / 2) : i
			if (m && i % m == 0)
				printf "%d\t{\"j\":%d}\n", i - 1, k
			else
				printf "%d\t{\"k\":\"%d\",\"n\":%d}\n", i - 1, k, i
			if (i % 1000 == 0)
				printf "%d\n", i - 1
		}
	}'
}

# firsts [SEEN]: the records of stdin whose k is first seen (no marks), as
# dedup -k k -m drop passes them; with SEEN, the keys of its records count
# as seen before.
firsts() {
	LC_ALL=C awk -F'"' 'FILENAME != "-" { if ($2 == "k") seen[$4] = 1; next }
	    index($0, "\t") && $2 == "k" && !seen[$4]++' "$@" -
}

@test "bad input deep in a big input: what came before it is handled, nothing after it" {
	big 30000 >good
	# invalid JSON, a record without a TAB, a torn last record, a missing
	# key: each deep inside the read-ahead
	sed '17001s/}$/,}/' good >in.json
	sed '23457s/\t/ /' good >in.tag
	head -c -1 good >in.torn
	big 30000 0 >good.k
	sed '12345s/"k"/"K"/' good.k >in.nokey
	declare -A why=(
		[json]='invalid JSON at byte *'
		[tag]='no TAB after the offset, expected OFFSET<TAB>PAYLOAD'
		[torn]='no newline at the end (a torn record)'
		[nokey]='no key: no such top-level member')
	for t in json:17001 tag:23457 torn:30030 nokey:12345; do
		f=in.${t%%:*} l=${t#*:} miss=-mdrop g=good
		[ "$f" = in.nokey ] && miss= g=good.k
		rm -rf seen seen.lock
		run -65 --separate-stderr dedup $miss -k k -s seen <"$f"
		assert_output "$(head -n $((l - 1)) "$f" | firsts)"
		[[ "$stderr" == "dedup: stdin: line $l: "${why[${t%%:*}]} ]]
		# the keys before it were recorded, none after it
		head -n $((l - 1)) "$f" >before
		run -0 dedup $miss -k k -s seen <$g
		assert_output "$(firsts before <$g)"
	done
}

@test "-v counts a big input's records, duplicates, keyless records and marks exactly" {
	big 30000 >in
	run -0 --separate-stderr dedup -v -k k -m pass -s seen <in
	out=$(grep -c . <<<"$output")
	assert_equal "$out" $(( $(firsts <in | wc -l) + 30000 / 97 ))
	[[ "$stderr" =~ ^dedup:\ 30000\ in,\ $out\ out,\ $((30000 - out))\ duplicates,\ 0\ held\ back,\ progress\ marks\ 30\ in,\ 0\ out,\ $((30000 / 97))\ without\ key,\ $(firsts <in | wc -l)\ keys\ in\ seen,\ [0-9.]+\ s$ ]]
}

@test "a big burst on a live stream is written before the stream goes on, even with -t 0" {
	big 30000 >in
	{
		cat in
		sleep 1.5
		cp out out.then
	} | dedup -k k -m drop -t 0 -s seen >out
	assert_equal "$(cat out.then)" "$(firsts <in)"
}

# --- -k: a top-level JSON member --------------------------------------------

@test "-k: the value of a top-level member, strings unescaped" {
	cat >log <<-'EOF'
	{"click_id":"c1","n":1}
	{"n":2, "click_id" : "c1"}
	{"x":"\"click_id\":\"c2\"","click_id":"c3"}
	{"click_id":"c\"3"}
	{"click_id":"c\u00e9"}
	{"click_id":"cé"}
	{"click_id":"\ud83d\ude00"}
	{"click_id":"😀"}
	{"click_id":"a\/b"}
	{"click_id":"a/b"}
	{"click_id":"c\\"}
	{"click_id":"c\\\""}
	EOF
	tagit 0 <log >in
	run -0 dedup -k click_id -s seen <in
	assert_output "$(sed -n '1p;3p;4p;5p;7p;9p;11p;12p' in)"
}

@test "-k: numbers are keys by their raw text" {
	cat >log <<-'EOF'
	{"id":1}
	{"id":1.0}
	{"id":1}
	{"id":"1"}
	{"id":1e0}
	{"id":-0}
	{"id":0}
	{"id": 1.0 }
	EOF
	tagit 0 <log >in
	run -0 dedup -k id -s seen <in
	# "1" unescaped is the text 1, the same key as the number 1.
	assert_output "$(sed -n '1p;2p;5p;6p;7p' in)"
}

@test "-k: nested members never match, and the first member wins" {
	cat >log <<-'EOF'
	{"o":{"k":"A"},"k":"B"}
	{"k":"A"}
	{"a":[{"k":"C"},"k"],"k":"B"}
	{"k":"D","k":"E"}
	{"k":"E"}
	{"k":"D"}
	{"o":{"k":"Z"}}
	EOF
	tagit 0 <log >in
	run -0 --separate-stderr dedup -k k -m pass -s seen <in
	assert_output "$(sed -n '1p;2p;4p;5p;7p' in)"
}

@test "-k: invalid JSON exits 65 naming the line, whatever -m says" {
	printf '{"k":"a"}\n{"k":"b",}\n{"k":"c"}\n' | tagit 0 >in
	for m in "" "-m pass" "-m drop"; do
		rm -rf seen seen.lock
		run -65 --separate-stderr dedup $m -k k -s seen <in
		assert_output "$(printf '0\t{"k":"a"}')"
		[[ "$stderr" == "dedup: stdin: line 2: invalid JSON at byte "* ]]
	done
	printf '{"k":"a\\q"}\n' | tagit 0 >in
	run -65 --separate-stderr dedup -k k -s seen <in
	[[ "$stderr" == "dedup: stdin: line 1: invalid JSON"* ]]
}

@test "-k: a missing key exits 65 unless -m pass or -m drop" {
	printf '{"k":"a"}\n{"j":"a"}\n{"k":["x"]}\n{"k":"a"}\n' | tagit 0 >in
	run -65 --separate-stderr dedup -k k -s seen <in
	assert_output "$(printf '0\t{"k":"a"}')"
	[[ "$stderr" == "dedup: stdin: line 2: no key: "* ]]
	rm -rf seen seen.lock
	run -0 dedup -k k -m drop -s seen <in
	assert_output "$(printf '0\t{"k":"a"}')"
	rm -rf seen seen.lock
	run -0 dedup -k k -m pass -s seen <in
	assert_output "$(sed -n 1,3p in)"
	# Records without a key are never recorded: they pass every time.
	run -0 dedup -k k -m pass -s seen <in
	assert_output "$(sed -n 2,3p in)"
}

# --- -f and -d ---------------------------------------------------------------

@test "-f: the N-th field, TAB-separated by default" {
	printf 'a\t1\tx\nb\t1\ty\nc\t2\nd\t2\te\n' | tagit 0 >in
	run -0 dedup -f 2 -s seen <in
	assert_output "$(sed -n '1p;3p' in)"
	rm -rf seen
	run -0 dedup -f 1 -s seen <in
	assert_output "$(cat in)"
}

@test "-f -d: keys may hold TAB and NUL bytes" {
	printf '0\tx,a\tb,1\n1\ty,a\tb,2\n2\tx,a\0b,3\n3\ty,a\0c,4\n4\tz,a\0b,5\n5\tw,,6\n6\tv,,7\n' >in
	dedup -f 2 -d , -s seen <in >out
	printf '0\tx,a\tb,1\n2\tx,a\0b,3\n3\ty,a\0c,4\n5\tw,,6\n' >want
	cmp want out
}

@test "-f: a missing field under each -m" {
	printf 'a,1\nb\nc,1\nd,2\n' | tagit 0 >in
	run -65 --separate-stderr dedup -f 2 -d , -s seen <in
	assert_output "$(printf '0\ta,1')"
	assert_equal "$stderr" "dedup: stdin: line 2: no key: -f: no such field"
	rm -rf seen
	run -0 dedup -f 2 -d , -m drop -s seen <in
	assert_output "$(sed -n '1p;4p' in)"
	rm -rf seen
	run -0 dedup -f 2 -d , -m pass -s seen <in
	assert_output "$(sed -n '1p;2p;4p' in)"
}

# --- the seen-set ------------------------------------------------------------

@test "growth across several doublings keeps every key" {
	seq 0 29999 | tagit 0 >all
	# Five runs of 6000 keys, 100 to a commit: journal commits and growth.
	for i in 0 1 2 3 4; do
		sed -n "$((i * 6000 + 1)),$((i * 6000 + 6000))p" all >part
		run -0 dedup -n 100 -s seen <part
		assert_equal "$(wc -l <<<"$output")" 6000
	done
	# 30000 keys at most 80 % full: 2^16 slots, 16 bytes each.
	assert_equal "$(stat -c %s seen/table)" $((4096 + 16 * 65536))
	run -0 --separate-stderr dedup -v -s seen <all
	assert_output ""
	[[ "$stderr" == "dedup: 30000 in, 0 out, 30000 duplicates, 0 held back, 0 without key, 30000 keys in seen, "* ]]
	# One big batch into a fresh set grows it in one step.
	run -0 dedup -s big <all
	assert_equal "$(wc -l <<<"$output")" 30000
	assert_equal "$(stat -c %s big/table)" $((4096 + 16 * 65536))
	run -0 dedup -s big <all
	assert_output ""
}

@test "a set that is not a seen-set is refused with 65, never recreated" {
	printf 'a\nb\n' | tagit 0 >in
	echo hello >seen
	run -65 --separate-stderr dedup -s seen <in
	assert_output ""
	assert_equal "$stderr" "dedup: seen: not a seen-set (not a directory)"
	assert_equal "$(cat seen)" hello
	rm seen
	mkdir seen
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/table: missing from the seen-set"
	assert_equal "$(ls seen)" ""
}

@test "a truncated, corrupt or foreign table is refused with 65" {
	printf 'a\nb\n' | tagit 0 >in
	dedup -s seen <in >/dev/null
	cp -r seen good
	truncate -s 5000 seen/table
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/table: truncated: 5000 bytes, its header says 20480"
	truncate -s 100 seen/table
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/table: truncated (100 bytes)"
	: >seen/table
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/table: truncated (0 bytes)"
	# Both header copies damaged.
	cp good/table seen/table
	printf 'XXXX' | dd of=seen/table bs=1 seek=20 conv=notrunc 2>/dev/null
	printf 'XXXX' | dd of=seen/table bs=1 seek=532 conv=notrunc 2>/dev/null
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/table: corrupt header (bad checksum)"
	head -c 20480 /dev/zero >seen/table
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/table: not a seen-set table (bad magic)"
	# A directory in place of the table: unreadable.
	rm seen/table
	mkdir seen/table
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/table: Is a directory"
	# Nothing was rewritten: the good copy still works and knows a and b.
	run -0 dedup -s good <in
	assert_output ""
}

@test "a missing, corrupt or foreign journal is refused with 65" {
	printf 'a\nb\n' | tagit 0 >in
	dedup -s seen <in >/dev/null
	dedup -s other </dev/null
	cp seen/journal j
	rm seen/journal
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/journal: missing from the seen-set"
	cp other/journal seen/journal
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/journal: journal of another seen-set"
	head -c 10 j >seen/journal
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/journal: truncated (10 bytes)"
	head -c 64 /dev/zero >seen/journal
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/journal: not a seen-set journal (bad magic)"
	cp j seen/journal
	# byte 40 is the low byte of a time in ms: overwritten with a fixed
	# byte, it was already that byte in one run of 256
	flipbit seen/journal 40 0
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/journal: corrupt header (bad checksum)"
	cp j seen/journal
	run -0 dedup -s seen <in
	assert_output ""
}

# crash_after_three: feed a b c d to dedup -e -n 3 with a command that
# acknowledges three records and hangs, and kill -9 the run once the three
# are written on: their keys are in the journal only, never checkpointed.
crash_after_three() {
	printf 'a\nb\nc\nd\n' | tagit 0 >in
	: >out # before the job starts, or the wait below reads no file
	setsid sh -c 'exec dedup -e -n 3 -s seen -- sh -c "head -n 3 >/dev/null; printf \"1\n2\n3\n\"; sleep 60"' <in >out &
	pid=$!
	while [ "$(wc -l <out)" -lt 3 ]; do sleep 0.05; done
	kill -9 -- "-$pid"
	wait "$pid" || true
}

@test "journal keys left by a crash are replayed at open" {
	crash_after_three
	assert_equal "$(stat -c %s seen/journal)" $((64 + 3 * 16))
	printf 'torn' >>seen/journal
	run -0 --separate-stderr dedup -v -s seen <in
	assert_output "$(printf '3\td')"
	[[ "$stderr" == *" 4 keys in seen, "* ]]
	# Closing checkpointed the table and emptied the journal.
	assert_equal "$(stat -c %s seen/journal)" 64
	run -0 dedup -s seen <in
	assert_output ""
}

@test "a crash between a checkpoint and the journal's reset loses and recounts nothing" {
	crash_after_three
	cp seen/journal j.old
	# Replays the three keys, checkpoints: table one generation on.
	dedup -s seen </dev/null
	assert_equal "$(stat -c %s seen/journal)" 64
	# The state a crash leaves after the checkpoint's fsync, before the
	# journal is emptied: the old journal with the new table.
	cp j.old seen/journal
	run -0 --separate-stderr dedup -v -s seen <in
	assert_output "$(printf '3\td')"
	[[ "$stderr" == *" 4 keys in seen, "* ]]
	assert_equal "$(stat -c %s seen/journal)" 64
}

@test "a damaged current header copy is refused, not replaced by the older" {
	printf 'a\nb\n' | tagit 0 >in
	dedup -s seen <in >/dev/null
	# Closing checkpointed generation 1 into the copy at byte 512.
	printf 'XXXX' | dd of=seen/table bs=1 seek=532 conv=notrunc 2>/dev/null
	run -65 --separate-stderr dedup -s seen <in
	assert_equal "$stderr" "dedup: seen/journal: generation 1, the table's is 0"
}

@test "a second writer on the same set exits 75 at once; -w waits" {
	holdset seen "$(printf '0\ta')"
	run -75 --separate-stderr dedup -s seen </dev/null
	assert_output ""
	[[ "$stderr" =~ ^dedup:\ seen:\ in\ use\ by\ process\ [0-9]+\ \(process\ group\ [0-9]+\)$ ]]
	printf '0\ta\n1\tb\n' >in
	waitsfor seen in "$(printf '1\tb')"
}

@test "-s seen/ is the set seen under its one lock; /, . and .. are usage errors" {
	holdset seen "$(printf '0\ta')"
	run -75 --separate-stderr dedup -s seen/ </dev/null
	[[ "$stderr" =~ ^dedup:\ seen:\ in\ use\ by\ process ]]
	run -75 --separate-stderr dedup -s ./seen// </dev/null
	unholdset
	assert_not_exist seen/.lock
	printf '0\ta\n1\tb\n' >in
	run -0 dedup -s seen/ <in
	assert_output "$(printf '1\tb')"
	for p in /:/ .:. ..:.. seen/.:seen/. seen/..:seen/.. //:/ ../:..; do
		run -2 --separate-stderr dedup -s "${p%%:*}" <in
		assert_equal "${stderr%%$'\n'*}" "dedup: -s ${p#*:}: expected a file name, not /, . or .."
	done
	# an offset file too: off/ is off
	run -0 commit -o off/ <in
	assert_equal "$(cat off)" 2
	run -0 logcat -L -o off/ /dev/null
	assert_output "$(logcat -L -o off /dev/null)"
	[[ "$output" == */dev/null*2* ]]
}

@test "-t commits a live stream's keys without waiting for more input" {
	{
		printf '0\ta\n'
		sleep 1.5
		stat -c %s seen/journal >size
	} | dedup -t 100 -s seen >/dev/null
	assert_equal "$(cat size)" 80
}

@test "kill -9 at random moments never loses an acknowledged key" {
	# 100000 records through a shell loop: about a second of work, of
	# which each run below is killed within its first 90 ms
	seq 0 99999 | tagit 0 >in
	RANDOM=7 # the same moments in every run of the test
	kills=0
	for i in $(seq 1 12); do
		setsid sh -c 'exec dedup -e -n 50 -s seen -- sh -c "while IFS= read -r l; do printf \"%s\\n\" \"\$l\"; done"' \
		    <in >"out.$i" 2>/dev/null &
		pid=$!
		sleep "0.0$((RANDOM % 9 + 1))"
		# Before setsid ran there is no group yet: kill dedup alone.
		# A run that ended first is not counted as killed.
		kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || :
		st=0
		wait "$pid" || st=$?
		[ "$st" = 137 ] && kills=$((kills + 1))
	done
	[ "$kills" -ge 9 ] || fail "only $kills of 12 runs were killed"
	# Every record written on was acknowledged and its key committed, so
	# no key was written twice, and none comes out of a last full run.
	cat out.* | cut -f 2 | sort >acked
	run -0 bash -c 'uniq -d acked'
	assert_output ""
	run -0 dedup -e -n 1000 -s seen -- cat <in
	comm -12 acked <(cut -f 2 <<<"$output" | sort) >twice
	assert_equal "$(wc -c <twice)" 0
	# And the set is whole: every key of the input is in it now.
	run -0 dedup -s seen <in
	assert_output ""
}

# --- command mode, once per batch --------------------------------------------

@test "command mode: the command gets a batch's new records; keys after exit 0" {
	printf 'a\nb\na\nc\n' | tagit 0 >in
	run -0 --separate-stderr dedup -s seen -- sh -c 'cat >>got; echo ran'
	assert_output ""
	assert_file_not_exists got
	run -0 --separate-stderr dedup -s seen -- sh -c 'cat >>got; echo ran' <in
	assert_output ran
	assert_equal "$(cat got)" "$(printf '0\ta\n1\tb\n3\tc')"
	# All duplicates: the command is not run, and the progress mark of
	# the last one is all that is written.
	run -0 dedup -s seen -- sh -c 'cat >>got; echo ran' <in
	assert_output 3
}

@test "command mode: -n runs it per batch, -p feeds payloads" {
	printf 'a\nb\nc\na\nd\ne\n' | tagit 0 >in
	run -0 dedup -p -n 2 -s seen -- sh -c 'echo "[$(paste -sd, -)]"' <in
	assert_output "$(printf '[a,b]\n[c]\n[d,e]')"
}

@test "command mode: a failing command passes its status, no key recorded" {
	printf 'a\nb\nc\nd\n' | tagit 0 >in
	run -3 --separate-stderr dedup -n 2 -s seen -- sh -c 'cat >>got; [ "$(wc -l <got)" -lt 3 ] || exit 3' <in
	assert_equal "$stderr" "dedup: sh: exited 3"
	run -0 dedup -s seen -- cat <in
	assert_output "$(printf '2\tc\n3\td')"
	run -127 --separate-stderr dedup -s seen2 -- no-such-command-x <in
	[[ "$stderr" == "dedup: no-such-command-x: No such file or directory"* ]]
	run -0 dedup -s seen2 -- cat <in
	assert_output "$(cat in)"
}

@test "command mode: a command that exits 0 unread records no key" {
	seq 0 99999 | tagit 0 >in
	run -1 --separate-stderr dedup -s seen -- sh -c 'head -c 1 >/dev/null; sleep 0.2' <in
	assert_equal "$stderr" "dedup: sh: exited 0 without reading all of its batch; keys of this batch not recorded"
	run -0 dedup -s seen -- sh -c 'wc -l' <in
	assert_output 100000
}

# --- -e: acknowledged records ------------------------------------------------

@test "-e: acknowledged records come out tagged; the acks are consumed" {
	printf 'a\nb\na\nc\n' | tagit 0 >in
	run -0 --separate-stderr dedup -v -e -s seen -- sed -u 's/^/done /' <in
	assert_output "$(sed -n '1p;2p;4p' in)"
	[[ "$stderr" == "dedup: 4 in, 3 out, 1 duplicates, 0 held back, 0 in flight, 0 without key, 3 keys in seen, "* ]]
	# all duplicates: only the progress mark of the last
	run -0 dedup -e -s seen -- sed -u 's/^/done /' <in
	assert_output 3
}

@test "-e: a key in flight holds back its twin until acknowledged" {
	# The command acknowledges nothing until it has read three records,
	# so the second "a" arrives while the first is in flight.
	printf 'a\nb\na\nc\n' | tagit 0 >in
	run -0 dedup -e -n 3 -s seen -- sh -c 'head -n 3 >got; printf "1\n2\n3\n"; cat' <in
	assert_equal "$(cat got)" "$(printf '0\ta\n1\tb\n3\tc')"
	assert_output "$(sed -n '1p;2p;4p' in)"
}

@test "-e -p feeds payloads; stdout stays tagged" {
	printf 'a\nb\n' | tagit 0 >in
	run -0 dedup -e -p -s seen -- sh -c 'tee got' <in
	assert_equal "$(cat got)" "$(printf 'a\nb')"
	assert_output "$(cat in)"
}

@test "-e: unacknowledged records are not recorded; the status passes" {
	printf 'a\nb\nc\nd\n' | tagit 0 >in
	run -5 --separate-stderr dedup -e -s seen -- sh -c 'read l; echo ok; read l; echo ok; exit 5' <in
	assert_output "$(sed -n 1,2p in)"
	assert_equal "$stderr" "dedup: sh: exited 5"
	run -1 --separate-stderr dedup -e -s seen -- sh -c 'read l; echo ok; cat >/dev/null' <in
	assert_output "$(sed -n 3p in)"
	assert_equal "$stderr" "dedup: sh: exited 0 with 1 of 2 records unacknowledged; their keys stay unrecorded"
	run -0 dedup -e -s seen -- cat <in
	assert_output "$(sed -n 4p in)"
}

@test "-e -n groups commits; the tail group is committed at exit" {
	seq 0 999 | tagit 0 >in
	run -0 dedup -e -n 300 -s seen -- cat <in
	assert_output "$(cat in)"
	run -0 dedup -e -s seen -- cat <in
	assert_output 999
}

@test "-e: more duplicates in a row than one pass of the loop takes never wait for -t" {
	# dedup feeds and drops at most 1024 records between two polls; the
	# rest of what it has read must not wait for an acknowledgement, a
	# timer or more input (with -t 0 there is none: it waited for ever)
	seq 0 2999 | tagit 0 >old
	seq 0 3999 | tagit 0 >in
	run -0 dedup -s seen <old
	run -0 timeout 10 dedup -t 0 -e -n 10 -s seen -- cat <in
	assert_output "$(sed -n '3001,$p' in)"
	run -0 timeout 10 dedup -t 0 -e -n 10 -s seen -- cat <in
	assert_output 3999
}

@test "-e: a burst on a live stream is written on before the stream goes on" {
	# records made durable wait in the output buffer while dedup has more
	# to do at once, never once it waits: here for input that is late.
	# 20000 records are 40 whole groups of -n 1000: with -t 0 no group
	# waits for a time, so only the buffer could hold them back
	seq 0 19999 | tagit 0 >in
	{
		cat in
		sleep 2
		cp out out.then
	} | dedup -e -n 1000 -t 0 -s seen -- cat >out
	cmp -s out.then in ||
	    fail "$(wc -l <out.then) of 20000 records written before the pause"
	cmp -s out in || fail "$(wc -l <out) of 20000 records written in all"
}

@test "-e -n 1: each record is fed only once the key before it is durable" {
	printf 'a\nb\nc\nd\n' | tagit 0 >in
	run -0 dedup -e -s seen -- sh -c 'while read -r l; do stat -c %s seen/journal >>sizes; echo ok; done' <in
	assert_output "$(cat in)"
	assert_equal "$(cat sizes)" "$(printf '64\n80\n96\n112')"
	# At most -n records run ahead of the last commit.  With -n 3 a
	# group is 2 acknowledgements (3 halved, rounded up), made durable
	# while the next is fed: the k-th record is fed only once the groups
	# up to record k - 3 are durable, and no group holds a record not yet
	# acknowledged.  So the journal holds exactly 0, 0, 0 or 2, 2, 2 or 4,
	# 4 keys when records 1 to 6 are read (-t 0: no group cut by time);
	# where two counts are allowed, the group before is being written.
	printf 'e\nf\ng\nh\ni\nj\n' | tagit 0 >in
	run -0 dedup -e -n 3 -t 0 -s seen -- sh -c 'while read -r l; do stat -c %s seen/journal >>sizes3; echo ok; done' <in
	assert_output "$(cat in)"
	run paste -sd ' ' sizes3
	assert_output --regexp '^64 64 (64|96) 96 (96|128) 128$'
}

# --- power loss (tests/powerloss/plfs.py) ------------------------------------

# sweep_seen MODE KEYS GROUP: a run of dedup -e -n GROUP over KEYS keys on
# a set kept on plfs, crashed after each of its durability operations in
# turn, with the image of a power loss there: only what was made durable
# ("drop"), or that plus a random part of the rest ("random", pages of the
# mapped table included).  After each, a rerun on what survived must open
# the set, pass on no key the crashed run had written on (its group commit
# had returned), and leave out at most the one group whose commit was
# under way.
sweep_seen() {
	local mode=$1 keys=$2 group=$3 total n k
	seq 1 "$keys" | tagit 0 >in
	RUN="exec dedup -e -n $group -s mnt/seen -- cat <in"
	pl_mount disk mnt -l ref.ops
	sh -c "$RUN" >ref.out
	pl_umount
	assert_equal "$(cat ref.out)" "$(cat in)"
	total=$(pl_nops ref.ops)
	[ "$total" -ge 10 ] || fail "only $total durability operations"
	for n in $(seq 1 "$total"); do
		rm -rf disk
		pl_mount disk mnt -c "$n" -m "$mode" -S "$n" -l "ops.$n"
		setsid -w sh -c "$RUN" >"out.$n" 2>/dev/null || true
		pl_umount
		grep -q '^crash' "ops.$n" || fail "op $n: no crash"
		rm -rf mnt && ln -s disk mnt
		sh -c "$RUN" >"rest.$n" 2>"err.$n" ||
		    fail "op $n ($mode): the rerun failed: $(cat "err.$n")"
		rm mnt
		[ -z "$(sort "out.$n" "rest.$n" | uniq -d)" ] ||
		    fail "op $n ($mode): written twice: $(sort "out.$n" "rest.$n" | uniq -d | head -3 | tr '\n' ' ')"
		k=$(cat "out.$n" "rest.$n" | wc -l)
		[ "$k" -ge $((keys - group)) ] ||
		    fail "op $n ($mode): only $k of $keys records written"
	done
}

@test "power loss after each durability operation of the seen-set (only what was synced)" {
	pl_usable || skip "plfs needs /dev/fuse, root and python3-fusepy"
	sweep_seen drop 10 2
}

@test "power loss after each durability operation of the seen-set (a random part of the rest)" {
	pl_usable || skip "plfs needs /dev/fuse, root and python3-fusepy"
	sweep_seen random 10 2
}

@test "power loss at each durability operation across a doubling of the table" {
	pl_usable || skip "plfs needs /dev/fuse, root and python3-fusepy"
	# 1000 keys: the table doubles at 820 (80 % of 1024 slots).
	sweep_seen random 1000 100
	grep -q 'rename /seen/table' ref.ops || fail "no growth: $(cat ref.ops)"
}

# --- commands that misbehave, signals ----------------------------------------

@test "command mode: a command that exits 0 after reading part of a small batch records no key" {
	seq 10 | tagit 0 >in
	run -1 --separate-stderr dedup -s seen -- sh -c 'read l; echo "$l" >>ledger' <in
	assert_equal "$stderr" "dedup: sh: exited 0 without reading all of its batch; keys of this batch not recorded"
	assert_equal "$(cat ledger)" "0	1"
	run -0 dedup -s seen <in
	assert_output "$(cat in)"
}

@test "command mode and -e: a failing command is said in one line" {
	printf 'a\nb\n' | tagit 0 >in
	run -137 --separate-stderr dedup -s seen -- sh -c 'cat >/dev/null; kill -9 $$' <in
	assert_equal "$stderr" "dedup: sh: killed by SIGKILL"
	run -143 --separate-stderr dedup -e -s seen -- sh -c 'read l; echo; kill $$' <in
	assert_equal "$stderr" "dedup: sh: killed by SIGTERM"
	assert_output "$(head -n 1 in)"
}

@test "-e -v: a command that buffers its acknowledgements is reported, with the records in flight" {
	seq 0 9 | tagit 0 >in
	run -124 --separate-stderr timeout 2.5 dedup -v -e -n 5 -s seen -- sed 's/^/x/' <in
	assert_equal "${stderr_lines[0]}" "dedup: sed: no acknowledgement for 1 s, 5 records in flight (is its output line-buffered?)"
	assert_equal "${stderr_lines[1]}" "dedup: sed: no acknowledgement for 2 s, 5 records in flight (is its output line-buffered?)"
	assert_file_not_exists out
	run -0 dedup -e -n 5 -s seen -- sed -u 's/^/x/' <in
	assert_output "$(cat in)"
}

@test "a signal to dedup stops its command first, in both command modes" {
	seq 0 199 | tagit 0 >in
	printf '#!/bin/sh\necho $$ >cmd.pid\nwhile IFS= read -r l; do sleep 0.01; echo ok; done\n' >slow
	chmod +x slow
	for mode in "" -e; do
		for sig in TERM INT HUP; do
			rm -rf seen seen.lock cmd.pid
			setsid env --default-signal=INT,HUP,TERM \
			    dedup $mode -s seen -- ./slow <in >/dev/null 3>&- &
			pid=$!
			until_exists cmd.pid
			sleep 0.1
			kill -s "$sig" "$pid"
			st=0
			wait "$pid" || st=$?
			assert_equal "$st:$sig$mode" "$(( 128 + $(kill -l "$sig") )):$sig$mode"
			run ! kill -0 "$(cat cmd.pid)"
		done
	done
}

@test "-e from a regular file: its table ends the size a pipe leaves, even when the new keys stop coming" {
	# 300000 new keys, then 900000 repeats of them: read from a file,
	# dedup foresees more new keys than come and sizes the table for them
	awk 'BEGIN { for (i = 0; i < 1200000; i++)
		printf "%d\t{\"click_id\":\"c%d\"}\n", i, (i < 300000 ? i : i % 300000) }' >in
	dedup -e -n 1000 -s file -k click_id -- cat <in >out.file
	cat in | dedup -e -n 1000 -s pipe -k click_id -- cat >out.pipe
	# the same records (the marks between them come as time allows)
	tab=$(printf '\t')
	assert_equal "$(grep -c "$tab" out.file)" 300000
	cmp <(grep "$tab" out.file) <(grep "$tab" out.pipe)
	assert_equal "$(stat -c %s file/table)" "$(stat -c %s pipe/table)"
	# and both hold every key once
	run -0 sh -c 'dedup -s file -k click_id <in | wc -l'
	assert_output 0
}
