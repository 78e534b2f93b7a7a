#!/usr/bin/env bats
# logcat across log rotation, driven by Debian's real logrotate with a
# private configuration and state file.  Each test writes numbered events
# (event N is the log's record N), rotates, consumes as a cron job would,
# and checks that every event was delivered exactly once at its offset.

load test_helper

setup() {
	mkdir st
}

@test "create: renamed and recreated, offsets stay and nothing is read twice" {
	lr_conf 'rotate 5' create
	ev_write 0 99
	cron_consume
	ev_write 100 149
	lr_rotate
	ev_write 150 199
	run -0 ls events.log events.log.1
	cron_consume
	ev_delivered 0 199
	assert_equal "$(cat st/off)" 200
	# the same records keep their offsets when read again from anywhere
	run -0 logcat -s 120 -n 3 events.log events.log.1
	assert_output "$(ev_want 120 122)"
}

@test "compress: the rotated segment is read from its gzip with the same offsets" {
	lr_conf 'rotate 5' create compress
	ev_write 0 99
	cron_consume
	ev_write 100 149
	lr_rotate
	ev_write 150 159
	run -0 ls events.log.1.gz
	cron_consume
	ev_write 160 169
	lr_rotate
	ev_write 170 179
	cron_consume
	ev_delivered 0 179
	run -0 logcat -s 148 -n 4 events.log*
	assert_output "$(ev_want 148 151)"
}

@test "delaycompress: .1 plain, .2.gz compressed, the offsets never move" {
	lr_conf 'rotate 5' create compress delaycompress
	ev_write 0 49
	cron_consume
	for k in 1 2 3; do
		ev_write $((k * 100 - 50)) $((k * 100 + 49))
		lr_rotate
		cron_consume
	done
	ev_write 350 359
	cron_consume
	run -0 ls events.log events.log.1 events.log.2.gz events.log.3.gz
	ev_delivered 0 359
	run -0 logcat -s 0 -n 1 events.log*
	assert_output "$(ev_want 0 0)"
	run -0 logcat -s 349 -n 2 events.log*
	assert_output "$(ev_want 349 350)"
}

@test "dateext: dated names are recognised by content" {
	lr_conf 'rotate 5' create dateext 'dateformat -%Y%m%d-%s'
	ev_write 0 99
	cron_consume
	ev_write 100 199
	lr_rotate
	ev_write 200 249
	cron_consume
	sleep 1 # dateformat has one name per second
	ev_write 250 259
	lr_rotate
	ev_write 260 269
	cron_consume
	run -0 sh -c 'ls events.log-* | wc -l'
	assert_output 2
	ev_delivered 0 269
}

@test "two and three rotations between two runs" {
	lr_conf 'rotate 5' create compress delaycompress
	ev_write 0 9
	cron_consume
	ev_write 10 19
	lr_rotate
	ev_write 20 29
	lr_rotate
	ev_write 30 39
	cron_consume
	ev_write 40 49
	lr_rotate
	ev_write 50 59
	lr_rotate
	ev_write 60 69
	lr_rotate
	ev_write 70 79
	cron_consume
	ev_delivered 0 79
	run -0 logcat -s 0 events.log*
	assert_output "$(ev_want 0 79)"
}

@test "rotate N deletes old segments: a consumer that keeps up misses nothing" {
	lr_conf 'rotate 1' create compress
	for k in 0 1 2 3 4; do
		ev_write $((k * 20)) $((k * 20 + 19))
		cron_consume
		lr_rotate
	done
	ev_write 100 109
	cron_consume
	ev_delivered 0 109
	run -0 ls events.log events.log.1.gz
	assert_file_not_exists events.log.2.gz
}

