# Shared by the bench/[0-9]*.sh scripts: sourced, not run.
#
# Data is generated once into $BENCH_DIR (default /tmp/exactly-bench, or
# /var/tmp/exactly-bench where /tmp is a tmpfs) and reused; every figure is
# a ratio against a reference run in the same go, since timings on a shared
# machine drift from run to run.  BENCH_DIR holds the state the tools make
# durable, so it must be on a disk: a tmpfs there is refused, since an
# fsync on it costs nothing.
#
# Targets (DESIGN.md section 7): target and value print a row with its
# figure, its target and whether it was met; when BENCH_SUMMARY names a
# file (make bench sets it), they also append to it one line,
# SCRIPT<TAB>WHAT<TAB>FIGURE<TAB>TARGET<TAB>met|MISSED, and summary prints
# those lines as the table that ends make bench.  row is the older form:
# it prints a row, and counts as a target when its TARGET reads "<= N",
# ">= N", "< N" or "> N" (any words after it are a note).

set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="$ROOT:$PATH"
if [ -z "${BENCH_DIR:-}" ]; then
	BENCH_DIR=/tmp/exactly-bench
	[ "$(stat -f -c %T /tmp)" != tmpfs ] || BENCH_DIR=/var/tmp/exactly-bench
fi
mkdir -p "$BENCH_DIR"
case $(stat -f -c %T "$BENCH_DIR") in
tmpfs|ramfs)
	echo "bench: BENCH_DIR=$BENCH_DIR is on a $(stat -f -c %T "$BENCH_DIR"):" \
	    "state must be on a disk; set BENCH_DIR to a directory on one" >&2
	exit 1
	;;
esac
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_NAME=$(basename "$0" .sh)
FLOOR=$ROOT/bench/floor
export LC_ALL=C

# events N FILE: N JSON lines of about 100 bytes; every tenth click_id
# repeats an earlier one (producer retries), so about 10 % are duplicates.
events() {
	[ -s "$2" ] && return 0
	awk -v n="$1" 'BEGIN {
		srand(42)
		for (i = 0; i < n; i++) {
			id = (i % 10 == 9) ? int(rand() * i) : i
			printf "{\"click_id\":\"clk-%010d\",\"advertiser\":\"adv-%04d\",\"amount\":0.05,\"ts\":%d}\n", id, i % 9973, 1700000000 + i
		}
	}' >"$2.tmp" && mv "$2.tmp" "$2"
}

# _once CMD: wall time of one run of sh -c CMD, its stdout to /dev/null;
# a command that fails ends the bench.  (The helpers' own variables begin
# with _: a script's are its own.)
_once() {
	_t0=$(date +%s.%N)
	sh -c "$1" >/dev/null || { echo "bench: failed: $1" >&2; exit 1; }
	_t1=$(date +%s.%N)
	printf '%.4f\n' "$(echo "$_t1 - $_t0" | bc -l)"
}

# _least N...: the smallest.
_least() {
	printf '%s\n' "$@" | sort -g | head -n 1
}

# seconds CMD: wall time of sh -c CMD, best of $BENCH_RUNS (3).
seconds() {
	_all=
	_i=0
	while [ "$_i" -lt "$BENCH_RUNS" ]; do
		_all="$_all $(_once "$1")"
		_i=$((_i + 1))
	done
	_least $_all
}

# bests CMD...: the best of $BENCH_RUNS wall times of each command, one a
# line, in order.  The commands take turns, round after round, so that a
# burst of load from elsewhere falls on all of them alike rather than on
# whichever ran at the time.
bests() {
	_d=$(mktemp -d)
	_i=0
	while [ "$_i" -lt "$BENCH_RUNS" ]; do
		_k=0
		for _c in "$@"; do
			_once "$_c" >>"$_d/$_k"
			_k=$((_k + 1))
		done
		_i=$((_i + 1))
	done
	_k=0
	for _c in "$@"; do
		_least $(cat "$_d/$_k")
		_k=$((_k + 1))
	done
	rm -rf "$_d"
}

# floor fsync|journal|exec ARGS: the floor's seconds for one, the best of
# $BENCH_RUNS means (bench/floor.c says what each is).
floor() {
	[ -x "$FLOOR" ] ||
	    { echo "bench: $FLOOR missing (make bench builds it)" >&2; exit 1; }
	_all=
	_i=0
	while [ "$_i" -lt "$BENCH_RUNS" ]; do
		_all="$_all $("$FLOOR" "$@")"
		_i=$((_i + 1))
	done
	_least $_all
}

# ratio A B: A / B to two places.
ratio() {
	echo "scale=4; $1 / $2" | bc -l | awk '{ printf "%.2f", $1 }'
}

# verdict FIGURE OP LIMIT: met or MISSED.
verdict() {
	if [ "$(echo "$1 $2 $3" | bc -l)" = 1 ]; then
		echo met
	else
		echo MISSED
	fi
}

# record WHAT FIGURE TARGET VERDICT: one line of the summary.
record() {
	[ -n "${BENCH_SUMMARY:-}" ] || return 0
	printf '%s\t%s\t%s\t%s\t%s\n' "$BENCH_NAME" "$1" "$2" "$3" "$4" \
	    >>"$BENCH_SUMMARY"
}

# target WHAT SECONDS REF_SECONDS REF OP LIMIT: a row whose figure is
# SECONDS / REF_SECONDS, "x REF", and whose target is that OP LIMIT.
target() {
	_r=$(ratio "$2" "$3")
	_v=$(verdict "$_r" "$5" "$6")
	printf '%-44s %8.3f s  %6s x %-22s target %s %s  %s\n' "$1" "$2" "$_r" \
	    "$4" "$5" "$6" "$_v"
	record "$1" "$_r x $4" "$5 $6" "$_v"
}

# value WHAT FIGURE UNIT OP LIMIT: a row whose figure is not a ratio of
# times (milliseconds, events a second), with its target.
value() {
	_v=$(verdict "$2" "$4" "$5")
	printf '%-44s %8s %-28s target %s %s %s  %s\n' "$1" "$2" "$3" "$4" "$5" \
	    "$3" "$_v"
	record "$1" "$2 $3" "$4 $5 $3" "$_v"
}

# row WHAT SECONDS REF_SECONDS TARGET: one line of a bench table, a
# target if TARGET reads "OP N [note]".
row() {
	_r=$(ratio "$2" "$3")
	_op=${4%% *}
	_lim=${4#"$_op" }
	_lim=${_lim%% *}
	case $_op in
	'<='|'>='|'<'|'>')
		_v=$(verdict "$_r" "$_op" "$_lim")
		printf '%-44s %8.3f s  %6s x ref   target %s  %s\n' "$1" "$2" "$_r" \
		    "$4" "$_v"
		record "$1" "$_r x ref" "$4" "$_v"
		;;
	*)
		printf '%-44s %8.3f s  %6s x ref   %s\n' "$1" "$2" "$_r" \
		    "${4:+target $4}"
		;;
	esac
}

# summary FILE: the table of every target recorded in FILE.
summary() {
	[ -s "$1" ] || return 0
	echo
	echo "make bench: the targets of DESIGN.md section 7"
	awk -F'\t' '
		{ n++; if ($5 == "met") met++
		  printf "%-10s %-44s %-34s %-16s %s\n", $1, $2, $3, $4, $5 }
		END { printf "%d targets: %d met, %d missed\n", n, met, n - met }' "$1"
}
