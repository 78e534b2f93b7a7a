#!/usr/bin/env bats
# A Kafka partition as a log and a consumer group as an offset store
# (DESIGN.md section 8), through the tools themselves, against librdkafka's
# mock cluster (tests/kmock.c): logcat reads and lists, commit commits,
# dedup and crashat sit between them as on a file.  kcat produces and
# reads back on its own; kdrive reads a group's committed offset back.

load test_helper
load kafka_helper

setup() {
	kafka_setup
}

teardown() {
	kmock_stop
}

# ---- names and configuration: usage errors, before any network

@test "kafka: a malformed name is a usage error naming the part" {
	run -2 --separate-stderr logcat -s 0 kafka://
	assert_output ""
	[[ "$stderr" == *"kafka://: no topic"* ]]
	run -2 --separate-stderr logcat -s 0 kafka:///t/0
	[[ "$stderr" == *"no brokers"* ]]
	run -2 --separate-stderr logcat -s 0 kafka://k1/t/0
	[[ "$stderr" == *"broker 'k1': expected host:port"* ]]
	run -2 --separate-stderr logcat -s 0 kafka://k1:9092,k2:0/t/0
	[[ "$stderr" == *"broker 'k2:0'"* ]]
	run -2 --separate-stderr logcat -s 0 kafka://k1:9092,/t/0
	[[ "$stderr" == *"broker ''"* ]]
	run -2 --separate-stderr logcat -s 0 'kafka://k1:9092/t!x/0'
	[[ "$stderr" == *"topic 't!x'"* ]]
	run -2 --separate-stderr logcat -s 0 kafka://k1:9092/t/01
	[[ "$stderr" == *"partition '01'"* ]]
	run -2 --separate-stderr logcat -s 0 kafka://k1:9092/t/-1
	[[ "$stderr" == *"partition '-1'"* ]]
	run -2 --separate-stderr logcat -s 0 kafka://k1:9092/t/2147483648
	[[ "$stderr" == *"partition '2147483648'"* ]]
	run -2 --separate-stderr logcat -s 0 kafka://k1:9092/t
	[[ "$stderr" == *"no partition"* ]]
	run -2 --separate-stderr logcat -s 0 kafka://k1:9092/t/0@g
	[[ "$stderr" == *"a log names no group"* ]]
	# a store needs its group, and names its partition
	run -2 --separate-stderr logcat -o kafka://k1:9092/t/0
	[[ "$stderr" == *"kafka://k1:9092/t/0: no group"* ]]
	run -2 --separate-stderr commit -o kafka://k1:9092/t/0 -R 1
	[[ "$stderr" == *"no group"* ]]
	run -2 --separate-stderr commit -o kafka://k1:9092/t/0@ -R 1
	[[ "$stderr" == *"empty group"* ]]
	run -2 --separate-stderr commit -o kafka://k1:9092/t@g </dev/null
	[[ "$stderr" == *"no partition (expected kafka://BROKERS/TOPIC/PARTITION@GROUP)"* ]]
	run -2 --separate-stderr logcat -L kafka://k1:9092/t/x
	[[ "$stderr" == *"partition 'x'"* ]]
	# two partitions are two logs
	run -2 --separate-stderr logcat -s 0 kafka://k1:9092/t/0 kafka://k1:9092/t/1
	[[ "$stderr" == *"a Kafka partition is a log of its own: give it alone"* ]]
}

@test "kafka: a bad property is a usage error naming file, line and key" {
	kconfig "# timeouts" "" "socket.timeout.ms = 2000" "no.such.key=1"
	run -2 --separate-stderr logcat -s 0 kafka://127.0.0.1:1/t/0
	assert_output ""
	[[ "$stderr" == *"EXACTLY_KAFKA_CONFIG=$EXACTLY_KAFKA_CONFIG: line 4: no.such.key: No such configuration property"* ]]
	kconfig "socket.timeout.ms=soon"
	run -2 --separate-stderr logcat -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"line 1: socket.timeout.ms: Invalid value"* ]]
	kconfig "socket.timeout.ms"
	run -2 --separate-stderr logcat -L kafka://127.0.0.1:1/t
	[[ "$stderr" == *"line 1: expected key=value"* ]]
	kconfig "enable.auto.commit=true"
	run -2 --separate-stderr logcat -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"line 1: enable.auto.commit: set by the tools"* ]]
	for key in bootstrap.servers group.id auto.offset.reset isolation.level \
	    enable.auto.offset.store group.instance.id; do
		kconfig "$key=x"
		run -2 --separate-stderr commit -o kafka://127.0.0.1:1/t/0@g -R 5
		[[ "$stderr" == *"line 1: $key: set by the tools"* ]]
	done
	export EXACTLY_KAFKA_CONFIG="$BATS_TEST_TMPDIR/missing.conf"
	run -2 --separate-stderr logcat -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"EXACTLY_KAFKA_CONFIG=$BATS_TEST_TMPDIR/missing.conf: No such file"* ]]
}

# ---- reading a partition

