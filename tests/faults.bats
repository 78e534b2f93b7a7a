#!/usr/bin/env bats
# Fault injection at every durability call site (tests/faults/shim.c): a
# clean run first lists the calls a tool makes on the files of the scratch
# directory (state, output, input); then the tool is run again once per
# call, that call failing.  Every failure must be exit 74 with a message
# naming the operation and the file, nothing committed past what was
# durable, and the next clean run must deliver everything.

load test_helper

SHIM="$ROOT/tests/faults/shim.so"
# a sanitizer build would refuse a preload ahead of its runtime
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

setup() {
	[ -f "$SHIM" ] || skip "tests/faults/shim.so is not built (make check builds it)"
}

# faulty OP N: the env(1) prefix that fails the Nth call of OP on a file
# under the scratch directory (N = 0: none), logging each call to calls.
faulty() {
	F=(env LD_PRELOAD="$SHIM" FAULT_OP="$1" FAULT_NTH="$2"
	    FAULT_PATH="${FPATH:-$BATS_TEST_TMPDIR}" FAULT_LOG="$BATS_TEST_TMPDIR/calls"
	    FAULT_ERRNO="${ERRNO:-EIO}" FAULT_FIRED="$BATS_TEST_TMPDIR/fired")
}

# sweep SCENARIO OP...: for each OP, count its calls in a clean run of
# SCENARIO, then fail each in turn: SCENARIO_fresh sets up the state,
# SCENARIO_run runs it under "${F[@]}" writing its status to rc and its
# stderr to err, SCENARIO_check OP CALL judges the outcome and recovery.
# Prints the number of faults injected.
sweep() {
	local scen=$1 op i n hit call total=0
	shift
	for op in "$@"; do
		"${scen}_fresh"
		rm -f calls
		faulty "$op" 0
		"${scen}_run"
		[ "$(cat rc)" = 0 ] || fail "$scen: clean run under the shim: $(cat err)"
		[ -f calls ] || continue
		mv calls calls.clean
		n=$(wc -l <calls.clean)
		for ((i = 1; i <= n; i++)); do
			"${scen}_fresh"
			rm -f fired
			faulty "$op" "$i"
			"${scen}_run"
			# calls that race (who records the lock's holder, what
			# a timer flushes) may not come again, or come in
			# another order: judge the call that failed, if any
			if [ -e fired ]; then
				hit=$op
				call=$(cat fired)
				total=$((total + 1))
			else
				hit=none
				call=
			fi
			"${scen}_check" "$hit" "$call" ||
			    fail "$scen: $op call $i of $n ($call), $hit: status $(cat rc): $(cat err)"
		done
	done
	echo "$total" >>faults.count
	# for make reliability: one line per sweep
	if [ -n "${EXACTLY_STATS:-}" ]; then
		echo "faults	$scen ${ERRNO:-EIO} $*	$total" >>"$EXACTLY_STATS"
	fi
}

# failed_as OP CALL TOOL: rc and err show the failure of CALL the way the
# contract wants it: 74, one line "TOOL: ...", naming the file and the
# operation (the offset file's reader says "offset file FILE" instead).
failed_as() {
	local op=$1 call=$2 tool=$3 path rel msg word
	path=${call#*	}
	path=${path%% -> *}
	rel=${path#"$BATS_TEST_TMPDIR"/}
	[ "$rel" = out ] && rel=stdout
	msg=$(cat err)
	case $op in
	pwrite) word=write ;;
	ftruncate) word=truncate ;;
	*) word=$op ;;
	esac
	# closing stdout reports the error of a write it deferred
	[ "$op" = close ] && [ "$rel" = stdout ] && word=write
	[ "$(cat rc)" = 74 ] || return 1
	[ "$(wc -l <err)" = 1 ] || return 1
	[[ "$msg" == "$tool: "*": ${STRERROR:-Input/output error}" ]] || return 1
	[[ "$msg" == *"$rel"* ]] || return 1
	[[ "$msg" == *"$word"* || "$msg" == "$tool: offset file "* ]] || return 1
}

