#!/bin/sh
# logcat resume time (DESIGN.md section 7): "logcat -o off -n 1" with the
# committed offset near the end of a 20 MB and of a 2 GB log, after a first
# run has read the log.  The target is under 20 ms and flat in the log's
# size: the 2 GB log's resume within 1.5 x the same command's on a log of
# 1 MB, the reference, whose time is mostly the process's own start.
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d "$BENCH_DIR/resume.XXXXXX")
trap 'rm -rf "$T"' EXIT

# resume NAME LINES: the first run, the offset set near the end and the
# resume checked; prints the command to time
resume() {
	log=$BENCH_DIR/resume-$1.log
	events "$2" "$log"
	mkdir -p "$T/$1"
	logcat -o "$T/$1/off" "$log" >/dev/null
	echo $(($2 - 10)) >"$T/$1/off"
	logcat -o "$T/$1/off" -n 1 "$log" | cut -f1 | grep -qx $(($2 - 10)) || {
		echo "bench: resume $1 gave the wrong record" >&2
		exit 1
	}
	echo "logcat -o '$T/$1/off' -n 1 '$log'"
}

# segments DIR N: N rotated segments of 20 lines each, DIR/log.N (oldest)
# to DIR/log.1, and the live DIR/log, made once by one awk.
segments() {
	[ -s "$1/log" ] && return 0
	rm -rf "$1.tmp" && mkdir -p "$1.tmp"
	awk -v d="$1.tmp" -v n="$2" 'BEGIN {
		for (s = n; s >= 0; s--) {
			f = s ? d "/log." s : d "/log"
			for (i = 0; i < 20; i++)
				printf "{\"seg\":%d,\"line\":%d,\"ts\":%d}\n", s, i, 1700000000 + (n - s) * 20 + i >f
			close(f)
		}
	}'
	mv "$1.tmp" "$1"
}

# resume over N segments: the first run numbers them, then the timed
# resume near the end reads the newest
resegs() {
	segs=$BENCH_DIR/segments-$1
	segments "$segs" "$1"
	mkdir -p "$T/segs$1"
	logcat -o "$T/segs$1/off" "$segs"/log* >/dev/null
	echo $((($1 + 1) * 20 - 10)) >"$T/segs$1/off"
	logcat -o "$T/segs$1/off" -n 1 "$segs"/log* | cut -f1 |
	    grep -qx $((($1 + 1) * 20 - 10)) || {
		echo "bench: resume over $1 segments gave the wrong record" >&2
		exit 1
	}
	echo "logcat -o '$T/segs$1/off' -n 1 '$segs'/log*"
}

c1=$(resume 1MB 12500)
c2=$(resume 20MB 250000)
c3=$(resume 2GB 25000000)
c4=$(resegs 1000)
c5=$(resegs 10000)
# a few milliseconds each, mostly the start of a process, which the load
# from elsewhere stretches: five times the rounds
b=$(BENCH_RUNS=$((BENCH_RUNS * 5)) bests "$c1" "$c2" "$c3" "$c4" "$c5")
set -- $b
small=$1 mid=$2 big=$3 segs1k=$4 segs10k=$5
echo "logcat resume near the end of the log: logcat -o off -n 1," \
    "best of $((BENCH_RUNS * 5))"
row "1 MB log (reference)" "$small" "$small" ""
row "20 MB log" "$mid" "$small" ""
target "2 GB log: flat" "$big" "$small" "the 1 MB log's" "<=" 1.50
value "2 GB log: under 20 ms" "$(echo "$big * 1000" | bc -l | awk '{ printf "%.1f", $1 }')" \
    ms "<" 20
row "1,000 segments of 20 lines" "$segs1k" "$small" "O(segments)"
row "10,000 segments of 20 lines" "$segs10k" "$small" "O(segments): 10 x 1,000's"

# -F latency: a writer appends a line holding the time it was written,
# every 5 ms; a reader of "logcat -F -p" takes the difference as each line
# arrives.  Median and 99th percentile of 400 lines.
L=$T/live.log
: >"$L"
mkfifo "$T/fifo"
logcat -F -p "$L" >"$T/fifo" &
lpid=$!
perl -MTime::HiRes=time -ne '
	chomp; push @d, time() - $_;
	if (@d == 400) {
		@d = sort { $a <=> $b } @d;
		printf "%.6f %.6f\n", $d[200], $d[396];
		exit 0;
	}' <"$T/fifo" >"$T/lat" &
reader=$!
sleep 0.3
perl -MTime::HiRes=time,sleep -e '
	$| = 1;
	for (1 .. 400) {
		open(my $f, ">>", $ARGV[0]) or die;
		printf $f "%.6f\n", time();
		close $f;
		sleep 0.005;
	}' "$L"
wait $reader
kill $lpid 2>/dev/null || true # it may have seen its reader go
wait $lpid || true
read -r med p99 <"$T/lat"
echo "logcat -F: append to output, 400 lines 5 ms apart"
printf '%-44s %8.3f ms\n' "median latency" "$(echo "$med * 1000" | bc -l)"
printf '%-44s %8.3f ms\n' "99th percentile" "$(echo "$p99 * 1000" | bc -l)"

# The copytruncate window: a writer keeps its log open (O_APPEND) and
# appends a numbered line every 20 us while logrotate copies and
# truncates; lines in neither the copy nor the truncated log were lost by
# logrotate itself.  The window is lost lines / lines written per ms.
command -v logrotate >/dev/null || PATH=$PATH:/usr/sbin
echo "logrotate copytruncate: lines lost between copy and truncate"
for mb in 1 50; do
	d=$T/ct$mb
	mkdir "$d"
	printf '%s\n' "$d/events.log {" "rotate 5" "copytruncate" "}" >"$d/lr.conf"
	awk -v n=$((mb * 10000)) 'BEGIN { for (i = 0; i < n; i++)
		printf "pre %08d %s\n", i, substr(sprintf("%090d", 0), 1, 86) }' >"$d/events.log"
	perl -MTime::HiRes=time,sleep -e '
		open(my $f, ">>", $ARGV[0]) or die; select($f); $| = 1;
		my ($t0, $i) = (time(), 0);
		while (time() - $t0 < 1.0) { print "$i\n"; $i++; sleep 0.00002 }
		print STDERR "$i\n"' "$d/events.log" 2>"$d/n" &
	sleep 0.4
	logrotate -s "$d/lr.state" -f "$d/lr.conf"
	wait
	n=$(cat "$d/n")
	kept=$(cat "$d/events.log.1" "$d/events.log" | grep -cv '^pre')
	printf '%-44s %8d lost of %d, window %.1f ms\n' "log of $mb MB" \
	    $((n - kept)) "$n" "$(echo "($n - $kept) * 1000 / $n" | bc -l)"
done