@test "kafka: a partition reads as tagged records, offsets as kcat sees them" {
	kmock_start t:2
	mklog 50 log
	kproduce t 1 <log
	run -0 --separate-stderr logcat -s 0 "$(klog t 1)"
	assert_output "$(tagged 0 50)"
	assert_output "$(kcat_read t 1)"
	assert_equal "$stderr" ""
	run -0 logcat -s 47 "$(klog t 1)"
	assert_output "$(tagged 47 3)"
	run -0 logcat -s 10 -n 3 "$(klog t 1)"
	assert_output "$(tagged 10 3)"
	run -0 logcat -p -s 48 "$(klog t 1)"
	assert_output "$(tail -2 log)"
	# no -s: from the first offset, as a file log from 0
	run -0 logcat -n 2 "$(klog t 1)"
	assert_output "$(tagged 0 2)"
	# the end, and an empty partition: nothing, at once
	run -0 logcat -s 50 "$(klog t 1)"
	assert_output ""
	run -0 logcat -s 0 "$(klog t 0)"
	assert_output ""
	# a reader gone is a quiet stop, as for files; a full disk is not
	run -0 --separate-stderr bash -c 'logcat -s 0 "$1" 2>err | head -1; echo "${PIPESTATUS[0]}" >status' _ "$(klog t 1)"
	assert_output "$(tagged 0 1)"
	assert_equal "$(cat err)" ""
	[[ "$(cat status)" == 0 || "$(cat status)" == 141 ]]
	run -74 --separate-stderr bash -c 'logcat -s 0 "$1" >/dev/full' _ "$(klog t 1)"
	[[ "$stderr" == *"stdout"* ]]
}

@test "kafka: every byte but LF passes: TAB, CR, NUL, invalid UTF-8, empty, null" {
	kmock_start t:1
	printf 'a\tb|c\rd|e\000f|\377\376|' | kproduce t 0 -D '|'
	kmock batch t 0 2 0: 1         # 4: empty, 5: null (a tombstone)
	kcat -C -b "$KB" -t t -p 0 -e -q -f '%o %S\n' >sizes
	logcat -s 0 "$(klog t 0)" >got
	printf '0\ta\tb\n1\tc\rd\n2\te\000f\n3\t\377\376\n4\t\n5\t\n' >want
	cmp got want
	run cat sizes
	assert_output "$(printf '0 3\n1 3\n2 3\n3 2\n4 0\n5 -1')"
}

# gaps_topic: offsets with gaps, as a real cluster leaves them: records
# at 0-2, 4-6, 9 and 11; 3 and 12 transaction markers, 7-8 and 10
# compacted away.  Payloads 5 and 9 repeat 0 and 1 (for dedup); the end
# is 13.
gaps_topic() {
	printf 'a\nb\nc\n' | kproduce t 0      # 0-2
	kmock marker t 0 commit                 # 3
	printf 'd\na\n' | kproduce t 0         # 4-5
	kmock batch t 0 5 0:x 3:b               # 6-10: x at 6, b at 9
	printf 'f\n' | kproduce t 0            # 11
	kmock marker t 0 commit                 # 12
}

@test "kafka: offset gaps (transaction markers, compaction) are passed over" {
	kmock_start t:1
	gaps_topic
	run -0 logcat -s 0 "$(klog t 0)"
	assert_output "$(printf '0\ta\n1\tb\n2\tc\n4\td\n5\ta\n6\tx\n9\tb\n11\tf')"
	assert_output "$(kcat_read t 0)"
	# starting on a gap starts at the next record; -n counts records
	run -0 logcat -s 3 -n 1 "$(klog t 0)"
	assert_output "$(printf '4\td')"
	run -0 logcat -s 5 -n 3 "$(klog t 0)"
	assert_output "$(printf '5\ta\n6\tx\n9\tb')"
	run -0 logcat -s 7 "$(klog t 0)"
	assert_output "$(printf '9\tb\n11\tf')"
	# the end is past the trailing marker, and is no error
	run -0 logcat -s 12 "$(klog t 0)"
	assert_output ""
	run -0 logcat -s 13 "$(klog t 0)"
	assert_output ""
	run -0 logcat -L "kafka://$KB/t"
	assert_output "$(printf 'kafka://%s/t/0\t0\t13\t-\t-' "$KB")"
	# -R onto a gap: the group reads on from the next record
	run -0 commit -o "$(klog t 0 g)" -R 7
	run -0 logcat -o "$(klog t 0 g)"
	assert_output "$(printf '9\tb\n11\tf')"
}

@test "kafka: a value holding an LF stops logcat before it (65, offset named)" {
	kmock_start t:1
	printf 'a|b|c\nd|e|' | kproduce t 0 -D '|'
	run -65 --separate-stderr logcat -s 0 "$(klog t 0)"
	assert_output "$(printf '0\ta\n1\tb')"
	[[ "$stderr" == *"the message at offset 2 holds an LF byte"*"commit -R 3"* ]]
	# in a pipeline: what came before is committed, the remedy works
	store=$(klog t 0 g)
	run -65 --separate-stderr bash -c 'set -o pipefail; logcat -o "$1" | commit -a -o "$1"' _ "$store"
	assert_output "$(printf '0\ta\n1\tb')"
	[[ "$stderr" == *"offset 2 holds an LF byte"* ]]
	run -0 committed "$store"
	assert_output 2
	run -0 commit -o "$store" -R 3
	run -0 bash -c 'logcat -o "$1" | commit -a -o "$1"' _ "$store"
	assert_output "$(printf '3\te')"
	run -0 committed "$store"
	assert_output 4
}

@test "kafka: an offset past the end is exit 65 unless -r says where to go" {
	kmock_start t:1
	mklog 5 log
	kproduce t 0 <log
	run -65 --separate-stderr logcat -s 6 "$(klog t 0)"
	assert_output ""
	[[ "$stderr" == *"$(klog t 0): -s 6: offset is beyond the end of the partition, which ends at offset 5 (-r earliest or latest to go on)"* ]]
	run -0 --separate-stderr logcat -r latest -s 6 "$(klog t 0)"
	assert_output ""
	[[ "$stderr" == *"-r latest: starting at offset 5"* ]]
	run -0 --separate-stderr logcat -r earliest -s 6 "$(klog t 0)"
	assert_output "$(tagged 0 5)"
	# a group's offset past the end (commit -R 9): the same, named so
	store=$(klog t 0 g)
	run -0 commit -o "$store" -R 9
	run -65 --separate-stderr logcat -o "$store"
	[[ "$stderr" == *"$store: committed offset 9 is beyond the end of the partition, which ends at offset 5"* ]]
	run -0 committed "$store"
	assert_output 9
}