# No fault, or a failed close the tool may ignore (a descriptor only read
# from, or one already fsynced: Linux has released it either way): the run
# must then succeed as if nothing happened.  A close of stdout is never
# harmless: it may report a write the kernel deferred.
harmless() {
	[ "$1" = none ] ||
	    { [ "$1" = close ] && [[ "$2" != */out ]] && [ "$(cat rc)" = 0 ]; }
}

# --- logcat -------------------------------------------------------------------

logcat_fresh() {
	rm -rf st out err rc
	mkdir st
	echo 40 >st/off
	printf 'exactly-segments 2\n' >st/off.seg # log begins at offset 0
}

logcat_run() {
	local st=0

	"${F[@]}" logcat -o st/off log >out 2>err || st=$?
	echo $st >rc
}

logcat_check() {
	if harmless "$1" "$2"; then
		[ "$(cat rc)" = 0 ] && cmp -s out want || return 1
	else
		failed_as "$1" "$2" logcat || return 1
		# a prefix of the records, never more
		cmp -s out <(head -c "$(stat -c %s out)" want) || return 1
	fi
	# logcat never moves the offset, and its caches stay usable
	[ "$(cat st/off)" = 40 ] || return 1
	logcat -o st/off log >again 2>err2 && cmp -s again want
}

@test "logcat: every failed open, write, fsync, rename and close is 74, and a rerun is whole" {
	mklog 30000 log
	tagged 40 29960 >want
	sweep logcat open write pwrite fsync rename close
	[ "$(cat faults.count)" -ge 25 ]
}

@test "logcat: ENOSPC on its caches and on stdout is 74 naming the file" {
	mklog 30000 log
	tagged 40 29960 >want
	ERRNO=ENOSPC STRERROR="No space left on device" sweep logcat write
	[ "$(cat faults.count)" -ge 10 ]
}

@test "logcat: short writes everywhere still deliver every byte" {
	mklog 30000 log
	tagged 40 29960 >want
	mkdir st
	echo 40 >st/off
	printf 'exactly-segments 2\n' >st/off.seg # log begins at offset 0
	run -0 env LD_PRELOAD="$SHIM" FAULT_OP=write FAULT_SHORT=1 \
	    FAULT_PATH="$BATS_TEST_TMPDIR" logcat -o st/off log
	[ "$output" = "$(cat want)" ]
	run -0 env LD_PRELOAD="$SHIM" FAULT_OP=write FAULT_SHORT=1 \
	    FAULT_PATH="$BATS_TEST_TMPDIR" logcat -o st/off log
	[ "$output" = "$(cat want)" ]
}

# --- commit -------------------------------------------------------------------

