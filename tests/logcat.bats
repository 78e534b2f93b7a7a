#!/usr/bin/env bats
# logcat: reading a log (plain and gzip files as one) from an offset.

load test_helper

USAGE='usage: logcat [-Fpv] [-n count] [-o offsetfile | -s offset] [-r earliest|latest|error] file ...
       logcat -L [-o offsetfile] file ...'

# --- the basics --------------------------------------------------------------

@test "writes every record of a file, tagged from offset 0" {
	mklog 5 log
	run -0 --separate-stderr logcat log
	assert_output "$(tagged 0 5)"
	assert_equal "$stderr" ""
}

@test "an empty file is an empty log" {
	: >log
	run -0 --separate-stderr logcat log
	assert_output ""
	assert_equal "$stderr" ""
	run -0 logcat -s 0 log
	assert_output ""
}

@test "-p writes payloads only" {
	mklog 4 log
	run -0 logcat -p log
	assert_output "$(cat log)"
	run -0 logcat -p -s 2 log
	assert_output "$(tail -n 2 log)"
}

@test "-s starts at an offset, -n writes at most that many records" {
	mklog 10 log
	run -0 logcat -s 3 log
	assert_output "$(tagged 3 7)"
	run -0 logcat -s 3 -n 4 log
	assert_output "$(tagged 3 4)"
	run -0 logcat -n 2 log
	assert_output "$(tagged 0 2)"
	run -0 logcat -n 100 log
	assert_output "$(tagged 0 10)"
	run -2 --separate-stderr logcat -n 0 log
	assert_output ""
	assert_equal "${stderr_lines[0]}" "logcat: -n 0: expected a count from 1 to 2^63-1"
	run -0 logcat -s 10 log
	assert_output ""
}

@test "-o starts at the committed offset and never writes the offset file" {
	mklog 10 log
	mkdir st
	run -0 logcat -o st/off log
	assert_output "$(tagged 0 10)"
	assert_file_not_exists st/off
	echo 7 >st/off
	run -0 logcat -o st/off log
	assert_output "$(tagged 7 3)"
	printf '4\nkey value\n' >st/off
	run -0 logcat -o st/off -n 2 log
	assert_output "$(tagged 4 2)"
	assert_equal "$(cat st/off)" "$(printf '4\nkey value')"
	echo 10 >st/off
	run -0 logcat -o st/off log
	assert_output ""
}

@test "-v prints one summary line on stderr" {
	mklog 10 log
	run -0 --separate-stderr logcat -v -s 2 -n 3 log
	assert_output "$(tagged 2 3)"
	[[ "$stderr" =~ ^logcat:\ 3\ records,\ [0-9]+\ bytes,\ offsets\ 2-4,\ [0-9]+\.[0-9]{3}\ s$ ]]
	bytes=$(sed -n 3,5p log | wc -c)
	[[ "$stderr" == "logcat: 3 records, $bytes bytes, "* ]]
	run -0 --separate-stderr logcat -v -s 10 log
	assert_output ""
	[[ "$stderr" =~ ^logcat:\ 0\ records,\ 0\ bytes,\ at\ offset\ 10,\ [0-9.]+\ s$ ]]
}

# --- payloads are bytes ------------------------------------------------------

@test "CR, TAB, NUL and invalid UTF-8 in payloads are kept byte for byte" {
	printf 'a\r\nb\tc\t\n\0x\0\n\377\376\n\n' >log
	printf '0\ta\r\n1\tb\tc\t\n2\t\0x\0\n3\t\377\376\n4\t\n' >want
	logcat log >got
	cmp got want
	logcat -p log >got
	cmp got log
}

@test "a 16 MiB line goes through whole" {
	{ head -c 16777216 /dev/zero | tr '\0' x; echo; echo next; } >log
	logcat -n 1 log >got
	{ printf '0\t'; head -c 16777216 /dev/zero | tr '\0' x; echo; } >want
	cmp got want
	run -0 logcat -s 1 log
	assert_output "$(printf '1\tnext')"
}

