#!/usr/bin/env bats
# Bad and unusual input, for every tool that reads it: logcat reads log
# lines, commit, crashat and dedup read tagged records.  Payloads are
# 8-bit clean and of any length (NUL, CR, CRLF, TAB, invalid UTF-8, a
# 64 MiB line): passed through byte for byte.  A line that is not a valid
# tag is the documented error (65, naming the line and what is wrong),
# after exactly the records before it, with nothing committed past them.

load test_helper

# payloads: one log line of each unusual kind.
payloads() {
	printf 'nul\0inside\n'
	printf '\0\n'
	printf 'crlf\r\n'
	printf '\r\n'
	printf 'tab\there\t\n'
	printf '\n'
	printf 'ff fe \377\376\n'
	printf 'overlong slash \300\257\n'
	printf 'lone surrogate \355\240\200\n'
	printf 'cut utf-8 \342\202\n'
	printf '{"click_id":"\377"}\n'
	printf 'trailing space \n'
}

# crashat can kill its process group: never let that be bats's.
safe() {
	setsid -w "$@"
}

@test "logcat: NUL, CR, CRLF, TAB, empty lines and invalid UTF-8 are passed through byte for byte" {
	payloads >log
	tagit 0 <log >want
	run -0 logcat log
	logcat log | cmp - want
	tally badinput "$(wc -l <log)"
}

@test "commit, crashat and dedup pass every byte of a payload through" {
	payloads | tagit 10 >in
	mkdir st
	for cmd in 'commit -o st/off' 'crashat 1000' 'crashat -c 1000' \
	    'dedup -s st/seen' 'commit -b -n 3 -o st/off2' \
	    'commit -e -o st/off3 -- cat' 'crashat 1000 -- cat' \
	    'dedup -e -s st/seen2 -- cat'; do
		safe $cmd <in >out || fail "$cmd: exit $?"
		cmp in out || fail "$cmd: output differs"
		tally badinput "$(wc -l <in)"
	done
	assert_equal "$(cat st/off st/off2 st/off3)" "$(printf '22\n22\n22')"
	# -p strips the tags and nothing else
	commit -p -o st/off4 <in | cmp - <(payloads)
}

@test "dedup compares keys byte for byte: CR, NUL and invalid UTF-8 make keys of their own" {
	printf '0\ta\n1\ta\r\n2\ta\0\n3\ta\377\n4\ta\n5\ta\r\n6\ta\0\n7\ta\377\n' >in
	run -0 dedup -s seen <in
	head -n 4 in | cmp - <(dedup -s seen2 <in)
	tally badinput 8
}

# big CHAR: 64 MiB of CHAR, no newline.
big() {
	head -c $((64 << 20)) /dev/zero | tr '\0' "$1"
}

@test "a 64 MiB line goes through logcat, dedup, crashat and commit whole" {
	{ echo first; big x; echo; echo last; } >log
	{ printf '0\tfirst\n1\t'; big x; printf '\n2\tlast\n'; } >want
	mkdir st
	safe sh -c 'logcat log | dedup -s st/seen | crashat 1000 | commit -o st/off' >out
	cmp want out
	assert_equal "$(cat st/off)" 3
	# the same line again is a duplicate: its 64 MiB key was kept
	run -0 sh -c 'logcat -s 1 log | dedup -s st/seen'
	assert_output ''
	tally badinput 4
}

@test "a 64 MiB JSON record is keyed by its field" {
	{ printf '0\t{"pad":"'; big y; printf '","click_id":"c1"}\n'; } >in
	printf '1\t{"click_id":"c1"}\n' >>in
	dedup -s seen -k click_id <in | cmp - <(head -n 1 in)
	tally badinput 2
}

@test "logcat holds back an unterminated last line, and passes it once it ends" {
	printf 'a\nb\0\r' >log
	run -0 logcat log
	assert_output "$(printf '0\ta')"
	printf '\n' >>log
	logcat log | cmp - <(printf '0\ta\n1\tb\0\r\n')
	tally badinput 1
}