# The mock keeps about 5 MB a partition: 6 MB of 1 kB messages move its
# first offset on, as retention would.
@test "kafka: an offset below the first retained follows -r (65 names the gone range)" {
	kmock_start t:1
	awk 'BEGIN { s = sprintf("%1000s", ""); for (i = 0; i < 6000; i++) print i s }' |
	    kproduce t 0 -X batch.num.messages=100
	first=$(kcat -Q -b "$KB" -t t:0:-2 | awk '{ print $NF }')
	[ "$first" -gt 0 ]
	[ "$first" -lt 6000 ]
	run -65 --separate-stderr logcat -s 10 "$(klog t 0)"
	assert_output ""
	[[ "$stderr" == *"offsets 10-$((first - 1)) ($((first - 10)) offsets) are gone: the partition now begins at offset $first (-s 10: offset; -r earliest or latest"* ]]
	run -0 --separate-stderr logcat -r earliest -s 10 -n 1 -p "$(klog t 0)"
	[ "$(printf '%s' "$output" | awk '{ print $1 }')" = "$first" ]
	[[ "$stderr" == *"-r earliest: starting at offset $first"* ]]
	run -0 --separate-stderr logcat -r latest -s 10 "$(klog t 0)"
	assert_output ""
	[[ "$stderr" == *"-r latest: starting at offset 6000"* ]]
	# a group that never committed starts at the first, with no word
	run -0 --separate-stderr logcat -n 1 -o "$(klog t 0 g)"
	[ "$(printf '%s' "$output" | cut -f1)" = "$first" ]
	assert_equal "$stderr" ""
	# a group whose offset retention passed: 65, nothing committed
	run -0 commit -o "$(klog t 0 h)" -R 10
	run -65 --separate-stderr bash -c 'set -o pipefail; logcat -o "$1" | commit -a -o "$1"' _ "$(klog t 0 h)"
	assert_output ""
	[[ "$stderr" == *"$(klog t 0 h): committed offset 10; -r earliest or latest"* ]]
	run -0 committed "$(klog t 0 h)"
	assert_output 10
}

# A slow reader that retention overtakes: its queue kept small, its
# output a pipe nobody reads, 6 MB produced behind it.  What it read is
# written out; then -r decides about what is gone.
@test "kafka: retention passing a slow reader follows -r, after what it read" {
	kmock_start t:1
	awk 'BEGIN { s = sprintf("%1000s", ""); for (i = 0; i < 2000; i++) print i s }' |
	    kproduce t 0 -X batch.num.messages=100
	kconfig "queued.min.messages=1" "queued.max.messages.kbytes=1"
	mkfifo pipe
	logcat -s 0 -p "$(klog t 0)" >pipe 2>err 3>&- &
	reader=$!
	exec {slow}<pipe
	# its first record: it is open, and soon blocked on the pipe
	read -r line <&"$slow"
	awk 'BEGIN { s = sprintf("%1000s", ""); for (i = 2000; i < 8000; i++) print i s }' |
	    kproduce t 0 -X batch.num.messages=100
	first=$(kcat -Q -b "$KB" -t t:0:-2 | awk '{ print $NF }')
	[ "$first" -gt 2000 ]
	{ printf '%s\n' "$line"; cat <&"$slow"; } >got
	exec {slow}<&-
	run -65 wait "$reader"
	read -r last _ < <(tail -1 got)
	[ "$last" -lt 2000 ]
	run awk '{ print $1 }' got
	assert_output "$(seq 0 "$last")"
	run cat err
	assert_output "logcat: $(klog t 0): offsets $((last + 1))-$((first - 1)) ($((first - last - 1)) offsets) are gone: the partition now begins at offset $first (-s 0: offset; -r earliest or latest to go on)"
}

@test "kafka: without -F logcat stops at the end the partition had at open" {
	kmock_start t:1
	printf '0\n1\n2\n' | kproduce t 0 -X batch.num.messages=1
	kmock rtt 1 300         # one fetch per batch: 300 ms each
	logcat -s 0 "$(klog t 0)" >got 3>&- &
	reader=$!
	lines_within 20 1 got   # it is open: its end is set
	printf '3\n4\n' | kproduce t 0
	wait "$reader"
	run cat got
	assert_output "$(printf '0\t0\n1\t1\n2\t2')"
	kmock rtt 1 0
	run -0 logcat -s 3 "$(klog t 0)"
	assert_output "$(printf '3\t3\n4\t4')"
}

@test "kafka: -F follows the partition until a signal; -n ends it" {
	kmock_start t:1
	mklog 3 log
	kproduce t 0 <log
	logcat -F -s 1 "$(klog t 0)" >got 3>&- &
	reader=$!
	lines_within 20 2 got
	mklog 2 more 3
	kproduce t 0 <more
	lines_within 20 4 got
	kill -TERM "$reader"
	wait "$reader"
	run cat got
	assert_output "$(tagged 1 4)"
	logcat -F -n 6 -s 0 "$(klog t 0)" >got6 3>&- &
	reader=$!
	lines_within 20 5 got6
	mklog 2 more 5
	kproduce t 0 <more
	wait "$reader"
	run cat got6
	assert_output "$(tagged 0 6)"
}

