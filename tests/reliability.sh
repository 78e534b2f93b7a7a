#!/bin/sh
# reliability.sh: run the suites that crash, fault, damage and fuzz the
# tools, with EXACTLY_STATS set so that they count their trials (the
# convention is in tests/test_helper.bash), and write the counts as the
# table between the reliability markers of README.md.  `make reliability`
# runs it after building.  If any suite fails, README.md is left alone and
# the status is 1: the table only ever shows trials that all passed.
set -eu
cd "$(dirname "$0")/.."

BEGIN='<!-- reliability:begin (make reliability writes this table) -->'
END='<!-- reliability:end -->'
grep -qxF "$BEGIN" README.md && grep -qxF "$END" README.md || {
	echo "reliability: README.md lacks the table's markers" >&2
	exit 1
}

stats=$(mktemp)
table=$(mktemp)
trap 'rm -f "$stats" "$table"' EXIT
export EXACTLY_STATS="$stats"

suites=
for f in chaos faults powerloss badstate badinput; do
	[ -f "tests/$f.bats" ] && suites="$suites tests/$f.bats"
done
t0=$(date +%s)
# shellcheck disable=SC2086
rc=0
bats --jobs 2 --no-parallelize-within-files $suites >"$table" 2>&1 || rc=$?
cat "$table"
if [ "$rc" != 0 ]; then
	echo "reliability: a suite failed; no table written" >&2
	exit 1
fi
# A skipped test counts nothing: the table is of full runs only.
if grep -q '^ok .* # skip' "$table"; then
	grep '^ok .* # skip' "$table" >&2
	echo "reliability: tests were skipped; no table written" >&2
	exit 1
fi

# The fuzz harnesses print "fuzz NAME N executions in S s, no failure".
if [ -f fuzz/run.sh ] && grep -q '^fuzz-check:' Makefile; then
	make -s fuzz-check >"$table" 2>&1 || {
		cat "$table"
		echo "reliability: make fuzz-check failed; no table written" >&2
		exit 1
	}
	cat "$table"
	awk '$1 == "fuzz" && $4 == "executions" {
	    printf "fuzz\t%s\t%s\n", $2, $3 }' "$table" >>"$stats"
fi
t1=$(date +%s)

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
awk -F '\t' -v rev="$rev" -v secs=$((t1 - t0)) '
function n(x) { return x == "" ? 0 : x }
$1 == "chaos" { seeds += $3; runs += $4; crashes += $5; chaos++ }
$1 == "faults" { faults += $3; sweeps++ }
$1 == "powerloss" { power += $3; ptests[$2] = 1 }
$1 == "badstate" { state += $3; stests[$2] = 1 }
$1 == "badinput" { input += $3; itests[$2] = 1 }
$1 == "fuzz" { fuzz += $3; harness = harness (harness ? ", " : "") $2 }
function count(a,   k, c) { c = 0; for (k in a) c++; return c }
END {
	print "| trials, every one checked | count | where |"
	print "|---|---:|---|"
	printf "| chaos seeds (each a pipeline crashed until done) | %d | tests/chaos.bats, %d pipelines |\n", n(seeds), n(chaos)
	printf "| chaos crashes (crashat -r, kill -9) in %d runs | %d | tests/chaos.bats |\n", n(runs), n(crashes)
	printf "| power losses, one after each durability operation or change | %d | tests/powerloss.bats, %d sweeps |\n", n(power), count(ptests)
	printf "| faults injected (EIO, ENOSPC, short writes at the Nth call) | %d | tests/faults.bats, %d sweeps |\n", n(faults), n(sweeps)
	printf "| bad states (offset files, catalogues, seen-sets) | %d | tests/badstate.bats |\n", n(state)
	printf "| bad inputs (records and log lines) | %d | tests/badinput.bats |\n", n(input)
	printf "| fuzz executions | %d | make fuzz-check: %s |\n", n(fuzz), harness ? harness : "none"
	print ""
	printf "Records lost or delivered beyond the guarantee in all of these: 0 (a\n"
	printf "trial that loses one fails its suite, and then no table is written).\n"
	printf "Written by `make reliability` at revision %s in %d s.\n", rev, secs
}' "$stats" >"$table"

awk -v begin="$BEGIN" -v end="$END" -v table="$table" '
$0 == begin { print; while ((getline l < table) > 0) print l; skip = 1; next }
$0 == end { skip = 0 }
!skip { print }' README.md >README.md.new
mv README.md.new README.md
cat "$table"
