#!/bin/sh
# dedup against PostgreSQL, the last reference of DESIGN.md section 7, on
# the 2M events of bench/30-dedup.sh (1.8M distinct click_ids), and the
# throughput of exactly(7)'s PostgreSQL recipe.
#   - PostgreSQL: the click_ids loaded with COPY into a temporary table and
#     inserted into a PRIMARY KEY table with INSERT ... ON CONFLICT DO
#     NOTHING, one psql, one transaction, durable defaults (fsync,
#     synchronous_commit), the server's data on the disk of dedup's set.
#     The reference at its best: the ids are cut out beforehand, untimed;
#     shared_buffers and temp_buffers of 1 GB and a max_wal_size of 8 GB,
#     so that nothing spills or checkpoints mid-transaction.  A new table,
#     then again over the same ids (all duplicates).
#   - dedup -k click_id on the tagged records logcat writes, its seen-set
#     durable on the same disk: a new set, then again.
#   - the recipe: logcat | sed | commit -a -n 10000 -p -- psql -f load.sql
#     into the seed's click_counts, keyed by the JSON field click_id: one
#     psql and one transaction a batch.  One run; its rows are checked.
# The server is private (tests/pg.sh) and stopped at the end.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/pg.sh"

F=$BENCH_DIR/events.log
events 2000000 "$F"
T=$(mktemp -d "$BENCH_DIR/postgres.XXXXXX")
trap 'pg_stop; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
logcat "$F" >"$T/tagged"
cut -d'"' -f4 "$F" >"$T/ids"
distinct=$(sort -u "$T/ids" | wc -l)

PG_OPTS="-c shared_buffers=1GB -c max_wal_size=8GB" pg_start "$BENCH_DIR" ||
    { echo "bench: PostgreSQL: $PG_WHY" >&2; exit 1; }
cd "$T"
pg_recipe
q() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}
cat >ref.sql <<'EOF'
SET temp_buffers = '1GB';
BEGIN;
CREATE TEMP TABLE batch (id text) ON COMMIT DROP;
\copy batch FROM pstdin
INSERT INTO seen SELECT id FROM batch ON CONFLICT DO NOTHING;
COMMIT;
EOF

# once CMD: wall time of a single run.
once() {
	t0=$(date +%s.%N)
	sh -c "$1" >/dev/null
	t1=$(date +%s.%N)
	printf '%.4f\n' "$(echo "$t1 - $t0" | bc -l)"
}

q -c 'CREATE TABLE seen (id text PRIMARY KEY)'
pg1_s=$(once "psql -X -q -v ON_ERROR_STOP=1 -f ref.sql <ids")
pg2_s=$(once "psql -X -q -v ON_ERROR_STOP=1 -f ref.sql <ids")
[ "$(q -c 'SELECT count(*) FROM seen')" = "$distinct" ] ||
    { echo "bench: PostgreSQL holds $(q -c 'SELECT count(*) FROM seen') ids, not $distinct" >&2; exit 1; }

d1_s=$(seconds "rm -rf set; dedup -s set -k click_id <tagged")
dedup -s set2 -k click_id <tagged >/dev/null
d2_s=$(seconds "dedup -s set2 -k click_id <tagged")
[ "$(dedup -s check -k click_id <tagged | wc -l)" = "$distinct" ] ||
    { echo "bench: dedup passed other than $distinct records" >&2; exit 1; }

q -f clicks.sql
r_s=$(once "logcat -o off '$F' | sed '$PG_CSV' | commit -a -n 10000 -p -o off -- $PG_PSQL -f load.sql")
[ "$(cat off)" = 2000000 ] && [ "$(q -c 'SELECT count(*) FROM click_counts')" = "$distinct" ] ||
    { echo "bench: the recipe stored $(q -c 'SELECT count(*) FROM click_counts') rows, offset $(cat off)" >&2; exit 1; }


echo "dedup against PostgreSQL $(q -c 'SHOW server_version'): 2M events, $distinct distinct click_ids; best of 3 (PostgreSQL and the recipe: one run)"
row "PostgreSQL COPY + ON CONFLICT, new table" "$pg1_s" "$pg1_s" ""
row "PostgreSQL, again: all duplicates" "$pg2_s" "$pg1_s" ""
row "dedup -k click_id, new set" "$d1_s" "$pg1_s" ""
row "dedup -k click_id, again: all duplicates" "$d2_s" "$pg1_s" ""
echo "speed-up of dedup (PostgreSQL's time over dedup's):"
value "new set, against PostgreSQL" "$(ratio "$pg1_s" "$d1_s")" "x faster" ">=" 5
echo "  all duplicates: $(ratio "$pg2_s" "$d2_s") x PostgreSQL's speed (no target)"
echo "the recipe of exactly(7), sed | commit -a -n 10000 -p -- psql -f load.sql:"
printf '  %-40s %8.0f rows/s   (%s x the reference'"'"'s rate)\n' \
    "2M rows offered, $distinct stored" "$(echo "2000000 / $r_s" | bc -l)" \
    "$(ratio "$pg1_s" "$r_s")"