@test "kafka: -F waits out a cluster that goes away, and goes on" {
	kmock_start t:1
	kconfig "reconnect.backoff.ms=50" "reconnect.backoff.max.ms=200"
	printf '0\n1\n' | kproduce t 0
	logcat -F -s 0 "$(klog t 0)" >got 2>err 3>&- &
	reader=$!
	lines_within 20 2 got
	kmock down -1
	# longer than its fetches and reconnections take to give up, if they did
	sleep 2
	kill -0 "$reader"
	kmock up -1
	printf '2\n3\n' | kproduce t 0
	lines_within 20 4 got
	kill -TERM "$reader"
	wait "$reader"
	run cat got
	assert_output "$(printf '0\t0\n1\t1\n2\t2\n3\t3')"
	run cat err
	assert_output ""
}

@test "kafka: librdkafka's own lines reach stderr only with -v" {
	kmock_start t:1
	mklog 2 log
	kproduce t 0 <log
	run -0 --separate-stderr logcat -s 0 "$(klog t 0)"
	assert_equal "$stderr" ""
	run -0 --separate-stderr logcat -v -s 0 "$(klog t 0)"
	assert_output "$(tagged 0 2)"
	[[ "$stderr" == *"logcat: librdkafka: "* ]]
	[[ "$stderr" == *"logcat: 2 records, "*", offsets 0-1, "* ]]
	run -0 --separate-stderr bash -c 'logcat -o "$1" | commit -a -o "$1"' _ "$(klog t 0 g)"
	assert_equal "$stderr" ""
	kconfig "socket.timeout.ms=500"
	run -74 --separate-stderr logcat -s 0 kafka://127.0.0.1:1/t/0
	[ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
	run -74 --separate-stderr commit -o kafka://127.0.0.1:1/t/0@g -R 1
	[ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
	run -74 --separate-stderr logcat -v -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"logcat: librdkafka: FAIL: "*"Connection refused"* ]]
	run -74 --separate-stderr commit -v -o kafka://127.0.0.1:1/t/0@g -R 1
	[[ "$stderr" == *"commit: librdkafka: "* ]]
}

@test "kafka: a topic whose leader is still being elected is waited for, within the bound" {
	kmock_start t:1
	printf 'a\n' | kproduce t 0
	kconfig "socket.timeout.ms=2000"
	kmock topicerr t LEADER_NOT_AVAILABLE
	run -74 --separate-stderr within 10 logcat -s 0 "$(klog t 0)"
	[[ "$stderr" == *"topic t: Broker: Leader not available"* ]]
	# elected within the bound: read as if nothing happened
	logcat -s 0 "$(klog t 0)" >got 2>err 3>&- &
	reader=$!
	sleep 0.5
	kmock topicerr t NO_ERROR
	wait "$reader"
	run cat got err
	assert_output "$(printf '0\ta')"
}

# ---- where a topic and a group stand: logcat -L

@test "kafka: logcat -L: each partition's first, end, committed offset and lag" {
	kmock_start t:2
	mklog 10 log
	kproduce t 0 <log
	run -0 committed "$(klog t 0 g)"
	assert_output none
	run -0 logcat -L "kafka://$KB/t@g"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t-\t-\nkafka://%s/t/1\t0\t0\t-\t-' "$KB" "$KB")"
	run -0 setsid -w bash -c 'logcat -o "$1" -n 7 | commit -a -o "$1"' _ "$(klog t 0 g)"
	run -0 logcat -L "kafka://$KB/t@g"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t7\t3\nkafka://%s/t/1\t0\t0\t-\t-' "$KB" "$KB")"
	# one partition, with or without the group; other groups are their own
	run -0 logcat -L "kafka://$KB/t/0@g"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t7\t3' "$KB")"
	run -0 logcat -L "kafka://$KB/t/0"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t-\t-' "$KB")"
	run -0 logcat -L "kafka://$KB/t/0@h"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t-\t-' "$KB")"
	# -o: the store's partition, and its offset (a group or a file)
	run -0 logcat -L -o "$(klog t 0 g)"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t7\t3' "$KB")"
	run -0 logcat -L -o "$(klog t 0 g)" "$(klog t 0)"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t7\t3' "$KB")"
	echo 4 >off
	run -0 logcat -L -o off "$(klog t 0)"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t4\t6' "$KB")"
	run -2 --separate-stderr logcat -L -o "$(klog t 0 g)" "kafka://$KB/t"
	[[ "$stderr" == *"-L with -o lists the partition the store keeps the offset of"* ]]
	run -2 --separate-stderr logcat -L -o "$(klog t 0 g)" "$(klog t 1)"
	[[ "$stderr" == *"is the offset of another partition than"* ]]
	# it takes no lock: it works while a consumer holds the store
	holder_start "$(klog t 0 g)"
	run holder_send 8
	assert_output "committed 8"
	run -0 logcat -L "kafka://$KB/t/0@g"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t8\t2' "$KB")"
	run -2 logcat -L -n 1 "kafka://$KB/t"
}

# ---- committing to a group

@test "kafka: a pipeline reads from the group's offset and commits its end" {
	kmock_start t:2
	mklog 10 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	run -0 bash -c 'logcat -o "$1" -n 4 | commit -a -o "$1" -- cat' _ "$store"
	assert_output "$(tagged 0 4)"
	run -0 committed "$store"
	assert_output 4
	run -0 bash -c 'logcat -o "$1" | commit -a -n 3 -o "$1"' _ "$store"
	assert_output "$(tagged 4 6)"
	run -0 committed "$store"
	assert_output 10
	run -0 bash -c 'logcat -o "$1" | commit -a -o "$1" -- cat' _ "$store"
	assert_output ""
	run -0 committed "$store"
	assert_output 10
	# other partitions and groups are their own
	run -0 committed "$(klog t 1 g)"
	assert_output none
	run -0 committed "$(klog t 0 h)"
	assert_output none
	# the store may name its partition again; an offset file works too
	run -0 logcat -o "$store" "$(klog t 0)"
	assert_output ""
	run -0 bash -c 'logcat -o off -n 2 "$2" | commit -a -o off' _ "$store" "$(klog t 0)"
	assert_output "$(tagged 0 2)"
	run cat off
	assert_output 2
}

