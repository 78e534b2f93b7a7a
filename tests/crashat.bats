#!/usr/bin/env bats
# crashat: the crash points, the crash kinds seen from outside, the lockstep
# form, and lib/ack under load.  Everything that signals a process group
# runs under setsid, so the crash never reaches bats.

load test_helper

USAGE1='usage: crashat [-cpv] [-s signal | -x status] [-1] offset [-- command [arg ...]]'

# mksink (test_helper.bash): ./sink appends each record to ./ledger, then
# acknowledges it.

# --- usage -----------------------------------------------------------------

@test "usage: no offset" {
	run -2 --separate-stderr crashat
	assert_output ''
	assert_equal "${stderr_lines[0]}" 'crashat: missing offset'
	assert_equal "${stderr_lines[1]}" "$USAGE1"
}

@test "usage: bad offsets" {
	run -2 --separate-stderr crashat -- -1
	assert_equal "${stderr_lines[0]}" 'crashat: offset -1: expected an offset from 0 to 2^63-1'
	assert_equal "${stderr_lines[1]}" "$USAGE1"
	run -2 --separate-stderr crashat 007
	assert_equal "${stderr_lines[0]}" 'crashat: offset 007: expected an offset from 0 to 2^63-1'
	run -2 --separate-stderr crashat five
	assert_equal "${stderr_lines[0]}" 'crashat: offset five: expected an offset from 0 to 2^63-1'
	run -2 --separate-stderr crashat 9223372036854775808
	assert_equal "${stderr_lines[0]}" 'crashat: offset 9223372036854775808: expected an offset from 0 to 2^63-1'
}

@test "usage: options that exclude or need each other" {
	run -2 --separate-stderr crashat -s TERM -x 3 5
	assert_equal "${stderr_lines[0]}" 'crashat: -s and -x exclude each other'
	assert_equal "${stderr_lines[1]}" "$USAGE1"
	run -2 --separate-stderr crashat -S 42 5
	assert_equal "${stderr_lines[0]}" 'crashat: -S needs -r'
	run -2 --separate-stderr crashat -r 0.5 5
	assert_equal "${stderr_lines[0]}" 'crashat: 5: unexpected argument (-r takes no offset; a command follows --)'
}

@test "usage: bad option values" {
	run -2 --separate-stderr crashat -s NOSUCH 5
	assert_equal "${stderr_lines[0]}" 'crashat: -s NOSUCH: no such signal'
	run -2 --separate-stderr crashat -s 0 5
	assert_equal "${stderr_lines[0]}" 'crashat: -s 0: no such signal'
	run -2 --separate-stderr crashat -x 256 5
	assert_equal "${stderr_lines[0]}" 'crashat: -x 256: expected an exit status from 0 to 255'
	run -2 --separate-stderr crashat -x -1 5
	assert_equal "${stderr_lines[0]}" 'crashat: -x -1: expected an exit status from 0 to 255'
	run -2 --separate-stderr crashat -r 1.5
	assert_equal "${stderr_lines[0]}" 'crashat: -r 1.5: expected a probability from 0 to 1'
	run -2 --separate-stderr crashat -r nan
	assert_equal "${stderr_lines[0]}" 'crashat: -r nan: expected a probability from 0 to 1'
	run -2 --separate-stderr crashat -r 0.5 -S x
	assert_equal "${stderr_lines[0]}" 'crashat: -S x: expected a seed from 0 to 2^64-1'
	run -2 --separate-stderr crashat -q 5
	assert_equal "${stderr_lines[0]}" "crashat: invalid option -- 'q'"
	assert_equal "${stderr_lines[1]}" "$USAGE1"
}

@test "usage: operands after the offset need --, and -- needs a command" {
	run -2 --separate-stderr crashat 5 cat
	assert_equal "${stderr_lines[0]}" 'crashat: cat: unexpected argument (a command follows --)'
	run -2 --separate-stderr crashat 5 -x 3
	assert_equal "${stderr_lines[0]}" 'crashat: -x: options go before the offset'
	run -2 --separate-stderr crashat 5 --
	assert_equal "${stderr_lines[0]}" 'crashat: -- without a command'
}

# --- the filter form -------------------------------------------------------

@test "empty input: nothing out, status 0, quiet" {
	run -0 --separate-stderr crashat 0 </dev/null
	assert_output ''
	assert_equal "$stderr" ''
	run -0 --separate-stderr crashat 0 -- cat </dev/null
	assert_output ''
	assert_equal "$stderr" ''
}

