# Shared set-up for every .bats file: load with `load test_helper`.
#
# Tests run the tools built in the top directory (or in $EXACTLY_BIN, for a
# sanitizer build), each test in its own scratch directory.  CI runs as
# root, so "unreadable" is made with a directory, never with chmod.

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PATH="${EXACTLY_BIN:-$ROOT}:$ROOT/tests/bin:$PATH"
export PATH LC_ALL=C

cd "$BATS_TEST_TMPDIR" || exit 1

# mklog N FILE [FIRST]: N JSON events, numbered from FIRST (default 0),
# each with a distinct click_id.
mklog() {
	awk -v n="$1" -v f="${3:-0}" 'BEGIN {
		for (i = f; i < f + n; i++)
			printf "{\"click_id\":\"c%d\",\"advertiser\":\"a%d\",\"amount\":0.05}\n", i, i % 7
	}' >"$2"
}

# tagged FIRST N: the tagged records logcat writes for mklog N from FIRST.
tagged() {
	awk -v f="$1" -v n="$2" 'BEGIN {
		for (i = f; i < f + n; i++)
			printf "%d\t{\"click_id\":\"c%d\",\"advertiser\":\"a%d\",\"amount\":0.05}\n", i, i, i % 7
	}'
}

# seqrange A B: the numbers A..B, one a line (empty when B < A).
seqrange() {
	[ "$2" -ge "$1" ] && seq "$1" "$2"
	return 0
}

# The reliability table (README.md, make reliability) is made from counts
# the suites write as they run.  When EXACTLY_STATS names a file, a suite
# appends one line per trial or sweep, tab-separated: KIND, NAME, numbers.
#   chaos      NAME SEEDS RUNS CRASHES    tests/chaos.bats, per pipeline
#   faults     NAME FAULTS                tests/faults.bats, per sweep
#   powerloss  NAME CRASHPOINTS           tests/powerloss.bats
#   badstate   NAME CASES                 tests/badstate.bats
#   badinput   NAME CASES                 tests/badinput.bats
#   fuzz       NAME EXECUTIONS            make fuzz-check, per harness
# Write a line only once the trials it counts passed their checks, so a
# count is of trials where nothing was lost.  Unset: nothing is written.

# tally KIND COUNT: one such line, NAME being the test's description.
tally() {
	[ -n "${EXACTLY_STATS:-}" ] || return 0
	printf '%s\t%s\t%s\n' "$1" "$BATS_TEST_DESCRIPTION" "$2" \
	    >>"$EXACTLY_STATS"
}