# offset_ok: st/off holds exactly one offset line, as commit writes it;
# prints it.
offset_ok() {
	local v
	v=$(cat st/off)
	[[ "$v" =~ ^(0|[1-9][0-9]*)$ ]] || return 1
	[ "$(stat -c %s st/off)" = $((${#v} + 1)) ] || return 1
	echo "$v"
}

commit_fresh() {
	rm -rf st out err rc sink
	mkdir st
	echo 40 >st/off
	printf 'exactly-segments 2\n' >st/off.seg # log begins at offset 0
	: >sink
}

# commit_run MODE...: the pipeline with commit under the fault.
commit_pipe() {
	set +e
	logcat -o st/off log | "${F[@]}" commit -o st/off -n 1000 "$@" >out 2>err
	echo "${PIPESTATUS[1]}" >rc
	set -e
}

commit_clean() {
	logcat -o st/off log | commit -o st/off -n 1000 "$@" >again
	[ "${PIPESTATUS[1]}" = 0 ]
}

# commit_judge MODE OP CALL: the outcome of one fault in one mode.
commit_judge() {
	local mode=$1 op=$2 call=$3 v k
	v=$(offset_ok) || return 1
	if harmless "$op" "$call"; then
		[ "$(cat rc)" = 0 ] && [ "$v" = 3000 ] || return 1
	else
		failed_as "$op" "$call" commit || return 1
	fi
	case $mode in
	a)	# at-least-once: nothing committed that was not written on
		k=$(delivered out) || return 1
		[ "$v" -ge 40 ] && [ "$v" -le $((40 + k)) ] || return 1
		commit_clean -a || return 1
		cmp -s again <(tail -n +$((v - 40 + 1)) want) || return 1 ;;
	b)	# at-most-once: nothing written that was not committed first
		k=$(delivered out) || return 1
		[ "$v" -ge $((40 + k)) ] || return 1
		commit_clean -b || return 1
		cmp -s again <(tail -n +$((v - 40 + 1)) want) || return 1 ;;
	c)	# at-least-once, command mode: committed only what the
		# command took; the rerun feeds it the rest
		k=$(delivered sink) || return 1
		[ "$v" -ge 40 ] && [ "$v" -le $((40 + k)) ] || return 1
		commit_clean -a -- sh -c 'cat >>sink' || return 1
		cmp -s <(sort -n sink | uniq) <(cat want) || return 1 ;;
	e)	# -e: committed only what the command acknowledged
		k=$(delivered sink) || return 1
		[ "$v" -ge 40 ] && [ "$v" -le $((40 + k)) ] || return 1
		commit_clean -a -e -- sh -c "$ACK" >/dev/null || return 1
		cmp -s <(sort -n sink | uniq) <(cat want) || return 1 ;;
	esac
	[ "$(cat st/off)" = 3000 ]
}

commit_a_fresh() { commit_fresh; }
commit_a_run() { commit_pipe -a; }
commit_a_check() { commit_judge a "$@"; }
commit_b_fresh() { commit_fresh; }
commit_b_run() { commit_pipe -b; }
commit_b_check() { commit_judge b "$@"; }
commit_c_fresh() { commit_fresh; }
# the command runs without the shim: only commit's own calls fail
commit_c_run() { commit_pipe -a -- env -u LD_PRELOAD sh -c 'cat >>sink'; }
commit_c_check() { commit_judge c "$@"; }
# -e: the command appends each record to the sink, then acknowledges it
ACK='while IFS= read -r l; do printf "%s\n" "$l" >>sink; echo ok; done'
commit_e_fresh() { commit_fresh; }
commit_e_run() { commit_pipe -a -e -- env -u LD_PRELOAD sh -c "$ACK"; }
commit_e_check() { commit_judge e "$@"; }

@test "commit -a: every failed call is 74, nothing committed unwritten, a rerun is whole" {
	mklog 3000 log
	tagged 40 2960 >want
	sweep commit_a open write pwrite fsync rename close
	[ "$(cat faults.count)" -ge 30 ]
}

@test "commit -b: every failed call is 74, nothing written uncommitted, a rerun goes on" {
	mklog 3000 log
	tagged 40 2960 >want
	sweep commit_b open write pwrite fsync rename close
	[ "$(cat faults.count)" -ge 30 ]
}

@test "commit -a -- command: every failed call is 74, the rerun feeds every record" {
	mklog 3000 log
	tagged 40 2960 >want
	sweep commit_c open write pwrite fsync rename close
	[ "$(cat faults.count)" -ge 25 ]
}

@test "commit -a -e: every failed call is 74, nothing committed unacknowledged" {
	mklog 3000 log
	tagged 40 2960 >want
	# its state only: each acknowledged record is its own write to out
	FPATH=$BATS_TEST_TMPDIR/st/ sweep commit_e open write pwrite fsync rename close
	[ "$(cat faults.count)" -ge 15 ]
}

@test "commit: ENOSPC on the offset file and on stdout is 74 naming the file" {
	mklog 3000 log
	tagged 40 2960 >want
	ERRNO=ENOSPC STRERROR="No space left on device" sweep commit_a write
	[ "$(cat faults.count)" -ge 5 ]
}

# --- a real full disk -----------------------------------------------------------

# on_tmpfs SIZE SCRIPT: run sh -c SCRIPT in a private mount namespace with
# a tmpfs of SIZE mounted on st (gone when SCRIPT ends).
on_tmpfs() {
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
	mkdir -p st
	unshare -m sh -c "mount -t tmpfs -o size=$1 tmpfs st && $2"
}

