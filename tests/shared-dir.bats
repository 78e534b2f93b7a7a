#!/usr/bin/env bats
# State in a directory another user may write to (sticky, world-writable,
# as /tmp): what the other user plants under the names of our state files
# is never followed, opened as a FIFO or device, or written through, and
# never hangs a run.  The other user is a uid with no other rights, taken
# with setpriv(1); only root can do that.

load test_helper

OTHER=54321

setup() {
	[ "$(id -u)" = 0 ] || skip "taking another uid needs root"
	command -v setpriv >/dev/null || skip "no setpriv"
	# a directory of its own under /tmp: the test's scratch directory is
	# closed to other users
	SHARED=$(mktemp -d /tmp/exactly-shared.XXXXXX)
	chmod 1777 "$SHARED"
	mkdir -m 1777 "$SHARED/st"
	cd "$SHARED"
	seq 10 >ev.log
	echo precious >victim
	chmod 644 ev.log victim
}

teardown() {
	[ -n "${SHARED:-}" ] && rm -rf "$SHARED"
}

# other CMD...: run CMD as the other user.
other() {
	setpriv --reuid=$OTHER --regid=$OTHER --clear-groups "$@"
}

@test "a symbolic link planted as a lock file is refused; what it points at is untouched" {
	other ln -s ../victim st/off.lock
	run -65 --separate-stderr sh -c 'logcat -o st/off ev.log | commit -o st/off'
	assert_equal "$(sort <<<"$stderr")" "$(printf '%s\n' \
	    "commit: lock file st/off.lock: is a symbolic link" \
	    "logcat: lock file st/off.lock: is a symbolic link")"
	assert_output ''
	assert_equal "$(cat victim)" precious
	other ln -s ../victim st/seen.lock
	run -65 --separate-stderr dedup -s st/seen </dev/null
	assert_equal "$stderr" "dedup: lock file st/seen.lock: is a symbolic link"
	assert_equal "$(cat victim)" precious
	assert_not_exist st/off
	assert_not_exist st/seen
}

@test "a FIFO planted as a lock file is refused at once, not waited on" {
	other mkfifo st/off.lock
	run -65 --separate-stderr timeout 10 commit -o st/off </dev/null
	assert_equal "$stderr" "commit: lock file st/off.lock: not a regular file"
}

@test "FIFOs planted under the names of temporaries never hang a run" {
	for f in off.tmp off.seg.tmp off.idx.tmp off.tmp.00000000; do
		other mkfifo "st/$f"
	done
	run -0 --separate-stderr timeout 10 sh -c \
	    'logcat -o st/off ev.log | commit -o st/off >/dev/null'
	assert_equal "$stderr" ''
	assert_equal "$(cat st/off)" 10
	# a second run, after more lines, resumes from there
	seq 11 15 >>ev.log
	run -0 timeout 10 sh -c 'logcat -o st/off ev.log | commit -o st/off'
	assert_output "$(seq 11 15 | tagit 10)"
	assert_equal "$(cat st/off)" 15
}

@test "a file planted under a temporary's old name is never written through or renamed into place" {
	other sh -c 'echo planted >st/off.tmp && chmod 666 st/off.tmp'
	run -0 sh -c 'logcat -o st/off ev.log | commit -o st/off >/dev/null'
	assert_equal "$(cat st/off)" 10
	# the offset file is ours, the planted one still theirs, as it was
	assert_equal "$(stat -c %u st/off)" 0
	assert_equal "$(cat st/off.tmp)" planted
	assert_equal "$(stat -c %u st/off.tmp)" $OTHER
}

@test "temporaries: each a new file of its own (O_EXCL, no link followed); ours left by a crash are swept, theirs are not" {
	echo 5 >st/off
	echo stale >st/off.tmp.0123abcd
	other sh -c 'echo theirs >st/off.tmp.89abcdef'
	if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
		seq 5 9 | tagit 5 | strace -f -e trace=openat -o trace commit -o st/off >/dev/null
		run grep -E 'openat\(AT_FDCWD, "st/off\.tmp\.[0-9a-f]{8}", ' trace
		assert_output --partial 'O_CREAT|O_EXCL|O_NOCTTY|O_NOFOLLOW'
	else
		seq 5 9 | tagit 5 | commit -o st/off >/dev/null
	fi
	assert_equal "$(cat st/off)" 10
	assert_not_exist st/off.tmp.0123abcd
	assert_equal "$(cat st/off.tmp.89abcdef)" theirs
	assert_equal "$(ls st | grep -c '^off\.tmp')" 1
}
