#!/usr/bin/env bats
# The seen-set on a full disk: every table's blocks are allocated before
# anything is written through its mapping, so a disk that fills is exit 74
# naming the file, never a SIGBUS, and nothing is lost (issue 10, defect
# 6).  A small tmpfs in a private mount namespace is the disk.

load test_helper
load seenset

# blocks_ok FILE: FILE has every block of its size allocated.
blocks_ok() {
	[ $(( $(stat -c '%b * %B' "$1") )) -ge "$(stat -c %s "$1")" ] ||
	    fail "$1: $(stat -c '%b blocks of %B for %s bytes' "$1")"
}

@test "a new table and a grown one have all their blocks" {
	printf 'a\n' | tag | dedup -s seen >/dev/null
	blocks_ok seen/table
	seq 1 3000 | tag | dedup -s seen >/dev/null
	blocks_ok seen/table
}

@test "a new slice has all its blocks" {
	seq 1 10 | tag | at 1000 -W 100 -s seen >/dev/null
	seq 11 20 | tag | at 1050 -W 100 -s seen >/dev/null
	blocks_ok seen/slice.1
}

@test "a new seen-set with no room on the disk: exit 74 naming the file, no SIGBUS, nothing left" {
	# three pages: the lock, and the header and journal of a set whose
	# slots would then have no room
	run --separate-stderr small_fs 256 '
		fill && room 12
		printf "0\ta\n" | dedup -s st/seen >out; echo $? >rc
		ls -a st >ls.after'
	assert_equal "$(cat rc)" 74
	[[ $stderr =~ ^dedup:\ allocate:\ st/seen\.tmp\.[0-9a-f]{8}/table\.tmp\.[0-9a-f]{8}:\ No\ space\ left\ on\ device$ ]] ||
	    fail "$stderr"
	assert_equal "$(cat out)" ''
	# no half-made set: the next run, with room, makes it whole
	assert_equal "$(cat ls.after)" "$(printf '.\n..\nfill\nseen.lock')"
	run --separate-stderr small_fs 256 '
		fill && room 64
		printf "0\ta\n" | dedup -s st/seen; echo $? >rc'
	assert_equal "$(cat rc)" 0
	assert_output "$(printf '0\ta')"
}

@test "a table with holes, as older versions made them, on a full disk: 74 at open, never a SIGBUS" {
	run --separate-stderr small_fs 512 '
		printf "0\ta\n" | dedup -s st/seen >/dev/null
		fallocate -d st/seen/table
		cp -a st/seen seen.before
		fill
		printf "0\tb\n1\tc\n" | dedup -s st/seen >out; echo $? >rc
		cp -a st/seen seen.after'
	assert_equal "$(cat rc)" 74
	assert_equal "$stderr" "dedup: allocate: st/seen/table: No space left on device"
	assert_equal "$(cat out)" ''
	cmp seen.before/table seen.after/table
	cmp seen.before/journal seen.after/journal
	# with room, b and c pass once and a never
	run -0 dedup -s seen.after < <(printf 'a\nb\nc\n' | tag)
	assert_output "$(printf '1\tb\n2\tc')"
}

# full_growth FLAGS: a set of 100 keys on a full disk, fed 3000 keys with
# dedup FLAGS: the table must double, and cannot.
full_growth() {
	seq 1 3000 | tag >in
	head -n 100 in >in100
	run --separate-stderr small_fs 1024 "
		dedup -s st/seen <in100 >/dev/null
		cp -a st/seen seen.before
		fill
		dedup -s st/seen $1 <in >out; echo \$? >rc
		ls st/seen >ls.after
		cp -a st/seen seen.after"
	assert_equal "$(cat rc)" 74
	[[ $stderr =~ ^dedup:\ allocate:\ st/seen/table\.tmp\.[0-9a-f]{8}:\ No\ space\ left\ on\ device$ ]] ||
	    fail "$stderr"
	assert_equal "$(cat ls.after)" "$(printf 'journal\ntable')"
	cmp seen.before/table seen.after/table
	cmp seen.before/journal seen.after/journal
	# with room: the 2900 keys not recorded pass, each once, whatever the
	# failed run wrote on
	run -0 dedup -s seen.after $1 <in
	assert_equal "$(cut -f 2 <<<"$output")" "$(seq 101 3000)"
	run -0 dedup -s seen.after <in
	assert_output ''
}

@test "a growth on a full disk: exit 74, the set as it was, and with room no key is lost" {
	full_growth ""
}

@test "a growth on a full disk with -e: exit 74, nothing written on, no key lost" {
	# -n 2000: its first group, 1000 acknowledgements, is what the table
	# of 100 keys must double for
	full_growth "-e -n 2000 -- cat"
	assert_equal "$(cat out)" ''
}

@test "a journal append on a full disk: exit 74, and with room no key is lost" {
	seq 1 300 | tag >in
	run --separate-stderr small_fs 512 '
		dedup -s st/seen </dev/null
		fill
		dedup -s st/seen <in >out; echo $? >rc
		cp -a st/seen seen.after'
	assert_equal "$(cat rc)" 74
	assert_equal "$stderr" "dedup: write: st/seen/journal: No space left on device"
	# the batch was written on before its commit failed (filter mode);
	# the part of it the journal took before the disk filled is recorded,
	# the rest passes again, once
	assert_equal "$(cat out)" "$(cat in)"
	run -0 dedup -s seen.after <in
	[ -n "$output" ] || fail "every key recorded"
	comm -23 <(sort <<<"$output") <(sort in) | grep -q . && fail "not of the input"
	run -0 dedup -s seen.after <in
	assert_output ''
}

@test "-W on a full disk: a slice that cannot start is exit 74 and loses nothing; a drop makes room" {
	window_state .
	mv seen seen.0
	# 1090: slice 2 is due (started at 1060), nothing expires yet; two
	# pages of room, for the journal's replacement, not for a slice
	run --separate-stderr small_fs 512 '
		cp -a seen.0 st/seen && fill && room 8
		EXACTLY_NOW=1090 dedup -W 100 -s st/seen </dev/null; echo $? >rc
		ls st/seen >ls.after
		room 64
		EXACTLY_NOW=1090 dedup -W 100 -s st/seen </dev/null
		cp -a st/seen seen.1'
	assert_equal "$(cat rc)" 74
	[[ $stderr =~ ^dedup:\ allocate:\ st/seen/slice\.3\.tmp\.[0-9a-f]{8}:\ No\ space\ left\ on\ device$ ]] ||
	    fail "$stderr"
	# nothing half made, and every key still there
	assert_equal "$(cat ls.after)" "$(printf 'journal\nslice.1\nslice.2\ntable')"
	for k in a b c; do
		run -0 at 1090 -s seen.1 < <(seq 1 5 | sed "s/^/$k/" | tag)
		assert_output ''
	done
	assert_equal "$(slices seen.1)" "$(printf 'table\nslice.1\nslice.2\nslice.3')"
	# at 1120 slice 0 expires: its room is what slice 3 needs
	run --separate-stderr small_fs 512 '
		cp -a seen.0 st/seen && fill && room 8
		EXACTLY_NOW=1120 dedup -W 100 -s st/seen </dev/null; echo $? >rc
		ls st/seen >ls.after'
	assert_equal "$stderr" ''
	assert_equal "$(cat rc)" 0
	assert_equal "$(cat ls.after)" "$(printf 'journal\nslice.1\nslice.2\nslice.3')"
}
