#!/usr/bin/env bats
# Bad state: offset files, logcat's catalogue and seen-sets that are empty,
# cut short at every byte, bit-flipped, foreign, directories, symbolic
# links, FIFOs or on a read-only file system.  Every tool that reads the
# state refuses it with a message naming the file (65, or 74 when the
# system refuses a write) and leaves it exactly as it was: nothing is
# ever reset to offset 0 or to an empty set.

load test_helper

setup() {
	mkdir st
	seq 0 99 | sed 's/^/event /' >log
	printf '42\tevent 42\n43\tevent 43\n44\tevent 44\n' >in
}

# state: every path under st/ with a checksum of each file's bytes (lock
# files left out: they hold no state).
state() {
	(cd st && find . -name '*.lock' -prune -o -print | sort |
	    while read -r p; do
		if [ -L "$p" ]; then
			echo "$p -> $(readlink "$p")"
		elif [ -f "$p" ]; then
			echo "$p $(md5sum <"$p")"
		else
			echo "$p $(stat -c %F "$p")"
		fi
	done)
}

# refused STATUS MESSAGE CMD...: CMD exits STATUS, writes nothing, says
# exactly MESSAGE, and st/ is left as it was.
refused() {
	local status=$1 msg=$2 before
	shift 2
	before=$(state)
	run "-$status" --separate-stderr "$@" <in
	assert_output ''
	assert_equal "$stderr" "$msg"
	assert_equal "$(state)" "$before"
}

# off_refused WHY: both readers of st/off refuse it for WHY.
off_refused() {
	refused 65 "logcat: offset file st/off: $1" logcat -o st/off log
	refused 65 "commit: offset file st/off: $1" commit -o st/off
	tally badstate 2
}

@test "an empty offset file is refused, never read as 0" {
	: >st/off
	off_refused 'empty offset file'
}

@test "an offset file cut short at every byte is refused" {
	printf '1234567\n' >full
	: >st/off
	off_refused 'empty offset file'
	for k in 1 2 3 4 5 6 7; do
		head -c "$k" full >st/off
		off_refused 'no newline after the offset (file cut short?)'
	done
}

@test "an offset file cut short inside a later line still says its offset" {
	logcat -o st/off log >/dev/null # the consumer's catalogue: it has read log
	printf '42\nwriter commit\n' >full
	for k in $(seq 3 15); do
		head -c "$k" full >st/off
		run -0 logcat -o st/off -n 2 log
		assert_output "$(printf '42\tevent 42\n43\tevent 43')"
		tally badstate 1
	done
}

