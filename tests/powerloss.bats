#!/usr/bin/env bats
# Power loss: the state of a run lives on plfs (tests/powerloss/plfs.py), a
# FUSE file system that keeps what was never made durable in memory only;
# the run is crashed right after each of its durability operations in turn
# (every fsync, fsync of a directory and rename), and the state that
# survives is checked against what the tools had reported before the crash,
# then a rerun on it must finish the job with nothing lost.  The stages of
# a pipeline run at once, so the Nth operation of one run need not be that
# of the next, and a run may make a few fewer: the Nth is still a crash
# point, and a run that ends before it must have ended whole.

load test_helper
load powerloss/pl

setup() {
	pl_usable || skip "plfs needs /dev/fuse, root and python3-fusepy"
}

teardown() {
	pl_cleanup
}

# crashrun N MODE SCRIPT: run sh -c SCRIPT on plfs mounted from disk/ at
# mnt/, crashing after the Nth durability operation with image MODE.
crashrun() {
	rm -f ops
	pl_mount disk mnt -c "$1" -m "$2" -l ops
	setsid -w sh -c "$3" >/dev/null 2>&1 || true
	pl_umount
}

# listing: every path on disk/ with its content, one a line.
listing() {
	(cd disk && find . -mindepth 1 | sort | while read -r p; do
		if [ -d "$p" ]; then echo "$p/"; else echo "$p=$(tr '\0' @ <"$p")"; fi
	done)
}

# ---- the file system itself -----------------------------------------------

# Operations: 1 fsync f, 2 rename f g, 3 fsync ., 4 fsync h.
PLSCRIPT='cd mnt && printf a >f && sync f && printf b >>f && mv f g &&
    sync . && printf c >h && sync h && printf d >>h && sync .'

@test "plfs: unsynced data and unsynced names are lost in a power loss" {
	crashrun 1 drop "$PLSCRIPT"
	run listing
	assert_output ''
	rm -rf disk
	crashrun 2 drop "$PLSCRIPT"
	run listing
	assert_output ''
	rm -rf disk
	crashrun 3 drop "$PLSCRIPT"
	run listing
	assert_output './g=a'
	rm -rf disk
	crashrun 4 drop "$PLSCRIPT"
	run listing
	assert_output './g=a'
	run cat ops
	assert_output "$(printf '1 fsync /f\n2 rename /g\n3 fsyncdir /\n4 fsync /h\ncrash drop')"
}

@test "plfs: a process crash keeps everything; a clean unmount too, and a remount reads it back" {
	crashrun 4 keep "$PLSCRIPT"
	run listing
	assert_output "$(printf './g=ab\n./h=c')"
	rm -rf disk
	pl_mount disk mnt
	sh -c "$PLSCRIPT"
	pl_umount
	run listing
	assert_output "$(printf './g=ab\n./h=cd')"
	pl_mount disk mnt
	run cat mnt/g mnt/h
	assert_output 'abcd'
	pl_umount
}

@test "plfs: a rename over a file is durable only with its directory" {
	mkdir disk && printf old >disk/f
	S='cd mnt && printf new >f.tmp && sync f.tmp && mv f.tmp f && sync .'
	crashrun 2 drop "$S"
	run listing
	assert_output './f=old'
	crashrun 3 drop "$S"
	run listing
	assert_output './f=new'
}

@test "plfs: a new directory and its files survive only through fsyncs of both" {
	S='cd mnt && mkdir d.tmp && printf x >d.tmp/f && sync d.tmp/f &&
	    sync d.tmp && mv d.tmp d && sync .'
	crashrun 2 drop "$S"
	run listing
	assert_output ''
	crashrun 4 drop "$S"
	run listing
	assert_output "$(printf './d/\n./d/f=x')"
}

