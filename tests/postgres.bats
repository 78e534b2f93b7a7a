#!/usr/bin/env bats
# The seed's other idempotent consumer, run for real: commit -a in batch
# mode with psql as the command, into a PostgreSQL table whose unique
# constraint absorbs the replay (exactly(7), POSTGRESQL).
#
# The file starts a private server of its own (tests/pg.sh: initdb in a
# temporary directory, a Unix socket only, run as the postgres user when
# the tests run as root) and stops it at the end, whatever failed.  Each
# test has a database of its own.  The crash falls exactly between the
# batch's committed transaction and commit's offset write: crashafter
# (tests/bin) kills the pipeline's process group as psql exits 0, or the
# fault shim fails the offset file's rename.  Every count is read back
# from the database with SQL.

load test_helper
. "$BATS_TEST_DIRNAME/pg.sh"

SHIM="$ROOT/tests/faults/shim.so"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

setup_file() {
	pg_start || { echo "postgres.bats: $PG_WHY" >&2; return 1; }
	export PG_BIN PG_DATA PG_SOCK
}

teardown_file() {
	pg_stop
}

setup() {
	export PGDATABASE="t$BATS_TEST_NUMBER"
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $PGDATABASE"
	pg_recipe
}

# sql QUERY: its rows, unaligned, fields separated by a space.
sql() {
	psql -X -A -t -F ' ' -v ON_ERROR_STOP=1 -c "$1"
}

# consume STAGES: one run of "logcat -o off events.log | STAGES" in its own
# session, stderr appended to err; the status in $status.  After a crash,
# wait (with a deadline) until the killed stages let go of the lock.
consume() {
	run setsid -w sh -c "{ logcat -o off events.log | $1; } >>out 2>>err"
	local st=$status
	flock -w 10 off.lock true || fail "the killed pipeline still holds off.lock"
	status=$st
}

# recipe FILE [crash]: the recipe's stages after logcat, psql running
# FILE, -n 500; with "crash", crashafter kills the pipeline once the
# transaction of the batch holding offset 500 committed.
recipe() {
	if [ -n "${2:-}" ]; then
		echo "sed '$PG_CSV' | commit -v -a -n 500 -o off -- crashafter 500 -- $PG_PSQL -f $1"
	else
		echo "sed '$PG_CSV' | commit -v -a -n 500 -p -o off -- $PG_PSQL -f $1"
	fi
}

# charged LINES...: the seed's table, "advertiser clicks amount", for the
# events given as files of log lines (a line given twice is charged twice).
charged() {
	cat "$@" | grep -o '"advertiser":"a[0-9]*"' | cut -d'"' -f4 | sort |
	    uniq -c | awk '{ printf "%s %d %.2f\n", $2, $1, $1 * 0.05 }'
}

# charges: the same table, measured from click_counts.
charges() {
	sql 'SELECT advertiser_id, count(*), sum(amount) FROM click_counts
	    GROUP BY 1 ORDER BY 1'
}

# ids A B: the click_ids cA..cB, sorted as SQL sorts them (bytes).
ids() {
	seqrange "$1" "$2" | sed 's/^/c/' | sort
}

@test "the seed's crash at 500 after its batch's transaction, with the constraint: 1000 rows, every advertiser charged once" {
	mklog 1000 events.log
	psql -X -q -v ON_ERROR_STOP=1 -f clicks.sql
	consume "$(recipe load.sql crash)"
	assert_equal "$status" 137
	# 0-499 committed; 500-999's transaction committed, its offset not
	assert_equal "$(cat off)" 500
	assert_equal "$(sql 'SELECT count(*) FROM click_counts')" 1000
	consume "$(recipe load.sql)"
	assert_equal "$status" 0
	# the restart replayed 500-999 into the table
	grep -q '^commit: 500 records in, 500 out, offset 1000 committed' err ||
	    fail "no replay of 500 records: $(cat err)"
	assert_equal "$(cat off)" 1000
	assert_equal "$(sql 'SELECT count(*), count(DISTINCT click_id) FROM click_counts')" "1000 1000"
	assert_equal "$(sql 'SELECT click_id FROM click_counts ORDER BY 1')" "$(ids 0 999)"
	assert_equal "$(charges)" "$(charged events.log)"
	assert_equal "$(charges | head -n 1)" "a0 143 7.15"
}