@test "kafka: a store naming another partition than the log is a usage error" {
	kmock_start t:2
	run -2 --separate-stderr logcat -o "$(klog t 0 g)" "$(klog t 1)"
	[[ "$stderr" == *"$(klog t 0 g) is the offset of another partition than $(klog t 1)"* ]]
	run -2 --separate-stderr logcat -o "$(klog t 0 g)" "$(klog t 0 g)"
	[[ "$stderr" == *"a log names no group"* ]]
	run -2 --separate-stderr logcat -o "$(klog t 0 g)" "$(klog t 0)" log.txt
	[[ "$stderr" == *"a Kafka partition is a log of its own"* ]]
}

@test "kafka: commit -R sets the group's offset, forward and back" {
	kmock_start t:1
	mklog 10 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	run -0 --separate-stderr commit -o "$store" -R 8
	assert_output ""
	assert_equal "$stderr" ""
	run -0 committed "$store"
	assert_output 8
	run -0 --separate-stderr commit -v -o "$store" -R 2
	[[ "$stderr" == *"commit: $store reset to offset 2"* ]]
	run -0 committed "$store"
	assert_output 2
	run -0 logcat -p -o "$store"
	assert_output "$(tail -8 log)"
	run -2 commit -o "$store" -R x
	run -0 committed "$store"
	assert_output 2
}

@test "kafka: a failed commit is exit 74 with the broker's reason, nothing claimed" {
	kmock_start t:1
	store=$(klog t 0 g)
	holder_start "$store"
	run holder_send 3
	assert_output "committed 3"
	kmock err OffsetCommit GROUP_AUTHORIZATION_FAILED
	run holder_send 6
	assert_output "exit 74"
	run cat holder.err
	assert_output --partial "commit of offset 6 to group g failed; nothing is claimed: Broker: Group authorization failed"
	run -0 committed "$store"
	assert_output 3
	run -0 kcommit "$store" 6
	run -0 committed "$store"
	assert_output 6
}

@test "kafka: a commit the group refuses for its members is exit 75" {
	kmock_start t:1
	store=$(klog t 0 g)
	kmock err OffsetCommit UNKNOWN_MEMBER_ID
	run -75 --separate-stderr kcommit "$store" 4
	[[ "$stderr" == *"group g has subscribed members"*"nothing committed: Broker: Unknown member"* ]]
	run -0 committed "$store"
	assert_output none
	kmock err OffsetCommit REBALANCE_IN_PROGRESS
	run -75 commit -o "$store" -R 4
	run -0 committed "$store"
	assert_output none
}

# The seed's at-least-once pipeline on a topic, its second commit failing:
# nothing lost, the batch after the last good commit delivered again.
@test "kafka: an OffsetCommit error mid-pipeline stops it (74); a rerun loses nothing" {
	kmock_start t:1
	mklog 10 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	kmock err OffsetCommit NO_ERROR GROUP_AUTHORIZATION_FAILED
	run -74 --separate-stderr bash -c 'logcat -o "$1" | commit -a -o "$1" -n 4 -- cat' _ "$store"
	assert_output "$(tagged 0 8)"
	[[ "$stderr" == *"commit of offset 8 to group g failed; nothing is claimed: Broker: Group authorization failed"* ]]
	run -0 committed "$store"
	assert_output 4
	run -0 bash -c 'logcat -o "$1" | commit -a -o "$1" -n 4 -- cat' _ "$store"
	assert_output "$(tagged 4 6)"
	run -0 committed "$store"
	assert_output 10
	# at-most-once: the failed commit's batch is never processed.  (Each
	# of logcat and commit first commits the group's offset again,
	# unchanged: the plain-consumer rule.)
	mklog 4 more 10
	kproduce t 0 <more
	kmock err OffsetCommit NO_ERROR NO_ERROR NO_ERROR GROUP_AUTHORIZATION_FAILED
	run -74 --separate-stderr bash -c 'logcat -o "$1" | commit -b -o "$1" -n 2 -- cat' _ "$store"
	assert_output "$(tagged 10 2)"
	run -0 committed "$store"
	assert_output 12
}

# A sink that runs its second batch only once the test says so: the
# coordinator goes down between the first batch's commit and the second's.
@test "kafka: a coordinator down mid-pipeline fails the commit after a bounded wait (74); a rerun loses nothing" {
	kmock_start -b 2 t:1
	kmock leader t 0 1
	kmock coord group g 2
	kconfig "socket.timeout.ms=2000"
	mklog 10 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	mksink
	cat >gated <<-'EOF'
	#!/bin/sh
	# batch 2 waits for ./go
	n=$(($(cat runs 2>/dev/null || echo 0) + 1))
	echo "$n" >runs
	if [ "$n" = 2 ]; then
		: >waiting
		while [ ! -e go ]; do sleep 0.05; done
	fi
	exec ./sink
	EOF
	chmod +x gated
	: >ledger
	setsid -w sh -c 'logcat -o "$1" | commit -a -n 4 -o "$1" -- ./gated' _ "$store" \
	    >out 2>err 3>&- &
	pipeline=$!
	until_exists waiting
	run -0 committed "$store"
	assert_output 4
	kmock down 2
	: >go
	st=0
	within 15 wait "$pipeline" || st=$?
	assert_equal "$st" 74
	run cat err
	assert_output --partial "group g"
	assert_output --partial "Timed out"
	kmock up 2
	run -0 committed "$store"
	assert_output 4
	# the rerun delivers the batch whose commit failed again, and the rest
	run -0 bash -c 'logcat -o "$1" | commit -a -n 4 -o "$1" -- ./sink' _ "$store"
	run -0 committed "$store"
	assert_output 10
	run cut -f1 ledger
	assert_output "$(seq 0 7; seq 4 9)"
}