# flipped I B: the bytes of "42\n" with bit B of byte I flipped, in octal.
flipped() {
	local b=(064 062 012) i
	for i in 0 1 2; do
		if [ "$i" = "$1" ]; then
			printf '%03o ' $((8#${b[i]} ^ (1 << $2)))
		else
			printf '%s ' "${b[i]}"
		fi
	done
}

@test "a bit flipped anywhere in an offset file: refused, or read as exactly what it says" {
	# A flip that leaves a well-formed decimal line (42 to 43, 52, 62, 40,
	# 46) cannot be told from a commit: the file is plain text by design.
	# Every other flip is refused.
	local byte bit bytes v1 v2 v3 good=0 bad=0
	logcat -o st/off log >/dev/null # the consumer's catalogue: it has read log
	for byte in 0 1 2; do
		for bit in 0 1 2 3 4 5 6 7; do
			bytes=$(flipped "$byte" "$bit")
			read -r v1 v2 v3 <<<"$bytes"
			printf "\\$v1\\$v2\\$v3" >st/off
			if [ "$(tail -c 1 st/off | od -An -tx1)" = ' 0a' ] &&
			    grep -qaxE '[1-9][0-9]*' st/off; then
				n=$(head -n 1 st/off)
				run -0 logcat -o st/off -n 1 log
				assert_output "$(printf '%d\tevent %d' "$n" "$n")"
				good=$((good + 1))
			else
				run -65 --separate-stderr logcat -o st/off log
				assert_output ''
				[[ $stderr == "logcat: offset file st/off: "* ]] ||
				    fail "flip $byte.$bit: $stderr"
				bad=$((bad + 1))
			fi
			tally badstate 1
		done
	done
	assert_equal "$good $bad" "5 19"
}

@test "foreign offset files are refused, each for what it is" {
	while IFS='|' read -r content why; do
		printf -- "$content" >st/off
		off_refused "$why"
	done <<-'EOF'
	\n|empty offset
	\n42\n|empty offset
	042\n|offset has leading zeros
	-1\n|offset has a sign
	+42\n|offset has a sign
	 42\n|offset is not a decimal number
	42 \n|offset is not a decimal number
	42\r\n|offset is not a decimal number
	\357\273\27742\n|offset is not a decimal number
	4\0002\n|offset is not a decimal number
	{"offset":42}\n|offset is not a decimal number
	\177ELF\2\1\1\0|offset is not a decimal number
	\037\213\10\0\0\0\0\0|offset is not a decimal number
	9223372036854775808\n|offset is larger than 2^63-1
	99999999999999999999999\n|offset is larger than 2^63-1
	EOF
	head -c 5000 /dev/zero | tr '\0' 1 >st/off
	off_refused 'too large to be an offset file'
}

@test "a directory, a FIFO or a symbolic link in place of the offset file is refused" {
	mkdir st/off
	off_refused 'Is a directory'
	rmdir st/off
	mkfifo st/off
	refused 65 'logcat: offset file st/off: not a regular file' \
	    timeout 10 logcat -o st/off log
	refused 65 'commit: offset file st/off: not a regular file' \
	    timeout 10 commit -o st/off
	rm st/off
	mkdir elsewhere
	echo 42 >elsewhere/off
	ln -s ../elsewhere/off st/off
	off_refused 'is a symbolic link'
	assert_equal "$(cat elsewhere/off)" 42
	rm st/off
	ln -s ../nowhere/off st/off
	off_refused 'is a symbolic link'
	tally badstate 2
}

@test "a symbolic link to the state directory is fine: only the file itself must not be one" {
	mkdir real
	logcat -o real/off log >/dev/null # the consumer's catalogue: it has read log
	echo 42 >real/off
	ln -s real st2
	run -0 sh -c 'logcat -o st2/off -n 3 log | commit -o st2/off'
	assert_output "$(cat in)"
	assert_equal "$(cat real/off)" 45
	assert [ -L st2 ]
}

@test "state on a read-only file system: 74 naming the file, nothing changed" {
	logcat -o st/off log >/dev/null
	echo 42 >st/off
	run -0 unshare -m sh -c '
	    mount --bind st st && mount -o remount,ro,bind st || exit 99
	    logcat -o st/off log >out1 2>err1; echo $? >rc1
	    commit -o st/off <in >out2 2>err2; echo $? >rc2'
	assert_equal "$(cat rc1) $(cat rc2)" "74 74"
	assert_equal "$(cat out1 out2)" ''
	assert_equal "$(cat err1)" 'logcat: open: st/off.lock: Read-only file system'
	assert_equal "$(cat err2)" 'commit: open: st/off.lock: Read-only file system'
	assert_equal "$(cat st/off)" 42
	tally badstate 2
}

@test "a lock file that is a directory, or no state directory: 74, nothing written" {
	echo 42 >st/off
	mkdir st/off.lock
	refused 74 'logcat: open: st/off.lock: Is a directory' logcat -o st/off log
	refused 74 'commit: open: st/off.lock: Is a directory' commit -o st/off
	run -74 --separate-stderr commit -o nodir/off <in
	assert_output ''
	assert_equal "$stderr" 'commit: open: nodir/off.lock: No such file or directory'
	assert_not_exist nodir
	tally badstate 3
}

@test "logcat's segment catalogue cut short at every byte: refused, or a shorter valid catalogue" {
	logcat -o st/off log >/dev/null
	echo 42 >st/off
	cp st/off.seg seg.ok
	n=$(wc -c <seg.ok)
	[ "$n" -gt 30 ]
	for k in $(seq 0 $((n - 1))); do
		head -c "$k" seg.ok >st/off.seg
		before=$(state)
		run --separate-stderr logcat -o st/off -n 2 log
		if [ "$status" = 0 ]; then
			# cut at the end of a line: the segments it names are
			# forgotten and found again from the files
			assert_output "$(printf '42\tevent 42\n43\tevent 43')"
			[ "$(head -c "$k" seg.ok | tail -c 1)" = "" ] ||
			    fail "cut at $k, not at a line's end, was read"
		else
			assert_equal "$status" 65
			assert_output ''
			[[ $stderr == "logcat: st/off.seg: "* ]] ||
			    fail "cut at $k: $stderr"
			assert_equal "$(state)" "$before"
		fi
		tally badstate 1
	done
}

# ---- seen-sets --------------------------------------------------------------

# goodset: seen/ holding the keys of the records in in, checkpointed.
goodset() {
	printf '0\ta\n1\tb\n2\tc\n' >in
	dedup -s seen <in >/dev/null
	cp -a seen good
}

@test "a seen-set cut short anywhere is refused, never recreated empty" {
	goodset
	n=$(wc -c <good/table)
	assert_equal "$n" 20480
	# every byte of the header block's two copies, every 512 bytes after
	count=0
	for k in $(seq 0 130) $(seq 500 650) $(seq 1024 512 20479) 20479; do
		head -c "$k" good/table >seen/table
		cp seen/table cut
		dedup -s seen <in >out 2>err && fail "table cut at $k was read"
		[ $? = 65 ] || fail "table cut at $k: status $?"
		[ -s out ] && fail "table cut at $k: records written"
		case $(cat err) in
		"dedup: seen/table: truncated"*) ;;
		*) fail "table cut at $k: $(cat err)" ;;
		esac
		cmp -s cut seen/table || fail "table cut at $k was written"
		count=$((count + 1))
	done
	cp good/table seen/table
	for k in $(seq 0 63); do
		head -c "$k" good/journal >seen/journal
		run -65 --separate-stderr dedup -s seen <in
		assert_output ''
		assert_equal "$stderr" "dedup: seen/journal: truncated ($k bytes)"
		count=$((count + 1))
	done
	tally badstate "$count"
}