@test "lines of every length across many reads, tagged as awk numbers them, at every -s and -n" {
	# lines from empty to a few hundred bytes, and a few longer than an
	# output buffer, over several of logcat's reads: every one whole,
	# every tag right (the digits roll over at 10, 100, 1000, 10000)
	awk 'BEGIN { srand(7); for (i = 0; i < 30000; i++) {
		n = (i % 7919 == 0) ? 150000 + i : int(rand() * rand() * 400)
		s = ""; while (length(s) < n) s = s sprintf("%d,", i)
		print substr(s, 1, n) } }' >log
	awk '{ print NR - 1 "\t" $0 }' log >want
	logcat log >got
	cmp got want
	logcat -p log >got
	cmp got log
	for s in 0 9 99 999 9999 12345 29999; do
		for n in 1 2 1000 25000; do
			logcat -s "$s" -n "$n" log >got
			tail -n +$((s + 1)) want | head -n "$n" >want.sn
			cmp got want.sn
		done
	done
	# where a committed offset was left by an earlier run: the same
	echo 0 >off
	logcat -o off -n 10007 log >got
	head -n 10007 want | cmp - got
	echo 10007 >off
	logcat -o off log >got
	tail -n +10008 want | cmp - got
}

# --- the unterminated last line -----------------------------------------------

@test "an unterminated last line is held back until it is complete" {
	printf 'a\nb\nhalf' >log
	run -0 logcat log
	assert_output "$(printf '0\ta\n1\tb')"
	run -0 logcat -s 2 log
	assert_output ""
	printf ' done\nc\n' >>log
	run -0 logcat -s 2 log
	assert_output "$(printf '2\thalf done\n3\tc')"
	run -0 logcat -s 4 log
	assert_output ""
}

@test "an earlier file's last line without its LF goes on in the next file, as cat joins them" {
	printf 'a\nb' >one
	printf 'c\nd' >two
	printf 'e\n' >three
	run -0 --separate-stderr logcat one two three
	assert_output "$(printf '0\ta\n1\tbc\n2\tde')"
	assert_equal "$stderr" ""
	assert_output "$(cat one two three | awk '{ printf "%d\t%s\n", NR - 1, $0 }')"
	# the newest file's unfinished line is still being written
	run -0 logcat one two
	assert_output "$(printf '0\ta\n1\tbc')"
	run -0 logcat -s 1 one two three
	assert_output "$(printf '1\tbc\n2\tde')"
	run -0 logcat -s 2 one two three
	assert_output "$(printf '2\tde')"
	# with -o the same, and the same again once numbered
	mkdir st
	run -0 logcat -o st/off one two three
	assert_output "$(printf '0\ta\n1\tbc\n2\tde')"
	echo 1 >st/off
	run -0 logcat -o st/off one two three
	assert_output "$(printf '1\tbc\n2\tde')"
	echo 2 >st/off
	run -0 logcat -o st/off three two one
	assert_output "$(printf '2\tde')"
	# a file with no LF at all is inside one record
	printf 'x' >mid
	touch -d '2000-01-01' one
	touch -d '2000-01-02' mid
	touch -d '2000-01-03' three
	run -0 logcat one mid three
	assert_output "$(printf '0\ta\n1\tbxe')"
	run -0 logcat -s 1 one mid three
	assert_output "$(printf '1\tbxe')"
}

# --- several files, gzip -------------------------------------------------------

@test "two plain files are one log with continuous offsets" {
	mklog 5 a
	mklog 7 b 5
	run -0 logcat a b
	assert_output "$(tagged 0 12)"
	run -0 logcat -s 5 a b
	assert_output "$(tagged 5 7)"
	run -0 logcat -s 3 -n 4 a b
	assert_output "$(tagged 3 4)"
	run -0 logcat -s 6 a b
	assert_output "$(tagged 6 6)"
}

@test "gzip is read by its magic bytes, not its name, after a plain file" {
	mklog 1000 old
	mklog 500 new 1000
	gzip -c old >old.seg
	touch -r old old.seg # files never seen are read oldest first
	run -0 logcat old.seg new
	assert_output "$(tagged 0 1500)"
	run -0 logcat -s 998 -n 4 old.seg new
	assert_output "$(tagged 998 4)"
	run -0 logcat -s 1200 old.seg new
	assert_output "$(tagged 1200 300)"
	gzip -c new >new.gz
	run -0 logcat -s 999 -n 2 old new.gz
	assert_output "$(tagged 999 2)"
}

@test "a file of several gzip members reads as their concatenation" {
	mklog 10 a
	mklog 10 b 10
	{ gzip -c a; gzip -c b; } >ab.gz
	run -0 logcat ab.gz
	assert_output "$(tagged 0 20)"
	run -0 logcat -s 9 -n 2 ab.gz
	assert_output "$(tagged 9 2)"
}