@test "offset never reached: every record through, byte for byte, status 0" {
	printf '0\tTAB\there\r\n1\t\n2\t\303\050 bad utf-8\n' >in
	printf '3\tNUL\000inside\n' >>in
	run -0 --separate-stderr sh -c 'crashat 4 <in >out'
	assert_equal "$stderr" ''
	cmp in out
}

@test "the record at the offset and all after it are held back" {
	tagged 0 10 >in
	run -3 --separate-stderr sh -c 'crashat -x 3 5 <in >out'
	assert_equal "$stderr" ''
	tagged 0 5 | cmp - out
}

@test "the first record at or past the offset is the crash point (gaps)" {
	printf '0\ta\n2\tb\n7\tc\n9\td\n' >in
	run -3 --separate-stderr crashat -x 3 5 <in
	assert_output "$(printf '0\ta\n2\tb')"
	assert_equal "$stderr" ''
}

@test "offset 0 crashes before the first record" {
	tagged 0 3 >in
	run -4 --separate-stderr crashat -x 4 0 <in
	assert_output ''
}

@test "-x 0: stop cleanly at the offset" {
	tagged 0 10 >in
	run -0 --separate-stderr crashat -x 0 2 <in
	assert_output "$(tagged 0 2)"
}

@test "bad tag: exit 65 naming the line, earlier records written" {
	printf '0\ta\n1\tb\nnot a record\n3\td\n' >in
	run -65 --separate-stderr crashat 10 <in
	assert_output "$(printf '0\ta\n1\tb')"
	assert_equal "$stderr" 'crashat: stdin: line 3: no TAB after the offset, expected OFFSET<TAB>PAYLOAD'
	printf '0\ta\n01\tb\n' >in
	run -65 --separate-stderr crashat 10 <in
	assert_equal "$stderr" 'crashat: stdin: line 2: offset has leading zeros'
	printf '\n' >in
	run -65 --separate-stderr crashat 10 -- cat <in
	assert_output ''
	assert_equal "$stderr" 'crashat: stdin: line 1: empty line, expected OFFSET<TAB>PAYLOAD'
}

@test "-c counts lines, untagged, from 0" {
	printf 'alpha\nbeta\n\ngamma\tx\ndelta\n' >in
	run -3 --separate-stderr crashat -c -x 3 3 <in
	assert_output "$(printf 'alpha\nbeta\n')"
	assert_equal "$stderr" ''
	run -0 --separate-stderr sh -c 'crashat -c 5 <in >out'
	cmp in out
}

@test "a last line without a newline is a record, copied as it is" {
	printf '0\ta\n1\tb' >in
	run -0 sh -c 'crashat 5 <in >out'
	cmp in out
	run -3 sh -c 'crashat -x 3 1 <in >out'
	printf '0\ta\n' | cmp - out
	printf 'x\ny' >in
	run -0 sh -c 'crashat -c 5 <in >out'
	cmp in out
}

@test "-p strips the tags, in both forms" {
	printf '0\ta\tb\n1\t\n2\tc\n' >in
	run -3 --separate-stderr crashat -p -x 3 2 <in
	assert_output "$(printf 'a\tb\n')"
	run -0 sh -c 'crashat -p 9 -- cat <in >out'
	printf 'a\tb\n\nc\n' | cmp - out
	printf '0\ta\n1\tb' >in
	run -0 sh -c 'crashat -p 9 <in >out'
	printf 'a\nb' | cmp - out
}

@test "stdin that cannot be read is exit 74, naming it" {
	mkdir dir
	run -74 --separate-stderr crashat 5 <dir
	assert_output ''
	assert_equal "$stderr" 'crashat: read: stdin: Is a directory'
}

# --- the crash, seen from outside ------------------------------------------

@test "default: SIGKILL to the whole process group, records before it out" {
	tagged 0 10 >in
	run -137 --separate-stderr setsid -w sh -c \
	    'crashat 5 <in >out; echo survived >marker'
	assert_equal "$stderr" ''
	tagged 0 5 | cmp - out
	assert_file_not_exists marker
}

@test "default: the other stages of the pipeline die too" {
	seq 0 99999 >in
	run -137 setsid -w sh -c \
	    'crashat -c 50000 <in | { cat >out; echo survived >marker; }'
	assert_file_not_exists marker
	# cat may or may not have copied what was in the pipe, even part of a
	# line: out is a prefix of what crashat wrote, byte for byte.
	head -50000 in >want
	head -c "$(wc -c <out)" want | cmp - out
}