@test "a journal whose last record was torn keeps every key before it" {
	goodset
	# three committed fingerprints, as a run killed before its checkpoint
	# leaves them, then the journal cut at every byte of the last
	head -c 48 /dev/urandom >>good/journal
	for k in $(seq 97 111); do
		rm -rf seen && cp -a good seen
		head -c "$k" good/journal >seen/journal
		run -0 --separate-stderr dedup -s seen <in
		assert_output ''
		assert_equal "$stderr" ''
		tally badstate 1
	done
}

@test "a bit flipped in a header copy of the table: the older one is not needed, the newer one is missed" {
	# After one run, copy 0 (at 0) is the set's creation and copy 1 (at
	# 512) its checkpoint, which the journal names.  Flips in copy 0 are
	# passed over; a flip in copy 1 leaves copy 0, older than the journal:
	# refused, not read as an older set.  One bit of every byte.
	goodset
	cp -a good seen
	for byte in $(seq 0 127) $(seq 512 639); do
		bit=$((byte % 8))
		flipbit seen/table "$byte" "$bit"
		cp seen/table damaged
		rc=0
		dedup -s seen <in >out 2>err || rc=$?
		if [ "$byte" -lt 512 ]; then
			[ "$rc" = 0 ] || fail "flip $byte.$bit: $rc: $(cat err)"
			[ -s out ] && fail "flip $byte.$bit: keys forgotten: $(cat out)"
		else
			[ "$rc" = 65 ] || fail "flip $byte.$bit: status $rc"
			[ "$(cat err)" = 'dedup: seen/journal: generation 1, the table'"'"'s is 0' ] ||
			    fail "flip $byte.$bit: $(cat err)"
			cmp -s damaged seen/table || fail "flip $byte.$bit: written"
		fi
		cp good/table seen/table
		cp good/journal seen/journal
	done
	tally badstate 256
}

@test "both header copies or the journal's header damaged: refused, nothing written" {
	goodset
	cp -a good seen
	flipbit seen/table 20 0
	flipbit seen/table 532 0
	cp seen/table damaged
	run -65 --separate-stderr dedup -s seen <in
	assert_output ''
	assert_equal "$stderr" 'dedup: seen/table: corrupt header (bad checksum)'
	cmp damaged seen/table
	cp good/table seen/table
	count=1
	for byte in $(seq 0 63); do
		for bit in $((byte % 8)) $(((byte + 3) % 8)); do
			flipbit seen/journal "$byte" "$bit"
			cp seen/journal damaged
			dedup -s seen <in >out 2>err && fail "journal flip $byte.$bit was read"
			[ $? = 65 ] || fail "journal flip $byte.$bit: status $?"
			[ -s out ] && fail "journal flip $byte.$bit: records written"
			case $(cat err) in
			"dedup: seen/journal: "*) ;;
			*) fail "journal flip $byte.$bit: $(cat err)" ;;
			esac
			cmp -s damaged seen/journal || fail "journal flip $byte.$bit: written"
			cp good/journal seen/journal
			count=$((count + 1))
		done
	done
	tally badstate "$count"
}

