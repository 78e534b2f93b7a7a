#!/bin/sh
# make demo: the delivery guarantees, run for real and measured.
#
# A log of 1000 events; a consumer whose sink appends every event it
# processes to a ledger; a crash (SIGKILL of the whole pipeline) exactly at
# record 500, put there by crashat; then a restart that resumes from the
# committed offset.  The table is counted from the ledger, not asserted.
# The seed's other fix, a PostgreSQL table whose unique constraint absorbs
# the replay, runs against a private server (tests/pg.sh) and is counted
# from the table with SQL; where no server can be started, the demo says
# so in one line and prints the other rows.  The same three scenarios then
# run on a Kafka topic, a second table: librdkafka's mock cluster
# (tests/kmock.c), started and stopped here, the events produced into one
# partition by kcat, each scenario's offset its own consumer group's (read
# back with tests/kdrive); where the mock cannot run (a KAFKA=no build),
# the demo says so in one line.  Everything happens in temporary
# directories that are removed at the end, the servers stopped.
#
# Each table is a header and rows (header, row); each row one scenario
# function run, which prints it and adds its crashing pipeline to PIPES.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="$ROOT:$ROOT/tests/bin:$PATH"
export LC_ALL=C
. "$ROOT/tests/pg.sh"

N=1000
AT=500
D=$(mktemp -d "${TMPDIR:-/tmp}/exactly-demo.XXXXXX")
KMOCK_PID=
kafka_stop() {
	[ -z "$KMOCK_PID" ] || { kill "$KMOCK_PID" 2>/dev/null; wait "$KMOCK_PID" 2>/dev/null || true; }
	KMOCK_PID=
}
trap 'pg_stop; kafka_stop; rm -rf "$D"' EXIT
trap 'exit 130' INT TERM
cd "$D"

awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "{\"click_id\":\"c%d\",\"advertiser\":\"a%d\",\"amount\":0.05}\n", i, i % 7
}' >events.log

cat >sink <<'EOF'
#!/bin/sh
# process an event: append it to the ledger, then acknowledge it
while IFS= read -r ev; do
	printf '%s\n' "$ev" >>ledger
	printf '%s\n' "$ev"
done
EOF
chmod +x sink

# header, row MODE DELIVERED DUPLICATED COMMITTED: the lines of a table
# (lost is what was never delivered).
W=51
header() {
	printf "%-${W}s %9s %6s %10s %9s\n" mode delivered lost duplicated committed
	printf "%-${W}s %9s %6s %10s %9s\n" ---- --------- ---- ---------- ---------
}
row() {
	printf "%-${W}s %9d %6d %10d %9s\n" "$1" "$2" $((N - $2)) "$3" "$4"
}

# scenario MODE STAGES: STAGES follow "logcat -o st/off events.log |"; the
# word CRASH in them marks where "crashat 500 --" goes in the first run.
# The second run, the restart, has no crash.  Each run is its own session,
# so the crash kills that pipeline and nothing else.
scenario() {
	rm -rf st ledger
	mkdir st
	: >ledger
	crash=$(printf '%s\n' "$2" | sed "s/CRASH/crashat $AT --/")
	again=$(printf '%s\n' "$2" | sed 's/CRASH //')
	setsid -w sh -c "logcat -o st/off events.log | $crash >/dev/null" \
	    >/dev/null 2>&1 || true
	# the killed stages release the consumer's lock a moment later
	flock -w 5 st/off.lock true
	setsid -w sh -c "logcat -o st/off events.log | $again >/dev/null" \
	    >/dev/null 2>&1 || true
	# events are told apart by their click_id, whatever the sink was fed
	grep -o '"click_id":"c[0-9]*"' ledger | sort | uniq -c >counts || true
	delivered=$(wc -l <counts)
	dups=$(awk '{ d += $1 - 1 } END { print d + 0 }' counts)
	row "$1" "$delivered" "$dups" "$(cat st/off 2>/dev/null || echo none)"
	PIPES="$PIPES
  $1: logcat -o st/off events.log | $crash"
}