@test "-1: crashat alone is killed, the rest of the pipeline survives" {
	tagged 0 10 >in
	run -0 --separate-stderr setsid -w sh -c \
	    '{ crashat -1 5 <in; echo "crashat $?" >st; } | cat >out; echo "pipeline $?" >>st'
	refute [ -n "$(printf '%s\n' "$stderr" | grep crashat:)" ]
	tagged 0 5 | cmp - out
	assert_equal "$(cat st)" "$(printf 'crashat 137\npipeline 0')"
}

@test "-s TERM: SIGTERM to the group; SIGTERM, 15 and term are one signal" {
	tagged 0 10 >in
	for sig in TERM SIGTERM 15 term; do
		rm -f out marker
		run -143 --separate-stderr setsid -w sh -c \
		    "crashat -s $sig 7 <in >out; echo survived >marker"
		assert_equal "$stderr" ''
		tagged 0 7 | cmp - out
		assert_file_not_exists marker
	done
}

@test "-s USR1 -1: that signal, to crashat only" {
	tagged 0 10 >in
	run -0 setsid -w sh -c \
	    '{ crashat -1 -s USR1 2 <in; echo "$?" >st; } | cat >out'
	assert_equal "$(cat st)" 138
	tagged 0 2 | cmp - out
}

@test "a signal whose default is to ignore still ends crashat, as 128+N" {
	tagged 0 10 >in
	run -146 --separate-stderr setsid -w sh -c 'crashat -1 -s CONT 4 <in >out'
	assert_equal "$stderr" ''
	tagged 0 4 | cmp - out
}

@test "-x 3: a plain exit, the pipeline goes on" {
	tagged 0 10 >in
	run -0 --separate-stderr setsid -w sh -c \
	    '{ crashat -x 3 6 <in; echo "$?" >st; } | cat >out'
	assert_equal "$stderr" ''
	assert_equal "$(cat st)" 3
	tagged 0 6 | cmp - out
}

# --- -r --------------------------------------------------------------------

@test "-r with -S: the same seed crashes at the same record, twice" {
	tagged 0 1000 >in
	run -5 --separate-stderr crashat -r 0.01 -S 42 -x 5 <in
	first=$output
	assert_equal "$stderr" 'crashat: crashing at offset 171 (-S 42)'
	run -5 --separate-stderr crashat -r 0.01 -S 42 -x 5 <in
	assert_equal "$output" "$first"
	assert_equal "$stderr" 'crashat: crashing at offset 171 (-S 42)'
	assert_equal "$output" "$(tagged 0 171)"
}

@test "-r: different seeds crash at different records" {
	tagged 0 1000 >in
	run -5 --separate-stderr crashat -r 0.01 -S 1 -x 5 <in
	assert_equal "$stderr" 'crashat: crashing at offset 98 (-S 1)'
	run -5 --separate-stderr crashat -r 0.01 -S 2 -x 5 <in
	assert_equal "$stderr" 'crashat: crashing at offset 42 (-S 2)'
	assert_equal "$output" "$(tagged 0 42)"
}

@test "-r without -S prints the seed it chose, and -S repeats the run" {
	tagged 0 1000 >in
	run -5 --separate-stderr crashat -r 0.02 -x 5 <in
	[[ ${stderr_lines[0]} =~ ^crashat:\ seed\ ([0-9]+)$ ]]
	seed=${BASH_REMATCH[1]}
	crash=${stderr_lines[1]}
	assert_equal "$crash" "$(echo "$crash" | grep -E "^crashat: crashing at offset [0-9]+ \(-S $seed\)$")"
	out=$output
	run -5 --separate-stderr crashat -r 0.02 -S "$seed" -x 5 <in
	assert_equal "$stderr" "$crash"
	assert_equal "$output" "$out"
}

@test "-r 0 never crashes, -r 1 crashes at the first record" {
	tagged 0 100 >in
	run -0 --separate-stderr sh -c 'crashat -r 0 -S 7 <in >out'
	assert_equal "$stderr" ''
	cmp in out
	run -9 --separate-stderr crashat -r 1 -S 7 -x 9 <in
	assert_output ''
	assert_equal "$stderr" 'crashat: crashing at offset 0 (-S 7)'
}

@test "-r -c: the crash point is a line count" {
	seq 100 199 >in
	run -5 --separate-stderr crashat -c -r 0.05 -S 3 -x 5 <in
	n=$(printf '%s\n' "$output" | wc -l)
	assert_equal "$stderr" "crashat: crashing at record $n (-S 3)"
	assert_output "$(seq 100 $((99 + n)))"
	run -137 --separate-stderr setsid -w sh -c 'crashat -c -r 0.05 -S 3 <in >out'
	assert_equal "$stderr" "crashat: crashing at record $n (-S 3)"
}

