#!/usr/bin/env bats
# dedup -W: a seen-set that forgets keys recorded more than a window ago,
# in whole slices.  EXACTLY_NOW is the clock dedup judges ages by (dedup.1,
# ENVIRONMENT), so most tests need no waiting; one waits for the real one.
# The crash and power-loss sweeps are in windowcrash.bats.
# The window is 100 s unless said otherwise: a slice is started every
# 25 s, dropped 100 s after its last commit.

load test_helper
load seenset

# payloads FILE: the payloads of FILE's whole records, one a line (a
# killed run may leave its last one cut short).
payloads() {
	head -n "$(wc -l <"$1")" "$1" | cut -f 2-
}

USAGE='usage: dedup [-epvw] -s seenfile [-k name | -f field [-d delim]] [-m pass|drop] [-n count] [-t ms] [-W age] [-- command [arg ...]]'

@test "-W: an age that is not one is a usage error" {
	for a in 0 -5 5x 1.5h 1h30m '' ' 5' 36530d 3156000001 99999999999999999999; do
		run -2 --separate-stderr dedup -W "$a" -s seen </dev/null
		assert_output ''
		assert_equal "$stderr" "dedup: -W $a: expected an age from 1 s to 100 years (seconds, or Nd, Nh, Nm, Ns)
$USAGE"
	done
	assert [ ! -e seen ]
	run -0 dedup -W 36520d -s seen </dev/null
	run -0 dedup -W 3156000000 -s seen </dev/null
}

@test "-W: a key is dropped inside the window and passes once it is a window old" {
	printf 'a\nb\n' | tag >in
	run -0 at 1000 -W 100 -s seen <in
	assert_output "$(cat in)"
	run -0 at 1001 -W 100 -s seen <in
	assert_output ''
	run -0 at 1099 -W 100 -s seen <in
	assert_output ''
	run -0 at 1100 -W 100 -s seen <in
	assert_output "$(cat in)"
	# and recorded again then: a window from now
	run -0 at 1199 -W 100 -s seen <in
	assert_output ''
	run -0 at 1200 -W 100 -s seen <in
	assert_output "$(cat in)"
}