@test "rotate N: offsets that are gone follow -r and say how many records" {
	lr_conf 'rotate 1' create
	ev_write 0 9
	cron_consume -n 5
	ev_write 10 29
	lr_rotate
	ev_write 30 39
	# a slow consumer: logcat sees the rotation, 10-29 are not committed
	cron_consume -n 5
	assert_equal "$(cat st/off)" 10
	lr_rotate
	ev_write 40 44
	# 10-29 were in the segment logrotate deleted
	assert_file_not_exists events.log.2
	run -65 --separate-stderr logcat -o st/off events.log*
	assert_output ""
	assert_equal "$stderr" "logcat: offsets 10-29 (20 records) are gone: their segment is no longer among the files given (st/off: committed offset 10; -r earliest or latest to go on)"
	run -0 --separate-stderr logcat -r earliest -o st/off events.log*
	assert_output "$(ev_want 30 44)"
	assert_equal "$stderr" "logcat: offsets 10-29 (20 records) are gone: their segment is no longer among the files given; -r earliest: skipping them"
	lr_rotate
	ev_write 45 49
	run -0 --separate-stderr logcat -r earliest -o st/off events.log*
	assert_output "$(ev_want 40 49)"
	assert_equal "$stderr" "$(printf '%s\n' "logcat: offsets 10-29 (20 records) are gone: their segment is no longer among the files given; -r earliest: skipping them" "logcat: offsets 30-39 (10 records) are gone: their segment is no longer among the files given; -r earliest: skipping them")"
	run -0 --separate-stderr logcat -r latest -o st/off events.log*
	assert_output ""
	assert_equal "$stderr" "logcat: offsets 10-29 (20 records) are gone: their segment is no longer among the files given; -r latest: starting after the newest record"
	echo 40 >st/off
	run -0 --separate-stderr logcat -o st/off events.log*
	assert_output "$(ev_want 40 49)"
	assert_equal "$stderr" ""
}

@test "copytruncate: the copy keeps the offsets, the truncated file continues them" {
	lr_conf 'rotate 5' copytruncate
	ev_write 0 99
	cron_consume
	ev_write 100 149
	lr_rotate
	run -0 stat -c %s events.log
	assert_output 0
	cron_consume
	ev_write 150 199
	cron_consume
	ev_write 200 209
	lr_rotate
	ev_write 210 219
	lr_rotate
	ev_write 220 229
	cron_consume
	ev_delivered 0 229
}

@test "copytruncate of a file never read to its end, with an unterminated line" {
	lr_conf 'rotate 5' copytruncate
	ev_write 0 9
	printf '{"n":10,"pad":"unfinished' >>events.log
	cron_consume
	ev_delivered 0 9
	lr_rotate
	ev_write 11 19
	cron_consume
	# the line cut by the rotation is a record of the old segment, whole
	# as it was copied; nothing of it is written twice
	run -0 logcat -s 10 -n 1 events.log*
	assert_output "$(printf '10\t{"n":10,"pad":"unfinished')"
	run -0 sed -n '11,$p' got
	assert_output "$(printf '10\t{"n":10,"pad":"unfinished'; echo; ev_want 11 19)"
}

@test "files given in any order are the same log" {
	lr_conf 'rotate 5' create compress delaycompress
	ev_write 0 9
	lr_rotate
	ev_write 10 19
	lr_rotate
	ev_write 20 29
	lr_rotate
	ev_write 30 39
	run -0 logcat -o st/off events.log events.log.1 events.log.3.gz events.log.2.gz
	assert_output "$(ev_want 0 39)"
	echo 15 >st/off
	run -0 logcat -o st/off events.log.2.gz events.log events.log.3.gz events.log.1
	assert_output "$(ev_want 15 39)"
	run -0 logcat -s 15 -n 2 events.log.1 events.log events.log.3.gz events.log.2.gz
	assert_output "$(ev_want 15 16)"
}

@test "a renamed file is the same segment; a new file of the same name is new" {
	ev_write 0 9
	cron_consume
	mv events.log events.old
	ev_write 10 19
	set -o pipefail
	logcat -o st/off events.old events.log >>got
	echo 20 >st/off
	ev_delivered 0 19
	# a deleted file whose inode a new file may reuse: told apart by content
	rm events.old
	mv events.log events.prev
	ev_write 20 24
	run -0 logcat -o st/off events.prev events.log
	assert_output "$(ev_want 20 24)"
}

