#!/usr/bin/env bats
# logcat -F: following a live log through appends and rotation by the
# real logrotate, and ending cleanly on SIGTERM and SIGINT.

load test_helper

setup() {
	command -v logrotate >/dev/null || PATH=$PATH:/usr/sbin
	mkdir st
}

teardown() {
	[ -s pid ] && kill -9 "$(cat pid)" 2>/dev/null
	return 0
}

# w A B: append events A..B to events.log, a writer that opens the file
# for every line, as one that reopens its log after rotation.
w() {
	for ((i = $1; i <= $2; i++)); do
		printf '{"n":%d}\n' "$i" >>events.log
	done
}

want() {
	for ((i = $1; i <= $2; i++)); do
		printf '%d\t{"n":%d}\n' "$i" "$i"
	done
}

# follow ARG...: logcat -F ARG... in the background, into out and err.
follow() {
	logcat -F "$@" >out 2>err 3>&- &
	echo $! >pid
}

# consume ARG...: logcat -F -o st/off ARG... | commit -a -o st/off -t 100
# in the background; pid is logcat's.
consume() {
	{ logcat -F -o st/off "$@" 2>err & echo $! >pid; wait $!; echo $? >status; } |
	    commit -a -o st/off -t 100 >out 2>cerr 3>&- &
	echo $! >cpid
	for ((t = 0; t < 100; t++)); do
		[ -s pid ] && return 0
		sleep 0.05
	done
	return 1
}

# finish: SIGTERM to logcat; the pipeline ends, both with status 0.
finish() {
	kill -TERM "$(cat pid)"
	wait "$(cat cpid)" || return
	rm pid
	[ "$(cat status)" = 0 ]
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

conf() {
	{
		echo "$PWD/events.log {"
		printf '\t%s\n' "$@"
		echo "}"
	} >lr.conf
}

rotate() {
	logrotate -s lr.state -f lr.conf
}

@test "-F writes lines as they are appended, and an unfinished one once done" {
	w 0 2
	follow -o st/off events.log
	lines 3
	w 3 4
	lines 5
	printf '{"n":5' >>events.log
	sleep 0.3
	assert_equal "$(wc -l <out)" 5
	printf '}\n' >>events.log
	lines 6
	stop
	assert_equal "$(cat out)" "$(want 0 5)"
	assert_equal "$(cat err)" ""
}

@test "SIGTERM and SIGINT end -F with status 0 after flushing" {
	w 0 9
	follow events.log
	lines 10
	stop TERM
	assert_equal "$(cat out)" "$(want 0 9)"
	follow -s 5 events.log
	lines 5
	stop INT
	assert_equal "$(cat out)" "$(want 5 9)"
	assert_equal "$(cat err)" ""
}

@test "-F -n COUNT exits 0 once COUNT records were written" {
	w 0 0
	run -0 timeout 10 sh -c 'logcat -F -n 3 events.log & sleep 0.3; printf "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n" >>events.log; wait $!'
	assert_output "$(want 0 2)"
}

@test "-F waits for a log that is empty or not there yet" {
	follow -o st/off events.log
	sleep 0.3
	w 0 1
	lines 2
	stop
	assert_equal "$(cat out)" "$(want 0 1)"
}

@test "-F follows create rotation by logrotate: the old file to its end, then the new" {
	conf 'rotate 5' create
	w 0 9
	follow -o st/off events.log events.log.1
	lines 10
	rotate
	w 10 19
	lines 20
	rotate
	w 20 24
	lines 25
	stop
	assert_equal "$(cat out)" "$(want 0 24)"
	assert_equal "$(cat err)" ""
	# the offsets are those a later run sees
	echo 12 >st/off
	run -0 logcat -o st/off events.log*
	assert_output "$(want 12 24)"
}

@test "-F follows copytruncate by logrotate, reading the rest from the copy" {
	conf 'rotate 5' copytruncate
	w 0 9
	follow -o st/off events.log events.log.1
	lines 10
	rotate
	w 10 19
	lines 20
	rotate
	w 20 24
	lines 25
	stop
	assert_equal "$(cat out)" "$(want 0 24)"
	assert_equal "$(cat err)" ""
	echo 12 >st/off
	run -0 logcat -o st/off events.log*
	assert_output "$(want 12 24)"
}

@test "logcat -F | commit -a -t 100: a live stream is committed in groups" {
	w 0 4
	consume events.log
	offat 5
	w 5 9
	offat 10
	assert_equal "$(cat out)" "$(want 0 9)"
	finish
	assert_equal "$(cat st/off)" 10
	assert_equal "$(cat err)" ""
	assert_equal "$(cat cerr)" ""
}

@test "a writer at speed, logrotate rotating, logcat -F | commit -a: every record once" {
	# the writer keeps its log open and reopens it when logrotate's
	# postrotate says so, as a daemon does
	conf 'rotate 100' create compress delaycompress postrotate \
	    "kill -USR1 \$(cat $PWD/writer.pid) 2>/dev/null || true" endscript
	: >events.log
	consume events.log events.log.1
	bash -c '
		exec 4>>events.log
		trap "exec 4>>events.log" USR1
		for ((i = 0; i < 3000; i++)); do
			printf "{\"n\":%d}\n" $i >&4
			((i % 10 == 9)) && sleep 0.01
		done' 3>&- &
	writer=$!
	echo $writer >writer.pid
	for k in 1 2 3 4 5 6; do
		sleep 0.3
		rotate
	done
	wait $writer
	offat 3000
	finish
	assert_equal "$(cat out)" "$(want 0 2999)"
	assert_equal "$(cat err)" ""
	assert_equal "$(cat cerr)" ""
	[ -e events.log.6.gz ] || [ -e events.log.5.gz ]
	echo 0 >st/off
	run -0 logcat -o st/off events.log*
	assert_output "$(want 0 2999)"
}

@test "-F ends quietly when its reader goes away, even with nothing to write" {
	w 0 0
	run -0 --separate-stderr timeout 10 bash -c 'logcat -F events.log | head -1'
	assert_output "$(want 0 0)"
	assert_equal "$stderr" ""
}

@test "-F without inotify (LOGCAT_POLL): appends and a create rotation" {
	conf 'rotate 5' create
	w 0 4
	LOGCAT_POLL=20 follow -o st/off events.log events.log.1
	lines 5
	w 5 9
	lines 10
	rotate
	w 10 14
	lines 15
	stop
	assert_equal "$(cat out)" "$(want 0 14)"
	assert_equal "$(cat err)" ""
	LOGCAT_POLL=0 run -2 --separate-stderr logcat -F events.log
	assert_equal "$stderr" "logcat: LOGCAT_POLL=0: expected milliseconds, 1 to 60000"
	# events.log alone, without the catalogue, is a log of its own
	run -0 --separate-stderr timeout 10 bash -c 'LOGCAT_POLL=20 logcat -F events.log | head -1'
	assert_output "$(printf '0\t{"n":10}')"
}
