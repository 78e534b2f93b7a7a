# A private PostgreSQL server for tests/postgres.bats, make demo and
# make bench: sourced (by sh or bash), not run.
#
#   pg_start [PARENT]  initdb in a new directory under PARENT (default
#                      $TMPDIR, or /tmp if the server's user cannot enter
#                      $TMPDIR) and start a server listening on a
#                      Unix socket only, with trust authentication for the
#                      role "exactly".  Extra server settings may be given
#                      in PG_OPTS ("-c name=value ...").  Exports PGHOST,
#                      PGPORT, PGUSER and PGDATABASE=postgres, so that psql
#                      needs no options to reach it.  On failure it stops
#                      what it started, leaves the reason in PG_WHY (one
#                      line) and returns 1.
#   pg_stop            stop the server and remove its directories; safe to
#                      call twice, after a failed start, or with none.
#
# initdb and the server refuse to run as root: as root they run as the
# postgres user (runuser), in directories that user owns.  Every wait is
# bounded: pg_ctl -w -t gives the start and the stop a deadline, and a
# server that outlives its stop is killed.

PG_WHY=${PG_WHY:-}
PG_DATA=${PG_DATA:-}
PG_SOCK=${PG_SOCK:-}

# pg_bindir: the directory of initdb and pg_ctl: $PG_BINDIR, PATH, or the
# newest of Debian's /usr/lib/postgresql/*/bin.
pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		printf '%s\n' "$PG_BINDIR"
	elif command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
	else
		_pg_b=
		for _pg_d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null |
		    sort -t/ -k4,4n); do
			[ -x "$_pg_d/initdb" ] && _pg_b=$_pg_d
		done
		[ -n "$_pg_b" ] && printf '%s\n' "$_pg_b"
	fi
}