@test "a file shorter than the fingerprint is identified as it grows" {
	lr_conf 'rotate 5' create
	printf '{"n":0}\n' >events.log
	cron_consume
	printf '{"n":1}\n' >>events.log
	cron_consume
	lr_rotate
	printf '{"n":2}\n' >>events.log
	cron_consume
	run -0 cat got
	assert_output "$(printf '0\t{"n":0}\n1\t{"n":1}\n2\t{"n":2}')"
	# an empty new file is no segment until it holds something
	lr_rotate
	run -0 logcat -o st/off events.log*
	assert_output ""
	printf '{"n":3}\n' >>events.log
	run -0 logcat -o st/off events.log*
	assert_output "$(printf '3\t{"n":3}')"
}

@test "a truncated and regrown file is a new segment" {
	ev_write 0 9
	cron_consume
	: >events.log
	ev_write 10 14
	run -0 --separate-stderr logcat -o st/off events.log
	assert_output "$(ev_want 10 14)"
	assert_equal "$stderr" "logcat: the segment holding offsets from 0 on is gone (deleted, or truncated) before it was read to its end: what was written to it after offset 9 is unknown; newer segments are numbered from offset 10"
	echo 15 >st/off
	ev_write 15 16
	run -0 --separate-stderr logcat -o st/off events.log
	assert_output "$(ev_want 15 16)"
	assert_equal "$stderr" ""
}

@test "a deleted live segment: newer ones continue after what was committed" {
	ev_write 0 9
	cron_consume
	rm events.log
	ev_write 10 14
	mv events.log events.log.1
	ev_write 15 19
	run -0 --separate-stderr logcat -o st/off events.log*
	assert_output "$(ev_want 10 19)"
	assert_equal "$stderr" "logcat: the segment holding offsets from 0 on is gone (deleted, or truncated) before it was read to its end: what was written to it after offset 9 is unknown; newer segments are numbered from offset 10"
}

@test "a segment deleted before any of it was committed: -r decides" {
	ev_write 0 9
	run -0 logcat -o st/off -n 0 events.log
	assert_output ""
	rm events.log
	ev_write 10 14
	run -65 --separate-stderr logcat -o st/off events.log
	assert_output ""
	assert_equal "$stderr" "logcat: the segment holding offsets from 0 on is gone with none of it committed: how many records it held is unknown (st/off: committed offset 0; -r earliest or latest to number newer segments from offset 0)"
	run -0 --separate-stderr logcat -r earliest -o st/off events.log
	assert_output "$(ev_want 10 14 | sed 's/^1\([0-4]\)\t/\1\t/')"
	assert_equal "$stderr" "logcat: the segment holding offsets from 0 on is gone with none of it committed; newer segments are numbered from offset 0"
}

@test "the catalogue: malformed is exit 65, never a reset" {
	ev_write 0 9
	cron_consume
	cp st/off.seg seg.ok
	for bad in 'garbage' "$(printf 'exactly-segments 1\n0 x 10 00')" "$(printf 'exactly-segments 1\n0 5 10 %032d\n7 - 10 %032d' 0 0)"; do
		printf '%s\n' "$bad" >st/off.seg
		run -65 --separate-stderr logcat -o st/off events.log
		assert_output ""
		[[ "$stderr" == "logcat: st/off.seg: line "* ]]
	done
	: >st/off.seg
	run -65 --separate-stderr logcat -o st/off events.log
	assert_equal "$stderr" "logcat: st/off.seg: empty segment catalogue"
	cp seg.ok st/off.seg
	ev_write 10 11
	run -0 logcat -o st/off events.log
	assert_output "$(ev_want 10 11)"
}

