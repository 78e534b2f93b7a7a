# Driver for plfs.py, sourced by tests/powerloss.bats after test_helper.
#
# A disk is a plain directory holding what survived; plfs mounts it, counts
# the durability operations of a run (fsync, fsync of a directory, rename)
# and, told to crash after the Nth, leaves in the disk what a power loss at
# that instant would have left, kills the run's process group and fails
# everything after.  Runs that may be crashed go under setsid, so the kill
# never reaches bats.

PLFS="$ROOT/tests/powerloss/plfs.py"
PL_PID=
PL_MNT=

# pl_usable: plfs can run here (a FUSE device, root, fusepy under the
# system python, not the one a version manager puts first on PATH).
pl_usable() {
	[ -c /dev/fuse ] && [ "$(id -u)" = 0 ] &&
	    /usr/bin/python3 -c 'import fusepy' 2>/dev/null
}

# pl_mount DISK MNT [plfs options]: mount DISK on MNT and wait until it is.
pl_mount() {
	local disk=$1 mnt=$2 i
	shift 2
	mkdir -p "$disk" "$mnt"
	/usr/bin/python3 -W ignore "$PLFS" "$@" "$disk" "$mnt" \
	    </dev/null >>"$BATS_TEST_TMPDIR/plfs.err" 2>&1 3>&- &
	PL_PID=$!
	PL_MNT=$mnt
	for i in $(seq 2000); do
		mountpoint -q "$mnt" && return 0
		if ! kill -0 "$PL_PID" 2>/dev/null; then
			cat "$BATS_TEST_TMPDIR/plfs.err" >&2
			return 1
		fi
		sleep 0.01
	done
	echo "plfs: $mnt: not mounted after 20 s" >&2
	return 1
}

# pl_umount: unmount and wait until plfs has written the disk.
pl_umount() {
	[ -n "$PL_PID" ] || return 0
	umount -l "$PL_MNT" 2>/dev/null || true
	wait "$PL_PID" || true
	PL_PID=
	if [ -s "$BATS_TEST_TMPDIR/plfs.err" ]; then
		cat "$BATS_TEST_TMPDIR/plfs.err" >&2
		return 1
	fi
}

# pl_nops LOG: how many durability operations LOG records.
pl_nops() {
	grep -c '^[0-9]' "$1" || true
}

# For teardown: never leave a mount behind a failed test.
pl_cleanup() {
	if [ -n "$PL_PID" ]; then
		umount -l "$PL_MNT" 2>/dev/null || true
		kill "$PL_PID" 2>/dev/null || true
		wait "$PL_PID" 2>/dev/null || true
	fi
}