@test "foreign seen-sets: another set's journal, a file, an empty or half-made directory" {
	goodset
	dedup -s other <in >/dev/null
	cp other/journal seen/journal
	run -65 --separate-stderr dedup -s seen <in
	assert_output ''
	[[ $stderr == 'dedup: seen/journal: '* ]] || fail "$stderr"
	cp good/journal seen/journal
	cp /bin/sh seen/table
	run -65 --separate-stderr dedup -s seen <in
	assert_output ''
	[[ $stderr == 'dedup: seen/table: '* ]] || fail "$stderr"
	mkdir empty
	run -65 --separate-stderr dedup -s empty <in
	assert_equal "$stderr" 'dedup: empty/table: missing from the seen-set'
	assert_not_exist empty/table
	mkdir half && cp good/table half/
	run -65 --separate-stderr dedup -s half <in
	assert_equal "$stderr" 'dedup: half/journal: missing from the seen-set'
	echo 42 >file
	run -65 --separate-stderr dedup -s file <in
	assert_equal "$stderr" 'dedup: file: not a seen-set (not a directory)'
	assert_equal "$(cat file)" 42
	tally badstate 5
}

@test "a seen-set on a read-only file system, or its lock a directory: 74, nothing written" {
	goodset
	mkdir st && cp -a good st/seen
	before=$(state)
	run -0 unshare -m sh -c '
	    mount --bind st st && mount -o remount,ro,bind st || exit 99
	    dedup -s st/seen <in >out 2>err; echo $? >rc'
	assert_equal "$(cat rc)" 74
	assert_equal "$(cat out)" ''
	[[ $(cat err) == 'dedup: open: st/seen.lock: Read-only file system' ]] ||
	    fail "$(cat err)"
	assert_equal "$(state)" "$before"
	mkdir st/seen.lock
	refused 74 'dedup: open: st/seen.lock: Is a directory' dedup -s st/seen
	tally badstate 2
}

@test "a seen-set behind a symbolic link is used in place, with one writer; a link to nothing is refused, not replaced" {
	goodset
	mkdir elsewhere && mv seen elsewhere/seen
	ln -s elsewhere/seen seen
	printf '2\tc\n3\td\n' >in2
	run -0 dedup -s seen <in2
	assert_output "$(printf '3\td')"
	assert [ -L seen ]
	run -0 dedup -s elsewhere/seen <in2
	assert_output ''
	# one set under two names still has one writer
	holdset elsewhere/seen "$(printf '4\te')"
	run -75 --separate-stderr dedup -s seen <in2
	assert_output ''
	assert_equal "$stderr" 'dedup: seen: in use under another name'
	printf '4\te\n5\tf\n' >in3
	waitsfor seen in3 "$(printf '5\tf')"
	ln -s nowhere/seen gone
	run -65 --separate-stderr dedup -s gone <in
	assert_output ''
	assert_equal "$stderr" 'dedup: gone: a symbolic link to nothing'
	assert [ -L gone ]
	assert_not_exist gone.tmp
	tally badstate 2
}

# ---- windowed seen-sets ---------------------------------------------------------

