#!/bin/sh
# commit against the bare command (DESIGN.md section 7): 2M tagged records
# of about 100 bytes, "commit -a -n 10000 -- cat" and "commit -e -n 1000 --
# cat" against "cat" alone on the same input.  Each commit is one fsync
# group (the new offset file, then its directory), so the figures depend
# on the disk's fsync latency: they are shown with the offset file beside
# the data and, where /dev/shm exists, on tmpfs, where fsync costs nothing
# and what is left is commit's own work.
. "$(dirname "$0")/lib.sh"

F=$BENCH_DIR/events.log
events 2000000 "$F"
T=$(mktemp -d "$BENCH_DIR/commit.XXXXXX")
S=
trap 'rm -rf "$T" ${S:+"$S"}' EXIT
logcat "$F" >"$T/tagged"
[ -d /dev/shm ] && S=$(mktemp -d /dev/shm/exactly-commit.XXXXXX)

# commit must hand the command exactly its input
commit -a -n 10000 -o "$T/check" -- cat <"$T/tagged" | cmp -s - "$T/tagged" ||
    { echo "bench: commit -a output differs" >&2; exit 1; }
commit -e -n 1000 -o "$T/check.e" -- cat <"$T/tagged" | cmp -s - "$T/tagged" ||
    { echo "bench: commit -e output differs" >&2; exit 1; }

# one fsync group, alone: twenty resets of an offset file
fs_s=$(seconds "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do commit -o '$T/r' -R \$i; done")

cat_s=$(seconds "cat <'$T/tagged' >/dev/null")
pipe_s=$(seconds "cat <'$T/tagged' | cat >/dev/null")
a_s=$(seconds "rm -f '$T/off'; commit -a -n 10000 -o '$T/off' -- cat <'$T/tagged' >/dev/null")
e_s=$(seconds "rm -f '$T/off'; commit -e -n 1000 -o '$T/off' -- cat <'$T/tagged' >/dev/null")

echo "commit: 2M tagged records ($(wc -c <"$T/tagged") bytes), best of 3"
printf '%-44s %8.2f ms\n' "one commit (fsync group) on $BENCH_DIR" \
    "$(echo "$fs_s * 50" | bc -l)"
row "cat <in >/dev/null (reference)" "$cat_s" "$cat_s" ""
row "cat <in | cat >/dev/null (fed by a pipe)" "$pipe_s" "$cat_s" ""
row "commit -a -n 10000 -- cat (200 commits)" "$a_s" "$cat_s" "<= 1.11 (>= 90 % throughput)"
row "commit -e -n 1000 -- cat (2000 commits)" "$e_s" "$cat_s" "<= 1.11"
if [ -n "$S" ]; then
	as_s=$(seconds "rm -f '$S/off'; commit -a -n 10000 -o '$S/off' -- cat <'$T/tagged' >/dev/null")
	es_s=$(seconds "rm -f '$S/off'; commit -e -n 1000 -o '$S/off' -- cat <'$T/tagged' >/dev/null")
	row "the same, offset file on tmpfs: -a" "$as_s" "$cat_s" "<= 1.11"
	row "the same, offset file on tmpfs: -e" "$es_s" "$cat_s" "<= 1.11"
fi