@test "plfs: a shared mapping is durable after msync, not before" {
	mkdir disk && printf '........' >disk/m
	S='/usr/bin/python3 -c "
import mmap, os
fd = os.open(\"mnt/m\", os.O_RDWR)
m = mmap.mmap(fd, 8)
m[0:4] = b\"abcd\"
m.flush()
m[4:8] = b\"efgh\"
os.fsync(os.open(\"mnt\", os.O_RDONLY))
"'
	crashrun 2 drop "$S"
	run listing
	assert_output './m=abcd....'
}

@test "plfs: random images are reproducible by seed and differ between seeds" {
	S='cd mnt && printf a >f && sync f && printf b >>f && printf c >>f &&
	    mv f g && printf d >h && sync h'
	for seed in $(seq 1 12); do
		rm -rf disk
		pl_mount disk mnt -c 3 -m random -S "$seed"
		setsid -w sh -c "$S" >/dev/null 2>&1 || true
		pl_umount
		listing | tr '\n' ' ' >"img.$seed"
		echo >>"img.$seed"
	done
	rm -rf disk
	pl_mount disk mnt -c 3 -m random -S 5
	setsid -w sh -c "$S" >/dev/null 2>&1 || true
	pl_umount
	run listing
	assert_output "$(tr ' ' '\n' <img.5 | sed '/^$/d')"
	# Writes after the fsync may go, in any subset (a lost one leaves a
	# hole); the names survive as a prefix of their changes, the rename
	# whole.
	sort -u img.* >images
	run grep -cvE '^(|\./[fg]=a[bc@]* |\./g=a[bc@]* \./h=d )$' images
	assert_output 0
	[ "$(wc -l <images)" -ge 3 ]
}

# ---- commit -----------------------------------------------------------------

# sweep_commit FLAG: crash "logcat | commit FLAG -n 4" on a 20-record log
# after each durability operation, then check what survived and rerun.
sweep_commit() {
	local flag=$1 mode=$2 remount=$3 total n d k prev=0 crashed
	command -v commit >/dev/null || skip "commit is not built yet"
	mklog 20 events.log
	PIPE="logcat -o mnt/off events.log | commit $flag -n 4 -o mnt/off"
	pl_mount disk mnt -l ref.ops
	sh -c "$PIPE" >ref.out
	pl_umount
	tagged 0 20 | diff - ref.out
	total=$(pl_nops ref.ops)
	# five batches, each a temporary file fsynced, renamed, its directory
	# fsynced: at least 15 points to crash at
	[ "$total" -ge 15 ] || fail "only $total durability operations"
	crashed=0
	for n in $(seq 1 "$total"); do
		rm -rf disk
		pl_mount disk mnt -c "$n" -m "$mode" -S "$n" -l "ops.$n"
		setsid -w sh -c "$PIPE" >"out.$n" 2>/dev/null || true
		pl_umount
		if ! grep -q '^crash' "ops.$n"; then
			# This run made fewer changes than the first (how writes
			# are split can depend on timing): it went to the end.
			cmp -s ref.out "out.$n" || fail "op $n: no crash, no end"
			continue
		fi
		d=0
		if [ -e disk/off ]; then
			d=$(head -n 1 disk/off)
			[[ $d =~ ^(0|[1-9][0-9]*)$ ]] ||
			    fail "op $n: offset file torn: $(od -c disk/off)"
		fi
		# written on before the crash: a prefix of the log, whole lines
		k=$(wc -l <"out.$n")
		tagged 0 "$k" | cmp -s - "out.$n" ||
		    fail "op $n: output is not records 0-$((k - 1))"
		case $flag in
		-a) [ "$d" -le "$k" ] ||
		    fail "op $n: committed $d, only $k records written on" ;;
		-b) [ "$k" -le "$d" ] ||
		    fail "op $n: $k records written on, only $d committed" ;;
		esac
		# The more of commit's own operations before the crash, the
		# more committed (checked at the end: logcat's operations
		# interleave with commit's as they are scheduled, so op n of
		# one run is not op n of another).
		echo "$(grep -c -E ' /off(\.tmp\.[^/]*)?$' "ops.$n") $d $n" >>progress
		prev=$d
		# The rerun goes through plfs again with "remount", else on the
		# plain directory where plfs keeps what survived (faster).
		if [ -n "$remount" ]; then
			pl_mount disk mnt
		else
			rm -rf mnt && ln -s disk mnt
		fi
		released mnt/off
		sh -c "$PIPE" >"rest.$n" ||
		    fail "op $n: the rerun failed on what survived"
		if [ -n "$remount" ]; then pl_umount; else rm mnt; fi
		tagged "$d" $((20 - d)) | cmp -s - "rest.$n" ||
		    fail "op $n: rerun from $d wrote $(cut -f1 "rest.$n" | tr '\n' ' ')"
		[ "$(head -n 1 disk/off)" = 20 ] || fail "op $n: rerun ended short"
		tally powerloss 1
		crashed=$((crashed + 1))
	done
	# a run may end before the last points, never before most of them
	[ "$crashed" -ge $((total * 3 / 4)) ] ||
	    fail "only $crashed of $total points crashed"
	[ "$crashed" -lt "$total" ] || [ "$prev" = 20 ] ||
	    fail "a crash after the last operation left $prev"
	# sorted by commit's operations done, the offsets never go back
	sort -n -k1,1 -k2,2 progress | awk '
	    $2 < max { printf "op %d: committed %d after %d commit operations; op %d committed %d after fewer\n", $3, $2, $1, maxn, max; bad = 1 }
	    $2 >= max { max = $2; maxn = $3 }
	    END { exit bad }' || fail "committed offsets went back"
}

@test "power loss: commit -a never commits what it did not write on, and the rerun loses nothing" {
	sweep_commit -a drop remount
}

@test "power loss: commit -b never writes on what it did not commit first" {
	sweep_commit -b drop
}

@test "power loss with torn writes and lost renames: commit -a keeps an old or new offset" {
	sweep_commit -a random
}

# ids FILE: the offsets of the mklog events in FILE (their click_ids),
# one a line, sorted as comm(1) wants them.
ids() {
	grep -ao '"click_id":"c[0-9]*"' "$1" | tr -dc '0-9\n' | sort
}

@test "power loss: commit -a -e commits no record its command has not acknowledged" {
	local total n d crashed
	command -v commit >/dev/null || skip "commit is not built yet"
	mklog 12 events.log
	printf '#!/bin/sh\nwhile IFS= read -r l; do\n\tprintf "%%s\\n" "$l" >>"$LEDGER"\n\techo ok\ndone\n' >work
	chmod +x work
	PIPE='logcat -o mnt/off events.log | commit -a -e -n 3 -o mnt/off -- ./work'
	LEDGER=$PWD/ref.ledger pl_mount disk mnt -l ref.ops
	LEDGER=$PWD/ref.ledger sh -c "$PIPE" >ref.out
	pl_umount
	assert_equal "$(ids ref.ledger | sort -n)" "$(seq 0 11)"
	tagged 0 12 | cmp - ref.out
	total=$(pl_nops ref.ops)
	[ "$total" -ge 12 ] || fail "only $total durability operations"
	crashed=0
	for n in $(seq 1 "$total"); do
		rm -rf disk
		export LEDGER=$PWD/ledger.$n
		: >"$LEDGER"
		pl_mount disk mnt -c "$n" -l "ops.$n"
		setsid -w sh -c "$PIPE" >"out.$n" 2>/dev/null || true
		pl_umount
		if ! grep -q '^crash' "ops.$n"; then
			# This run made fewer changes than the first (how writes
			# are split can depend on timing): it went to the end.
			cmp -s ref.out "out.$n" || fail "op $n: no crash, no end"
			continue
		fi
		d=0
		[ -e disk/off ] && d=$(head -n 1 disk/off)
		# every record below the committed offset was processed
		seqrange 0 $((d - 1)) | sort | comm -23 - <(ids "$LEDGER" | sort -u) |
		    grep -q . && fail "op $n: committed $d past records not processed"
		# what commit wrote on was acknowledged, so processed
		comm -23 <(ids "out.$n" | sort) <(ids "$LEDGER" | sort) |
		    grep -q . && fail "op $n: wrote on records not processed"
		cp "$LEDGER" "before.$n"
		rm -rf mnt && ln -s disk mnt
		released mnt/off
		sh -c "$PIPE" >"rest.$n" || fail "op $n: the rerun failed"
		rm mnt
		tagged "$d" $((12 - d)) | cmp -s - "rest.$n" ||
		    fail "op $n: the rerun from $d wrote $(cut -f1 "rest.$n" | tr '\n' ' ')"
		# nothing lost; a record processed twice only at or above $d
		assert_equal "$(ids "$LEDGER" | sort -un)" "$(seq 0 11)"
		ids "$LEDGER" | uniq -d | awk -v d="$d" '$1 < d { exit 1 }' ||
		    fail "op $n: a record below $d processed twice"
		assert_equal "$(head -n 1 disk/off)" 12
		tally powerloss 1
		crashed=$((crashed + 1))
	done
	# a run may end before the last points, never before most of them
	[ "$crashed" -ge $((total * 3 / 4)) ] ||
	    fail "only $crashed of $total points crashed"
}

# ---- the exactly-once pipeline: logcat | dedup -e | commit -a -------------------

# sweep_dedup MODE: crash the exactly-once pipeline of DESIGN.md section 4
# after each durability operation of its run, on a log of 16 events with
# 10 distinct click_ids; ./charge appends what it charges to a ledger off
# plfs, as a remote effect would be.
sweep_dedup() {
	local mode=$1 every=$2 total n d seen ok last crashed
	command -v dedup >/dev/null || skip "dedup is not built yet"
	awk 'BEGIN { for (i = 0; i < 16; i++)
		printf "{\"click_id\":\"c%d\",\"n\":%d}\n", (i * 7) % 10, i }' \
	    >events.log
	logcat events.log >all
	keyset all >allkeys
	printf '#!/bin/sh\nwhile IFS= read -r l; do\n\tprintf "%%s\\n" "$l" >>"$LEDGER"\n\techo ok\ndone\n' >charge
	chmod +x charge
	PIPE='logcat -o mnt/off events.log |
	    dedup -s mnt/seen -k click_id -e -- ./charge | commit -a -o mnt/off'
	LEDGER=$PWD/ref.ledger pl_mount disk mnt $every -l ref.ops
	LEDGER=$PWD/ref.ledger sh -c "$PIPE" >ref.out
	pl_umount
	assert_equal "$(keyset ref.ledger)" "$(cat allkeys)"
	assert_equal "$(wc -l <ref.ledger)" 10
	# the last first-seen event is at offset 9: dedup's progress mark
	# lets commit commit past the duplicates after it
	assert_equal "$(head -n 1 disk/off)" 16
	assert_equal "$(tail -n 1 ref.out)" 15
	total=$(pl_nops ref.ops)
	[ "$total" -ge 10 ] || fail "only $total durability operations"
	crashed=0
	for n in $(seq 1 "$total"); do
		rm -rf disk chk
		export LEDGER=$PWD/ledger.$n
		: >"$LEDGER"
		pl_mount disk mnt $every -c "$n" -m "$mode" -S "$n" -l "ops.$n"
		setsid -w sh -c "$PIPE" >"out.$n" 2>/dev/null || true
		pl_umount
		if ! grep -q '^crash' "ops.$n"; then
			# This run made fewer changes than the first (how writes
			# are split can depend on timing): it went to the end.
			cmp -s ref.out "out.$n" || fail "op $n: no crash, no end"
			continue
		fi
		# The keys the surviving seen-set holds: those dedup no longer
		# lets through, asked of a copy off plfs.
		cp -a disk chk
		dedup -s chk/seen -k click_id <all >"passed.$n" ||
		    fail "op $n: the seen-set that survived is refused"
		seen=$(comm -23 allkeys <(keyset "passed.$n"))
		# reported done (written on by dedup, so by commit) => durable
		comm -23 <(keyset "out.$n") <(echo "$seen" | sed '/^$/d') |
		    grep -q . && fail "op $n: keys written on but forgotten"
		# durable => charged: a key recorded but never charged is lost
		comm -23 <(echo "$seen" | sed '/^$/d') <(keyset "$LEDGER") |
		    grep -q . && fail "op $n: keys recorded but never charged"
		# every record below the committed offset has its key recorded
		d=0
		[ -e disk/off ] && d=$(head -n 1 disk/off)
		head -n "$d" all >below
		comm -23 <(keyset below) <(echo "$seen" | sed '/^$/d') |
		    grep -q . && fail "op $n: committed $d past keys not recorded"
		# The rerun charges every key not yet recorded, once.  (It runs
		# on the surviving state where plfs keeps it, a plain directory:
		# the commit sweeps above rerun through plfs.)
		cp "$LEDGER" "charged.$n"
		rm -rf mnt && ln -s disk mnt
		released mnt/off
		sh -c "$PIPE" >"rest.$n" || fail "op $n: the rerun failed"
		rm mnt
		assert_equal "$(keyset "$LEDGER")" "$(cat allkeys)"
		ok=$(comm -23 <(keyset "charged.$n") <(echo "$seen" | sed '/^$/d'))
		assert_equal "$(grep -ao '"click_id":"c[0-9]*"' "$LEDGER" |
		    cut -d'"' -f4 | sort | uniq -d)" "$ok"
		# committed: one past the last record or progress mark the
		# rerun wrote on, or what survived if it had nothing to read
		last=$(tail -n 1 "rest.$n" | cut -f1)
		if [ -n "$last" ]; then
			assert_equal "$(head -n 1 disk/off)" $((last + 1))
		elif [ "$d" = 0 ]; then
			assert_not_exist disk/off
		else
			assert_equal "$(head -n 1 disk/off)" "$d"
		fi
		tally powerloss 1
		crashed=$((crashed + 1))
	done
	# a run may end before the last points, never before most of them
	[ "$crashed" -ge $((total * 3 / 4)) ] ||
	    fail "only $crashed of $total points crashed"
}

@test "power loss after every change: logcat | dedup -e | commit -a charges every key, twice only if charged but not yet recorded" {
	# every write, create and unlink is a crash point too, so a missing
	# fsync shows as a key reported done and then forgotten
	sweep_dedup drop -a
}

@test "power loss with torn and reordered writes: the exactly-once pipeline still charges every key" {
	sweep_dedup random
}