# --- -v --------------------------------------------------------------------

@test "-v: one summary line, at the end or before the crash" {
	tagged 0 10 >in
	run -0 --separate-stderr crashat -v 50 <in
	assert_output "$(tagged 0 10)"
	[[ $stderr =~ ^crashat:\ 10\ records\ in,\ 10\ out,\ [0-9.]+\ s$ ]]
	run -3 --separate-stderr crashat -v -x 3 4 <in
	[[ $stderr =~ ^crashat:\ 4\ records\ out,\ 0\ in\ flight,\ crash\ at\ offset\ 4:\ exit\ 3,\ [0-9.]+\ s$ ]]
	run -137 --separate-stderr setsid -w sh -c 'crashat -v 4 -- cat <in >/dev/null'
	[[ $stderr =~ ^crashat:\ 4\ records\ out,\ 0\ in\ flight,\ crash\ at\ offset\ 4:\ SIGKILL\ to\ the\ process\ group,\ [0-9.]+\ s$ ]]
	run -0 --separate-stderr crashat -v 50 -- cat <in
	[[ $stderr =~ ^crashat:\ 10\ records\ in,\ 10\ out,\ 0\ in\ flight,\ command\ status\ 0,\ [0-9.]+\ s$ ]]
}

@test "-v: a command that buffers its acknowledgements is reported in flight" {
	tagged 0 3 >in
	# sed without -u keeps its output in a buffer: the lockstep stalls.
	run -124 --separate-stderr timeout 2 crashat -v 50 -- sed 's/.*//' <in
	assert_output ''
	assert_equal "${stderr_lines[0]}" "crashat: sed: no acknowledgement for 1 s, 1 record in flight (is its output line-buffered?)"
}

# --- the lockstep form -----------------------------------------------------

@test "lockstep: every acknowledged record out, tagged, status 0" {
	tagged 0 1000 >in
	mksink
	run -0 --separate-stderr sh -c 'crashat 5000 -- ./sink <in >out'
	assert_equal "$stderr" ''
	cmp in out
	cmp in ledger
}

@test "lockstep: crash at 500 leaves exactly 0..499 in the ledger and out" {
	tagged 0 1000 >in
	mksink
	run -137 --separate-stderr setsid -w sh -c 'crashat 500 -- ./sink <in >out'
	assert_equal "$stderr" ''
	tagged 0 500 | cmp - out
	tagged 0 500 | cmp - ledger
}

@test "lockstep: each acknowledged record is written before the next is fed" {
	printf '0\ta\n1\tb\n' >in
	# The command looks at crashat's stdout when the second record comes.
	run -0 sh -c "crashat 9 -- sh -c 'read l; echo; read l; cat out >seen; echo' <in >out"
	printf '0\ta\n' | cmp - seen
	cmp in out
}

@test "lockstep -c: untagged lines fed and written as they are" {
	printf 'a\tb\n\nc\r\n' >in
	printf 'd' >>in
	run -0 sh -c 'crashat -c 10 -- cat <in >out'
	printf 'a\tb\n\nc\r\nd\n' | cmp - out
	run -3 sh -c 'crashat -c -x 3 2 -- cat <in >out'
	printf 'a\tb\n\n' | cmp - out
}

@test "lockstep -x: the command is given EOF and finishes before crashat exits" {
	tagged 0 10 >in
	mksink
	printf '%s\n' '#!/bin/sh' './sink; echo finished >fin' >sinkfin
	chmod +x sinkfin
	run -3 --separate-stderr crashat -x 3 6 -- ./sinkfin <in
	assert_output "$(tagged 0 6)"
	assert_equal "$stderr" ''
	assert_file_exists fin
	tagged 0 6 | cmp - ledger
}

@test "lockstep -1: only crashat dies; the command sees EOF" {
	tagged 0 10 >in
	mksink
	run -0 setsid -w sh -c \
	    '{ crashat -1 6 -- ./sink <in; echo "$?" >st; } | cat >out; wait'
	assert_equal "$(cat st)" 137
	tagged 0 6 | cmp - out
	tagged 0 6 | cmp - ledger
}

@test "lockstep: command not found is 127, not runnable 126" {
	tagged 0 3 >in
	run -127 --separate-stderr crashat 5 -- ./nosuch <in
	assert_output ''
	assert_equal "$stderr" 'crashat: ./nosuch: No such file or directory'
	mkdir dir
	run -126 --separate-stderr crashat 5 -- ./dir <in
	assert_equal "$stderr" 'crashat: ./dir: Permission denied'
	run -127 --separate-stderr crashat 5 -- ./nosuch </dev/null
	assert_equal "$stderr" 'crashat: ./nosuch: No such file or directory'
}