@test "kafka: an unreachable cluster is exit 74 after a bounded wait, never a hang" {
	kmock_start t:1
	mklog 3 log
	kproduce t 0 <log
	kconfig "socket.timeout.ms=1000"
	kmock down -1
	run -74 --separate-stderr within 10 logcat -s 0 "$(klog t 0)"
	assert_output ""
	[[ "$stderr" == *"$(klog t 0): cannot reach the cluster in 1000 ms"* ]]
	run -74 within 10 commit -o "$(klog t 0 g)" -R 1
	run -74 within 10 logcat -L "kafka://$KB/t"
	# a pipeline started with the broker down: both ends 74, nothing read
	run -74 --separate-stderr within 10 setsid -w bash -c 'set -o pipefail
	    logcat -o "$1" | commit -a -o "$1" -- cat' _ "$(klog t 0 g)"
	assert_output ""
	[[ "$stderr" == *"logcat: $(klog t 0 g): cannot reach the cluster in 1000 ms"* ]]
	[[ "$stderr" == *"commit: $(klog t 0 g): cannot reach the cluster in 1000 ms"* ]]
	# nobody listening at all
	run -74 --separate-stderr within 10 logcat -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"Connection refused"* ]]
	# a topic or a partition that does not exist (the mock would create
	# a topic it does not know: it is told to answer as a broker would)
	kmock up -1
	run -0 committed "$(klog t 0 g)"
	assert_output none
	kmock topicerr nosuch UNKNOWN_TOPIC_OR_PART
	run -74 --separate-stderr within 10 logcat -s 0 "$(klog nosuch 0)"
	[[ "$stderr" == *"topic nosuch: Broker: Unknown topic or partition"* ]]
	run -74 --separate-stderr within 10 logcat -s 0 "$(klog t 1)"
	[[ "$stderr" == *"topic t has no partition 1 (it has 1)"* ]]
	run -74 --separate-stderr within 10 commit -o "$(klog t 1 g)" -R 0
	[[ "$stderr" == *"topic t has no partition 1 (it has 1)"* ]]
}

# ---- one consumer per store

@test "kafka: two consumers of one store on one host: the second exits 75 (or waits, -w)" {
	kmock_start t:1
	store=$(klog t 0 g)
	holder_start "$store"
	run holder_send 2
	assert_output "committed 2"
	run -75 --separate-stderr setsid -w commit -o "$store" -R 5
	[[ "$stderr" == *"$XDG_RUNTIME_DIR/exactly/kafka-mockCluster"*"-t-0-g: in use by process"* ]]
	run -75 setsid -w logcat -o "$store"
	run -75 setsid -w commit -o "$store" </dev/null
	# another group, partition or topic is another store
	run -0 setsid -w commit -o "$(klog t 0 h)" -R 5
	# (its input is not the holder's: it must not keep that open)
	setsid -w commit -w -o "$store" -R 5 3>&- {HOLD_IN}>&- {HOLD_OUT}<&- &
	waiter=$!
	run holder_send 3
	assert_output "committed 3"
	holder_end
	assert_equal "$HOLD_ANSWER" "exit 0"
	wait "$waiter"
	run -0 committed "$store"
	assert_output 5
}

# A live pipeline (logcat -F | commit -t 100) holds its store for as long
# as it runs; a second pipeline (a cron run that overlaps) is refused,
# whole.  SIGTERM ends the first cleanly: exit 0, everything committed.
@test "kafka: -F pipeline: a second pipeline on its store exits 75; SIGTERM ends it, exit 0, all committed" {
	kmock_start t:1
	mklog 3 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	{ logcat -F -o "$store" 2>lerr & echo $! >lpid; wait $!; echo $? >lstatus; } |
	    commit -a -o "$store" -t 100 >out 2>cerr 3>&- &
	pipeline=$!
	lines_within 20 3 out
	committed_within 10 "$store" 3
	run -75 --separate-stderr setsid -w sh -c 'logcat -o "$1" | commit -a -o "$1" -- cat' _ "$store"
	assert_output ""
	[[ "$stderr" == *"logcat: "*"in use by process"* ]]
	mklog 2 more 3
	kproduce t 0 <more
	lines_within 20 5 out
	kill -TERM "$(cat lpid)"
	wait "$pipeline"
	run cat lstatus out lerr cerr
	assert_output "$(echo 0; tagged 0 5)"
	run -0 committed "$store"
	assert_output 5
}

@test "kafka: the lock directory must be ours alone" {
	kmock_start t:1
	ln -s /tmp "$XDG_RUNTIME_DIR/exactly"
	run -74 --separate-stderr commit -o "$(klog t 0 g)" -R 1
	[[ "$stderr" == *"$XDG_RUNTIME_DIR/exactly: not a directory: refusing to keep a lock there"* ]]
	rm "$XDG_RUNTIME_DIR/exactly"
	mkdir -m 777 "$XDG_RUNTIME_DIR/exactly"
	chmod 777 "$XDG_RUNTIME_DIR/exactly"
	run -74 --separate-stderr logcat -o "$(klog t 0 g)"
	[[ "$stderr" == *"writable by others"* ]]
	run -0 committed "$(klog t 0 g)"
	assert_output none
}

