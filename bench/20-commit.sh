#!/bin/sh
# commit against its floor (DESIGN.md section 7): 2M tagged records of
# about 100 bytes, "commit -a -n 10000 -- cat", 200 batches, each one run
# of cat and one fsync group (the new offset file, then its directory).
# The floor is what that cannot cost less than, each part measured alone
# in the same run, on the same disk: the pipe copy of the same input
# (cat <in | cat), and 200 times one fsync group and one fork and exec of
# cat on empty input (bench/floor.c).  The target is 1.2 x the floor.
# "commit -e -n 1000 -- cat" (2000 groups, one cat) is shown against its
# own floor, and both on tmpfs, where an fsync costs nothing and what is
# left is commit's own work; neither is a target.
. "$(dirname "$0")/lib.sh"

F=$BENCH_DIR/events.log
events 2000000 "$F"
T=$(mktemp -d "$BENCH_DIR/commit.XXXXXX")
S=
trap 'rm -rf "$T" ${S:+"$S"}' EXIT
logcat "$F" >"$T/tagged"
[ -d /dev/shm ] && S=$(mktemp -d /dev/shm/exactly-commit.XXXXXX)
N=$(wc -l <"$T/tagged")
BATCHES=$(((N + 9999) / 10000))
GROUPS=$(((N + 999) / 1000))

# commit must hand the command exactly its input
commit -a -n 10000 -o "$T/check" -- cat <"$T/tagged" | cmp -s - "$T/tagged" ||
    { echo "bench: commit -a output differs" >&2; exit 1; }
commit -e -n 1000 -o "$T/check.e" -- cat <"$T/tagged" | cmp -s - "$T/tagged" ||
    { echo "bench: commit -e output differs" >&2; exit 1; }

# the floor's parts, each alone
fsync_s=$(floor fsync "$T" 200)
exec_s=$(floor exec 200 cat)
b=$(bests "cat <'$T/tagged' | cat" \
    "rm -f '$T/off'; commit -a -n 10000 -o '$T/off' -- cat <'$T/tagged'" \
    "rm -f '$T/off'; commit -e -n 1000 -o '$T/off' -- cat <'$T/tagged'")
set -- $b
pipe_s=$1 a_s=$2 e_s=$3
floor_a=$(echo "$pipe_s + $BATCHES * ($fsync_s + $exec_s)" | bc -l)
floor_e=$(echo "$pipe_s + $GROUPS * $fsync_s + $exec_s" | bc -l)

echo "commit: $N tagged records ($(wc -c <"$T/tagged") bytes), best of $BENCH_RUNS"
printf '%-44s %8.3f ms\n' "one fsync group on $BENCH_DIR" \
    "$(echo "$fsync_s * 1000" | bc -l)"
printf '%-44s %8.3f ms\n' "one fork and exec of cat, empty input" \
    "$(echo "$exec_s * 1000" | bc -l)"
row "cat <in | cat (the pipe copy)" "$pipe_s" "$pipe_s" ""
row "floor of -a: + $BATCHES x (fsync group + exec)" "$floor_a" "$pipe_s" ""
target "commit -a -n 10000 -- cat ($BATCHES batches)" "$a_s" "$floor_a" \
    "its floor" "<=" 1.20
row "floor of -e: + $GROUPS fsync groups + 1 exec" "$floor_e" "$pipe_s" ""
row "commit -e -n 1000 -- cat, against its floor" "$e_s" "$floor_e" ""

# one fsync group a batch: the durability cost of section 7, counted
if command -v strace >/dev/null 2>&1; then
	rm -f "$T/off"
	strace -f -qq -c -e trace=fsync,fdatasync,sync_file_range -o "$T/st" \
	    commit -a -n 10000 -o "$T/off" -- cat <"$T/tagged" >/dev/null
	nf=$(awk '$NF ~ /^(fsync|fdatasync|sync_file_range)$/ { n += $4 } END { print n + 0 }' "$T/st")
	value "commit -a -n 10000: fsyncs a batch" \
	    "$(echo "scale=2; $nf / $BATCHES" | bc -l)" "fsyncs" "<=" 2
fi

if [ -n "$S" ]; then
	b=$(bests "rm -f '$S/off'; commit -a -n 10000 -o '$S/off' -- cat <'$T/tagged'" \
	    "rm -f '$S/off'; commit -e -n 1000 -o '$S/off' -- cat <'$T/tagged'")
	set -- $b
	nofsync_a=$(echo "$pipe_s + $BATCHES * $exec_s" | bc -l)
	row "offset file on tmpfs: -a, against its floor" "$1" "$nofsync_a" ""
	row "offset file on tmpfs: -e, against cat | cat" "$2" "$pipe_s" ""
fi