@test "an empty gzip stream is an empty segment" {
	: | gzip -c >e.gz
	mklog 2 log
	run -0 logcat e.gz log
	assert_output "$(tagged 0 2)"
}

@test "a truncated gzip file: every record before the cut, then exit 65" {
	mklog 20000 log
	gzip -c log >log.gz
	head -c $(($(wc -c <log.gz) / 2)) log.gz >cut.gz
	run -65 --separate-stderr logcat cut.gz
	assert_equal "$stderr" "logcat: cut.gz: bad gzip data after ${#lines[@]} records of the file (log offset ${#lines[@]}): truncated gzip data (unexpected end of file)"
	((${#lines[@]} > 1000 && ${#lines[@]} < 20000))
	assert_output "$(tagged 0 ${#lines[@]})"
	# the records decoded before the cut are all the complete lines there are
	assert_equal "${#lines[@]}" "$(zcat cut.gz 2>/dev/null | wc -l)"
}

@test "a gzip file cut in its header is an error and writes nothing of it" {
	mklog 3 a
	printf '\037\213' >h.gz
	run -65 --separate-stderr logcat a h.gz
	assert_output "$(tagged 0 3)"
	assert_equal "$stderr" "logcat: h.gz: bad gzip data after 0 records of the file (log offset 3): truncated gzip data (unexpected end of file)"
}

@test "a corrupt gzip member stops exactly after the good ones" {
	mklog 100 a
	mklog 100 b 100
	gzip -c b >b.gz
	# member 2: method 9 is not deflate
	{ gzip -c a; printf '\037\213\011'; tail -c +4 b.gz; } >bad.gz
	run -65 --separate-stderr logcat bad.gz
	assert_output "$(tagged 0 100)"
	assert_equal "$stderr" "logcat: bad.gz: bad gzip data after 100 records of the file (log offset 100): unknown compression method"
	{ gzip -c a; echo garbage; } >tail.gz
	run -65 --separate-stderr logcat tail.gz
	assert_output "$(tagged 0 100)"
	assert_equal "$stderr" "logcat: tail.gz: bad gzip data after 100 records of the file (log offset 100): data after the last gzip member is not gzip"
}

@test "a wrong gzip CRC is an error naming the file" {
	mklog 100 a
	gzip -c a >a.gz
	size=$(wc -c <a.gz)
	printf 'XXXX' | dd of=a.gz bs=1 seek=$((size - 8)) conv=notrunc status=none
	run -65 --separate-stderr logcat a.gz
	assert_equal "$stderr" "logcat: a.gz: bad gzip data after 100 records of the file (log offset 100): incorrect data check"
	run -65 --separate-stderr logcat -s 100 a.gz
	assert_output ""
}

@test "a corrupt segment before the start offset is still an error" {
	mklog 100 a
	gzip -c a | head -c 300 >a.gz
	mklog 5 b 100
	run -65 --separate-stderr logcat -s 102 a.gz b
	assert_output ""
	[[ "$stderr" == "logcat: a.gz: bad gzip data after "* ]]
}

@test "a pipe is a log too: its bytes are read once" {
	mklog 300 log
	run -0 sh -c 'cat log | logcat /dev/stdin'
	assert_output "$(tagged 0 300)"
	run -0 sh -c 'cat log | logcat -s 298 /dev/stdin'
	assert_output "$(tagged 298 2)"
	mkdir st
	run -0 sh -c 'cat log | logcat -o st/off -n 2 /dev/stdin'
	assert_output "$(tagged 0 2)"
}

# --- files that are not there ---------------------------------------------------

@test "a missing file is exit 74 before anything is written" {
	mklog 3 a
	run -74 --separate-stderr logcat a nope
	assert_output ""
	assert_equal "$stderr" "logcat: open: nope: No such file or directory"
}

@test "an unreadable file (a directory) is exit 74" {
	mklog 3 a
	mkdir d
	run -74 --separate-stderr logcat a d
	assert_output ""
	assert_equal "$stderr" "logcat: read: d: Is a directory"
}

# --- offset files that are bad ------------------------------------------------

@test "malformed, empty, negative and unreadable offset files: exit 65, nothing read" {
	mklog 5 log
	for bad in 'abc' '' '-5' '+5' '007' '3x' '99999999999999999999'; do
		printf '%s\n' "$bad" >off
		[ -n "$bad" ] || : >off
		run -65 --separate-stderr logcat -o off log
		assert_output ""
		[[ "$stderr" == "logcat: offset file off: "* ]]
	done
	: >off
	run -65 --separate-stderr logcat -o off log
	assert_equal "$stderr" "logcat: offset file off: empty offset file"
	echo -5 >off
	run -65 --separate-stderr logcat -o off log
	assert_equal "$stderr" "logcat: offset file off: offset has a sign"
	rm off
	mkdir off
	run -65 --separate-stderr logcat -o off log
	assert_output ""
	assert_equal "$stderr" "logcat: offset file off: Is a directory"
}

# --- an offset beyond the end ---------------------------------------------------

@test "an offset beyond the end: -r error (the default) is exit 65 saying where the log ends" {
	mklog 5 log
	logcat -o off log >/dev/null # numbers the log
	echo 8 >off
	run -65 --separate-stderr logcat -o off log
	assert_output ""
	assert_equal "$stderr" "logcat: off: committed offset 8 is beyond the end of the log, which ends at offset 5"
	run -65 --separate-stderr logcat -r error -s 6 log
	assert_equal "$stderr" "logcat: -s 6: offset is beyond the end of the log, which ends at offset 5"
}

@test "an offset beyond the end: -r earliest starts again at 0 and says so" {
	mklog 5 log
	logcat -o off log >/dev/null # numbers the log
	echo 8 >off
	run -0 --separate-stderr logcat -r earliest -o off log
	assert_output "$(tagged 0 5)"
	assert_equal "$stderr" "logcat: off: committed offset 8 is beyond the end of the log, which ends at offset 5; -r earliest: starting at offset 0"
	run -0 --separate-stderr logcat -r earliest -o off -n 2 log
	assert_output "$(tagged 0 2)"
	assert_equal "$(cat off)" 8
}

@test "an offset beyond the end: -r latest writes nothing and says so" {
	mklog 5 log
	logcat -o off log >/dev/null # numbers the log
	echo 8 >off
	run -0 --separate-stderr logcat -r latest -o off log
	assert_output ""
	assert_equal "$stderr" "logcat: off: committed offset 8 is beyond the end of the log; -r latest: starting at its end, offset 5"
}

@test "-r has nothing to do while the offset is in the log" {
	mklog 5 log
	for r in error earliest latest; do
		run -0 --separate-stderr logcat -r $r -s 2 log
		assert_output "$(tagged 2 3)"
		assert_equal "$stderr" ""
		run -0 --separate-stderr logcat -r $r log
		assert_output "$(tagged 0 5)"
	done
}

# --- output --------------------------------------------------------------------

@test "a full disk on stdout is exit 74" {
	mklog 5 log
	run -74 --separate-stderr sh -c 'logcat log >/dev/full'
	assert_equal "$stderr" "logcat: write: stdout: No space left on device"
}

@test "a reader that goes away (| head -1) is no error" {
	mklog 300000 big
	run -0 --separate-stderr bash -c 'logcat big 2>err | head -1; echo "${PIPESTATUS[0]}" >status'
	assert_output "$(tagged 0 1)"
	assert_equal "$(cat err)" ""
	[[ "$(cat status)" == 0 || "$(cat status)" == 141 ]]
	# with SIGPIPE ignored, EPIPE is the same quiet stop, status 141
	run -0 --separate-stderr bash -c 'trap "" PIPE; logcat big 2>err | head -1; echo "${PIPESTATUS[0]}" >status'
	assert_equal "$(cat err)" ""
	assert_equal "$(cat status)" 141
}

# --- the consumer's lock ---------------------------------------------------------

@test "-o is refused (75) while another consumer holds the offset file" {
	mklog 5 log
	echo 2 >off
	run -75 --separate-stderr flock off.lock logcat -o off log
	assert_output ""
	assert_equal "$stderr" "logcat: off: in use by another process"
}

@test "-o shares the lock with the stages of its own pipeline" {
	# the first logcat still writes (its pipe is full) while the second,
	# a stage of the same pipeline, takes the same offset file
	# (numbered once before: two logcats of one pipeline would both
	# write the segment catalogue, a race no real pipeline has)
	mklog 100000 log
	logcat -o off log >/dev/null # numbers the log
	echo 2 >off
	run -0 --separate-stderr sh -c 'logcat -o off log | { logcat -o off -n 1 log; cat; }'
	assert_equal "${#lines[@]}" 99999
	assert_equal "${lines[0]}" "$(tagged 2 1)"
	assert_equal "${lines[1]}" "$(tagged 2 1)"
	assert_equal "${lines[99998]}" "$(tagged 99999 1)"
	assert_equal "$stderr" ""
}

# --- usage -------------------------------------------------------------------------

@test "usage errors are exit 2 with the usage line" {
	mklog 1 log
	run -2 --separate-stderr logcat
	assert_equal "$stderr" "$(printf 'logcat: no log file given\n%s' "$USAGE")"
	run -2 --separate-stderr logcat -o off -s 1 log
	assert_equal "$stderr" "$(printf 'logcat: -o and -s both say where to start: give one\n%s' "$USAGE")"
	run -2 --separate-stderr logcat -r sometimes log
	assert_equal "$stderr" "$(printf 'logcat: -r sometimes: expected earliest, latest or error\n%s' "$USAGE")"
	run -2 --separate-stderr logcat -s -1 log
	assert_equal "$stderr" "$(printf 'logcat: -s -1: expected an offset from 0 to 2^63-1\n%s' "$USAGE")"
	for bad in '-n x' '-n -1' '-n 01' '-n 0' '-s 1x' '-s ""' '-x' '-n'; do
		run -2 --separate-stderr sh -c "logcat $bad log"
		assert_output ""
		assert_equal "$(printf '%s\n' "$stderr" | tail -n 2)" "$USAGE"
	done
	for bad in '-n 1' '-F' '-p' '-s 1' '-r earliest' '-v'; do
		run -2 --separate-stderr sh -c "logcat -L $bad log"
		assert_equal "$stderr" "$(printf 'logcat: -L takes no option but -o\n%s' "$USAGE")"
	done
}

@test "an empty offset file name is a usage error, and nothing is written" {
	mklog 1 log
	run -2 --separate-stderr logcat -o '' log
	assert_output ""
	assert_equal "$stderr" "$(printf "logcat: -o '': expected a file name\n%s" "$USAGE")"
	run -2 --separate-stderr logcat -L -o '' log
	assert_equal "$stderr" "$(printf "logcat: -o '': expected a file name\n%s" "$USAGE")"
	assert_not_exist .lock
	assert_not_exist .seg
	assert_not_exist .idx
}

# --- -L -------------------------------------------------------------------------

@test "-L writes NAME FIRST END COMMITTED LAG, tab-separated, and reads no further" {
	mklog 5 log
	printf 'unfinished' >>log
	run -0 --separate-stderr logcat -L log
	assert_output "$(printf 'log\t0\t5\t-\t-')"
	assert_equal "$stderr" ""
	mkdir st
	run -0 logcat -L -o st/off log
	assert_output "$(printf 'log\t0\t5\t-\t-')"
	assert_not_exist st/off.seg
	logcat -o st/off -n 2 log >/dev/null
	echo 2 >st/off
	run -0 logcat -L -o st/off log
	assert_output "$(printf 'log\t0\t5\t2\t3')"
	# an empty log, and one not there
	: >empty
	run -0 logcat -L empty
	assert_output "$(printf 'empty\t0\t0\t-\t-')"
	run -74 --separate-stderr logcat -L nope
	assert_equal "$stderr" "logcat: open: nope: No such file or directory"
	run -74 --separate-stderr sh -c 'logcat -L log >/dev/full'
	assert_equal "$stderr" "logcat: write: stdout: No space left on device"
}

@test "-L: a name with a TAB, LF, backslash or control byte stays one field of one line" {
	name=$(printf 'a\tb\nc\\d\001e\303\251')
	mklog 3 "$name"
	run -0 logcat -L "$name"
	# escaped as C does; UTF-8 is text, kept
	assert_output "$(printf '%s\303\251\t0\t3\t-\t-' 'a\tb\nc\\d\001e')"
	# a name as long as a path may be (4088 bytes, PATH_MAX 4096): the
	# whole line, its LF too
	long=$(printf 'x%.0s' $(seq 250))
	dir=.
	for i in $(seq 16); do dir=$dir/$long; done
	mkdir -p "$dir"
	f=$dir/$(printf 'y%.0s' $(seq 70))
	mklog 2 "$f"
	run -0 logcat -L "$f"
	assert_output "$(printf '%s\t0\t2\t-\t-' "$f")"
	assert_equal "$(logcat -L "$f" | wc -l)" 1
}