# Another host is another lock directory: Kafka cannot keep it out, so
# every commit first checks that the group's offset is still ours.
@test "kafka: another consumer's commit is seen before ours (75, nothing committed)" {
	kmock_start t:1
	store=$(klog t 0 g)
	mkdir -m 700 other
	holder_start "$store"
	run holder_send 3
	assert_output "committed 3"
	XDG_RUNTIME_DIR=$PWD/other run -0 kcommit "$store" 7
	run holder_send 8
	assert_output "exit 75"
	run cat holder.err
	assert_output --regexp "group g's offset moved from 3 to 7 \(committed by \"exactly [^ ]+ [0-9]+ [0-9a-f]{16} 1\"\) since this consumer read it: another consumer commits to it; nothing committed"
	run -0 committed "$store"
	assert_output 7
}

@test "kafka: another consumer's commit of the same offset is seen too" {
	kmock_start t:1
	store=$(klog t 0 g)
	mkdir -m 700 other
	holder_start "$store"
	run holder_send 3
	assert_output "committed 3"
	XDG_RUNTIME_DIR=$PWD/other run -0 commit -o "$store" -R 3
	run holder_send 6
	assert_output "exit 75"
	run -0 committed "$store"
	assert_output 3
}

# The same with a live pipeline on "this host", the other consumer a
# commit -R from "another" (its own lock directory).
@test "kafka: a following pipeline whose group another host moved stops at its next commit (75)" {
	kmock_start t:1
	mklog 3 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	mkdir -m 700 other
	logcat -F -o "$store" 2>lerr | commit -a -n 1 -o "$store" >out 2>cerr 3>&- &
	pipeline=$!
	lines_within 20 3 out
	committed_within 10 "$store" 3
	XDG_RUNTIME_DIR=$PWD/other run -0 commit -o "$store" -R 10
	mklog 1 more 3
	kproduce t 0 <more
	st=0
	within 20 wait "$pipeline" || st=$?
	assert_equal "$st" 75
	run cat cerr
	assert_output --regexp "group g's offset moved from 3 to 10 \(committed by \"exactly .*\"\) since this consumer read it: another consumer commits to it; nothing committed"
	run -0 committed "$store"
	assert_output 10
	# the record was handed on before its commit was refused (-a)
	run cat out
	assert_output "$(tagged 0 4)"
}

# logcat and commit read the group's offset each at its own start; if
# another host moves it between the two, commit sees records below it.
@test "kafka: records below the group's offset: moved under the pipeline by another consumer (75, nothing committed)" {
	kmock_start t:1
	mklog 10 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	mkdir -m 700 other
	run -0 kcommit "$store" 2
	mkfifo gate
	setsid -w sh -c '{ logcat -o "$1"; echo $? >lstatus; } |
	    { read -r _ <gate; exec commit -a -o "$1"; }' _ "$store" >out 2>err 3>&- &
	pipeline=$!
	until_exists lstatus
	XDG_RUNTIME_DIR=$PWD/other run -0 commit -o "$store" -R 6
	echo go >gate
	st=0
	wait "$pipeline" || st=$?
	assert_equal "$st" 75
	run cat lstatus out err
	assert_output "0
commit: stdin: line 1: offset 2 is below the committed offset 6 of $store: another consumer moved the group's offset since this pipeline's reader read it (or the records were not read from it); nothing committed"
	run -0 committed "$store"
	assert_output 6
}

# librdkafka's balanced consumer (kcat -G) joins the group as a member.
# Where the group has an offset for the partition, the pipelines are
# refused at once, before a record is read; where it has none, at the
# first commit (commit(1) CAVEATS), which commits nothing.
@test "kafka: a group with subscribed members is refused (75)" {
	kmock_start t:2
	mklog 3 log
	kproduce t 0 <log
	kproduce t 1 <log
	store=$(klog t 0 g)
	run -0 kcommit "$store" 1
	kcat -b "$KB" -G g -X enable.auto.commit=false \
	    -X enable.auto.offset.store=false -X session.timeout.ms=6000 \
	    -X heartbeat.interval.ms=500 t >member.out 2>member.err 3>&- &
	member=$!
	for _ in $(seq 100); do
		grep -q 'assigned: ' member.err && break
		sleep 0.1
	done
	grep -q 'assigned: ' member.err || fail "kcat -G did not join in 10 s"
	run -75 --separate-stderr logcat -o "$store"
	assert_output ""
	[[ "$stderr" == *"group g has subscribed members, so it takes no commits from a plain consumer"* ]]
	run -75 commit -o "$store" -R 2
	run -75 kcommit "$store" 2
	run -0 committed "$store"
	assert_output 1
	# partition 1, never committed by the group
	mksink
	: >ledger
	run -75 --separate-stderr bash -c 'logcat -o "$1" | commit -b -o "$1" -- ./sink' _ "$(klog t 1 g)"
	[[ "$stderr" == *"group g has subscribed members"*"nothing committed"* ]]
	run -75 bash -c 'logcat -o "$1" | commit -a -o "$1" -- ./sink' _ "$(klog t 1 g)"
	run -0 committed "$(klog t 1 g)"
	assert_output none
	run cut -f1 ledger
	assert_output "$(seq 0 2)"
	kill "$member"
	wait "$member" || true
}

# ---- the seed's scenarios on a topic (tests/scenarios.bats on a file)

kafka_scenario_setup() {
	kmock_start t:1
	mklog 1000 events.log
	kproduce t 0 <events.log
	store=$(klog t 0 g)
	mksink
	: >ledger
}

# kconsume STAGES: one run of "logcat -o STORE -n 1000 | STAGES" in its
# own session, its status in $status; then, after a crash, wait until the
# killed stages released the store.
kconsume() {
	run setsid -w sh -c "logcat -o '$store' -n 1000 | $1 >/dev/null"
	local st=$status
	released "$store" || fail "$store still held 10 s after the run"
	status=$st
}