@test "the same crash with a plain INSERT and no constraint: the replayed 500-999 charged twice" {
	mklog 1000 events.log
	psql -X -q -v ON_ERROR_STOP=1 -f plain.sql
	consume "$(recipe load-plain.sql crash)"
	assert_equal "$status" 137
	assert_equal "$(cat off)" 500
	assert_equal "$(sql 'SELECT count(*) FROM click_counts')" 1000
	consume "$(recipe load-plain.sql)"
	assert_equal "$status" 0
	assert_equal "$(cat off)" 1000
	assert_equal "$(sql 'SELECT count(*), count(DISTINCT click_id) FROM click_counts')" "1500 1000"
	# exactly 500-999 twice, and nothing else more than once
	assert_equal "$(sql 'SELECT click_id FROM click_counts GROUP BY 1
	    HAVING count(*) = 2 ORDER BY 1')" "$(ids 500 999)"
	assert_equal "$(sql 'SELECT max(n) FROM (SELECT count(*) AS n
	    FROM click_counts GROUP BY click_id) AS c')" 2
	sed -n '501,1000p' events.log >replayed
	assert_equal "$(charges)" "$(charged events.log replayed)"
	assert_equal "$(charges | head -n 1)" "a0 214 10.70"
}

@test "the offset write fails after the batch's transaction: commit exits 74 and the restart's replay is absorbed" {
	[ -f "$SHIM" ] || skip "tests/faults/shim.so is not built (make check builds it)"
	mklog 1000 events.log
	psql -X -q -v ON_ERROR_STOP=1 -f clicks.sql
	# commit's second offset write is batch 500-999's
	consume "sed '$PG_CSV' | env LD_PRELOAD='$SHIM' FAULT_OP=rename FAULT_NTH=2 \
	    FAULT_PATH='$BATS_TEST_TMPDIR/off' FAULT_FIRED='$BATS_TEST_TMPDIR/fired' \
	    commit -a -n 500 -p -o off -- $PG_PSQL -f load.sql"
	assert_equal "$status" 74
	# the temporary file has a name of its own, PATH.tmp.XXXXXXXX
	[[ "$(cut -f2 fired)" =~ ^"$BATS_TEST_TMPDIR"/off\.tmp\.[0-9a-f]{8}\ -\>\ "$BATS_TEST_TMPDIR"/off$ ]]
	[[ "$(cat err)" =~ ^commit:\ rename:\ off\.tmp\.[0-9a-f]{8}\ to\ off:\ Input/output\ error$ ]]
	assert_equal "$(cat off)" 500
	assert_equal "$(sql 'SELECT count(*) FROM click_counts')" 1000
	consume "$(recipe load.sql)"
	assert_equal "$status" 0
	assert_equal "$(cat off)" 1000
	assert_equal "$(sql 'SELECT count(*), count(DISTINCT click_id) FROM click_counts')" "1000 1000"
	assert_equal "$(charges)" "$(charged events.log)"
}

@test "a failing statement stops commit with psql's status: nothing of its batch stored, its offset not committed" {
	mklog 1000 events.log
	# the event at offset 700 has no click_id: NULL into the primary key
	sed -i '701s/"click_id":"c700",//' events.log
	psql -X -q -v ON_ERROR_STOP=1 -f clicks.sql
	consume "$(recipe load.sql)"
	assert_equal "$status" 3
	grep -q 'null value in column "click_id"' err || fail "$(cat err)"
	assert_equal "$(cat off)" 500
	assert_equal "$(sql 'SELECT click_id FROM click_counts ORDER BY 1')" "$(ids 0 499)"
	# every rerun stops at the same batch, and nothing moves
	consume "$(recipe load.sql)"
	assert_equal "$status" 3
	assert_equal "$(cat off)" 500
	assert_equal "$(sql 'SELECT count(*) FROM click_counts')" 500
}

@test "psql that cannot reach its database: commit exits with psql's status 2 and commits nothing" {
	mklog 1000 events.log
	consume "sed '$PG_CSV' | commit -a -n 500 -p -o off -- $PG_PSQL -d nosuchdb -f load.sql"
	assert_equal "$status" 2
	grep -q 'database "nosuchdb" does not exist' err || fail "$(cat err)"
	assert_file_not_exist off
}

# awkward: payloads that COPY's text format, CSV or psql would mangle: a
# backslash before every letter COPY knows, the end-of-data mark \. (with
# and without a CR), TABs, CRs (alone, first, last), quotes, commas, an
# empty payload, JSON escapes, every control byte but LF and NUL, DEL,
# UTF-8 of 2, 3 and 4 bytes, and a payload of 22000 bytes (no btree entry
# holds it); some of them twice.
awkward() {
	printf '%s\n' 'back\slash' '\N' 'NULL' '\.' '\\.' '\' '\\' '\n\t\r\b\f\v\x41\101' \
	    '"' '""' '"quoted"' 'x,y' ',' "it's" ' lead' 'trail ' '' \
	    '{"k":"with \"escapes\", \\ and \ttab"}' '\x' '\x4142' "E'\\\\'"
	printf '\\.\r\n\r\ncr at end\r\n\rcr first\nmid\rcr\na\tb\n\tlead\ntrail\t\n\t\n'
	printf 'caf\303\251 \342\202\254 \360\237\230\200\n'
	printf '\001\002\003\004\005\006\007\010\011\013\014\015\016\017\020'
	printf '\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037\177\n'
	awk 'BEGIN { for (i = 0; i < 2000; i++) printf "\\\t\",\r%06d", i; print "" }'
	printf '%s\n' '\.' '"' '' 'x,y'
}

