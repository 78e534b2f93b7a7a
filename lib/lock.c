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
#include "out.h"

/* Fixed width, written with one pwrite, so a reader never sees it torn. */
#define HOLDER_FMT "%10ld %10ld\n"
#define HOLDER_LEN 22

/*
 * A holder writes its record just after it takes the lock, so for that
 * moment the record read is empty or its predecessor's: a stage of our own
 * pipeline would then look like another consumer.  Read it again for up
 * to this many naps before calling the lock taken.
 */
#define SETTLE_NAPS 50

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

int
ex_lock(const char *path, int flags)
{
	size_t len = strlen(path) + sizeof ".lock";
	char *lpath = ex_malloc(len);
	char me[64];
	long pid, pgid;
	int fd, r, naps = 0;

	snprintf(lpath, len, "%s.lock", path);
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
			if ((flags & EX_LOCK_GROUP) && try(fd, LOCK_SH) < 0)
				ex_die(EXIT_IO, "lock: %s", lpath);
			break;
		}
		holder(fd, &pid, &pgid);
		if ((flags & EX_LOCK_GROUP) && pgid == (long)getpgrp()) {
			if ((r = try(fd, LOCK_SH | LOCK_NB)) < 0)
				ex_die(EXIT_IO, "lock: %s", lpath);
			if (r)
				break;
			naptime(); /* a sibling is between EX and SH */
			continue;
		}
		if ((flags & EX_LOCK_GROUP) && naps++ < SETTLE_NAPS) {
			naptime();
			continue;
		}
		if (!(flags & EX_LOCK_WAIT)) {
			if (pid)
				ex_diex(EXIT_BUSY,
				    "%s: in use by process %ld (process group %ld)",
				    path, pid, pgid);
			ex_diex(EXIT_BUSY, "%s: in use by another process", path);
		}
		if (try(fd, LOCK_EX) < 0)
			ex_die(EXIT_IO, "lock: %s", lpath);
		flock(fd, LOCK_UN); /* take it again above, and record us */
	}
	free(lpath);
	return fd;
}