# Lines that are not a valid tag, each with what the tools say of it.  (A
# valid offset alone, such as 7, is a progress mark: tests/marks.bats.)
BADTAGS='hello|no TAB after the offset, expected OFFSET<TAB>PAYLOAD
|empty line, expected OFFSET<TAB>PAYLOAD
7 x|no TAB after the offset, expected OFFSET<TAB>PAYLOAD
\tx|empty offset
07\tx|offset has leading zeros
00\tx|offset has leading zeros
-7\tx|offset has a sign
+7\tx|offset has a sign
 7\tx|offset is not a decimal number
7 \tx|offset is not a decimal number
0x7\tx|offset is not a decimal number
7\r\tx|offset is not a decimal number
\331\247\tx|offset is not a decimal number
9223372036854775808\tx|offset is larger than 2^63-1
18446744073709551616\tx|offset is larger than 2^63-1
123456789012345678901234567890\tx|offset is larger than 2^63-1
07|progress mark: offset has leading zeros
-7|progress mark: offset has a sign
+7|progress mark: offset has a sign
9223372036854775808|progress mark: offset is larger than 2^63-1
7 |no TAB after the offset, expected OFFSET<TAB>PAYLOAD
7\r|no TAB after the offset, expected OFFSET<TAB>PAYLOAD'

@test "a line that is not a valid tag: 65 naming the line, after exactly the records before it" {
	mkdir st
	echo 5 >st/off
	while IFS='|' read -r line why; do
		printf "5\tgood 5\n6\tgood 6\n$line\n8\tafter\n" >in
		for tool in crashat dedup commit; do
			case $tool in
			crashat) cmd=(safe crashat 1000); pre='crashat: stdin' ;;
			dedup) cmd=(dedup -s st/seen); pre='dedup: stdin' ;;
			commit) cmd=(commit -o st/off); pre='commit: stdin' ;;
			esac
			rm -rf st/seen
			run -65 --separate-stderr "${cmd[@]}" <in
			assert_equal "$stderr" "$pre: line 3: $why"
			if [ "$tool" = commit ]; then
				# one batch, not committed: nothing written on
				assert_output ''
			else
				assert_output "$(printf '5\tgood 5\n6\tgood 6')"
			fi
			tally badinput 1
		done
		assert_equal "$(cat st/off)" 5
	done <<<"$BADTAGS"
}

@test "commit: offsets out of order, repeated or below the committed one are bad input; batches before are committed" {
	mkdir st
	echo 3 >st/off
	printf '3\ta\n4\tb\n6\tc\n5\td\n' >in
	run -65 --separate-stderr commit -n 2 -o st/off <in
	assert_output "$(printf '3\ta\n4\tb')"
	assert_equal "$stderr" 'commit: stdin: line 4: offset 5 does not follow 6 (offsets must increase)'
	assert_equal "$(cat st/off)" 5
	printf '5\ta\n5\tb\n' >in
	run -65 --separate-stderr commit -o st/off <in
	assert_output ''
	assert_equal "$stderr" 'commit: stdin: line 2: offset 5 does not follow 5 (offsets must increase)'
	printf '4\ta\n' >in
	run -65 --separate-stderr commit -o st/off <in
	assert_equal "$stderr" 'commit: stdin: line 1: offset 4 is below the committed offset 5 of st/off'
	assert_equal "$(cat st/off)" 5
	tally badinput 3
}

@test "crashat and dedup pass offsets out of order and repeated through as they come" {
	printf '9\ta\n3\tb\n3\tc\n0\td\n' >in
	safe crashat 1000 <in | cmp in -
	dedup -s seen <in | cmp in -
	tally badinput 2
}

