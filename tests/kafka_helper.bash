# Kafka for the tests: load after test_helper with `load kafka_helper`.
#
# Each test starts its own mock cluster (tests/kmock.c) with kmock_start,
# and the teardown stops it.  The bootstrap line and every answer to a
# fault command are read from the mock's stdout with a deadline, so a
# test never sleeps and hopes.  The tools are what is tested: logcat
# reads and lists, commit commits; kcat is the independent producer and
# reader, and kdrive (tests/kdrive.c) reads a group's committed offset
# back, which no tool does.

KMOCK="$ROOT/tests/kmock"
# the sanitizer build has its own driver, when it was built
KDRIVE="${EXACTLY_BIN:-$ROOT}/kdrive"
[ -x "$KDRIVE" ] || KDRIVE="$ROOT/tests/kdrive"

# The one-host lock of a Kafka store lives under XDG_RUNTIME_DIR: one per
# test, so tests running in parallel never share one.
export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
unset EXACTLY_KAFKA_CONFIG

kafka_setup() {
	[ -x "$KMOCK" ] && [ -x "$KDRIVE" ] ||
		skip "tests/kmock and tests/kdrive are not built (make check builds them; KAFKA=no does not)"
	command -v kcat >/dev/null || skip "kcat is not installed (make deps)"
}

# kmock_start [-b BROKERS] TOPIC:PARTITIONS...: a mock cluster with those
# topics; sets KB (its bootstrap servers).
kmock_start() {
	KCTL="$BATS_TEST_TMPDIR/kmock.ctl"
	exec {KMOCK_FD}< <(exec "$KMOCK" -t 600 -c "$KCTL" "$@" \
	    2>"$BATS_TEST_TMPDIR/kmock.err" 3>&-)
	KMOCK_PID=$!
	if ! read -r -t 10 -u "$KMOCK_FD" KB || [ -z "$KB" ]; then
		cat "$BATS_TEST_TMPDIR/kmock.err" >&2
		fail "kmock did not start within 10 s"
	fi
}

# kmock COMMAND...: one command (see tests/kmock.c); returns once the mock
# has carried it out.
kmock() {
	local answer

	printf '%s\n' "$*" >"$KCTL"
	read -r -t 10 -u "$KMOCK_FD" answer ||
		fail "kmock: no answer to '$*' within 10 s"
	[ "$answer" = ok ] || fail "kmock: $*: $answer"
}

kmock_stop() {
	holder_stop
	[ -n "${KMOCK_PID:-}" ] || return 0
	kill "$KMOCK_PID" 2>/dev/null
	wait "$KMOCK_PID" 2>/dev/null
	exec {KMOCK_FD}<&-
	KMOCK_PID=
}

# kproduce TOPIC PARTITION [kcat option...]: stdin's lines as messages.
kproduce() {
	local t=$1 p=$2
	shift 2
	kcat -P -b "$KB" -t "$t" -p "$p" "$@"
}

# kcat_read TOPIC PARTITION: every message as OFFSET<TAB>VALUE, by kcat.
kcat_read() {
	kcat -C -b "$KB" -t "$1" -p "$2" -o beginning -e -q -f '%o\t%s\n'
}

# klog TOPIC PARTITION [GROUP]: the kafka:// name of a partition (a store
# with GROUP).
klog() {
	printf 'kafka://%s/%s/%s%s' "$KB" "$1" "$2" "${3:+@$3}"
}

# kconfig LINE...: a librdkafka configuration file for the tools.
kconfig() {
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/kafka.conf"
	export EXACTLY_KAFKA_CONFIG="$BATS_TEST_TMPDIR/kafka.conf"
}

# committed STORE: the group's offset ("none" if it never committed).
committed() {
	"$KDRIVE" committed "$1"
}

# kcommit STORE N: commit N to STORE as a pipeline's commit does, from a
# record at N - 1 (commit -R sets an offset without one).  In a session
# of its own, as every consumer a test runs before another session's:
# a consumer in the test's own process group would hold the store for as
# long as the test runs processes (lock.h).
kcommit() {
	printf '%s\tx\n' $(($2 - 1)) | setsid -w commit -o "$1" >/dev/null
}

# committed_within SECONDS STORE N: wait until the group's offset is N.
committed_within() {
	local deadline=$(( $(date +%s) + $1 ))

	until [ "$(committed "$2")" = "$3" ]; do
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "$2: committed $(committed "$2"), not $3, after $1 s"
		sleep 0.05
	done
}

# within SECONDS CMD...: run CMD and fail if it took longer (a bound the
# tools promise, never a speed).
within() {
	local limit=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"$@"
	local st=$?
	t1=$(date +%s%N)
	if [ $(( (t1 - t0) / 1000000 )) -gt $(( limit * 1000 )) ]; then
		echo "took $(( (t1 - t0) / 1000000 )) ms, more than $limit s" >&2
		return 99
	fi
	return $st
}

# holder_start STORE [VAR=value...]: a consumer of STORE in a session of
# its own (so not a stage of the test's pipelines): commit -b -n 1, which
# commits each record's offset + 1 before it writes the record on.
# holder_send N feeds it the record at N - 1 and answers "committed N"
# once commit wrote it on, or "exit S" once commit has died; holder_end
# (not in a subshell: not under run) closes its input and sets
# HOLD_ANSWER to "exit S".  Its stderr is in holder.err.
holder_start() {
	local store=$1
	shift
	mkfifo "$BATS_TEST_TMPDIR/holder.in"
	exec {HOLD_IN}<>"$BATS_TEST_TMPDIR/holder.in"
	# (it must not hold its own input open; the test runs under set -e,
	# so the status is taken in a condition)
	exec {HOLD_OUT}< <(exec {HOLD_IN}>&-
	    if env "$@" setsid -w commit -b -n 1 -o "$store" \
	    <"$BATS_TEST_TMPDIR/holder.in" 2>"$BATS_TEST_TMPDIR/holder.err" 3>&-
	    then echo "exit 0"; else echo "exit $?"; fi)
}

holder_send() {
	local line
	printf '%s\tx\n' $(($1 - 1)) >&"$HOLD_IN"
	read -r -t 20 -u "$HOLD_OUT" line ||
		fail "holder: no answer to $1 within 20 s"
	case $line in
	"exit "*) HOLD_ANSWER=$line ;;
	"$(($1 - 1))	x") HOLD_ANSWER="committed $1" ;;
	*) fail "holder: '$line' in answer to $1" ;;
	esac
	printf '%s\n' "$HOLD_ANSWER"
}

holder_end() {
	exec {HOLD_IN}>&-
	HOLD_IN=
	read -r -t 20 -u "$HOLD_OUT" HOLD_ANSWER ||
		fail "holder: did not end within 20 s"
	exec {HOLD_OUT}<&-
}

# For the teardown: a holder still running sees the end of its input.
holder_stop() {
	[ -z "${HOLD_IN:-}" ] || exec {HOLD_IN}>&-
	HOLD_IN=
}

# lines_within SECONDS N FILE: wait until FILE has N lines or more.
lines_within() {
	local deadline=$(( $(date +%s) + $1 ))

	while [ "$(wc -l <"$3" 2>/dev/null || echo 0)" -lt "$2" ]; do
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "$3: fewer than $2 lines after $1 s"
		sleep 0.05
	done
}
