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
	    FAULT_PATH="$BATS_TEST_TMPDIR" FAULT_LOG="$BATS_TEST_TMPDIR/calls"
	    FAULT_ERRNO="${ERRNO:-EIO}")
}

# sweep SCENARIO OP...: for each OP, count its calls in a clean run of
# SCENARIO, then fail each in turn: SCENARIO_fresh sets up the state,
# SCENARIO_run runs it under "${F[@]}" writing its status to rc and its
# stderr to err, SCENARIO_check OP CALL judges the outcome and recovery.
# Prints the number of faults injected.
sweep() {
	local scen=$1 op i n total=0
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
			faulty "$op" "$i"
			"${scen}_run"
			"${scen}_check" "$op" "$(sed -n "${i}p" calls.clean)" ||
			    fail "$scen: $op call $i of $n ($(sed -n "${i}p" calls.clean)): status $(cat rc): $(cat err)"
			total=$((total + 1))
		done
	done
	echo "$total" >>faults.count
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
	*) word=$op ;;
	esac
	[ "$(cat rc)" = 74 ] || return 1
	[ "$(wc -l <err)" = 1 ] || return 1
	[[ "$msg" == "$tool: "*": ${STRERROR:-Input/output error}" ]] || return 1
	[[ "$msg" == *"$rel"* ]] || return 1
	[[ "$msg" == *"$word"* || "$msg" == "$tool: offset file "* ]] || return 1
}

# A close that fails on a descriptor only read from changes nothing.
harmless() {
	[ "$1" = close ] && [[ "$2" != *.tmp ]]
}

# --- logcat -------------------------------------------------------------------

logcat_fresh() {
	rm -rf st out err rc
	mkdir st
	echo 40 >st/off
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
	run -0 env LD_PRELOAD="$SHIM" FAULT_OP=write FAULT_SHORT=1 \
	    FAULT_PATH="$BATS_TEST_TMPDIR" logcat -o st/off log
	[ "$output" = "$(cat want)" ]
	run -0 env LD_PRELOAD="$SHIM" FAULT_OP=write FAULT_SHORT=1 \
	    FAULT_PATH="$BATS_TEST_TMPDIR" logcat -o st/off log
	[ "$output" = "$(cat want)" ]
}
