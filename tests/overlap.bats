#!/usr/bin/env bats
# Runs that overlap: a second consumer of one offset file is refused (75)
# while any process of the first pipeline still runs, whatever the
# scheduling (a stage that starts late, a commit delayed by a second, 50
# runs started at once), and a consumer that is gone never blocks the
# next: killed whole, its group's number taken by another group, from
# before a reboot, its last processes zombies.  Each pipeline runs in a
# session of its own, as cron and interactive shells run them.

load test_helper

setup() {
	mklog 150 events.log
	mksink
}

# pipeline STAGES: "logcat -o off events.log | STAGES", in a session of
# its own, in the background; its pid in $!.
pipeline() {
	setsid sh -c "logcat -o off events.log | $1" >/dev/null 2>>err 3>&- &
}

# once: every event is in the ledger exactly once.
once() {
	tagged 0 150 | sort >want.sorted
	sort ledger | cmp -s - want.sorted ||
	    fail "ledger: $(wc -l <ledger) lines, $(sort ledger | uniq -d | wc -l) twice"
}

@test "a commit delayed by a second: the second pipeline is refused while the first runs" {
	for _ in 1 2 3; do
		rm -f off off.lock ledger err
		pipeline './sink | { sleep 1; exec commit -a -o off; }'
		first=$!
		# the first pipeline's logcat has read everything and gone
		until_exists ledger
		until [ "$(wc -l <ledger)" = 150 ]; do sleep 0.01; done
		run -75 --separate-stderr setsid -w sh -c \
		    'logcat -o off events.log | ./sink | commit -a -o off'
		[[ "$stderr" == *"off: in use by process "*" (process group $first)"* ]] ||
		    fail "$stderr"
		wait "$first"
		assert_equal "$(cat off)" 150
		once
	done
}

@test "a stage that starts late, and stages that never take the lock, hold it for their pipeline" {
	# logcat is done at once; commit is exec'd only after ./sink is
	pipeline './sink | { sleep 0.5; cat; } | { sleep 0.5; exec commit -a -o off; }'
	first=$!
	until_exists ledger
	until [ "$(wc -l <ledger)" = 150 ]; do sleep 0.01; done
	run -75 setsid -w logcat -o off events.log
	run -75 setsid -w commit -o off -R 0
	wait "$first"
	assert_equal "$(cat off)" 150
	once
}

@test "50 pipelines started at once, their commits late by up to 0.3 s: every event processed once" {
	RANDOM=50 # the same delays in every run of the test
	for i in $(seq 50); do
		pipeline "./sink | { sleep 0.$((RANDOM % 4)); exec commit -a -o off; }"
		pids="$pids $!"
	done
	ran=0 refused=0
	for p in $pids; do
		st=0
		wait "$p" || st=$?
		case $st in
		0) ran=$((ran + 1)) ;;
		75) refused=$((refused + 1)) ;;
		*) fail "a run exited $st: $(sort err | uniq -c)" ;;
		esac
	done
	echo "# $ran ran, $refused refused" >&3
	[ "$ran" -ge 1 ]
	assert_equal "$(cat off)" 150
	once
	# a refusal names the holder, nothing else is said
	run grep -v ': off: in use by process [0-9]* (process group [0-9]*)$' err
	assert_output ''
}

@test "a pipeline killed whole never blocks the next; SIGKILL of commit alone holds the file until its command ends" {
	setsid sh -c 'logcat -o off events.log | ./sink | commit -a -o off -- sleep 30' 3>&- &
	first=$!
	holder_pid off >/dev/null
	kill -9 -- "-$first"
	wait "$first" || :
	released off
	run -0 setsid -w sh -c 'logcat -o off events.log | commit -a -o off -- cat >/dev/null'
	assert_equal "$(cat off)" 150
	# commit alone is killed: the command it ran lives on in the group,
	# so the file stays held, then the next run replays its batch.  (The
	# reset in a session of its own: run here, the test's shell and all
	# it starts from now on would be its process group, and hold off.)
	setsid -w commit -o off -R 0
	printf '#!/bin/sh\necho $$ $PPID >cmd.pid\ncat >/dev/null; sleep 3\n' >slowcmd
	chmod +x slowcmd
	setsid sh -c 'logcat -o off events.log | commit -a -o off -- ./slowcmd' 3>&- &
	first=$!
	until_exists cmd.pid
	read -r cmd parent <cmd.pid # the command, and commit that runs it
	kill -9 "$parent"
	run -75 setsid -w commit -o off -R 0
	kill -0 "$cmd"
	wait "$first" || :
	released off
	assert_equal "$(cat off)" 0
	run -0 setsid -w sh -c 'logcat -o off events.log | commit -a -o off -- cat >/dev/null'
	assert_equal "$(cat off)" 150
}

