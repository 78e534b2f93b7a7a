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

# tally CATEGORY COUNT: count trials for the reliability table of README.md
# (make reliability).  When EXACTLY_TALLY names a file, appends the line
# "CATEGORY COUNT SUITE" to it (SUITE: this .bats file's name); otherwise
# does nothing.  Tally only after the trial's invariant was checked, so a
# count is of trials that lost nothing.  Categories, one row each:
#   seeds         chaos runs, one per seed and guarantee
#   crash_points  crashes at a chosen point (crashat, kill -9, power loss)
#   faults        injected faults (fiu-run, LD_PRELOAD shims, ENOSPC)
#   bad_states    damaged, foreign or unusable offset files and seen-sets
#   bad_inputs    malformed or unusual input records
#   fuzz_execs    fuzzer executions
# Other suites (fuzz/) may append the same lines from a shell.
tally() {
	[ -n "${EXACTLY_TALLY:-}" ] || return 0
	printf '%s %s %s\n' "$1" "$2" "${BATS_TEST_FILENAME##*/}" \
	    >>"$EXACTLY_TALLY"
}
