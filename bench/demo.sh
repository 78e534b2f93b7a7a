#!/bin/sh
# make demo: the delivery guarantees, run for real and measured.
#
# A log of 1000 events; a consumer whose sink appends every event it
# processes to a ledger; a crash (SIGKILL of the whole pipeline) exactly at
# record 500, put there by crashat; then a restart that resumes from the
# committed offset.  The table is counted from the ledger, not asserted.
# Everything happens in a temporary directory that is removed at the end.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="$ROOT:$PATH"
export LC_ALL=C

N=1000
AT=500
D=$(mktemp -d "${TMPDIR:-/tmp}/exactly-demo.XXXXXX")
trap 'rm -rf "$D"' EXIT
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

printf '%-26s %9s %6s %10s %9s\n' mode delivered lost duplicated committed
printf '%-26s %9s %6s %10s %9s\n' ---- --------- ---- ---------- ---------

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
	printf '%-26s %9d %6d %10d %9s\n' "$1" "$delivered" \
	    $((N - delivered)) "$dups" "$(cat st/off 2>/dev/null || echo none)"
	PIPES="$PIPES
  $1: logcat -o st/off events.log | $crash"
}

PIPES=
scenario at-most-once 'commit -b -o st/off -- CRASH ./sink'
scenario at-least-once 'commit -a -o st/off -- CRASH ./sink'
# dedup -w: the killed run's lock on the seen-set may outlive the offset
# file's by a moment.
scenario 'at-least-once + dedup' \
    'dedup -w -s st/seen -k click_id -e -- CRASH ./sink | commit -a -o st/off'

cat <<EOF

$N events (offsets 0-$((N - 1))), a crash at offset $AT, then a restart from
the committed offset.  delivered: events the sink processed at least once;
lost: events it never processed; duplicated: times it processed an event
again.  The crashing runs:
$PIPES
EOF