# windowset: seen/ of three slices, a at 1000, b at 1030 and c at 1060
# under -W 100 (table, slice.1, slice.2), copied to wgood/; in holds a b c.
windowset() {
	for s in a:1000 b:1030 c:1060; do
		printf '0\t%s\n' "${s%:*}" |
		    EXACTLY_NOW=${s#*:} dedup -W 100 -s seen >/dev/null
	done
	assert_equal "$(ls seen | tr '\n' ' ')" 'journal slice.1 slice.2 table '
	cp -a seen wgood
	printf '0\ta\n1\tb\n2\tc\n' >in
}

# files DIR: every file of DIR with a checksum of its bytes.
files() {
	find "$1" | sort | while read -r p; do
		if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"
		elif [ -f "$p" ]; then echo "$p $(md5sum <"$p")"
		else echo "$p $(stat -c %F "$p")"; fi
	done
}

# wrefused MESSAGE: dedup -W on seen/ exits 65 saying exactly MESSAGE,
# writing nothing and leaving seen/ as it was; then seen/ is made good.
wrefused() {
	local before
	before=$(files seen)
	run -65 --separate-stderr env EXACTLY_NOW=1070 dedup -W 100 -s seen <in
	assert_output ''
	assert_equal "$stderr" "$1"
	assert_equal "$(files seen)" "$before"
	rm -rf seen && cp -a wgood seen
}

@test "a windowed set's slice cut short, damaged, foreign or misnamed is refused, nothing written" {
	windowset
	truncate -s 5000 seen/slice.1
	wrefused 'dedup: seen/slice.1: truncated: 5000 bytes, its header says 20480'
	printf 'XXXX' | dd of=seen/slice.1 bs=1 seek=20 conv=notrunc status=none
	printf 'XXXX' | dd of=seen/slice.1 bs=1 seek=532 conv=notrunc status=none
	wrefused 'dedup: seen/slice.1: corrupt header (bad checksum)'
	for s in a:1000 b:1030; do
		printf '0\t%s\n' "${s%:*}" |
		    EXACTLY_NOW=${s#*:} dedup -W 100 -s other >/dev/null
	done
	cp other/slice.1 seen/slice.1
	wrefused 'dedup: seen/slice.1: slice of another seen-set'
	cp seen/slice.1 seen/slice.5
	wrefused 'dedup: seen/slice.5: its header says slice 1'
	# a v1 header (slice 0) in a slice's place
	cp seen/table seen/slice.1
	wrefused 'dedup: seen/slice.1: its header says slice 0'
	tally badstate 5
}

@test "a windowed set without one of its slices is refused, whichever it is" {
	windowset
	rm seen/slice.2
	wrefused 'dedup: seen/journal: journal of slice 2, which the set lacks'
	rm seen/slice.1
	wrefused 'dedup: seen/slice.1: missing from the seen-set'
	# the oldest too: slices go only when their drop is recorded
	rm seen/table
	wrefused 'dedup: seen/table: missing from the seen-set'
	tally badstate 3
}

@test "a slice whose drop a crash interrupted is removed at open; the keys of the others stay" {
	windowset
	# at 1120 slice 0 (a, last commit 1000) is dropped
	cp -a seen before
	EXACTLY_NOW=1120 dedup -W 100 -s seen </dev/null
	assert_equal "$(ls seen | tr '\n' ' ')" 'journal slice.1 slice.2 slice.3 '
	# the state a crash leaves after the drop was recorded, before the
	# unlink: slice 0 back, below the oldest the newest slice names
	cp before/table seen/table
	run -0 env EXACTLY_NOW=1120 dedup -W 100 -s seen <in
	assert_output "$(printf '0\ta')"
	assert_equal "$(ls seen | tr '\n' ' ')" 'journal slice.1 slice.2 slice.3 '
}

@test "links and FIFOs inside a seen-set are refused, never followed, never waited on" {
	goodset
	mkdir elsewhere && cp good/journal elsewhere/journal
	rm seen/journal && ln -s ../elsewhere/journal seen/journal
	run -65 --separate-stderr dedup -s seen <in
	assert_output ''
	assert_equal "$stderr" 'dedup: seen/journal: not a regular file'
	cmp good/journal elsewhere/journal
	rm -rf seen && cp -a good seen
	rm seen/table && mkfifo seen/table
	run -65 --separate-stderr timeout 10 dedup -s seen <in
	assert_output ''
	assert_equal "$stderr" 'dedup: seen/table: not a regular file'
	assert [ -p seen/table ]
	tally badstate 2
}

@test "what a crash left in a seen-set: its temporary files removed at open, nothing else touched" {
	goodset
	head -c 100000 /dev/urandom >seen/table.tmp.0123abcd
	head -c 100 /dev/urandom >seen/slice.3.tmp.ffffffff
	head -c 100 /dev/urandom >seen/table.tmp
	echo notes >seen/README
	run -0 dedup -s seen <in
	assert_output ''
	assert_equal "$(ls seen | tr '\n' ' ')" 'README journal table '
	assert_equal "$(cat seen/README)" notes
}
