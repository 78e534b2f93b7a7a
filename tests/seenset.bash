# Helpers of the seen-set's tests (window.bats, seenfull.bats), loaded
# after test_helper.

# tag: number stdin's lines as records from offset 0.
tag() {
	awk '{ printf "%d\t%s\n", NR - 1, $0 }'
}

# at T ARGS...: dedup at time T (seconds since the epoch).
at() {
	local t=$1
	shift
	EXACTLY_NOW=$t dedup "$@"
}

# slices SET: the slice files of SET, one a line.
slices() {
	[ ! -e "$1/table" ] || echo table
	ls "$1" | grep -E '^slice\.[0-9]+$' | sort -t . -k 2 -n
}

# window_state DIR: a windowed set in DIR/seen of three slices: a1-a5 at
# 1000 (slice 0), b1-b5 at 1030 (slice 1), c1-c5 at 1060 (slice 2).  At
# 1120 the first is expired and the last is due to close.
window_state() {
	mkdir -p "$1"
	for s in a:1000 b:1030 c:1060; do
		seq 1 5 | sed "s/^/${s%:*}/" | tag |
		    at "${s#*:}" -W 100 -s "$1/seen" >/dev/null
	done
	assert_equal "$(slices "$1/seen")" "$(printf 'table\nslice.1\nslice.2')"
}

# small_fs KB SCRIPT: sh -c SCRIPT in a private mount namespace with a
# tmpfs of KB KiB on st/ (gone when SCRIPT ends, with what it did not copy
# out); fill and room N in SCRIPT fill it and free N KiB of it.
small_fs() {
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
	mkdir -p st
	unshare -m sh -c "mount -t tmpfs -o size=$1k tmpfs st &&
	    fill() { dd if=/dev/zero of=st/fill bs=4k status=none 2>/dev/null; :; } &&
	    room() { truncate -s -\$1K st/fill; } && $2"
}
