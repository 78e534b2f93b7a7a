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

@test "-F waits for a log that is empty or not there yet" {
	follow -o st/off events.log
	sleep 0.3
	ev_write 0 1
	lines 2
	stop
	assert_equal "$(cat out)" "$(ev_want 0 1)"
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
