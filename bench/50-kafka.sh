#!/bin/sh
# Reading a Kafka partition against kcat (DESIGN.md section 7): 500k JSON
# messages of about 100 bytes in one partition of librdkafka's mock
# cluster (tests/kmock.c), logcat against "kcat -C -e" on the same
# partition, both to a pipe; then what one commit to a consumer group
# costs, beside one commit to an offset file, both through commit.
#
# The mock keeps about 5 MB a partition, so the messages are produced
# zstd-compressed; both readers pay for decompressing them.  The mock is
# the slower end (it answers one batch a fetch), so the ratio, not the
# time, is the figure.
. "$(dirname "$0")/lib.sh"

KMOCK=$ROOT/tests/kmock
# (a KAFKA=no build says so of any kafka:// name, at once)
if [ ! -x "$KMOCK" ] || ! command -v kcat >/dev/null ||
    logcat -s 0 kafka:// 2>&1 | grep -q 'no Kafka support'; then
	echo "kafka: skipped: tests/kmock or kcat missing, or logcat built with KAFKA=no"
	exit 0
fi

N=500000
F=$BENCH_DIR/kafka-events.log
T=$(mktemp -d "$BENCH_DIR/kafka.XXXXXX")
MOCK=
trap '[ -n "$MOCK" ] && kill "$MOCK" 2>/dev/null; rm -rf "$T"' EXIT
events $N "$F"
# the one-host lock of the consumer group's store: a directory of the
# run's own
export XDG_RUNTIME_DIR="$T/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"

# the mock, and its bootstrap line, waited for with a deadline
"$KMOCK" -t 900 -c "$T/mock.ctl" b:1 >"$T/mock.out" 2>"$T/mock.err" &
MOCK=$!
i=0
until [ -s "$T/mock.out" ]; do
	i=$((i + 1))
	[ $i -le 200 ] || { echo "bench: kmock did not start" >&2; exit 1; }
	sleep 0.05
done
KB=$(head -1 "$T/mock.out")
LOG=kafka://$KB/b/0

kcat -P -b "$KB" -t b -p 0 -z zstd -X linger.ms=100 <"$F"
range=$(kcat -Q -b "$KB" -t b:0:-2 | awk '{ print $NF }')-$(kcat -Q -b "$KB" -t b:0:-1 | awk '{ print $NF }')
[ "$range" = "0-$N" ] ||
    { echo "bench: the mock holds offsets $range, not 0-$N" >&2; exit 1; }

READ="logcat -s 0 '$LOG'"
RNAME="logcat -s 0 kafka://... | cat"
KCAT="kcat -C -b '$KB' -t b -p 0 -o beginning -e -q"

# both must deliver exactly the file, ours tagged
sh -c "$KCAT" | cmp -s - "$F" || { echo "bench: kcat output differs" >&2; exit 1; }
sh -c "$READ" | cut -f2- | cmp -s - "$F" ||
    { echo "bench: logcat's output differs" >&2; exit 1; }
sh -c "$READ" | cut -f1 | awk -v n=$N '$1 != NR - 1 { exit 1 } END { exit NR != n }' ||
    { echo "bench: logcat's offsets differ" >&2; exit 1; }

kcat_s=$(seconds "$KCAT | cat")
ours_s=$(seconds "$READ | cat")
# kcat -e ends on librdkafka's end-of-partition event, which comes with a
# fetch the broker holds for fetch.wait.max.ms (500 ms); ours ends at the
# last record below the end it read at open.  Without that wait, the
# figure is reading alone.
KCATW="$KCAT -X fetch.wait.max.ms=5"
kcatw_s=$(seconds "$KCATW | cat")

# One commit: 1000 records through commit -n 1 (1000 commits) against
# the same through commit -n 1000 (one), the difference per commit; each
# commit to a group is a check that its offset is still ours and the
# synchronous commit, each to an offset file an fsync group.  Every run
# first sets the store back to 0 (-R), in both, so the runs are alike.
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "%d\tx\n", i }' >"$T/recs"
commits() { # commits STORE N: the command that commits the records in groups of N
	echo "commit -o '$1' -R 0 && commit -a -n $2 -o '$1' <'$T/recs'"
}
K="kafka://$KB/b/0@bench"
k1_s=$(seconds "$(commits "$K" 1000)")
kn_s=$(seconds "$(commits "$K" 1)")
f1_s=$(seconds "$(commits "$T/off" 1000)")
fn_s=$(seconds "$(commits "$T/off" 1)")
kc_ms=$(echo "($kn_s - $k1_s) * 1000 / 999" | bc -l)
fc_ms=$(echo "($fn_s - $f1_s) * 1000 / 999" | bc -l)

echo "kafka: $N messages ($(wc -c <"$F") bytes) in one partition of the mock cluster, best of 3"
row "kcat -C -e | cat (reference)" "$kcat_s" "$kcat_s" ""
row "$RNAME" "$ours_s" "$kcat_s" "<= 1.10 (section 7)"
# kcat -e waits fetch.wait.max.ms for its end event; logcat does not
row "kcat, fetch.wait.max.ms=5 (no end wait) | cat" "$kcatw_s" "$kcat_s" ""
row "$RNAME, against that" "$ours_s" "$kcatw_s" "none (reading alone)"
printf '%-44s %8.3f ms\n' "one commit to a consumer group (mock)" "$kc_ms"
printf '%-44s %8.3f ms\n' "one commit to an offset file ($BENCH_DIR)" "$fc_ms"