@test "lockstep: a command that exits 3 passes its status through" {
	tagged 0 10 >in
	run -3 --separate-stderr crashat 50 -- sh -c 'read l; echo; read l; exit 3' <in
	assert_output "$(tagged 0 1)"
	assert_equal "$stderr" 'crashat: sh: exited 3 before acknowledging offset 1'
	run -3 --separate-stderr crashat 50 -- sh -c 'cat; exit 3' <in
	assert_output "$(tagged 0 10)"
	assert_equal "$stderr" 'crashat: sh: exited 3'
}

@test "lockstep: a command killed by signal N is 128+N" {
	tagged 0 10 >in
	run -138 --separate-stderr crashat 50 -- sh -c 'read l; echo; kill -USR1 $$' <in
	assert_output "$(tagged 0 1)"
	assert_equal "$stderr" 'crashat: sh: killed by SIGUSR1 before acknowledging offset 1'
}

@test "lockstep: a command that exits 0 before the end of its input is said, status 1" {
	tagged 0 10 >in
	run -1 --separate-stderr crashat 50 -- sh -c 'read l; echo; read l; echo' <in
	assert_output "$(tagged 0 2)"
	assert_equal "$stderr" 'crashat: sh: exited 0 before acknowledging offset 2'
	# a command that acknowledged everything and exits 0 is a success
	run -0 --separate-stderr crashat 50 -- sh -c 'while read l; do echo; done' <in
	assert_equal "$stderr" ''
}

@test "lockstep: a signal to crashat stops its command before crashat dies" {
	tagged 0 200 >in
	printf '#!/bin/sh\necho $$ >cmd.pid\nwhile IFS= read -r l; do sleep 0.01; echo ok; done\n' >slow
	chmod +x slow
	for sig in TERM INT HUP; do
		rm -f cmd.pid
		setsid env --default-signal=INT,HUP,TERM \
		    crashat 5000 -- ./slow <in >/dev/null 3>&- &
		pid=$!
		until_exists cmd.pid
		sleep 0.1
		kill -s "$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		assert_equal "$st:$sig" "$(( 128 + $(kill -l "$sig") )):$sig"
		run ! kill -0 "$(cat cmd.pid)"
	done
}

@test "a reader that leaves while the input is idle stops crashat at once" {
	tagged 0 10 >in
	mkfifo fifo
	{ st=0; crashat 50 <fifo || st=$?; echo "$st" >st; } | head -n 3 >got &
	exec 8>fifo
	cat in >&8
	until_exists st
	assert_file_exists st
	exec 8>&-
	wait
	assert_equal "$(cat st)" 141
}

@test "lockstep: more acknowledgements than records is exit 65" {
	tagged 0 10 >in
	run -65 --separate-stderr crashat 50 -- sh -c "read l; printf '\n\n\n'; sleep 5" <in
	assert_equal "$stderr" 'crashat: sh: 3 acknowledgement lines for 1 records fed: the command must write one line per record'
}

# --- stdout ----------------------------------------------------------------

@test ">/dev/full is exit 74" {
	tagged 0 10 >in
	run -74 --separate-stderr sh -c 'crashat 50 <in >/dev/full'
	assert_equal "$stderr" 'crashat: write: stdout: No space left on device'
	run -74 --separate-stderr sh -c 'crashat 50 -- cat <in >/dev/full'
	assert_equal "$stderr" 'crashat: write: stdout: No space left on device'
	run -74 --separate-stderr sh -c 'crashat -x 3 5 <in >/dev/full'
	assert_equal "$stderr" 'crashat: write: stdout: No space left on device'
}

@test "| head -1 is quiet, in both forms" {
	seq 0 99999 >in
	run -0 --separate-stderr sh -c 'crashat -c 999999 <in | head -1'
	assert_output 0
	assert_equal "$stderr" ''
	run -0 --separate-stderr sh -c 'crashat -c 999999 -- cat <in | head -1'
	assert_output 0
	assert_equal "$stderr" ''
}

# --- lib/ack under load ----------------------------------------------------
# (the feeding of lib/ack alone, without the lockstep: tests/unit/ack_test.c)

@test "lockstep: 200000 records through a shell read loop, exactly" {
	seq 0 199999 >in
	run -0 --separate-stderr sh -c \
	    "crashat -c 999999999 -- sh -c 'while read l; do echo; done' <in >out"
	assert_equal "$stderr" ''
	cmp in out
}
