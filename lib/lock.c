#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "lock.h"

/* Fixed width, written with one pwrite, so a reader never sees it torn. */
#define HOLDER_FMT "%10ld %10ld\n"
#define HOLDER_LEN 22

/*
 * With EX_LOCK_GROUP the lock is held exclusively only while its taker
 * writes its record, then shared; so a shared lock we can join always has
 * its record written.  An exclusive holder seen for longer than this many
 * naps is not a sibling in that moment but another consumer (flock(1), or
 * a tool waiting with -w).
 */
#define EX_NAPS 250

static int
try(int fd, int how)
{
	while (flock(fd, how) < 0) {
		if (errno == EWOULDBLOCK)
			return 0;
		if (errno != EINTR)
			return -1;
	}
	return 1;
}

static void
holder(int fd, long *pid, long *pgid)
{
	char buf[HOLDER_LEN + 1];
	ssize_t n = pread(fd, buf, HOLDER_LEN, 0);

	*pid = *pgid = 0;
	if (n == HOLDER_LEN) {
		buf[n] = '\0';
		if (sscanf(buf, "%ld %ld", pid, pgid) != 2)
			*pid = *pgid = 0;
	}
}

static void
naptime(void)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Whether the recorded holder is of our process group. */
static int
ours(int fd)
{
	long pid, pgid;

	holder(fd, &pid, &pgid);
	return pgid == (long)getpgrp();
}

int
ex_lock(const char *path, int flags)
{
	char *lpath = ex_strjoin(path, ".lock");
	int group = flags & EX_LOCK_GROUP;
	char me[64];
	long pid, pgid;
	int fd, r, naps = 0, again = 0;

	if ((fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
		ex_die(EXIT_IO, "open: %s", lpath);
	for (;;) {
		if ((r = try(fd, LOCK_EX | LOCK_NB)) < 0)
			ex_die(EXIT_IO, "lock: %s", lpath);
		if (r) {
			snprintf(me, sizeof me, HOLDER_FMT, (long)getpid(),
			    (long)getpgrp());
			if (pwrite(fd, me, HOLDER_LEN, 0) != HOLDER_LEN)
				ex_die(EXIT_IO, "write: %s", lpath);
			if (!group)
				break;
			/* EX to SH is not atomic: another may slip in between */
			if (try(fd, LOCK_SH) < 0)
				ex_die(EXIT_IO, "lock: %s", lpath);
			if (ours(fd))
				break;
			flock(fd, LOCK_UN);
		} else if (group) {
			if ((r = try(fd, LOCK_SH | LOCK_NB)) < 0)
				ex_die(EXIT_IO, "lock: %s", lpath);
			if (r && ours(fd))
				break;
			if (r) {
				flock(fd, LOCK_UN);
				if (!again++)
					continue; /* its holders may just have gone */
			} else if (naps++ < EX_NAPS) {
				naptime(); /* a taker writing its record */
				continue;
			}
		}
		if (!(flags & EX_LOCK_WAIT)) {
			holder(fd, &pid, &pgid);
			if (pid)
				ex_diex(EXIT_BUSY,
				    "%s: in use by process %ld (process group %ld)",
				    path, pid, pgid);
			ex_diex(EXIT_BUSY, "%s: in use by another process", path);
		}
		if (try(fd, LOCK_EX) < 0)
			ex_die(EXIT_IO, "lock: %s", lpath);
		flock(fd, LOCK_UN); /* take it again above, and record us */
		naps = again = 0;
	}
	free(lpath);
	return fd;
}
