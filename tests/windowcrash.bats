#!/usr/bin/env bats
# dedup -W across crashes: power loss (tests/powerloss/plfs.py) and kill -9
# at each durability operation of a run that drops a slice, starts one
# and grows it, and kill -9 at random moments of runs that start and drop
# slices.  Slow, so the sanitizer pass of make check leaves it out.
# bats file_tags=slow

load test_helper
load powerloss/pl
load seenset

teardown() {
	pl_cleanup
}

# ---- crashes and power loss across a slice expiry --------------------------

# sweep_window MODE NEW GROUP [plfs options]: the run at 1120 that drops
# slice 0, starts slice 3, and records a1-a5 again (forgotten) and NEW new
# keys through -e -n GROUP, its b and c keys being duplicates; crashed
# after each of its durability operations in turn with the image MODE.
# After each, a rerun on what survived must open the set, pass no key the
# crashed run had written on, never pass a b or c key (not a window
# old), and with the crashed run pass every key a to n at most once and
# all but at most one group.
sweep_window() {
	local mode=$1 new=$2 group=$3 total n k crashed=0
	shift 3
	window_state template
	{
		seq 1 5 | sed 's/^/a/'
		seq 1 5 | sed 's/^/b/'
		seq 1 "$new" | sed 's/^/n/'
		seq 1 5 | sed 's/^/c/'
	} | tag >in
	grep -E '	[an]' in >want
	RUN="EXACTLY_NOW=1120 ${BUILD:-} exec dedup -W 100 -e -n $group -s mnt/seen -- cat <in"
	cp -a template disk
	pl_mount disk mnt "$@" -l ref.ops
	sh -c "$RUN" >ref.out
	pl_umount
	# the records, then the progress mark of the c keys dropped at the end
	assert_equal "$(cat ref.out)" "$(cat want; tail -n 1 in | cut -f1)"
	assert_equal "$(slices disk/seen)" "$(printf 'slice.1\nslice.2\nslice.3')"
	total=$(pl_nops ref.ops)
	[ "$total" -ge 12 ] || fail "only $total durability operations"
	for n in $(seq 1 "$total"); do
		rm -rf disk
		cp -a template disk
		pl_mount disk mnt "$@" -c "$n" -m "$mode" -S "$n" -l "ops.$n"
		setsid -w sh -c "$RUN" >"out.$n" 2>/dev/null || true
		pl_umount
		if ! grep -q '^crash' "ops.$n"; then
			cmp -s ref.out "out.$n" || fail "op $n: no crash, no end"
			continue
		fi
		rm -rf mnt && ln -s disk mnt
		sh -c "$RUN" >"rest.$n" 2>"err.$n" ||
		    fail "op $n ($mode): the rerun failed: $(cat "err.$n")"
		rm mnt
		# the rerun ends, as any, in the mark of the c keys it dropped
		assert_equal "$(tail -n 1 "rest.$n")" "$(tail -n 1 in | cut -f1)"
		# records (a mark, "OFFSET" alone, may come again harmlessly)
		[ -z "$(sort "out.$n" "rest.$n" | grep '	' | uniq -d)" ] ||
		    fail "op $n ($mode): written twice: $(sort "out.$n" "rest.$n" | grep '	' | uniq -d | head -3 | tr '\n' ' ')"
		! grep -qE '	[bc]' "out.$n" "rest.$n" ||
		    fail "op $n ($mode): a key of the window passed"
		k=$(cat "out.$n" "rest.$n" | grep -c '	')
		[ "$k" -ge $(($(wc -l <want) - group)) ] ||
		    fail "op $n ($mode): only $k of $(wc -l <want) records written"
		# and what the rerun left holds every key: none passes now
		run -0 at 1120 -W 100 -s disk/seen <in
		assert_output ''
		crashed=$((crashed + 1))
		tally powerloss 1
	done
	[ "$crashed" -ge $((total * 3 / 4)) ] ||
	    fail "only $crashed of $total points crashed"
}

@test "power loss at each durability operation across a slice expiry (only what was synced)" {
	pl_usable || skip "plfs needs /dev/fuse, root and python3-fusepy"
	# 900 new keys: slice 3 also doubles on the way
	sweep_window drop 900 100
	grep -q 'rename /seen/slice.3' ref.ops || fail "no slice started: $(cat ref.ops)"
}

@test "power loss at each durability operation across a slice expiry, the growth built in its file" {
	pl_usable || skip "plfs needs /dev/fuse, root and python3-fusepy"
	# as a set of 256 MiB and more grows: in its file from the start
	BUILD="EXACTLY_BUILD_MEM=0" sweep_window random 900 100
}

@test "power loss across a slice expiry, torn and reordered writes" {
	pl_usable || skip "plfs needs /dev/fuse, root and python3-fusepy"
	sweep_window random 900 100
}

@test "kill -9 at each durability operation across a slice expiry" {
	pl_usable || skip "plfs needs /dev/fuse, root and python3-fusepy"
	# a process crash: everything that reached the file system stays
	sweep_window keep 900 100
}

@test "power loss after every change across a slice expiry: unlinks and writes too" {
	pl_usable || skip "plfs needs /dev/fuse, root and python3-fusepy"
	sweep_window drop 20 4 -a
}

@test "kill -9 at random moments of runs that start and drop slices: no key of the window passes twice" {
	local k m t pid killed=0 r
	RANDOM=12
	# forty runs 10 s apart, window 60 s: each feeds its own 3000 new
	# keys and the keys of the three runs before it, killed at a random
	# moment half the time
	for k in $(seq 0 39); do
		t=$((1000 + 10 * k))
		{
			for m in 3 2 1; do
				[ $((k - m)) -ge 0 ] && seq 1 3000 | sed "s/^/r$((k - m))-/"
			done
			seq 1 3000 | sed "s/^/r$k-/"
		} | tag >in
		EXACTLY_NOW=$t setsid dedup -W 60 -e -n 10 -s seen -- cat <in >"out.$k" 2>/dev/null &
		pid=$!
		if [ $((RANDOM % 2)) = 0 ]; then
			sleep "0.0$((RANDOM % 5))$((RANDOM % 10))"
			kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
		fi
		r=0
		wait "$pid" || r=$?
		[ "$r" = 137 ] && killed=$((killed + 1))
		# what was written on was recorded: within the window it never
		# passes again
		for m in 3 2 1; do
			[ $((k - m)) -ge 0 ] || continue
			comm -12 <(payloads "out.$((k - m))" | sort) \
			    <(payloads "out.$k" | sort) | grep -q . &&
			    fail "run $k passed again keys run $((k - m)) wrote on"
		done
		[ -z "$(payloads "out.$k" | sort | uniq -d)" ] ||
		    fail "run $k wrote a key twice"
	done
	[ "$killed" -ge 5 ] || fail "only $killed of the runs were killed"
	# the set is whole and open after it all
	run -0 at 1400 -W 60 -s seen </dev/null
}
