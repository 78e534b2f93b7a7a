#!/bin/sh
# logcat against cat, zcat and logtail2 (DESIGN.md section 7): 2M JSON
# lines of about 100 bytes, a plain file and its gzip copy, to a pipe.
# LOGCAT_REF=PATH times another build of logcat (an earlier commit's, to
# see that a change made it no slower) in the same run, against the same
# references.
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

cat_s=$(seconds "cat '$F' | cat")
lc_s=$(seconds "logcat '$F' | cat")
[ -z "${LOGCAT_REF:-}" ] || ref_s=$(seconds "'$LOGCAT_REF' '$F' | cat")
# logtail2 keeps its own offset file: start it afresh at every run
lt_s=$(seconds "rm -f '$T/lt.off'; '$LOGTAIL2' -f '$F' -o '$T/lt.off' | cat")
zcat_s=$(seconds "zcat '$F.gz' | cat")
lcz_s=$(seconds "logcat '$F.gz' | cat")
[ -z "${LOGCAT_REF:-}" ] || refz_s=$(seconds "'$LOGCAT_REF' '$F.gz' | cat")

echo "logcat: 2M JSON lines ($(wc -c <"$F") bytes), to a pipe, best of 3"
row "cat FILE | cat (reference)" "$cat_s" "$cat_s" ""
row "logcat FILE | cat" "$lc_s" "$cat_s" "<= 1.30"
[ -z "${LOGCAT_REF:-}" ] ||
    row "LOGCAT_REF FILE | cat" "$ref_s" "$cat_s" "logcat's, or more"
row "logtail2 -f FILE | cat" "$lt_s" "$lc_s" ">= 3.00 (x logcat)"
row "zcat FILE.gz | cat (reference)" "$zcat_s" "$zcat_s" ""
row "logcat FILE.gz | cat" "$lcz_s" "$zcat_s" "<= 0.70"
[ -z "${LOGCAT_REF:-}" ] ||
    row "LOGCAT_REF FILE.gz | cat" "$refz_s" "$zcat_s" "logcat's, or more"
[ -z "${LOGCAT_REF:-}" ] || echo "LOGCAT_REF=$LOGCAT_REF"
