#!/usr/bin/env bats
# Every tool with SIGPIPE ignored, as systemd runs services and as some
# shells and language runtimes leave it: a reader that goes away ("| head")
# is seen as EPIPE, and each tool stops as it would have been stopped by
# SIGPIPE (status 141, nothing said), recording and committing nothing for
# what it did not write.  The same with SIGPIPE at its default.

load test_helper

setup() {
	mklog 20000 ev.log
	mkdir st
}

# ignoring CMD: run sh -c CMD with SIGPIPE ignored, status in $status,
# output in $output, stderr in $stderr.
ignoring() {
	run --separate-stderr timeout 20 sh -c "trap '' PIPE; $1"
}

# written TRACE: the bytes a traced process wrote to its stdout.
written() {
	awk '/(^|[ ])write\(1, / && / = [0-9]+$/ { n += $NF } END { print n + 0 }' "$1"
}

@test "dedup, filter mode, SIGPIPE ignored: a key is recorded only for a record it wrote" {
	ignoring 'logcat ev.log | dedup -s st/seen -k click_id | head -n 5'
	assert_equal "$status" 0
	assert_output "$(tagged 0 5)"
	assert_equal "$stderr" ''
	# the records not written come out of the next run: all but the keys
	# recorded, which were those of the first records
	run -0 sh -c 'logcat ev.log | dedup -s st/seen -k click_id'
	n=$(wc -l <<<"$output")
	k=$((20000 - n))
	[ "$n" -gt 0 ] && [ "$k" -ge 5 ] || fail "$k keys recorded"
	assert_equal "$(head -n 1 <<<"$output")" "$(tagged "$k" 1)"
	# exactly the records it wrote: the bytes on its stdout, in whole
	# records, as strace saw them
	command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null ||
	    skip "strace cannot trace here"
	rm -rf st/seen st/seen.lock
	ignoring 'logcat ev.log | strace -qq -e trace=write -o trace dedup -s st/seen -k click_id | head -n 5'
	w=$(written trace)
	want=$(tagged 0 20000 | head -c "$w" | tr -cd '\n' | wc -c)
	run -0 sh -c 'logcat ev.log | dedup -s st/seen -k click_id | wc -l'
	assert_equal "$((20000 - output))" "$want"
}

@test "dedup -e and command mode, SIGPIPE ignored: stop at 141, keys of what was done" {
	ignoring 'logcat ev.log | dedup -s st/seen -k click_id -e -- cat | head -n 5'
	assert_equal "$stderr" ''
	# every record dedup wrote on was done and recorded; the next run goes
	# on after them
	run -0 sh -c 'logcat ev.log | dedup -s st/seen -k click_id -e -- cat | head -n 1'
	first=$(cut -f1 <<<"$output")
	[ "$first" -ge 5 ] || fail "the next run began at $first"
	ignoring 'logcat ev.log | dedup -s st/seen2 -k click_id -- cat | head -n 5'
	assert_equal "$stderr" ''
	assert_output "$(tagged 0 5)"
	# the batch's command was killed by SIGPIPE: its keys not recorded
	run -0 sh -c 'logcat ev.log | dedup -s st/seen2 -k click_id | wc -l'
	assert_output 20000
}

@test "commit, every mode, SIGPIPE ignored: 141, quiet, nothing committed that it could not write" {
	ignoring 'logcat -o st/off ev.log | commit -o st/off | head -n 1; echo "${PIPESTATUS:-}"'
	assert_equal "$stderr" ''
	assert_not_exist st/off
	ignoring 'logcat -o st/off ev.log | { commit -o st/off; echo $? >st/rc; } | head -n 1'
	assert_equal "$(cat st/rc)" 141
	assert_not_exist st/off
	ignoring 'logcat -o st/off ev.log | { commit -o st/off -- cat; echo $? >st/rc; } | head -n 1'
	assert_equal "$stderr" ''
	assert_equal "$(cat st/rc)" 141
	assert_not_exist st/off
	ignoring 'logcat -o st/off ev.log | { commit -e -n 100 -o st/off -- cat; echo $? >st/rc; } | head -n 1'
	assert_equal "$stderr" ''
	assert_equal "$(cat st/rc)" 141
	# what it committed it had written on first
	[ ! -e st/off ] || [ "$(cat st/off)" -le 20000 ]
	ignoring 'logcat -o st/off ev.log | { commit -b -o st/off; echo $? >st/rc; } | head -n 1'
	assert_equal "$(cat st/rc)" 141
	assert_equal "$stderr" ''
}

@test "logcat and crashat, SIGPIPE ignored: they stop, quietly" {
	ignoring 'logcat ev.log | head -n 1'
	assert_equal "$status" 0
	assert_equal "$stderr" ''
	assert_output "$(tagged 0 1)"
	ignoring '{ logcat ev.log; echo $? >rc; } | head -n 1'
	assert_equal "$stderr" ''
	assert_equal "$(cat rc)" 141
	ignoring '{ logcat -F -o st/off ev.log; echo $? >rc; } | head -n 1'
	assert_equal "$stderr" ''
	assert_equal "$(cat rc)" 141
	ignoring 'logcat ev.log | { setsid -w crashat 1000000; echo $? >rc; } | head -n 1'
	assert_equal "$stderr" ''
	assert_equal "$(cat rc)" 141
	ignoring 'logcat ev.log | { setsid -w crashat 1000000 -- cat; echo $? >rc; } | head -n 1'
	assert_equal "$stderr" ''
	assert_equal "$(cat rc)" 141
}

@test "with SIGPIPE at its default, the same outcomes" {
	run --separate-stderr sh -c 'logcat ev.log | dedup -s st/seen -k click_id | head -n 5'
	assert_equal "$stderr" ''
	run -0 sh -c 'logcat ev.log | dedup -s st/seen -k click_id | head -n 1'
	[ "$(cut -f1 <<<"$output")" -ge 5 ]
	run --separate-stderr sh -c 'logcat -o st/off ev.log | { commit -o st/off; echo $? >st/rc; } | head -n 1'
	assert_equal "$stderr" ''
	assert_equal "$(cat st/rc)" 141
	assert_not_exist st/off
}

@test "SIGPIPE ignored, an input that never pauses: the reader's going still stops each tool" {
	# records without end, faster than any -t cuts a batch
	endless='awk "BEGIN { for (i = 0; ; i++) printf \"%d\\t{\\\"click_id\\\":\\\"c%d\\\"}\\n\", i, i }" 2>/dev/null'
	for tool in 'commit -o st/off' 'commit -b -o st/off2' \
	    'dedup -s st/seen -k click_id' 'crashat 999999999999'; do
		ignoring "$endless | { setsid -w $tool; echo \$? >rc; } | head -n 1"
		assert_equal "$status:$tool" "0:$tool"
		assert_equal "$(cat rc):$tool" "141:$tool"
		assert_equal "$stderr" ''
	done
	# what commit -a committed it had written whole first: nothing, in
	# one batch that never ended
	assert_not_exist st/off
}