@test "the resume index: missing, stale or foreign, it is rebuilt and offsets are right" {
	ev_write 0 29999
	cron_consume
	assert_file_exists st/off.idx
	ev_write 30000 30009
	cron_consume
	ev_delivered 0 30009
	# stale: the file was replaced by one with the same beginning
	cp st/off.idx idx.ok
	head -n 20000 events.log >e2
	ev_want 20000 20004 | cut -f2 >>e2
	mv e2 events.log
	echo 20000 >st/off
	run -0 logcat -o st/off events.log
	assert_output "$(ev_want 20000 20004)"
	# foreign: an index of another log
	cp idx.ok st/off.idx
	sed -i 's/^\([0-9]*\) \([0-9]*\) \([0-9]*\) .*/\1 \2 \3 00000000000000000000000000000000/' st/off.idx
	echo 20001 >st/off
	run -0 logcat -o st/off events.log
	assert_output "$(ev_want 20001 20004)"
	rm st/off.idx
	run -0 logcat -o st/off -n 1 events.log
	assert_output "$(ev_want 20001 20001)"
	echo junk >st/off.idx
	run -65 --separate-stderr logcat -o st/off events.log
	assert_equal "$stderr" "logcat: st/off.idx: line 1: not a resume index, expected \"exactly-index 1\" (the index is a cache: delete it to rebuild it)"
}

@test "one content under two names is one segment: a link, a file given twice" {
	ev_write 0 99
	ln events.log hard
	run -0 logcat -o st/off events.log hard events.log
	assert_output "$(ev_want 0 99)"
	run -0 logcat -s 98 hard events.log
	assert_output "$(ev_want 98 99)"
}

@test "the instant logrotate compresses: log.1 beside a whole or growing log.1.gz" {
	ev_write 0 199
	mv events.log events.log.1
	ev_write 200 209
	# the gzip being written holds the start of log.1, cut short
	gzip -c events.log.1 | head -c 400 >events.log.1.gz
	run -0 --separate-stderr logcat -o st/off events.log*
	assert_output "$(ev_want 0 209)"
	assert_equal "$stderr" ""
	# done compressing, not yet removed: the same segment twice
	gzip -c events.log.1 >events.log.1.gz
	echo 0 >st/off
	run -0 --separate-stderr logcat -o st/off events.log*
	assert_output "$(ev_want 0 209)"
	rm events.log.1
	run -0 logcat -o st/off events.log*
	assert_output "$(ev_want 0 209)"
}

@test "a gzip cut short in its first bytes is never numbered" {
	ev_write 0 199
	gzip -c events.log | head -c 100 >new.gz
	run -65 --separate-stderr logcat -o st/off new.gz
	assert_output ""
	[[ "$stderr" == "logcat: new.gz: bad gzip data in its first "*" bytes, so it cannot be numbered: truncated gzip data (unexpected end of file)" ]]
	assert_file_not_exists st/off.seg
}

@test "the resume index keeps checkpoints of segments still present only" {
	lr_conf 'rotate 1' create
	ev_write 0 29999
	cron_consume
	run -0 cut -d' ' -f1 st/off.idx
	assert_output "$(printf 'exactly-index\n0')"
	lr_rotate
	ev_write 30000 59999
	cron_consume
	lr_rotate
	ev_write 60000 60009
	cron_consume
	ev_delivered 0 60009
	# the segment of 0-29999 is deleted; 30000-59999 is events.log.1
	run -0 cut -d' ' -f1 st/off.idx
	assert_output "$(printf 'exactly-index\n30000')"
}

# segments N: N rotated segments, events.log.N (oldest) to events.log.1,
# holding events 0 to N-1, one each, made by one awk.
segments() {
	awk -v n="$1" -v pad="$EV_PAD" 'BEGIN {
		for (i = 0; i < n; i++) {
			f = "events.log." (n - i)
			printf "{\"n\":%d,\"pad\":\"%s\"}\n", i, substr(pad, 1 + i % 30) >f
			close(f)
		}
	}'
}

@test "more than 4096 segments: every later run reads the catalogue" {
	segments 5000
	ev_write 5000 5009
	cron_consume
	run -0 wc -l <st/off.seg
	assert_output 5002
	ev_write 5010 5019
	cron_consume
	ev_write 5020 5029
	cron_consume
	ev_delivered 0 5029
	run -0 logcat -s 4998 -n 3 events.log*
	assert_output "$(ev_want 4998 5000)"
}