# ledger_is A-B...: the ledger holds exactly those ranges, each once per
# mention.
ledger_is() {
	local r
	for r in "$@"; do
		tagged "${r%-*}" $((${r#*-} - ${r%-*} + 1))
	done | sort >want
	sort ledger >got
	cmp -s want got || {
		diff <(cut -f1 want | uniq -c) <(cut -f1 got | uniq -c) | head >&2
		return 1
	}
}

@test "kafka: commit before processing, crash at 500: 0-499 once, 500-999 never" {
	kafka_scenario_setup
	kconsume "commit -b -o '$store' -- crashat 500 -- ./sink"
	assert_equal "$status" 137
	assert_equal "$(committed "$store")" 1000
	ledger_is 0-499
	kconsume "commit -b -o '$store' -- ./sink"
	assert_equal "$status" 0
	ledger_is 0-499
	assert_equal "$(committed "$store")" 1000
}

@test "kafka: commit after processing, crash at 500: 0-499 twice, 500-999 once" {
	kafka_scenario_setup
	kconsume "commit -a -o '$store' -- crashat 500 -- ./sink"
	assert_equal "$status" 137
	assert_equal "$(committed "$store")" none
	ledger_is 0-499
	kconsume "commit -a -o '$store' -- ./sink"
	assert_equal "$status" 0
	ledger_is 0-499 0-499 500-999
	assert_equal "$(committed "$store")" 1000
}

@test "kafka: + dedup -e, crash at 500: every event exactly once" {
	kafka_scenario_setup
	kconsume "dedup -w -s seen -k click_id -e -- crashat 500 -- ./sink | commit -a -o '$store'"
	assert_equal "$status" 137
	ledger_is 0-499
	# committed: none, or up to what the sink acknowledged
	v=$(committed "$store")
	[ "$v" = none ] || [ "$v" -le 500 ]
	kconsume "dedup -w -s seen -k click_id -e -- ./sink | commit -a -o '$store'"
	assert_equal "$status" 0
	ledger_is 0-999
	assert_equal "$(committed "$store")" 1000
	kconsume "dedup -w -s seen -k click_id -e -- ./sink | commit -a -o '$store'"
	assert_equal "$status" 0
	ledger_is 0-999
	assert_equal "$(committed "$store")" 1000
}

# Gaps through crashat and commit: crashat 7 falls on 9, the first record
# at or past it; batches of two records commit across the gaps.
@test "kafka: gaps through crashat and commit -a: a crash replays nothing lost, the end commits after the last record" {
	kmock_start t:1
	gaps_topic
	store=$(klog t 0 g)
	mksink
	: >ledger
	kconsume "commit -a -n 2 -o '$store' -- crashat 7 -- ./sink"
	assert_equal "$status" 137
	run cut -f1 ledger
	assert_output "$(printf '%s\n' 0 1 2 4 5 6)"
	assert_equal "$(committed "$store")" 7
	kconsume "commit -a -n 2 -o '$store' -- ./sink"
	assert_equal "$status" 0
	run cut -f1 ledger
	assert_output "$(printf '%s\n' 0 1 2 4 5 6 9 11)"
	assert_equal "$(committed "$store")" 12
	# the trailing marker is an offset no record has: LAG stays 1
	run -0 logcat -L "$store"
	assert_output "$(printf 'kafka://%s/t/0\t0\t13\t12\t1' "$KB")"
	kconsume "commit -a -n 2 -o '$store' -- ./sink"
	assert_equal "$status" 0
	assert_equal "$(wc -l <ledger)" 8
}

# Gaps through dedup (payloads are the keys: 5 and 9 repeat 0 and 1):
# crashat 7 falls on 11, the first record dedup feeds at or past 7.
@test "kafka: gaps through dedup -e, crashat and commit: every payload once, duplicates committed past" {
	kmock_start t:1
	gaps_topic
	store=$(klog t 0 g)
	mksink
	: >ledger
	kconsume "dedup -w -s seen -e -- crashat 7 -- ./sink | commit -a -o '$store'"
	assert_equal "$status" 137
	run cut -f1 ledger
	assert_output "$(printf '%s\n' 0 1 2 4 6)"
	# nothing past what was done or dropped: 11 is not done
	v=$(committed "$store")
	[ "$v" = none ] || [ "$v" -le 10 ]
	kconsume "dedup -w -s seen -e -- ./sink | commit -a -o '$store'"
	assert_equal "$status" 0
	run cut -f1 ledger
	assert_output "$(printf '%s\n' 0 1 2 4 6 11)"
	run cut -f2 ledger
	assert_output "$(printf '%s\n' a b c d x f)"
	assert_equal "$(committed "$store")" 12
}

# One pipeline per partition, started from logcat -L as exactly(7) says.
@test "kafka: 3 partitions, 3 pipelines at once, started from logcat -L: every record once overall" {
	kmock_start t:3
	for p in 0 1 2; do
		mklog 300 "log.$p" $((p * 1000))
		kproduce t "$p" <"log.$p"
	done
	pids=
	while IFS=$'\t' read -r log first end committed lag; do
		p=${log##*/}
		[ "$first/$end/$committed/$lag" = "0/300/-/-" ]
		setsid -w sh -c 'logcat -o "$1@g" | dedup -s "seen.$2" -k click_id -e -- cat |
		    commit -a -n 50 -o "$1@g" >"out.$2"' _ "$log" "$p" 3>&- &
		pids="$pids $!"
	done < <(logcat -L "kafka://$KB/t@g")
	[ "$(echo $pids | wc -w)" = 3 ]
	for pid in $pids; do
		wait "$pid"
	done
	cat log.0 log.1 log.2 | sort >want
	cat out.0 out.1 out.2 | cut -f2- | sort >got
	cmp want got
	run -0 logcat -L "kafka://$KB/t@g"
	assert_output "$(for p in 0 1 2; do printf 'kafka://%s/t/%d\t0\t300\t300\t0\n' "$KB" "$p"; done)"
}
