#!/usr/bin/env bats
# logcat -F: following a live log through appends and rotation by the
# real logrotate, and ending cleanly on SIGTERM and SIGINT.

load test_helper

setup() {
	mkdir st
}

teardown() {
	[ -s pid ] && kill -9 "$(cat pid)" 2>/dev/null
	return 0
}

# follow ARG...: logcat -F ARG... in the background, into out and err.
follow() {
	logcat -F "$@" >out 2>err 3>&- &
	echo $! >pid
}

# offat N: wait (up to 20 s) until st/off says N.
offat() {
	for ((t = 0; t < 400; t++)); do
		[ "$(cat st/off 2>/dev/null)" = "$1" ] && return 0
		sleep 0.05
	done
	echo "st/off is $(cat st/off), not $1" >&2
	return 1
}

# lines N: wait (up to 20 s) until out has N lines.
lines() {
	for ((t = 0; t < 400; t++)); do
		[ "$(wc -l <out)" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "out has $(wc -l <out) lines, not $1" >&2
	return 1
}

# stop [SIGNAL]: end logcat -F; its exit status must be 0.
stop() {
	kill -"${1:-TERM}" "$(cat pid)"
	wait "$(cat pid)"
	local status=$?
	rm pid
	return $status
}

@test "-F writes lines as they are appended, and an unfinished one once done" {
	ev_write 0 2
	follow -o st/off events.log
	lines 3
	ev_write 3 4
	lines 5
	ev5=$(ev_want 5 5 | cut -f2)
	printf '%s' "${ev5:0:10}" >>events.log
	sleep 0.3
	assert_equal "$(wc -l <out)" 5
	printf '%s\n' "${ev5:10}" >>events.log
	lines 6
	stop
	assert_equal "$(cat out)" "$(ev_want 0 5)"
	assert_equal "$(cat err)" ""
}

@test "SIGTERM and SIGINT end -F with status 0 after flushing" {
	ev_write 0 9
	follow events.log
	lines 10
	stop TERM
	assert_equal "$(cat out)" "$(ev_want 0 9)"
	follow -s 5 events.log
	lines 5
	stop INT
	assert_equal "$(cat out)" "$(ev_want 5 9)"
	assert_equal "$(cat err)" ""
}

@test "-F -n COUNT exits 0 once COUNT records were written" {
	ev_write 0 0
	{ sleep 0.3; ev_write 1 3; } &
	run -0 timeout 10 logcat -F -n 3 events.log
	wait
	assert_output "$(ev_want 0 2)"
}

# watching: wait (up to 20 s) until logcat -F has an inotify watch, that
# is, until it waits for a change.
watching() {
	for ((t = 0; t < 400; t++)); do
		grep -qs '^inotify wd:' /proc/"$(cat pid)"/fdinfo/* && return 0
		sleep 0.05
	done
	echo "logcat -F is not watching" >&2
	return 1
}

@test "-F waits for a log that is empty or not there yet" {
	for start in absent empty; do
		rm -f events.log out err
		[ "$start" = empty ] && : >events.log
		follow -o st/off events.log
		watching
		# alive, waiting, and nothing written
		kill -0 "$(cat pid)"
		assert_equal "$(cat out)" ""
		ev_write 0 1
		lines 2
		stop
		assert_equal "$(cat out)" "$(ev_want 0 1)"
		assert_equal "$(cat err)" ""
		rm -f st/*
	done
}

@test "-F follows create rotation by logrotate: the old file to its end, then the new" {
	lr_conf 'rotate 5' create
	ev_write 0 9
	follow -o st/off events.log events.log.1
	lines 10
	lr_rotate
	ev_write 10 19
	lines 20
	lr_rotate
	ev_write 20 24
	lines 25
	stop
	assert_equal "$(cat out)" "$(ev_want 0 24)"
	assert_equal "$(cat err)" ""
	# the offsets are those a later run sees
	echo 12 >st/off
	run -0 logcat -o st/off events.log*
	assert_output "$(ev_want 12 24)"
}

@test "-F follows copytruncate by logrotate, reading the rest from the copy" {
	lr_conf 'rotate 5' copytruncate
	ev_write 0 9
	follow -o st/off events.log events.log.1
	lines 10
	lr_rotate
	ev_write 10 19
	lines 20
	lr_rotate
	ev_write 20 24
	lines 25
	stop
	assert_equal "$(cat out)" "$(ev_want 0 24)"
	assert_equal "$(cat err)" ""
	echo 12 >st/off
	run -0 logcat -o st/off events.log*
	assert_output "$(ev_want 12 24)"
}

@test "logcat -F | commit -a -t 100: a live stream is committed in groups" {
	ev_write 0 4
	live_consume events.log
	offat 5
	ev_write 5 9
	offat 10
	assert_equal "$(cat out)" "$(ev_want 0 9)"
	live_finish
	assert_equal "$(cat st/off)" 10
	assert_equal "$(cat err)" ""
	assert_equal "$(cat cerr)" ""
}

@test "a writer at speed, logrotate rotating, logcat -F | commit -a: every record once" {
	# the writer keeps its log open and reopens it when logrotate's
	# postrotate says so, as a daemon does
	lr_conf 'rotate 100' create compress delaycompress postrotate \
	    "kill -USR1 \$(cat $PWD/writer.pid) 2>/dev/null || true" endscript
	: >events.log
	live_consume events.log events.log.1
	EV_PAD=$EV_PAD bash -c '
		exec 4>>events.log
		trap "exec 4>>events.log" USR1
		for ((i = 0; i < 3000; i++)); do
			printf "{\"n\":%d,\"pad\":\"%s\"}\n" $i "${EV_PAD:i % 30}" >&4
			((i % 10 == 9)) && sleep 0.01
		done' 3>&- &
	writer=$!
	echo $writer >writer.pid
	for k in 1 2 3 4 5 6; do
		sleep 0.3
		lr_rotate
	done
	wait $writer
	offat 3000
	live_finish
	assert_equal "$(cat out)" "$(ev_want 0 2999)"
	assert_equal "$(cat err)" ""
	assert_equal "$(cat cerr)" ""
	[ -e events.log.6.gz ] || [ -e events.log.5.gz ]
	echo 0 >st/off
	run -0 logcat -o st/off events.log*
	assert_output "$(ev_want 0 2999)"
}

@test "-F ends quietly when its reader goes away, even with nothing to write" {
	ev_write 0 0
	run -0 --separate-stderr timeout 10 bash -c 'logcat -F events.log | head -1'
	assert_output "$(ev_want 0 0)"
	assert_equal "$stderr" ""
}

@test "-F without inotify (LOGCAT_POLL): appends and a create rotation" {
	lr_conf 'rotate 5' create
	ev_write 0 4
	LOGCAT_POLL=20 follow -o st/off events.log events.log.1
	lines 5
	ev_write 5 9
	lines 10
	lr_rotate
	ev_write 10 14
	lines 15
	stop
	assert_equal "$(cat out)" "$(ev_want 0 14)"
	assert_equal "$(cat err)" ""
	LOGCAT_POLL=0 run -2 --separate-stderr logcat -F events.log
	assert_equal "$stderr" "logcat: LOGCAT_POLL=0: expected milliseconds, 1 to 60000"
	# events.log alone, without the catalogue, is a log of its own
	run -0 --separate-stderr timeout 10 bash -c 'LOGCAT_POLL=20 logcat -F events.log | head -1'
	assert_output "$(ev_want 10 10 | sed 's/^10\t/0\t/')"
}

# ---- the live file truncated or cut while followed -----------------------

# said TEXT: wait (up to 20 s) until err holds TEXT.
said() {
	for ((t = 0; t < 400; t++)); do
		grep -qF -- "$1" err 2>/dev/null && return 0
		sleep 0.05
	done
	echo "err: $(cat err)" >&2
	return 1
}

@test "-F: the live file emptied while caught up: a word on stderr, and it goes on" {
	ev_write 0 9
	follow -o st/off events.log
	lines 10
	# emptied, and seen empty
	: >events.log
	said 'going on from offset 10'
	ev_write 10 14
	lines 15
	# emptied and written again before logcat looks: the same
	: >events.log
	ev_write 15 19
	lines 20
	stop
	assert_equal "$(cat out)" "$(ev_want 0 19)"
	assert_equal "$(cat err)" "$(printf '%s\n' \
	    "logcat: events.log: truncated, and the last offset read from it is 9: what was written to it in the instant before is unknown; going on from offset 10" \
	    "logcat: events.log: truncated, and the last offset read from it is 14: what was written to it in the instant before is unknown; going on from offset 15")"
	# a later run numbers them the same; what was in the file before it
	# was emptied is gone
	echo 17 >st/off
	run -0 logcat -o st/off events.log
	assert_output "$(ev_want 17 19)"
	echo 12 >st/off
	run -65 --separate-stderr logcat -o st/off events.log
	assert_output ""
	assert_equal "$stderr" "logcat: offsets 12-14 (3 records) are gone: their segment is no longer among the files given (st/off: committed offset 12; -r earliest or latest to go on)"
}

# behind BIG: logcat -F -o st/off "$@" log, log being BIG lines, its
# reader stopped, until logcat has read a MiB of it and can read no more:
# the pipe between them is full.  The reader is fd 4.
behind() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "line %d of a log that is long\n", i }' >log
	mkfifo fifo
	shift
	logcat -F -o st/off "$@" log >fifo 2>err 3>&- &
	echo $! >pid
	exec 4<fifo
	for ((t = 0; t < 400; t++)); do
		[ "$(awk '/^rchar/ { print $2 }' /proc/"$(cat pid)"/io)" -gt 1048576 ] && return 0
		sleep 0.05
	done
	return 1
}

@test "-F: the live file emptied while logcat was behind: -r decides, exit 65 by default" {
	behind 300000
	: >log
	cat <&4 >out
	exec 4<&-
	status=0
	wait "$(cat pid)" || status=$?
	rm pid
	assert_equal "$status" 65
	# every record it had read was written, and no more
	n=$(wc -l <out)
	((n > 1000 && n < 300000))
	run -0 diff out <(awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "%d\tline %d of a log that is long\n", i, i }')
	assert_equal "$(cat err)" "logcat: log: truncated before it was read to its end, and the last offset read from it is $((n - 1)): what it held after that is lost (st/off: committed offset 0; give the file that copytruncate copies it to among the files given, or -r earliest to go on from offset $n)"
}

@test "-F -r earliest: the live file emptied while logcat was behind: a word on stderr, it goes on" {
	behind 300000 -r earliest
	: >log
	cat <&4 >out &
	said 'going on from offset'
	n=$(sed -n 's/.*last offset read from it is \([0-9]*\).*/\1/p' err)
	echo 'after' >>log
	lines $((n + 2))
	stop
	exec 4<&-
	assert_equal "$(tail -n 1 out)" "$(printf '%d\tafter' $((n + 1)))"
	assert_equal "$(cat err)" "logcat: log: truncated before it was read to its end, and the last offset read from it is $n: what it held after that is lost; -r earliest: going on from offset $((n + 1))"
}

@test "-F on a glob through copytruncate by logrotate: the copy not given, all read: it goes on" {
	lr_conf 'rotate 5' copytruncate
	ev_write 0 9
	# the glob holds events.log alone: its copy is a name it never had
	live_consume events.log*
	offat 10
	lr_rotate
	ev_write 10 19
	offat 20
	lr_rotate
	ev_write 20 29
	offat 30
	live_finish
	assert_equal "$(cat out)" "$(ev_want 0 29)"
	assert_equal "$(cat err)" "$(printf '%s\n' \
	    "logcat: events.log: truncated, and the last offset read from it is 9: what was written to it in the instant before is unknown; going on from offset 10" \
	    "logcat: events.log: truncated, and the last offset read from it is 19: what was written to it in the instant before is unknown; going on from offset 20")"
	assert_equal "$(cat cerr)" ""
	# a cron run after it, whose glob holds the copies, agrees
	echo 15 >st/off
	run -0 --separate-stderr logcat -o st/off events.log*
	assert_output "$(ev_want 15 29)"
	assert_equal "$stderr" ""
}

# cutline NAME...: logcat -F -o st/off NAME... while copytruncate cuts a
# block-buffered writer's event 3 in two, and the writer's next write
# goes to the truncated file.
cutline() {
	rm -rf st events.log* lr.state
	mkdir st
	printf '{"id":1}\n{"id":2}\n{"id":3,"msg":"hel' >events.log
	follow -o st/off "$@"
	lines 2
	lr_rotate
	printf 'lo"}\n{"id":4}\n' >>events.log
	lines 4
	stop
	assert_equal "$(cat out)" "$(printf '0\t{"id":1}\n1\t{"id":2}\n2\t{"id":3,"msg":"hello"}\n3\t{"id":4}')"
}

@test "-F: copytruncate cuts a block-buffered writer's line in two: the halves are one record" {
	lr_conf 'rotate 5' copytruncate
	cutline events.log events.log.1
	assert_equal "$(cat err)" ""
	run -0 logcat -s 2 events.log*
	assert_output "$(printf '2\t{"id":3,"msg":"hello"}\n3\t{"id":4}')"
	# the copy not given: its line was read, and is joined all the same
	cutline events.log
	assert_equal "$(cat err)" "logcat: events.log: truncated, and the last offset read from it is 1: what was written to it in the instant before is unknown; going on from offset 2"
}