# pg_scenario MODE SCHEMA LOAD: at-least-once into PostgreSQL, the
# recipe of exactly(7): psql runs LOAD once a batch on the table SCHEMA
# made, in a database of its own.  Batches of $B, one transaction each;
# the crash falls right after the transaction of the batch holding offset
# $AT committed and before commit recorded its offset (crashafter kills
# the pipeline as psql exits 0).  The counts are read from the table.
B=500
pg_scenario() {
	rm -rf st
	mkdir st
	PGDATABASE=demo$((DBS += 1))
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $PGDATABASE"
	psql -X -q -v ON_ERROR_STOP=1 -f "$2"
	crash="sed '$PG_CSV' | commit -a -n $B -o st/off -- crashafter $AT -- $PG_PSQL -f $3"
	again="sed '$PG_CSV' | commit -a -n $B -p -o st/off -- $PG_PSQL -f $3"
	setsid -w sh -c "logcat -o st/off events.log | $crash >/dev/null" \
	    >/dev/null 2>&1 || true
	flock -w 5 st/off.lock true
	setsid -w sh -c "logcat -o st/off events.log | $again >/dev/null" \
	    >/dev/null 2>&1 || true
	set -- "$1" $(psql -X -A -t -F ' ' -c 'SELECT count(DISTINCT click_id),
	    count(*) - count(DISTINCT click_id), sum(amount) FROM click_counts')
	row "$1" "$2" "$3" "$(cat st/off 2>/dev/null || echo none)"
	CHARGED="$CHARGED
  $1: $4"
	PIPES="$PIPES
  $1: logcat -o st/off events.log | $crash"
}

header
PIPES=
scenario at-most-once 'commit -b -o st/off -- CRASH ./sink'
scenario at-least-once 'commit -a -o st/off -- CRASH ./sink'
# dedup -w: the killed run's lock on the seen-set may outlive the offset
# file's by a moment.
scenario 'at-least-once + dedup' \
    'dedup -w -s st/seen -k click_id -e -- CRASH ./sink | commit -a -o st/off'
DBS=0
CHARGED=
if pg_start; then
	pg_recipe
	pg_scenario 'at-least-once + plain INSERT (PostgreSQL)' plain.sql load-plain.sql
	pg_scenario 'at-least-once + ON CONFLICT DO NOTHING (PostgreSQL)' clicks.sql load.sql
	pg_stop
else
	echo "PostgreSQL rows left out: $PG_WHY"
fi

# kafka_start: the mock cluster, topic clicks of one partition holding
# events.log, KB its bootstrap servers; or KAFKA_WHY and 1.
kafka_start() {
	KAFKA_WHY=
	if logcat -s 0 kafka:// 2>&1 | grep -q 'no Kafka support'; then
		KAFKA_WHY="the tools were built with KAFKA=no"
	elif [ ! -x "$ROOT/tests/kmock" ] || [ ! -x "$ROOT/tests/kdrive" ]; then
		KAFKA_WHY="tests/kmock and tests/kdrive are not built (make demo builds them)"
	elif ! command -v kcat >/dev/null; then
		KAFKA_WHY="kcat is not installed (make deps)"
	fi
	[ -z "$KAFKA_WHY" ] || return 1
	# the one-host lock of a group's offset: a directory of the demo's
	mkdir -m 700 run
	export XDG_RUNTIME_DIR="$D/run"
	"$ROOT/tests/kmock" -t 600 -c kmock.ctl clicks:1 >kmock.out 2>kmock.err &
	KMOCK_PID=$!
	i=0
	until [ -s kmock.out ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$KMOCK_PID" 2>/dev/null; then
			KAFKA_WHY="the mock cluster did not start: $(head -1 kmock.err)"
			return 1
		fi
		sleep 0.05
	done
	KB=$(head -1 kmock.out)
	if ! kcat -P -b "$KB" -t clicks -p 0 <events.log 2>kcat.err ||
	    [ "$(kcat -Q -b "$KB" -t clicks:0:-1 2>/dev/null | awk '{ print $NF }')" != "$N" ]; then
		KAFKA_WHY="kcat could not produce the events: $(head -1 kcat.err)"
		return 1
	fi
}

# kscenario MODE STAGES: scenario on partition 0 of the topic, the
# consumer's offset a group of its own: STORE in STAGES is its name.  The
# killed run's stages release the group's lock a moment after the crash:
# a commit on no input, in a session of its own, exits 75 until then.
kscenario() {
	G=$((G + 1))
	K="kafka://$KB/clicks/0@demo$G"
	rm -rf st ledger
	mkdir st
	: >ledger
	crash=$(printf '%s
' "$2" | sed "s/CRASH/crashat $AT --/")
	again=$(printf '%s
' "$2" | sed 's/CRASH //')
	setsid -w sh -c "logcat -o '$K' | $(printf '%s
' "$crash" | sed "s|STORE|'$K'|g") >/dev/null" \
	    >/dev/null 2>&1 || true
	i=0
	while setsid -w commit -o "$K" </dev/null >/dev/null 2>&1; [ $? = 75 ]; do
		i=$((i + 1))
		[ $i -le 250 ] || break
		sleep 0.02
	done
	setsid -w sh -c "logcat -o '$K' | $(printf '%s
' "$again" | sed "s|STORE|'$K'|g") >/dev/null" \
	    >/dev/null 2>&1 || true
	grep -o '"click_id":"c[0-9]*"' ledger | sort | uniq -c >counts || true
	delivered=$(wc -l <counts)
	dups=$(awk '{ d += $1 - 1 } END { print d + 0 }' counts)
	row "$1" "$delivered" "$dups" "$("$ROOT/tests/kdrive" committed "$K")"
	PIPES="$PIPES
  $1, Kafka: logcat -o K | $(printf '%s
' "$crash" | sed 's|STORE|K|g')"
}

echo
G=0
if kafka_start; then
	echo "The same on a Kafka topic (partition 0 of clicks, librdkafka's mock cluster):"
	header
	kscenario at-most-once 'commit -b -o STORE -- CRASH ./sink'
	kscenario at-least-once 'commit -a -o STORE -- CRASH ./sink'
	kscenario 'at-least-once + dedup' \
	    'dedup -w -s st/seen -k click_id -e -- CRASH ./sink | commit -a -o STORE'
	KROWS="

On Kafka, K is the partition's offset in a consumer group of each row's own,
kafka://BROKERS/clicks/0@GROUP, and committed is the group's, read back."
	kafka_stop
else
	echo "Kafka rows left out: $KAFKA_WHY"
	KROWS=
fi

cat <<EOF

$N events (offsets 0-$((N - 1))), a crash at offset $AT, then a restart from
the committed offset.  delivered: events the sink processed at least once;
lost: events it never processed; duplicated: times it processed an event
again.  The crashing runs:
$PIPES$KROWS
EOF
if [ -n "$CHARGED" ]; then
	cat <<-EOF

	The PostgreSQL rows are counted from the table with SQL.  Their batches
	are $B events, one transaction each, and the crash falls right after the
	transaction of the batch holding offset $AT committed, before commit
	recorded its offset.  Charged, sum(amount), for $N clicks at 0.05:$CHARGED
	EOF
fi