# pg_as CMD...: run CMD as the server's owner.
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	PG_WHY=
	if ! PG_BIN=$(pg_bindir) || ! [ -x "$PG_BIN/initdb" ]; then
		PG_WHY="PostgreSQL is not installed (no initdb found); make deps installs it"
		return 1
	fi
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		PG_WHY="running as root and there is no postgres user to run the server"
		return 1
	fi
	PG_DATA=$(mktemp -d "${1:-${TMPDIR:-/tmp}}/exactly-pg.XXXXXX") ||
	    { PG_WHY="cannot make a directory for the server"; return 1; }
	# a socket's path is at most 107 bytes: a long PARENT gets its
	# socket in a directory of its own under /tmp
	if [ ${#PG_DATA} -le 80 ]; then
		PG_SOCK=$PG_DATA
	else
		PG_SOCK=$(mktemp -d /tmp/exactly-pgsock.XXXXXX) ||
		    { PG_WHY="cannot make a directory for the socket"; pg_stop; return 1; }
	fi
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$PG_DATA" "$PG_SOCK"
	fi
	if ! pg_as test -w "$PG_DATA"; then
		PG_WHY="the postgres user cannot write to $PG_DATA (give pg_start a directory it can enter)"
		pg_stop
		# a private $TMPDIR: /tmp will do, unless it was asked for
		[ -z "${1:-}" ] && [ "${TMPDIR:-/tmp}" != /tmp ] &&
		    pg_start /tmp
		return
	fi
	# UTF8 as almost every real database; no locale, so that sorting is
	# by bytes and initdb needs no locale installed
	if ! pg_as "$PG_BIN/initdb" -N -A trust -E UTF8 --no-locale \
	    -U exactly -D "$PG_DATA/data" >"$PG_SOCK/initdb.log" 2>&1; then
		PG_WHY="initdb failed: $(tail -n 1 "$PG_SOCK/initdb.log")"
		pg_stop
		return 1
	fi
	if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -l "$PG_DATA/log" -w -t 60 \
	    -o "-k $PG_SOCK -c listen_addresses='' ${PG_OPTS:-}" start >/dev/null 2>&1; then
		# its last error, else the last line of its log
		PG_WHY=$(sed -n 's/.*\(FATAL\|PANIC\|ERROR\): *//p' \
		    "$PG_DATA/log" 2>/dev/null | tail -n 1)
		[ -n "$PG_WHY" ] ||
		    PG_WHY=$(tail -n 1 "$PG_DATA/log" 2>/dev/null || echo "no log")
		PG_WHY="the server did not start: $PG_WHY"
		pg_stop
		return 1
	fi
	unset PGHOSTADDR PGSERVICE PGSERVICEFILE PGOPTIONS PGPASSWORD
	PGHOST=$PG_SOCK PGPORT=5432 PGUSER=exactly PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE
}

pg_stop() {
	PG_BIN=${PG_BIN:-$(pg_bindir || :)}
	if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/data/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -m fast -w -t 30 stop \
		    >/dev/null 2>&1 ||
		    pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -m immediate -w -t 10 stop \
		    >/dev/null 2>&1 ||
		    kill -KILL "$(head -n 1 "$PG_DATA/data/postmaster.pid")" 2>/dev/null
	fi
	[ -n "$PG_DATA" ] && rm -rf "$PG_DATA"
	[ -n "$PG_SOCK" ] && rm -rf "$PG_SOCK"
	PG_DATA= PG_SOCK=
	return 0
}

# The recipe of exactly(7), section POSTGRESQL, as the tests, the demo and
# the bench run it (tests/postgres.bats checks that the page shows these
# very lines).  PG_CSV quotes each tagged record's payload as a CSV field
# (a NUL made into a second field, which COPY refuses); PG_HEX writes it as
# bytea's hex form instead; PG_PSQL is commit's command, given -f FILE.
PG_CSV='s/"/""/g; s/\x00/","/g; s/\t/&"/; s/$/"/'
PG_HEX='s/\t(.*)/"\t\\x" . unpack("H*", $1)/e'
PG_PSQL='psql -X -q -v ON_ERROR_STOP=1'

# pg_recipe: its SQL files, in the current directory.  clicks.sql and
# load.sql are the seed's table keyed by a JSON field; plain.sql and
# load-plain.sql the same table without the constraint and with a plain
# INSERT; events.sql and load-events.sql the whole payload as the key;
# raw.sql and load-raw.sql any bytes, as bytea.
pg_recipe() {
	cat >clicks.sql <<-'EOF'
	CREATE TABLE click_counts (
	    click_id      text PRIMARY KEY,
	    advertiser_id text NOT NULL,
	    amount        numeric NOT NULL
	);
	EOF
	cat >load.sql <<-'EOF'
	SET client_encoding = 'UTF8';
	BEGIN;
	CREATE TEMP TABLE batch (payload text) ON COMMIT DROP;
	\copy batch FROM pstdin (FORMAT csv)
	INSERT INTO click_counts (click_id, advertiser_id, amount)
	    SELECT e->>'click_id', e->>'advertiser', (e->>'amount')::numeric
	    FROM (SELECT payload::jsonb AS e FROM batch) AS b
	    ON CONFLICT (click_id) DO NOTHING;
	COMMIT;
	EOF
	cat >plain.sql <<-'EOF'
	CREATE TABLE click_counts (
	    click_id      text,
	    advertiser_id text NOT NULL,
	    amount        numeric NOT NULL
	);
	EOF
	cat >load-plain.sql <<-'EOF'
	SET client_encoding = 'UTF8';
	BEGIN;
	CREATE TEMP TABLE batch (payload text) ON COMMIT DROP;
	\copy batch FROM pstdin (FORMAT csv)
	INSERT INTO click_counts (click_id, advertiser_id, amount)
	    SELECT e->>'click_id', e->>'advertiser', (e->>'amount')::numeric
	    FROM (SELECT payload::jsonb AS e FROM batch) AS b;
	COMMIT;
	EOF
	cat >events.sql <<-'EOF'
	CREATE TABLE events (
	    payload text NOT NULL,
	    EXCLUDE USING hash (payload WITH =)
	);
	EOF
	cat >load-events.sql <<-'EOF'
	SET client_encoding = 'UTF8';
	BEGIN;
	CREATE TEMP TABLE batch (payload text) ON COMMIT DROP;
	\copy batch FROM pstdin (FORMAT csv)
	INSERT INTO events (payload) SELECT payload FROM batch
	    ON CONFLICT DO NOTHING;
	COMMIT;
	EOF
	cat >raw.sql <<-'EOF'
	CREATE TABLE raw_events (
	    payload bytea NOT NULL,
	    EXCLUDE USING hash (payload WITH =)
	);
	EOF
	cat >load-raw.sql <<-'EOF'
	BEGIN;
	CREATE TEMP TABLE batch (payload bytea) ON COMMIT DROP;
	\copy batch FROM pstdin (FORMAT csv)
	INSERT INTO raw_events (payload) SELECT payload FROM batch
	    ON CONFLICT DO NOTHING;
	COMMIT;
	EOF
}