# leader_start PID: the start time of PID, clock ticks since boot.
leader_start() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $20 }'
}

@test "a record whose group's number now leads another group, one from before a reboot, one of zombies: free" {
	# a live group, led by a process that started after the record's
	setsid sleep 30 3>&- &
	g=$!
	until [ "$(ps -o pgid= -p "$g" | tr -d ' ')" = "$g" ]; do sleep 0.01; done
	s=$(leader_start "$g")
	boot=$(cat /proc/sys/kernel/random/boot_id)
	echo "999999 $g $((s - 100)) $boot 1 0" >off.lock
	run -0 setsid -w commit -o off -R 3
	assert_equal "$(cat off)" 3
	# the same group, recorded by a process that started after its
	# leader: that group, alive: held
	echo "999999 $g $((s + 1)) $boot 1 0" >off.lock
	run -75 --separate-stderr setsid -w commit -o off -R 4
	assert_equal "$stderr" "commit: off: in use by process 999999 (process group $g)"
	# a record from another boot
	echo "999999 $g $((s + 1)) 00000000-0000-0000-0000-000000000000 1 0" >off.lock
	run -0 setsid -w commit -o off -R 5
	kill "$g"
	wait "$g" || :
	# a record of earlier versions, "PID PGID", for a group gone
	printf '%10d %10d\n' 999999 999998 >off.lock
	run -0 setsid -w commit -o off -R 6
	# a group whose only process left is a zombie: not a consumer
	python3 -c '
import os, sys, time
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.execvp("commit", ["commit", "-o", "off", "-R", "7"])
open("zombie.pid", "w").write(str(pid))
time.sleep(30)
' 3>&- &
	parent=$!
	until_exists zombie.pid
	z=$(cat zombie.pid)
	until [ "$(ps -o stat= -p "$z")" = Z ]; do sleep 0.01; done
	assert_equal "$(awk '{ print $2 }' off.lock)" "$z"
	run -0 setsid -w commit -o off -R 8
	kill "$parent"
	wait "$parent" || :
	assert_equal "$(cat off)" 8
}

@test "a script's pipelines, one after another, share its group; one it runs in a session of its own is not refused by it" {
	cat >script <<-'EOF'
	#!/bin/sh
	logcat -o off -n 50 events.log | ./sink | commit -a -o off
	logcat -o off -n 50 events.log | ./sink | commit -a -o off
	setsid -w sh -c 'logcat -o off events.log | ./sink | commit -a -o off'
	EOF
	chmod +x script
	run -0 --separate-stderr ./script
	assert_equal "$stderr" ''
	assert_equal "$(cat off)" 150
	once
}

@test "-w waits until the first pipeline's last process is gone" {
	pipeline './sink | { sleep 1; exec commit -a -o off; }'
	first=$!
	holder_pid off >/dev/null
	run -0 setsid -w sh -c 'logcat -o off events.log | commit -w -a -o off -- cat >/dev/null'
	# it waited: the first committed everything, the second found nothing
	wait "$first"
	assert_equal "$(cat off)" 150
	once
}

@test "flock(1) held on the lock file itself: refused as another process, not waited on for ever" {
	flock off.lock sleep 10 3>&- &
	f=$!
	until [ -n "$(ps -o pid= --ppid "$f")" ]; do sleep 0.01; done
	run -75 --separate-stderr setsid -w commit -o off -R 0
	assert_equal "$stderr" "commit: off: in use by another process"
	kill "$f"
	wait "$f" || :
}
