# Shared by the bench/[0-9]*.sh scripts: sourced, not run.
#
# Data is generated once into $BENCH_DIR (default /tmp/exactly-bench) and
# reused; every figure is a ratio against a reference run in the same go,
# since timings on a shared machine drift from run to run.

set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="$ROOT:$PATH"
BENCH_DIR=${BENCH_DIR:-/tmp/exactly-bench}
mkdir -p "$BENCH_DIR"
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

# seconds CMD...: wall time of one run of sh -c CMD, best of three.
seconds() {
	best=
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		sh -c "$1" >/dev/null
		t1=$(date +%s.%N)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then
			best=$t
		fi
	done
	printf '%.4f\n' "$best"
}

# ratio A B: A / B to two places.
ratio() {
	echo "scale=4; $1 / $2" | bc -l | awk '{ printf "%.2f", $1 }'
}

# row WHAT SECONDS REF_SECONDS TARGET: one line of a bench table.
row() {
	printf '%-44s %8.3f s  %6s x ref   target %s\n' "$1" "$2" "$(ratio "$2" "$3")" "$4"
}