@test "-W: days, hours, minutes and seconds" {
	printf 'k\n' | tag >in
	for w in 2d:172800 3h:10800 90m:5400 45s:45 45:45; do
		rm -rf seen
		run -0 at 100000 -W "${w%:*}" -s seen <in
		assert_output "$(cat in)"
		run -0 at $((100000 + ${w#*:} - 1)) -W "${w%:*}" -s seen <in
		assert_output ''
		run -0 at $((100000 + ${w#*:})) -W "${w%:*}" -s seen <in
		assert_output "$(cat in)"
	done
}

@test "-W 2 on the real clock: a key is dropped at once and passes two seconds after its commit" {
	local i t0 t1 done=
	# An immediate second run must see the key; on a machine too busy
	# to start it within a second, try again with a fresh key.
	for i in 1 2 3 4 5; do
		printf 'k%s\n' "$i" | tag >in
		t0=$(date +%s%N)
		run -0 dedup -W 2 -s seen <in
		assert_output "$(cat in)"
		t1=$(date +%s%N)
		run -0 dedup -W 2 -s seen <in
		if [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1500 ]; then
			assert_output ''
			done=1
			break
		fi
	done
	[ -n "$done" ] || fail "no second run within 1.5 s of the first"
	# t1 is after the commit: two seconds after it, the key is forgotten
	while [ $(( ($(date +%s%N) - t1) / 1000000 )) -lt 2050 ]; do
		sleep 0.1
	done
	run -0 dedup -W 2 -s seen <in
	assert_output "$(cat in)"
}

@test "-W: a window changed at a later run applies from then on" {
	printf 'a\n' | tag >a
	printf 'b\n' | tag >b
	# shorter: what is older than the new window is forgotten at once
	at 1000 -W 100 -s seen <a >/dev/null
	run -0 at 1050 -W 10 -s seen <a
	assert_output "$(cat a)"
	# longer: what is not yet forgotten is kept for the new window
	at 2000 -W 10 -s seen2 <b >/dev/null
	run -0 at 2005 -W 100 -s seen2 <b
	assert_output ''
	run -0 at 2050 -W 100 -s seen2 <b
	assert_output ''
	run -0 at 2099 -W 100 -s seen2 <b
	assert_output ''
	run -0 at 2100 -W 100 -s seen2 <b
	assert_output "$(cat b)"
	# what a short window forgot stays forgotten under a longer one
	at 3000 -W 10 -s seen3 <a >/dev/null
	at 3020 -W 10 -s seen3 </dev/null
	run -0 at 3021 -W 100 -s seen3 <a
	assert_output "$(cat a)"
}

@test "-W: a clock set back never forgets early; keys recorded meanwhile count from the latest commit" {
	printf 'a\n' | tag >a
	printf 'b\n' | tag >b
	at 1000 -W 100 -s seen <a >/dev/null
	# the clock goes back 600 s: a is still a window from its commit
	run -0 at 400 -W 100 -s seen <a
	assert_output ''
	run -0 at 400 -W 100 -s seen <b
	assert_output "$(cat b)"
	# b was recorded while the clock said 400, but as if at 1000: kept at
	# least as long as the real time since it was recorded
	run -0 at 1099 -W 100 -s seen <a
	assert_output ''
	run -0 at 1099 -W 100 -s seen <b
	assert_output ''
	run -0 at 1100 -W 100 -s seen <a
	assert_output "$(cat a)"
	run -0 at 1100 -W 100 -s seen <b
	assert_output "$(cat b)"
}

@test "without -W nothing is forgotten; a set made without -W takes a window later" {
	printf 'a\n' | tag >a
	printf 'b\n' | tag >b
	at 1000 -s seen <a >/dev/null
	run -0 at 900000 -s seen <a
	assert_output ''
	assert_equal "$(slices seen)" table
	# the keys were recorded with their times: a window applies to them
	run -0 at 900000 -W 100 -s seen <a
	assert_output "$(cat a)"
	# a run without -W forgets nothing, even of a windowed set
	at 2000 -W 100 -s seen2 <b >/dev/null
	run -0 at 900000 -s seen2 <b
	assert_output ''
}

# untimed SET: make SET's slices look like those of a version that kept no
# times (both header copies, checksums redone).
untimed() {
	/usr/bin/python3 - "$1" <<'EOF'
import hashlib, sys
for name in ('table',):
    p = sys.argv[1] + '/' + name
    with open(p, 'r+b') as f:
        for off in (0, 512):
            f.seek(off)
            h = bytearray(f.read(128))
            if h[:8] != b'\x89SEEN\r\n\x1a':
                continue
            h[72:88] = bytes(16)
            h[112:128] = hashlib.blake2b(bytes(h[:112]), digest_size=16).digest()
            f.seek(off)
            f.write(h)
EOF
}

@test "-W on a set of a version that kept no times: its keys count as recorded now" {
	printf 'a\n' | tag >a
	at 1000 -s seen <a >/dev/null
	untimed seen
	# the old set still opens, and without -W changes nothing
	run -0 at 900000 -s seen <a
	assert_output ''
	# the first -W takes its keys as recorded at that run
	run -0 at 5000 -W 100 -s seen <a
	assert_output ''
	run -0 at 5099 -W 100 -s seen <a
	assert_output ''
	run -0 at 5100 -W 100 -s seen <a
	assert_output "$(cat a)"
}

@test "-W: the set holds about a window of keys, in a few slices" {
	local t k m
	# a run every 10 s, ten new keys each: 50 runs, 500 keys
	for k in $(seq 0 49); do
		t=$((1000 + 10 * k))
		seq 1 10 | sed "s/^/r$k-/" | tag >"in.$k"
		run -0 at "$t" -W 100 -s seen <"in.$k"
		assert_output "$(cat "in.$k")"
		# at most five slices: the window, a quarter, and the current
		[ "$(slices seen | wc -l)" -le 6 ] || fail "run $k: $(slices seen)"
	done
	# now 1490: at least the 100 keys of the runs of the last 100 s are
	# held, at most those of the last 100 s, a quarter and a run
	run -0 --separate-stderr at 1490 -v -W 100 -s seen </dev/null
	[[ $stderr =~ \ ([0-9]+)\ keys\ in\ seen ]]
	[ "${BASH_REMATCH[1]}" -ge 100 ] && [ "${BASH_REMATCH[1]}" -le 140 ] ||
	    fail "$stderr"
	# keys of runs at 1390 or later are kept, of runs before 1355
	# forgotten; between, either (asked of a copy: a key that passes is
	# recorded again)
	for m in $(seq 0 49); do
		t=$((1000 + 10 * m))
		rm -rf chk && cp -a seen chk
		run -0 at 1490 -s chk <"in.$m"
		if [ "$t" -ge 1390 ]; then
			assert_output ''
		elif [ "$t" -lt 1355 ]; then
			assert_output "$(cat "in.$m")"
		fi
	done
}

@test "-W: an expired slice is dropped whole, never read key by key" {
	printf 'a\nb\nc\n' | tag >in
	at 1000 -W 100 -s seen <in >/dev/null
	at 1050 -W 100 -s seen </dev/null
	assert_equal "$(slices seen)" "$(printf 'table\nslice.1')"
	# every slot of the old slice garbage: a lookup in it would never end
	size=$(stat -c %s seen/table)
	head -c $((size - 4096)) /dev/zero | tr '\0' '\377' |
	    dd of=seen/table bs=4096 seek=1 conv=notrunc status=none
	run -0 at 1100 -W 100 -s seen <in
	assert_output "$(cat in)"
	assert_equal "$(slices seen)" slice.1
}

@test "-W with -e and in command mode: keys recorded on acknowledgement expire the same way" {
	printf 'a\nb\n' | tag >in
	run -0 at 1000 -W 100 -e -s seen -- cat <in
	assert_output "$(cat in)"
	# all duplicates: only the progress mark of the last (marks.bats)
	run -0 at 1099 -W 100 -e -s seen -- cat <in
	assert_output 1
	run -0 at 1100 -W 100 -e -n 5 -s seen -- cat <in
	assert_output "$(cat in)"
	run -0 at 1150 -W 100 -s seen -- cat <in
	assert_output 1
	run -0 at 1200 -W 100 -s seen -- cat <in
	assert_output "$(cat in)"
}

@test "-W: a slice that grows keeps every key, and expires whole" {
	seq 1 5000 | tag >in
	run -0 at 1000 -W 100 -n 700 -s seen <in
	assert_equal "$(wc -l <<<"$output")" 5000
	# 5000 keys at most 80 % full: 2^13 slots
	assert_equal "$(stat -c %s seen/table)" $((4096 + 16 * 8192))
	run -0 at 1099 -W 100 -s seen <in
	assert_output ''
	run -0 at 1100 -W 100 -s seen <in
	assert_equal "$(wc -l <<<"$output")" 5000
}
