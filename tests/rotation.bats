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

@test "copytruncate cuts a block-buffered writer's line in two: the halves are one record" {
	lr_conf 'rotate 5' copytruncate
	# the writer's buffer went out in the middle of event 3
	printf '{"id":1}\n{"id":2}\n{"id":3,"msg":"hel' >events.log
	set -o pipefail
	logcat -o st/off events.log* | dedup -s st/seen -k id | commit -a -o st/off >>got
	assert_equal "$(cat got)" "$(printf '0\t{"id":1}\n1\t{"id":2}')"
	lr_rotate
	run -0 cat events.log.1
	assert_output '{"id":1}
{"id":2}
{"id":3,"msg":"hel'
	# its next write goes to the truncated file
	printf 'lo"}\n{"id":4}\n' >>events.log
	run -0 --separate-stderr sh -c 'logcat -o st/off events.log* | dedup -s st/seen -k id | commit -a -o st/off'
	assert_output "$(printf '2\t{"id":3,"msg":"hello"}\n3\t{"id":4}')"
	assert_equal "$stderr" ""
	assert_equal "$(cat st/off)" 4
	# the same record, read again from anywhere
	run -0 logcat -s 2 events.log*
	assert_output "$(printf '2\t{"id":3,"msg":"hello"}\n3\t{"id":4}')"
	run -0 logcat -s 3 events.log*
	assert_output "$(printf '3\t{"id":4}')"
	run -0 logcat events.log.1 events.log
	assert_output "$(printf '0\t{"id":1}\n1\t{"id":2}\n2\t{"id":3,"msg":"hello"}\n3\t{"id":4}')"
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

@test "the live file emptied between runs, empty or written again: exit 65, nothing written, the remedy" {
	printf '1\n2\n3\n' >log
	logcat -o st/off log | commit -a -o st/off >/dev/null
	gone="logcat: the segment holding offsets from 0 on is gone (deleted, truncated or replaced) before it was read to its end, and the last offset read from it is 2: what was written to it after that is unknown (st/off: committed offset 3; give the rotated files too, as log* does, or -r earliest to accept the loss and number what follows from offset 3)"
	: >log
	run -65 --separate-stderr logcat -o st/off log
	assert_output ""
	assert_equal "$stderr" "$gone"
	# a new line in it changes nothing
	printf '4\n' >>log
	run -65 --separate-stderr logcat -o st/off log
	assert_output ""
	assert_equal "$stderr" "$gone"
	run -65 --separate-stderr logcat -o st/off -n 1 log
	assert_equal "$stderr" "$gone"
	# the loss accepted once: what follows is numbered on
	run -0 --separate-stderr logcat -r earliest -o st/off log
	assert_output "$(printf '3\t4')"
	assert_equal "$stderr" "logcat: the segment holding offsets from 0 on is gone (deleted, truncated or replaced) before it was read to its end, and the last offset read from it is 2: what was written to it after that is lost; -r earliest: numbering what follows from offset 3"
	run -0 --separate-stderr logcat -o st/off log
	assert_output "$(printf '3\t4')"
	assert_equal "$stderr" ""
}

@test "the live file renamed, a new one begun, the renamed one deleted, between runs: exit 65" {
	printf '1\n2\n3\n' >log
	logcat -o st/off log | commit -a -o st/off >/dev/null
	mv log log.1
	printf '4\n' >log
	rm log.1
	run -65 --separate-stderr logcat -o st/off log
	assert_output ""
	assert_equal "$stderr" "logcat: the segment holding offsets from 0 on is gone (deleted, truncated or replaced) before it was read to its end, and the last offset read from it is 2: what was written to it after that is unknown (st/off: committed offset 3; give the rotated files too, as log* does, or -r earliest to accept the loss and number what follows from offset 3)"
	run -0 --separate-stderr logcat -r earliest -o st/off log
	assert_output "$(printf '3\t4')"
	run -0 --separate-stderr logcat -o st/off log
	assert_output "$(printf '3\t4')"
	assert_equal "$stderr" ""
}

@test "a live segment deleted while more had been read than committed: numbered on after what was read" {
	ev_write 0 9
	# read to 9, but only 0-4 committed (the consumer died)
	logcat -o st/off events.log >/dev/null
	echo 5 >st/off
	rm events.log
	ev_write 10 14
	run -65 --separate-stderr logcat -o st/off events.log
	assert_equal "$stderr" "logcat: the segment holding offsets from 0 on is gone (deleted, truncated or replaced) before it was read to its end, and the last offset read from it is 9: what was written to it after that is unknown (st/off: committed offset 5; give the rotated files too, as log* does, or -r earliest to accept the loss and number what follows from offset 10)"
	# offsets 5-9 were handed out once: they are not given to other records
	run -0 --separate-stderr logcat -r earliest -o st/off events.log
	assert_output "$(ev_want 10 14)"
}

@test "a segment deleted before any of it was read: -r decides" {
	# a run that stops (-n) at the end of the rotated segment has
	# numbered the live one, from 10, and read none of it
	ev_write 0 9
	mv events.log events.log.1
	ev_write 10 19
	run -0 logcat -o st/off -n 10 events.log*
	assert_output "$(ev_want 0 9)"
	rm events.log
	ev_write 20 24
	run -65 --separate-stderr logcat -o st/off events.log*
	assert_output ""
	assert_equal "$stderr" "logcat: the segment holding offsets from 10 on is gone (deleted, truncated or replaced) before it was read to its end, and none of it was read: what was written to it after that is unknown (st/off: committed offset 0; give the rotated files too, as log* does, or -r earliest to accept the loss and number what follows from offset 10)"
	run -0 --separate-stderr logcat -r earliest -o st/off events.log*
	assert_output "$(ev_want 0 9; ev_want 20 24 | sed 's/^2\([0-4]\)\t/1\1\t/')"
	assert_equal "$stderr" "logcat: the segment holding offsets from 10 on is gone (deleted, truncated or replaced) before it was read to its end, and none of it was read: what was written to it after that is lost; -r earliest: numbering what follows from offset 10"
}

@test "a segment gone after the start: -r earliest still delivers the segments before it" {
	# 0-9 in the rotated file, 10-19 in the live one, of which a run
	# read 10-14 without committing; then the live file is replaced
	ev_write 0 9
	mv events.log events.log.1
	ev_write 10 19
	run -0 logcat -o st/off -n 15 events.log*
	rm events.log
	ev_write 20 21
	run -65 --separate-stderr logcat -o st/off events.log*
	assert_output ""
	run -0 --separate-stderr logcat -r earliest -o st/off events.log*
	# events 20 and 21 numbered on from 15, after what was read
	assert_output "$(ev_want 0 9; ev_want 20 21 | awk -F'\t' '{ printf "%d\t%s\n", $1 - 5, $2 }')"
	assert_equal "${stderr_lines[1]}" "logcat: offsets 10-14 (5 records) are gone: their segment is no longer among the files given; -r earliest: skipping them"
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
	# stale: every checkpoint a byte off
	cp st/off.idx idx.ok
	awk 'NR == 1 { print; next } { $3 = $3 + 1; print }' idx.ok >st/off.idx
	echo 20000 >st/off
	run -0 logcat -o st/off -n 5 events.log
	assert_output "$(ev_want 20000 20004)"
	# foreign: an index of another log
	cp idx.ok st/off.idx
	sed -i 's/^\([0-9]*\) \([0-9]*\) \([0-9]*\) .*/\1 \2 \3 00000000000000000000000000000000/' st/off.idx
	echo 20001 >st/off
	run -0 logcat -o st/off -n 4 events.log
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

# ---- identity: a segment is told from another by its content, never by a guess

@test "a short segment and a new file that begin with the same header are two segments" {
	echo 'ts,user,amount' >ev.csv
	logcat -o st/off ev.csv* | commit -a -o st/off -- cat >got
	echo 'T10,alice,10' >>ev.csv
	echo 'T10,bob,20' >>ev.csv
	mv ev.csv ev.csv.1
	printf 'ts,user,amount\nT11,carol,30\nT11,dave,40\n' >ev.csv
	run -0 --separate-stderr sh -c 'logcat -o st/off ev.csv* | commit -a -o st/off -- cat'
	assert_output "$(printf '1\tT10,alice,10\n2\tT10,bob,20\n3\tts,user,amount\n4\tT11,carol,30\n5\tT11,dave,40')"
	assert_equal "$stderr" ""
	assert_equal "$(cat st/off)" 6
	run -0 logcat -s 0 ev.csv*
	assert_output "$(printf '0\tts,user,amount\n1\tT10,alice,10\n2\tT10,bob,20\n3\tts,user,amount\n4\tT11,carol,30\n5\tT11,dave,40')"
}

@test "a daily CSV log with a header, one cron run just after a rotation: every event once" {
	cat >lr.conf <<-EOF
	$PWD/ev.csv {
		rotate 7
		create
		postrotate
			echo ts,user,amount >$PWD/ev.csv
		endscript
	}
	EOF
	set -o pipefail
	echo ts,user,amount >ev.csv
	printf '%s\n' T1,a,1 T1,b,2 T1,c,3 >>ev.csv
	logcat -o st/off ev.csv* | commit -a -o st/off >>got
	# day 2: the run comes just after the rotation and finds the header
	lr_rotate
	logcat -o st/off ev.csv* | commit -a -o st/off >>got
	printf '%s\n' T2,d,4 T2,e,5 >>ev.csv
	# day 3: the new file is longer than the day it follows
	lr_rotate
	printf '%s\n' T3,f,6 T3,g,7 T3,h,8 T3,i,9 T3,j,10 >>ev.csv
	logcat -o st/off ev.csv* | commit -a -o st/off >>got
	lr_rotate
	printf '%s\n' T4,k,11 T4,l,12 T4,m,13 >>ev.csv
	logcat -o st/off ev.csv* | commit -a -o st/off >>got
	# every line of every day, in order, once, numbered from 0
	cat ev.csv.3 ev.csv.2 ev.csv.1 ev.csv | awk '{ printf "%d\t%s\n", NR - 1, $0 }' >want.txt
	diff want.txt got
	assert_equal "$(grep -c '^[0-9]*	T' got)" 13
}

@test "a segment that two files could be and nothing recorded can tell: exit 65, never a pick" {
	echo 'ts,user,amount' >ev.csv
	logcat -o st/off ev.csv* | commit -a -o st/off >got
	echo 'T10,alice,10' >>ev.csv
	# rotated and compressed: not the file logcat read, and a new file
	# that begins with the same header
	mv ev.csv ev.csv.1
	gzip ev.csv.1
	printf 'ts,user,amount\nT11,carol,30\n' >ev.csv
	cp st/off.seg seg.before
	run -65 --separate-stderr logcat -o st/off ev.csv*
	assert_output ""
	assert_equal "$stderr" "logcat: ev.csv and ev.csv.1.gz both begin as the segment holding offsets from 0 on, and what logcat recorded of it (its first 15 bytes, where reading it stopped, the file that held it) cannot tell which one holds it: run once with only that one among the files given"
	cmp seg.before st/off.seg
	# the remedy: once with only the one that holds it
	run -0 --separate-stderr logcat -o st/off ev.csv.1.gz
	assert_output "$(printf '1\tT10,alice,10')"
	echo 2 >st/off
	run -0 --separate-stderr logcat -o st/off ev.csv*
	assert_output "$(printf '2\tts,user,amount\n3\tT11,carol,30')"
	assert_equal "$stderr" ""
}

# ---- many segments -------------------------------------------------------

@test "1100 segments with ulimit -n 1024: files are not all held open" {
	ulimit -n 1024
	segments 1100
	ev_write 1100 1109
	cron_consume
	ev_write 1110 1119
	cron_consume
	ev_delivered 0 1119
	run -0 logcat -s 1098 -n 3 events.log*
	assert_output "$(ev_want 1098 1100)"
}

# ---- the offset file and its catalogue ----------------------------------

@test "an offset file copied without its catalogue: exit 65 with the remedy, never renumbered" {
	lr_conf 'rotate 1' create
	ev_write 0 99
	cron_consume
	lr_rotate
	ev_write 100 249
	cron_consume
	lr_rotate
	ev_write 250 299
	# 0-99 are deleted: numbered from the files given, 250 would be 350
	mkdir clone
	cp st/off clone/off
	run -65 --separate-stderr logcat -o clone/off events.log*
	assert_output ""
	assert_equal "$stderr" "logcat: clone/off: committed offset 250, but there is no segment catalogue clone/off.seg beside it, so which offsets the files given hold is unknown (restore clone/off.seg with it; or, if the files given begin at offset 0, create it: printf 'exactly-segments 2\\n' >clone/off.seg)"
	assert_file_not_exists clone/off.seg
	run -65 logcat -L -o clone/off events.log*
	# with its catalogue, the clone reads what the original reads
	cp st/off.seg clone/
	run -0 logcat -o clone/off -n 2 events.log*
	assert_output "$(ev_want 250 251)"
	run -0 logcat -o st/off -n 2 events.log*
	assert_output "$(ev_want 250 251)"
}

@test "a committed offset without a catalogue, told that the files begin at 0" {
	printf 'a\nb\nc\n' >log
	echo 2 >st/off
	run -65 logcat -o st/off log
	printf 'exactly-segments 2\n' >st/off.seg
	run -0 --separate-stderr logcat -o st/off log
	assert_output "$(printf '2\tc')"
	assert_equal "$stderr" ""
	# nothing committed, or 0: nothing to renumber
	rm st/off st/off.seg
	run -0 logcat -o st/off -n 1 log
	assert_output "$(printf '0\ta')"
	rm st/off.seg
	echo 0 >st/off
	run -0 logcat -o st/off -n 1 log
	assert_output "$(printf '0\ta')"
}

# ---- -L ------------------------------------------------------------------

# state: a checksum of every file under st/ but the lock.
state() {
	(cd st && for p in $(ls | grep -v '\.lock$'); do echo "$p $(md5sum <"$p")"; done)
}

@test "-L: where the log and the consumer stand, with no lock taken and nothing written" {
	lr_conf 'rotate 1' create
	ev_write 0 99
	cron_consume
	lr_rotate
	ev_write 100 149
	cron_consume
	lr_rotate
	ev_write 150 159
	# an unfinished line is no record yet
	printf '{"n":160' >>events.log
	before=$(state)
	# another consumer holds the lock: -L does not wait for it
	run -0 --separate-stderr flock st/off.lock logcat -L -o st/off events.log*
	assert_output "$(printf 'events.log\t100\t160\t150\t10')"
	assert_equal "$stderr" ""
	assert_equal "$(state)" "$before"
	# a glob in another order, and the same answer
	run -0 logcat -L -o st/off events.log.1 events.log
	assert_output "$(printf 'events.log\t100\t160\t150\t10')"
	# without -o, the files given alone, numbered from 0
	run -0 --separate-stderr logcat -L events.log*
	assert_output "$(printf 'events.log\t0\t60\t-\t-')"
	# nothing committed yet
	run -0 logcat -L -o new/off events.log
	assert_output "$(printf 'events.log\t0\t10\t-\t-')"
	assert_not_exist new
	# a consumer ahead of the end, behind the first
	echo 170 >st/off
	run -0 logcat -L -o st/off events.log*
	assert_output "$(printf 'events.log\t100\t160\t170\t-10')"
	echo 50 >st/off
	run -0 logcat -L -o st/off events.log*
	assert_output "$(printf 'events.log\t100\t160\t50\t110')"
	assert_equal "$(state | grep -v '^off ')" "$(echo "$before" | grep -v '^off ')"
}
