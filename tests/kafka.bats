#!/usr/bin/env bats
# A Kafka partition as a log and a consumer group as an offset store
# (DESIGN.md section 8), against librdkafka's mock cluster (tests/kmock.c):
# lib/kafka driven by tests/kdrive, which reads and commits through the
# same calls as logcat and commit, and commit itself where it already
# reaches a Kafka store through store.h.  kcat produces and reads back on
# its own.

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
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://
	assert_output ""
	[[ "$stderr" == *"kafka://: no topic"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka:///t/0
	[[ "$stderr" == *"no brokers"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://k1/t/0
	[[ "$stderr" == *"broker 'k1': expected host:port"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://k1:9092,k2:0/t/0
	[[ "$stderr" == *"broker 'k2:0'"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://k1:9092,/t/0
	[[ "$stderr" == *"broker ''"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 'kafka://k1:9092/t!x/0'
	[[ "$stderr" == *"topic 't!x'"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://k1:9092/t/01
	[[ "$stderr" == *"partition '01'"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://k1:9092/t/-1
	[[ "$stderr" == *"partition '-1'"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://k1:9092/t/2147483648
	[[ "$stderr" == *"partition '2147483648'"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://k1:9092/t
	[[ "$stderr" == *"no partition"* ]]
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://k1:9092/t/0@g
	[[ "$stderr" == *"a log names no group"* ]]
	run -2 --separate-stderr "$KDRIVE" committed kafka://k1:9092/t/0
	[[ "$stderr" == *"no group"* ]]
	run -2 --separate-stderr "$KDRIVE" committed kafka://k1:9092/t/0@
	[[ "$stderr" == *"empty group"* ]]
	run -2 --separate-stderr "$KDRIVE" list kafka://k1:9092/t/x
	[[ "$stderr" == *"partition 'x'"* ]]
}

@test "kafka: a bad property is a usage error naming file, line and key" {
	kconfig "# timeouts" "" "socket.timeout.ms = 2000" "no.such.key=1"
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"EXACTLY_KAFKA_CONFIG=$EXACTLY_KAFKA_CONFIG: line 4: no.such.key: No such configuration property"* ]]
	kconfig "socket.timeout.ms=soon"
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"line 1: socket.timeout.ms: Invalid value"* ]]
	kconfig "socket.timeout.ms"
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"line 1: expected key=value"* ]]
	kconfig "enable.auto.commit=true"
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"line 1: enable.auto.commit: set by the tools"* ]]
	kconfig "bootstrap.servers=elsewhere:9092"
	run -2 --separate-stderr "$KDRIVE" commit kafka://127.0.0.1:1/t/0@g 5
	[[ "$stderr" == *"bootstrap.servers: set by the tools"* ]]
	export EXACTLY_KAFKA_CONFIG="$BATS_TEST_TMPDIR/missing.conf"
	run -2 --separate-stderr "$KDRIVE" read -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"EXACTLY_KAFKA_CONFIG=$BATS_TEST_TMPDIR/missing.conf: No such file"* ]]
}

# ---- reading a partition

@test "kafka: a partition reads as tagged records, offsets as kcat sees them" {
	kmock_start t:2
	mklog 50 log
	kproduce t 1 <log
	run -0 "$KDRIVE" read -s 0 "$(klog t 1)"
	assert_output "$(tagged 0 50)"
	assert_output "$(kcat_read t 1)"
	run -0 "$KDRIVE" read -s 47 "$(klog t 1)"
	assert_output "$(tagged 47 3)"
	run -0 "$KDRIVE" read -s 10 -n 3 "$(klog t 1)"
	assert_output "$(tagged 10 3)"
	run -0 "$KDRIVE" read -p -s 48 "$(klog t 1)"
	assert_output "$(tail -2 log)"
	# the end, and an empty partition: nothing, at once
	run -0 "$KDRIVE" read -s 50 "$(klog t 1)"
	assert_output ""
	run -0 "$KDRIVE" read -s 0 "$(klog t 0)"
	assert_output ""
}

@test "kafka: every byte but LF passes: TAB, CR, NUL, invalid UTF-8, empty, null" {
	kmock_start t:1
	printf 'a\tb|c\rd|e\000f|\377\376|' | kproduce t 0 -D '|'
	kmock batch t 0 2 0: 1         # 4: empty, 5: null (a tombstone)
	kcat -C -b "$KB" -t t -p 0 -e -q -f '%o %S\n' >sizes
	"$KDRIVE" read -s 0 "$(klog t 0)" >got
	printf '0\ta\tb\n1\tc\rd\n2\te\000f\n3\t\377\376\n4\t\n5\t\n' >want
	cmp got want
	run cat sizes
	assert_output "$(printf '0 3\n1 3\n2 3\n3 2\n4 0\n5 -1')"
}

@test "kafka: offset gaps (transaction markers, compaction) are passed over" {
	kmock_start t:1
	printf 'a\nb\nc\n' | kproduce t 0      # 0-2
	kmock marker t 0 commit                 # 3
	printf 'd\ne\n' | kproduce t 0         # 4-5
	kmock batch t 0 5 0:x 3:y               # 6-10: x at 6, y at 9
	printf 'f\n' | kproduce t 0            # 11
	kmock marker t 0 commit                 # 12: the end is 13
	run -0 "$KDRIVE" read -s 0 "$(klog t 0)"
	assert_output "$(printf '0\ta\n1\tb\n2\tc\n4\td\n5\te\n6\tx\n9\ty\n11\tf')"
	assert_output "$(kcat_read t 0)"
	# starting on a gap starts at the next record
	run -0 "$KDRIVE" read -s 3 -n 1 "$(klog t 0)"
	assert_output "$(printf '4\td')"
	run -0 "$KDRIVE" read -s 7 "$(klog t 0)"
	assert_output "$(printf '9\ty\n11\tf')"
	# the end is past the trailing marker, and is no error
	run -0 "$KDRIVE" read -s 12 "$(klog t 0)"
	assert_output ""
	run -0 "$KDRIVE" read -s 13 "$(klog t 0)"
	assert_output ""
	run -0 "$KDRIVE" list "kafka://$KB/t"
	assert_output "$(printf 'kafka://%s/t/0\t0\t13\t-\t-' "$KB")"
}

@test "kafka: a value holding an LF stops the reader before it (65, offset named)" {
	kmock_start t:1
	printf 'a|b|c\nd|e|' | kproduce t 0 -D '|'
	run -65 --separate-stderr "$KDRIVE" read -s 0 "$(klog t 0)"
	assert_output "$(printf '0\ta\n1\tb')"
	[[ "$stderr" == *"the message at offset 2 holds an LF byte"*"commit -R 3"* ]]
	run -0 "$KDRIVE" read -s 3 "$(klog t 0)"
	assert_output "$(printf '3\te')"
}

@test "kafka: an offset past the end is exit 65 unless -r says where to go" {
	kmock_start t:1
	mklog 5 log
	kproduce t 0 <log
	run -65 --separate-stderr "$KDRIVE" read -s 6 "$(klog t 0)"
	assert_output ""
	[[ "$stderr" == *"$(klog t 0): -s 6: offset is beyond the end of the partition, which ends at offset 5 (-r earliest or latest to go on)"* ]]
	run -0 --separate-stderr "$KDRIVE" read -r latest -s 6 "$(klog t 0)"
	assert_output ""
	[[ "$stderr" == *"-r latest: starting at offset 5"* ]]
	run -0 --separate-stderr "$KDRIVE" read -r earliest -s 6 "$(klog t 0)"
	assert_output "$(tagged 0 5)"
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
	run -65 --separate-stderr "$KDRIVE" read -s 10 "$(klog t 0)"
	assert_output ""
	[[ "$stderr" == *"offsets 10-$((first - 1)) ($((first - 10)) offsets) are gone: the partition now begins at offset $first (-s 10: offset; -r earliest or latest"* ]]
	run -0 --separate-stderr "$KDRIVE" read -r earliest -s 10 -n 1 -p "$(klog t 0)"
	[ "$(printf '%s' "$output" | awk '{ print $1 }')" = "$first" ]
	[[ "$stderr" == *"-r earliest: starting at offset $first"* ]]
	run -0 --separate-stderr "$KDRIVE" read -r latest -s 10 "$(klog t 0)"
	assert_output ""
	[[ "$stderr" == *"-r latest: starting at offset 6000"* ]]
	# a group that never committed starts at the first, with no word
	run -0 --separate-stderr "$KDRIVE" read -n 1 -o "$(klog t 0 g)"
	[ "$(printf '%s' "$output" | cut -f1)" = "$first" ]
	assert_equal "$stderr" ""
}

# ---- the store

@test "kafka: commits read back; a group never committed reads as none" {
	kmock_start t:2
	mklog 10 log
	kproduce t 0 <log
	run -0 committed "$(klog t 0 g)"
	assert_output none
	run -0 "$KDRIVE" read -o "$(klog t 0 g)"
	assert_output "$(tagged 0 10)"
	run -0 "$KDRIVE" commit "$(klog t 0 g)" 4 7
	run -0 committed "$(klog t 0 g)"
	assert_output 7
	# other partitions and groups are their own
	run -0 committed "$(klog t 1 g)"
	assert_output none
	run -0 committed "$(klog t 0 h)"
	assert_output none
	run -0 "$KDRIVE" read -o "$(klog t 0 g)"
	assert_output "$(tagged 7 3)"
	run -0 "$KDRIVE" list "kafka://$KB/t@g"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t7\t3\nkafka://%s/t/1\t0\t0\t-\t-' "$KB" "$KB")"
	run -0 "$KDRIVE" list "kafka://$KB/t/0"
	assert_output "$(printf 'kafka://%s/t/0\t0\t10\t-\t-' "$KB")"
}

@test "kafka: a store naming another partition than the log is a usage error" {
	kmock_start t:2
	run -2 --separate-stderr "$KDRIVE" read -o "$(klog t 0 g)" "$(klog t 1)"
	[[ "$stderr" == *"$(klog t 0 g) is the offset of another partition than $(klog t 1)"* ]]
	run -2 --separate-stderr "$KDRIVE" read -o "$(klog t 0 g)" "$(klog t 0 g)"
	[[ "$stderr" == *"a log names no group"* ]]
	# the same partition, named again: fine
	run -0 "$KDRIVE" read -o "$(klog t 0 g)" "$(klog t 0)"
}

@test "kafka: commit -R sets the group's offset, forward and back" {
	kmock_start t:1
	mklog 10 log
	kproduce t 0 <log
	run -0 commit -o "$(klog t 0 g)" -R 8
	assert_output ""
	run -0 committed "$(klog t 0 g)"
	assert_output 8
	run -0 commit -o "$(klog t 0 g)" -R 2
	run -0 committed "$(klog t 0 g)"
	assert_output 2
	run -0 "$KDRIVE" reset "$(klog t 0 g)" 5
	run -0 "$KDRIVE" read -p -o "$(klog t 0 g)"
	assert_output "$(tail -5 log)"
}

@test "kafka: a pipeline reads from the group's offset and commits its end" {
	kmock_start t:1
	mklog 10 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	run -0 bash -c '"$1" read -o "$2" -n 4 | commit -a -o "$2" -- cat' _ "$KDRIVE" "$store"
	assert_output "$(tagged 0 4)"
	run -0 committed "$store"
	assert_output 4
	run -0 bash -c '"$1" read -o "$2" | commit -a -o "$2" -- cat' _ "$KDRIVE" "$store"
	assert_output "$(tagged 4 6)"
	run -0 committed "$store"
	assert_output 10
	run -0 bash -c '"$1" read -o "$2" | commit -a -o "$2" -- cat' _ "$KDRIVE" "$store"
	assert_output ""
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
	run -0 "$KDRIVE" commit "$store" 6
	run -0 committed "$store"
	assert_output 6
}

@test "kafka: a commit the group refuses for its members is exit 75" {
	kmock_start t:1
	store=$(klog t 0 g)
	kmock err OffsetCommit UNKNOWN_MEMBER_ID
	run -75 --separate-stderr "$KDRIVE" commit "$store" 4
	[[ "$stderr" == *"group g has subscribed members"*"nothing committed: Broker: Unknown member"* ]]
	run -0 committed "$store"
	assert_output none
	kmock err OffsetCommit REBALANCE_IN_PROGRESS
	run -75 "$KDRIVE" commit "$store" 4
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
	run -74 --separate-stderr bash -c '"$1" read -o "$2" | commit -a -o "$2" -n 4 -- cat' \
	    _ "$KDRIVE" "$store"
	assert_output "$(tagged 0 8)"
	[[ "$stderr" == *"commit of offset 8 to group g failed"*"Group authorization failed"* ]]
	run -0 committed "$store"
	assert_output 4
	run -0 bash -c '"$1" read -o "$2" | commit -a -o "$2" -n 4 -- cat' _ "$KDRIVE" "$store"
	assert_output "$(tagged 4 6)"
	run -0 committed "$store"
	assert_output 10
}

@test "kafka: a coordinator down fails the commit after a bounded wait (74)" {
	kmock_start -b 2 t:1
	kmock leader t 0 1
	kmock coord group g 2
	kconfig "socket.timeout.ms=2000"
	mklog 3 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	holder_start "$store"
	run holder_send 1
	assert_output "committed 1"
	kmock down 2
	run within 10 holder_send 2
	assert_output "exit 74"
	run cat holder.err
	assert_output --partial "group g"
	assert_output --partial "Timed out"
	# reading needs no coordinator
	run -0 "$KDRIVE" read -s 0 "$(klog t 0)"
	assert_output "$(tagged 0 3)"
	kmock up 2
	run -0 committed "$store"
	assert_output 1
}

@test "kafka: an unreachable cluster is exit 74 after a bounded wait, never a hang" {
	kmock_start t:1
	kconfig "socket.timeout.ms=2000"
	kmock down -1
	run -74 --separate-stderr within 10 "$KDRIVE" read -s 0 "$(klog t 0)"
	[[ "$stderr" == *"$(klog t 0): cannot reach the cluster in 2000 ms"* ]]
	run -74 within 10 "$KDRIVE" commit "$(klog t 0 g)" 1
	run -74 within 10 "$KDRIVE" list "kafka://$KB/t"
	# nobody listening at all
	run -74 --separate-stderr within 10 "$KDRIVE" read -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"Connection refused"* ]]
	# a topic or a partition that does not exist (the mock would create
	# a topic it does not know: it is told to answer as a broker would)
	kmock up -1
	kmock topicerr nosuch UNKNOWN_TOPIC_OR_PART
	run -74 --separate-stderr within 10 "$KDRIVE" read -s 0 "$(klog nosuch 0)"
	[[ "$stderr" == *"topic nosuch: Broker: Unknown topic or partition"* ]]
	run -74 --separate-stderr within 10 "$KDRIVE" read -s 0 "$(klog t 1)"
	[[ "$stderr" == *"topic t has no partition 1 (it has 1)"* ]]
}

@test "kafka: two consumers of one store on one host: the second exits 75 (or waits, -w)" {
	kmock_start t:1
	store=$(klog t 0 g)
	holder_start "$store"
	run holder_send 2
	assert_output "committed 2"
	run -75 --separate-stderr setsid -w "$KDRIVE" commit "$store" 5
	[[ "$stderr" == *"$XDG_RUNTIME_DIR/exactly/kafka-mockCluster"*"-t-0-g: in use by process"* ]]
	run -75 setsid -w "$KDRIVE" read -o "$store"
	# another group, partition or topic is another store
	run -0 setsid -w "$KDRIVE" commit "$(klog t 0 h)" 5
	# (its input is not the holder's: it must not keep that open)
	setsid -w "$KDRIVE" commit -w "$store" 5 3>&- {HOLD_IN}>&- {HOLD_OUT}<&- &
	waiter=$!
	run holder_send 3
	assert_output "committed 3"
	holder_end
	assert_equal "$HOLD_ANSWER" "exit 0"
	wait "$waiter"
	run -0 committed "$store"
	assert_output 5
}

@test "kafka: the lock directory must be ours alone" {
	kmock_start t:1
	ln -s /tmp "$XDG_RUNTIME_DIR/exactly"
	run -74 --separate-stderr "$KDRIVE" commit "$(klog t 0 g)" 1
	[[ "$stderr" == *"$XDG_RUNTIME_DIR/exactly: not a directory: refusing to keep a lock there"* ]]
	rm "$XDG_RUNTIME_DIR/exactly"
	mkdir -m 777 "$XDG_RUNTIME_DIR/exactly"
	chmod 777 "$XDG_RUNTIME_DIR/exactly"
	run -74 --separate-stderr "$KDRIVE" commit "$(klog t 0 g)" 1
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
	XDG_RUNTIME_DIR=$PWD/other run -0 "$KDRIVE" commit "$store" 7
	run holder_send 6
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

# librdkafka's balanced consumer (kcat -G) joins the group as a member.
@test "kafka: a group with subscribed members is refused (75)" {
	kmock_start t:1
	mklog 3 log
	kproduce t 0 <log
	store=$(klog t 0 g)
	run -0 "$KDRIVE" commit "$store" 1
	kcat -b "$KB" -G g -X enable.auto.commit=false \
	    -X enable.auto.offset.store=false -X session.timeout.ms=6000 \
	    -X heartbeat.interval.ms=500 t >member.out 2>member.err 3>&- &
	member=$!
	for _ in $(seq 100); do
		grep -q 'assigned: t \[0\]' member.err && break
		sleep 0.1
	done
	grep -q 'assigned: t \[0\]' member.err || fail "kcat -G did not join in 10 s"
	# refused at open, before a record is read
	run -75 --separate-stderr "$KDRIVE" read -o "$store"
	assert_output ""
	[[ "$stderr" == *"group g has subscribed members, so it takes no commits from a plain consumer"* ]]
	run -75 commit -o "$store" -R 2
	run -0 committed "$store"
	assert_output 1
	kill "$member"
	wait "$member" || true
}

@test "kafka: without -F the reader stops at the end the partition had at open" {
	kmock_start t:1
	printf '0\n1\n2\n' | kproduce t 0 -X batch.num.messages=1
	kmock rtt 1 300         # one fetch per batch: 300 ms each
	"$KDRIVE" read -s 0 "$(klog t 0)" >got 3>&- &
	reader=$!
	lines_within 20 1 got   # it is open: its end is set
	printf '3\n4\n' | kproduce t 0
	wait "$reader"
	run cat got
	assert_output "$(printf '0\t0\n1\t1\n2\t2')"
	kmock rtt 1 0
	run -0 "$KDRIVE" read -s 3 "$(klog t 0)"
	assert_output "$(printf '3\t3\n4\t4')"
}

@test "kafka: -F follows the partition until a signal; -n ends it" {
	kmock_start t:1
	mklog 3 log
	kproduce t 0 <log
	"$KDRIVE" read -F -s 1 "$(klog t 0)" >got 3>&- &
	reader=$!
	lines_within 20 2 got
	mklog 2 more 3
	kproduce t 0 <more
	lines_within 20 4 got
	kill -TERM "$reader"
	wait "$reader"
	run cat got
	assert_output "$(tagged 1 4)"
	"$KDRIVE" read -F -n 6 -s 0 "$(klog t 0)" >got6 3>&- &
	reader=$!
	lines_within 20 5 got6
	mklog 2 more 5
	kproduce t 0 <more
	wait "$reader"
	run cat got6
	assert_output "$(tagged 0 6)"
}

@test "kafka: librdkafka's own lines reach stderr only with -v" {
	kmock_start t:1
	mklog 2 log
	kproduce t 0 <log
	run -0 --separate-stderr "$KDRIVE" read -s 0 "$(klog t 0)"
	assert_equal "$stderr" ""
	run -0 --separate-stderr "$KDRIVE" -v read -s 0 "$(klog t 0)"
	assert_output "$(tagged 0 2)"
	[[ "$stderr" == *"kdrive: librdkafka: "* ]]
	kconfig "socket.timeout.ms=1000"
	run -74 --separate-stderr "$KDRIVE" read -s 0 kafka://127.0.0.1:1/t/0
	[ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ]
	run -74 --separate-stderr "$KDRIVE" -v read -s 0 kafka://127.0.0.1:1/t/0
	[[ "$stderr" == *"librdkafka: FAIL: "*"Connection refused"* ]]
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
	"$KDRIVE" read -s 0 -p "$(klog t 0)" >pipe 2>err 3>&- &
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
	assert_output "kdrive: $(klog t 0): offsets $((last + 1))-$((first - 1)) ($((first - last - 1)) offsets) are gone: the partition now begins at offset $first (-s 0: offset; -r earliest or latest to go on)"
}

# ---- the seed's scenarios on a topic (tests/scenarios.bats on a file)

kafka_scenario_setup() {
	kmock_start t:1
	mklog 1000 events.log
	kproduce t 0 <events.log
	store=$(klog t 0 g)
	cat >sink <<-'EOF2'
	#!/bin/sh
	while IFS= read -r ev; do
		printf '%s\n' "$ev" >>ledger
		printf '%s\n' "$ev"
	done
	EOF2
	chmod +x sink
	: >ledger
}

# kconsume STAGES: one run of "kdrive read -o STORE -n 1000 | STAGES" in
# its own session, its status in $status; then, after a crash, wait until
# the kernel dropped the killed stages' lock.
kconsume() {
	run setsid -w sh -c "'$KDRIVE' read -o '$store' -n 1000 | $1 >/dev/null"
	local st=$status
	for _ in $(seq 500); do
		flock -n "$XDG_RUNTIME_DIR"/exactly/kafka-*-t-0-g.lock true && break
		sleep 0.01
	done
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
	kconsume "dedup -w -s seen -k click_id -e -- ./sink | commit -a -o '$store'"
	assert_equal "$status" 0
	ledger_is 0-999
	assert_equal "$(committed "$store")" 1000
	kconsume "dedup -w -s seen -k click_id -e -- ./sink | commit -a -o '$store'"
	ledger_is 0-999
}

@test "kafka: 3 partitions, 3 pipelines at once: every record once overall" {
	kmock_start t:3
	for p in 0 1 2; do
		mklog 300 "log.$p" $((p * 1000))
		kproduce t "$p" <"log.$p"
	done
	pids=
	for p in 0 1 2; do
		setsid -w sh -c "'$KDRIVE' read -o '$(klog t "$p" g)' | commit -a -n 50 -o '$(klog t "$p" g)' -- cat >>out.$p" 3>&- &
		pids="$pids $!"
	done
	for pid in $pids; do
		wait "$pid"
	done
	cat log.0 log.1 log.2 | sort >want
	cat out.0 out.1 out.2 | cut -f2- | sort >got
	cmp want got
	run -0 "$KDRIVE" list "kafka://$KB/t@g"
	assert_output "$(for p in 0 1 2; do printf 'kafka://%s/t/%d\t0\t300\t300\t0\n' "$KB" "$p"; done)"
}

@test "kafka: -F waits out a cluster that goes away, and goes on" {
	kmock_start t:1
	kconfig "reconnect.backoff.ms=50" "reconnect.backoff.max.ms=200"
	printf '0\n1\n' | kproduce t 0
	"$KDRIVE" read -F -s 0 "$(klog t 0)" >got 2>err 3>&- &
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

@test "kafka: a topic whose leader is still being elected is waited for, within the bound" {
	kmock_start t:1
	printf 'a\n' | kproduce t 0
	kconfig "socket.timeout.ms=2000"
	kmock topicerr t LEADER_NOT_AVAILABLE
	run -74 --separate-stderr within 10 "$KDRIVE" read -s 0 "$(klog t 0)"
	[[ "$stderr" == *"topic t: Broker: Leader not available"* ]]
	# elected within the bound: read as if nothing happened
	"$KDRIVE" read -s 0 "$(klog t 0)" >got 2>err 3>&- &
	reader=$!
	sleep 0.5
	kmock topicerr t NO_ERROR
	wait "$reader"
	run cat got err
	assert_output "$(printf '0\ta')"
}