@test "commit refuses the largest offset: the offset after it could never be read back" {
	mkdir st
	printf '9223372036854775806\ta\n9223372036854775807\tb\n' >in
	run -65 --separate-stderr commit -n 1 -o st/off <in
	assert_output "$(printf '9223372036854775806\ta')"
	assert_equal "$stderr" 'commit: stdin: line 2: offset 9223372036854775807 is the largest: the offset after it cannot be committed'
	assert_equal "$(cat st/off)" 9223372036854775807
	run -0 logcat -o st/off -r latest /dev/null
	safe crashat -c 1000 <in | cmp in -
	tally badinput 2
}

@test "a torn last record: commit and dedup refuse it, crashat passes it on as it is" {
	mkdir st
	printf '0\ta\n1\tb' >in
	run -65 --separate-stderr commit -o st/off <in
	assert_output ''
	assert_equal "$stderr" 'commit: stdin: line 2: no newline at the end of the input (a torn record)'
	assert_not_exist st/off
	run -65 --separate-stderr dedup -s st/seen <in
	assert_output "$(printf '0\ta')"
	assert_equal "$stderr" 'dedup: stdin: line 2: no newline at the end (a torn record)'
	safe crashat 1000 <in | cmp in -
	tally badinput 3
}

@test "dedup -k: invalid UTF-8 or a torn object is bad input even with -m pass; a missing key passes with it" {
	printf '0\t{"click_id":"\377"}\n' >in
	run -65 --separate-stderr dedup -s seen -k click_id <in
	assert_output ''
	assert_equal "$stderr" 'dedup: stdin: line 1: invalid JSON at byte 14: invalid UTF-8 in a string'
	printf '0\t{"id":"c1"}\n1\t{"click_id":"c1"\n' >in
	run -65 --separate-stderr dedup -s seen2 -k click_id -m pass <in
	assert_output "$(head -n 1 in)"
	assert_equal "$stderr" 'dedup: stdin: line 2: invalid JSON at byte 17: unterminated object'
	tally badinput 3
}

@test "a closed stdin or stdout is 74: never a tool's own file read as input or written into" {
	mkdir st
	printf '0\t{"click_id":"c0"}\n1\t{"click_id":"c1"}\n' >in
	printf '{"click_id":"c0"}\n' >log
	# dedup, filter mode: nothing was written, so nothing is recorded
	run -74 --separate-stderr sh -c 'dedup -s st/seen -k click_id <in >&-'
	assert_equal "$stderr" 'dedup: write: stdout: Bad file descriptor'
	run -0 dedup -s st/seen -k click_id <in
	assert_output "$(cat in)"
	run -74 --separate-stderr sh -c 'dedup -s st/seen2 <&-'
	assert_equal "$stderr" 'dedup: read: stdin: Bad file descriptor'
	# commit: nothing committed, either way
	run -74 --separate-stderr sh -c 'commit -o st/off <in >&-'
	assert_equal "$stderr" 'commit: write: stdout: Bad file descriptor'
	assert_not_exist st/off
	run -74 --separate-stderr sh -c 'commit -o st/off <&-'
	assert_equal "$stderr" 'commit: read: stdin: Bad file descriptor'
	assert_not_exist st/off
	# logcat: the record goes nowhere, and is read again
	run -74 --separate-stderr sh -c 'logcat -o st/loff log >&-'
	assert_equal "$stderr" 'logcat: write: stdout: Bad file descriptor'
	assert_not_exist st/loff
	run -0 logcat -o st/loff log
	assert_output "$(printf '0\t{"click_id":"c0"}')"
	run -74 --separate-stderr setsid -w sh -c 'crashat 10 <&-'
	assert_equal "$stderr" 'crashat: read: stdin: Bad file descriptor'
	# no lock file ever held a record
	run -1 grep -l click_id st/*.lock
	# stderr closed: the tools work on, and fail with their status
	run -0 sh -c 'commit -o st/off <in >/dev/null 2>&-'
	assert_equal "$(cat st/off)" 2
	run -65 sh -c 'printf "x\n" | commit -o st/off 2>&-'
	assert_equal "$(cat st/off)" 2
}
