#!/usr/bin/env bats
# Bad and unusual input, for every tool that reads it: logcat reads log
# lines, commit, crashat and dedup read tagged records.  Payloads are
# 8-bit clean and of any length (NUL, CR, CRLF, TAB, invalid UTF-8, a
# 64 MiB line): passed through byte for byte.  A line that is not a valid
# tag is the documented error (65, naming the line and what is wrong),
# after exactly the records before it, with nothing committed past them.

load test_helper

# crashat can kill its process group: never let that be bats's.
safe() {
	setsid -w "$@"
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
	tally bad_inputs 2
}
