#!/bin/sh
# logcat against cat, zcat and logtail2 (DESIGN.md section 7): 2M JSON
# lines of about 100 bytes, a plain file and its gzip copy, to a pipe.
# LOGCAT_REF=PATH times another build of logcat (an earlier commit's, to
# see that a change made it no slower) in the same run, against the same
# references.  The commands compared take turns, 2 x BENCH_RUNS rounds.
. "$(dirname "$0")/lib.sh"

if ! command -v logtail2 >/dev/null 2>&1 && [ ! -x /usr/sbin/logtail2 ]; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends logtail >/dev/null
	else
		echo "bench: logtail2 missing: sudo apt-get install logtail" >&2
		exit 1
	fi
fi
LOGTAIL2=$(command -v logtail2 || echo /usr/sbin/logtail2)

F=$BENCH_DIR/events.log
events 2000000 "$F"
if [ ! -s "$F.gz" ] || [ "$F.gz" -ot "$F" ]; then
	gzip -c "$F" >"$F.gz.tmp" && mv "$F.gz.tmp" "$F.gz"
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# logcat must write exactly what the references read, tagged
for lc in logcat ${LOGCAT_REF:+"$LOGCAT_REF"}; do
	"$lc" -p "$F" | cmp -s - "$F" || { echo "bench: $lc output differs" >&2; exit 1; }
	"$lc" -p "$F.gz" | cmp -s - "$F" || { echo "bench: $lc gzip output differs" >&2; exit 1; }
done

# The sides of each comparison take turns, round after round, twice the
# rounds of BENCH_RUNS: a tenth of a second is easily stretched by load
# from elsewhere.  logtail2 keeps its own offset file: it starts afresh
# at every run.
BENCH_RUNS=$((BENCH_RUNS * 2))
b=$(bests "cat '$F' | cat" "logcat '$F' | cat" \
    "rm -f '$T/lt.off'; '$LOGTAIL2' -f '$F' -o '$T/lt.off' | cat" \
    ${LOGCAT_REF:+"'$LOGCAT_REF' '$F' | cat"})
set -- $b
cat_s=$1 lc_s=$2 lt_s=$3 ref_s=${4:-}
b=$(bests "zcat '$F.gz' | cat" "logcat '$F.gz' | cat" \
    ${LOGCAT_REF:+"'$LOGCAT_REF' '$F.gz' | cat"})
set -- $b
zcat_s=$1 lcz_s=$2 refz_s=${3:-}

echo "logcat: 2M JSON lines ($(wc -c <"$F") bytes), to a pipe, best of $BENCH_RUNS"
row "cat FILE | cat (the floor: a pipe copy)" "$cat_s" "$cat_s" ""
target "logcat FILE | cat" "$lc_s" "$cat_s" "cat FILE | cat" "<=" 1.30
target "logtail2 -f FILE | cat (logcat's speed-up)" "$lt_s" "$lc_s" \
    "logcat FILE | cat" ">=" 3.00
[ -z "$ref_s" ] || {
	row "LOGCAT_REF FILE | cat" "$ref_s" "$cat_s" ""
	row "LOGCAT_REF FILE | cat, against logcat" "$ref_s" "$lc_s" ""
}
row "zcat FILE.gz | cat (reference)" "$zcat_s" "$zcat_s" ""
target "logcat FILE.gz | cat" "$lcz_s" "$zcat_s" "zcat FILE.gz | cat" "<=" 0.70
[ -z "$refz_s" ] || {
	row "LOGCAT_REF FILE.gz | cat" "$refz_s" "$zcat_s" ""
	row "LOGCAT_REF FILE.gz | cat, against logcat" "$refz_s" "$lcz_s" ""
	echo "LOGCAT_REF=$LOGCAT_REF"
}
