# Kafka for the tests: load after test_helper with `load kafka_helper`.
#
# Each test starts its own mock cluster (tests/kmock.c) with kmock_start,
# and the teardown stops it.  The bootstrap line and every answer to a
# fault command are read from the mock's stdout with a deadline, so a
# test never sleeps and hopes.  kcat is the independent producer and
# reader; kdrive (tests/kdrive.c) drives lib/kafka as the tools will.

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

# committed STORE: the group's offset as our reader sees it ("none").
committed() {
	"$KDRIVE" committed "$1"
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
# its own (so not a stage of the test's pipelines), committing each offset
# holder_send gives it.  holder_send answers "committed N", or "exit S"
# once it has died; holder_end (not in a subshell: not under run) closes
# its input and sets HOLD_ANSWER to "exit S".
holder_start() {
	local store=$1
	shift
	mkfifo "$BATS_TEST_TMPDIR/holder.in"
	exec {HOLD_IN}<>"$BATS_TEST_TMPDIR/holder.in"
	# (it must not hold its own input open; the test runs under set -e,
	# so the status is taken in a condition)
	exec {HOLD_OUT}< <(exec {HOLD_IN}>&-
	    if env "$@" setsid -w "$KDRIVE" commit "$store" \
	    <"$BATS_TEST_TMPDIR/holder.in" 2>"$BATS_TEST_TMPDIR/holder.err" 3>&-
	    then echo "exit 0"; else echo "exit $?"; fi)
}

holder_send() {
	printf '%s\n' "$1" >&"$HOLD_IN"
	read -r -t 20 -u "$HOLD_OUT" HOLD_ANSWER ||
		fail "holder: no answer to $1 within 20 s"
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