# back QUERY: the bytes of the one column QUERY returns, one row a line,
# read as hex so that psql's output formatting plays no part.
back() {
	sql "$1" | perl -ne 'chomp; print pack("H*", $_), "\n"'
}

# roundtrip STAGE FILE QUERY: events.log through STAGE and commit's psql
# -f FILE, each record in a batch of its own (the first line of its COPY),
# then all in one batch on a new offset file, a replay of every one; after
# each, the rows QUERY gives as hex must be the log's lines, byte for byte.
roundtrip() {
	LC_ALL=C sort -u events.log >want
	consume "$1 | commit -a -n 1 -p -o off -- $PG_PSQL -f $2"
	assert_equal "$status" 0
	assert_equal "$(cat off)" "$(wc -l <events.log)"
	back "$3" | sort >got
	cmp want got
	rm off
	consume "$1 | commit -a -p -o off -- $PG_PSQL -f $2"
	assert_equal "$status" 0
	back "$3" | sort >got
	cmp want got
}

@test "payloads with every awkward byte round-trip exactly through CSV and a text table" {
	awkward >events.log
	psql -X -q -v ON_ERROR_STOP=1 -f events.sql
	roundtrip "sed '$PG_CSV'" load-events.sql \
	    "SELECT encode(convert_to(payload, 'UTF8'), 'hex') FROM events"
	assert_equal "$(sql 'SELECT max(length(payload)) FROM events')" 22000
}

@test "a NUL or invalid UTF-8, which text cannot hold, fails the batch: nothing stored, nothing committed" {
	# psql cuts a line at a NUL: two such records in one batch would
	# otherwise be stored as one row made of three records
	printf 'a\0x\nb\0y\nc\n' >events.log
	psql -X -q -v ON_ERROR_STOP=1 -f events.sql
	consume "sed '$PG_CSV' | commit -a -p -o off -- $PG_PSQL -f load-events.sql"
	assert_equal "$status" 3
	grep -q 'extra data after last expected column' err || fail "$(cat err)"
	assert_file_not_exist off
	assert_equal "$(sql 'SELECT count(*) FROM events')" 0
	# a new log, so a new consumer
	rm -f off off.* err
	printf 'ok\nbad \377\300\200 bytes\nok too\n' >events.log
	consume "sed '$PG_CSV' | commit -a -p -o off -- $PG_PSQL -f load-events.sql"
	assert_equal "$status" 3
	grep -q 'invalid byte sequence for encoding "UTF8"' err || fail "$(cat err)"
	assert_file_not_exist off
	assert_equal "$(sql 'SELECT count(*) FROM events')" 0
}

@test "as bytea in hex, every byte round-trips exactly: NUL and invalid UTF-8 too" {
	{
		awkward
		printf 'a\0x\nb\0y\n\0\n\0\0\0\nnul at end\0\n'
		printf '\377\n\300\200\n\303\n\355\240\200\n\364\220\200\200\n'
		# every byte value but LF on one line
		perl -e 'print map(chr, grep { $_ != 10 } 0 .. 255), "\n"'
	} >events.log
	psql -X -q -v ON_ERROR_STOP=1 -f raw.sql
	roundtrip "perl -pe '$PG_HEX'" load-raw.sql \
	    "SELECT encode(payload, 'hex') FROM raw_events"
	assert_equal "$(sql 'SELECT count(*) FROM raw_events WHERE length(payload) = 255')" 1
}

@test "exactly(7) and README.md show the recipe these tests run" {
	mandoc -Tascii -O width=250 "$ROOT/man/exactly.7" | sed "s/.\x08//g; s/^ *//" >page
	local f line
	for f in clicks.sql load.sql events.sql load-events.sql raw.sql load-raw.sql; do
		sed 's/^ *//' "$f" | while IFS= read -r line; do
			grep -qxF -- "$line" page ||
			    fail "exactly(7) lacks this line of $f: $line"
		done
	done
	for line in "sed '$PG_CSV' |" "perl -pe '$PG_HEX' |" \
	    "commit -a -n 10000 -p -o st/off -- $PG_PSQL -f load.sql"; do
		grep -qF -- "$line" page || fail "exactly(7) lacks: $line"
	done
	# and README.md its short form
	sed 's/^ *//' "$ROOT/README.md" >readme
	{ sed 's/^ *//' load.sql; echo "sed '$PG_CSV' |"
	  echo "commit -a -n 10000 -p -o st/off -- $PG_PSQL -f load.sql"; } |
	    while IFS= read -r line; do
		grep -qxF -- "$line" readme || fail "README.md lacks: $line"
	    done
}