@test "commit: a state disk that fills mid-run stops the run, the offset stays true" {
	mklog 3000 log
	tagged 0 3000 >want
	# the command appends to a sink on the same small tmpfs, which fills
	# after some batches; each record it took is on the tmpfs too
	run --separate-stderr on_tmpfs 64k '
		echo 40 >st/off
		printf "exactly-segments 2\n" >st/off.seg
		logcat -o st/off log |
		    commit -a -o st/off -n 200 -- sh -c "cat >>st/sink"
		echo "$?" >rc
		cp st/off off.after && cp st/sink sink.after'
	# the command's failure is commit's, said, nothing committed for its
	# batch
	[ "$(cat rc)" = 1 ]
	[ "$stderr" = "$(printf '%s\n' "cat: write error: No space left on device" "commit: sh: exited 1")" ]
	v=$(cat off.after)
	[[ "$v" =~ ^[1-9][0-9]*$ ]]
	[ "$(stat -c %s off.after)" = $((${#v} + 1)) ]
	[ "$v" -lt 3000 ]
	[ "$v" -ge 40 ]
	# every record below the offset reached the sink, in order
	k=$(tr -cd '\n' <sink.after | wc -c)
	[ "$k" -ge $((v - 40)) ]
	cmp <(head -n "$k" sink.after) <(sed -n "41,$((40 + k))p" want)
	# with room again, the rerun delivers the rest
	cp off.after st-off
	mkdir st2 && mv st-off st2/off
	printf 'exactly-segments 2\n' >st2/off.seg # log begins at offset 0
	logcat -o st2/off log | commit -a -o st2/off -n 200 -- sh -c 'cat >>sink2'
	[ "$(cat st2/off)" = 3000 ]
	cmp sink2 <(tail -n +$((v + 1)) want)
}

@test "logcat and commit writing to a full device: 74, no offset moved" {
	mklog 3000 log
	mkdir st
	echo 40 >st/off
	printf 'exactly-segments 2\n' >st/off.seg # log begins at offset 0
	run --separate-stderr sh -c 'logcat -o st/off log >/dev/full'
	[ "$status" = 74 ]
	[ "$stderr" = "logcat: write: stdout: No space left on device" ]
	run --separate-stderr sh -c 'logcat -o st/off log | commit -a -o st/off -n 100 >/dev/full'
	[ "$status" = 74 ]
	[ "$stderr" = "commit: write: stdout: No space left on device" ]
	[ "$(cat st/off)" = 40 ]
}

@test "commit: its own offset file on a disk that is full: 74, the offset stays true" {
	mklog 3000 log
	tagged 0 3000 >want
	# each batch's command fills a page of the tmpfs (ignoring its own
	# failure), until commit cannot write its offset file
	run --separate-stderr on_tmpfs 64k '
		echo 40 >st/off
		printf "exactly-segments 2\n" >st/off.seg
		logcat -o st/off log |
		    commit -a -o st/off -n 200 -- sh -c "cat >>sink; head -c 4096 /dev/zero >>st/pad 2>/dev/null; exit 0"
		echo "$?" >rc
		cp st/off off.after'
	[ "$(cat rc)" = 74 ]
	[[ "$stderr" =~ ^commit:\ write:\ st/off\.tmp\.[0-9a-f]{8}:\ No\ space\ left\ on\ device$ ]]
	v=$(cat off.after)
	[[ "$v" =~ ^[1-9][0-9]*$ ]]
	[ "$(stat -c %s off.after)" = $((${#v} + 1)) ]
	[ "$v" -lt 3000 ]
	k=$(tr -cd '\n' <sink | wc -c)
	[ "$k" -ge $((v - 40)) ]
	cmp <(head -n "$k" sink) <(sed -n "41,$((40 + k))p" want)
	mkdir st2 && cp off.after st2/off
	printf 'exactly-segments 2\n' >st2/off.seg # log begins at offset 0
	logcat -o st2/off log | commit -a -o st2/off -n 200 -- sh -c 'cat >>sink2'
	[ "$(cat st2/off)" = 3000 ]
	cmp sink2 <(tail -n +$((v + 1)) want)
}

# --- dedup --------------------------------------------------------------------

dedup_fresh() {
	rm -rf st out err rc again
	mkdir st
}

dedup_run() {
	set +e
	logcat -o st/off log |
	    "${F[@]}" dedup -s st/seen -k click_id -n 500 2>err |
	    commit -a -o st/off >out
	echo "${PIPESTATUS[1]}" >rc
	set -e
}

dedup_check() {
	local op=$1 call=$2
	if harmless "$op" "$call"; then
		[ "$(cat rc)" = 0 ] && [ "$(keys out)" = "$(cat want)" ] ||
		    return 1
	else
		failed_as "$op" "$call" dedup || return 1
	fi
	[ ! -e st/off ] || offset_ok >/dev/null || return 1
	# the seen-set it left is usable, and the rerun brings every key
	# not yet delivered, each once
	logcat -o st/off log | dedup -s st/seen -k click_id -n 500 |
	    commit -a -o st/off >again || return 1
	[ -z "$(keys again | uniq -d)" ] || return 1
	[ "$(keys out again | uniq)" = "$(cat want)" ]
}

@test "dedup: every failed call on its seen-set is 74, and the rerun loses no key" {
	awk 'BEGIN {
		for (i = 0; i < 3000; i++) {
			id = (i % 10 == 9) ? i - 5 : i
			printf "{\"click_id\":\"c%d\",\"n\":%d}\n", id, i
		}
	}' >log
	keys log | uniq >want
	sweep dedup open write pwrite fsync rename mkdir mmap ftruncate close
	[ "$(cat faults.count)" -ge 60 ]
}

# --- dedup -e: the group commit's fsync in its own thread -------------------

@test "dedup -e: a failed journal write or fsync of an overlapped group is 74, and nothing past it is written" {
	seq 0 999 | awk '{ printf "{\"click_id\":\"c%d\"}\n", $1 }' >log
	logcat log >tagged
	# the calls of a clean run: the set's creation, then a journal write
	# and fsync for each group of 50 (-n 100 halved), made by the thread
	rm -rf st && mkdir st
	faulty fsync 0
	"${F[@]}" dedup -e -n 100 -s st/seen -k click_id -- cat <tagged >out
	cmp -s out tagged
	tested=0
	for op in write fsync; do
		rm -f calls
		rm -rf st && mkdir st
		faulty "$op" 0
		"${F[@]}" dedup -e -n 100 -s st/seen -k click_id -- cat <tagged >/dev/null
		n=$(grep -c "	$BATS_TEST_TMPDIR/st/seen/journal\$" calls)
		[ "$n" -ge 10 ]
		# the 4th, 8th, ... such call: each a group's, never the first
		local at
		for ((at = 4; at <= n; at += 4)); do
			nth=$(grep -n "	$BATS_TEST_TMPDIR/st/seen/journal\$" calls |
			    sed -n "${at}p" | cut -d: -f1)
			rm -rf st fired && mkdir st
			faulty "$op" "$nth"
			run --separate-stderr "${F[@]}" dedup -e -n 100 -s st/seen -k click_id -- cat <tagged
			assert_equal "$status" 74
			assert_equal "$stderr" "dedup: $op: st/seen/journal: Input/output error"
			# what was written is whole groups of the input, in order,
			# and every one of their keys is durable: a rerun drops them
			printf '%s\n' "$output" >got
			k=$(wc -l <got)
			[ $((k % 50)) = 0 ] || fail "$op call $nth: $k records written"
			cmp -s got <(head -n "$k" tagged) || fail "$op call $nth: not a prefix"
			dedup -s st/seen -k click_id <got >again
			[ ! -s again ] || fail "$op call $nth: $(wc -l <again) records written before their keys were durable"
			tested=$((tested + 1))
		done
	done
	[ "$tested" -ge 4 ]
}
