#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "err.h"
#include "lock.h"

/* How long the record's flock may be held before its holder is taken for
 * something other than one of us reading or writing a record (flock(1) on
 * our lock file): naps of a millisecond. */
#define MUTEX_NAPS 2000

#define BOOT_LEN 36 /* a boot id: a UUID */

struct holder {
	long pid, pgid;
	unsigned long long start;  /* 0: not known (an older record) */
	char boot[BOOT_LEN + 1];   /* "": not known */
	long ppid;                 /* its parent, the shell that started it */
	unsigned long long pstart; /* when that started; 0: not known */
};

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

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

/* Read a small file of /proc into buf.  Its length, or -1. */
static ssize_t
slurp(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	do
		r = read(fd, buf, n - 1);
	while (r < 0 && errno == EINTR);
	close(fd);
	if (r >= 0)
		buf[r] = '\0';
	return r;
}

/* From /proc/PID/stat: the state, process group and start time of pid.
 * 0 if there is no such process (or /proc says nothing). */
static int
pstat(const char *pid, char *state, long *pgrp, unsigned long long *start)
{
	char path[64], buf[1024], *s;
	int field;

	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	if (slurp(path, buf, sizeof buf) <= 0)
		return 0;
	/* the command's name is in parentheses and may hold anything */
	if (!(s = strrchr(buf, ')')))
		return 0;
	s++;
	for (field = 3; field <= 22; field++) {
		while (*s == ' ')
			s++;
		if (!*s)
			return 0;
		if (field == 3)
			*state = *s;
		else if (field == 5)
			*pgrp = strtol(s, NULL, 10);
		else if (field == 22)
			*start = strtoull(s, NULL, 10);
		while (*s && *s != ' ')
			s++;
	}
	return 1;
}

static int
pstatn(long pid, char *state, long *pgrp, unsigned long long *start)
{
	char s[24];

	snprintf(s, sizeof s, "%ld", pid);
	return pstat(s, state, pgrp, start);
}

static int
live(char state)
{
	return state != 'Z' && state != 'X'; /* exited, not yet reaped */
}

static void
myself(struct holder *h)
{
	char st;
	long pg;
	ssize_t n;

	memset(h, 0, sizeof *h);
	h->pid = (long)getpid();
	h->pgid = (long)getpgrp();
	if (!pstat("self", &st, &pg, &h->start))
		h->start = 0;
	h->ppid = (long)getppid();
	if (!pstatn(h->ppid, &st, &pg, &h->pstart))
		h->pstart = 0;
	n = slurp("/proc/sys/kernel/random/boot_id", h->boot, sizeof h->boot);
	if (n != BOOT_LEN && !(n == BOOT_LEN + 1 && h->boot[BOOT_LEN] == '\n'))
		h->boot[0] = '\0';
	h->boot[BOOT_LEN] = '\0';
}

/* The recorded holder; 0 if there is none (a new or emptied file). */
static int
readrec(int fd, struct holder *h)
{
	char buf[160], boot[BOOT_LEN + 1];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	int k;

	memset(h, 0, sizeof *h);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID PGID", padded, is the record of earlier versions */
	k = sscanf(buf, "%ld %ld %llu %36s %ld %llu", &h->pid, &h->pgid,
	    &h->start, boot, &h->ppid, &h->pstart);
	if (k < 2 || h->pid <= 0 || h->pgid <= 0)
		return 0;
	if (k < 3)
		h->start = 0;
	if (k >= 4 && strlen(boot) == BOOT_LEN)
		memcpy(h->boot, boot, sizeof boot);
	if (k < 6)
		h->ppid = 0, h->pstart = 0;
	return 1;
}

static void
writerec(int fd, const struct holder *h, const char *lpath)
{
	char buf[160];
	int n = snprintf(buf, sizeof buf, "%ld %ld %llu %s %ld %llu\n", h->pid,
	    h->pgid, h->start, h->boot[0] ? h->boot : "-", h->ppid, h->pstart);

	if (pwrite(fd, buf, (size_t)n, 0) != n)
		ex_die(EXIT_IO, "write: %s", lpath);
	if (ftruncate(fd, n) < 0)
		ex_die(EXIT_IO, "truncate: %s", lpath);
}

#define MAXUP 64 /* ancestors looked at: more is a loop of shells */

/* Our ancestors: the shells that started us, waiting for us. */
static size_t
ancestors(long *up)
{
	long pid = (long)getppid(), ppid;
	char path[64], buf[1024], *s, st;
	size_t n = 0;

	while (pid > 1 && n < MAXUP) {
		up[n++] = pid;
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		if (slurp(path, buf, sizeof buf) <= 0 || !(s = strrchr(buf, ')')) ||
		    sscanf(s + 1, " %c %ld", &st, &ppid) != 2)
			break;
		pid = ppid;
	}
	return n;
}

/*
 * Whether group pgid has a live process (not a zombie) that may still be
 * a stage of the recorded pipeline: one started no earlier than the shell
 * that started the pipeline (since: its start time), other than that
 * shell (parent) and our own ancestors up[0..nup).
 */
static int
anyone(const struct holder *h, int eperm, const long *up, size_t nup)
{
	struct dirent *e;
	unsigned long long start;
	long pg, pid;
	char st;
	DIR *d;

	if (!(d = opendir("/proc")))
		return 1; /* kill(2) said there is someone */
	while ((e = readdir(d))) {
		size_t i;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (!pstat(e->d_name, &st, &pg, &start) || pg != h->pgid ||
		    !live(st) || start < h->pstart)
			continue;
		pid = strtol(e->d_name, NULL, 10);
		if (pid == h->ppid && start == h->pstart)
			continue;
		for (i = 0; i < nup && up[i] != pid; i++)
			;
		if (i == nup) {
			closedir(d);
			return 1;
		}
	}
	closedir(d);
	/* Not one we may signal, and none we can see: /proc hides them
	 * (hidepid), so believe kill(2). */
	return eperm;
}

/*
 * Whether the recorded group still holds the lock.  The recorded process
 * itself always counts.  Of the rest of its group, only what may be the
 * recorded pipeline does: the processes started since the shell that ran
 * it.  That shell, what ran before it (a script's other work, a test
 * harness), and our own ancestors (a shell waiting for us, not consuming
 * beside us) are not a consumer of the file.
 */
static int
alive(const struct holder *h, const struct holder *me)
{
	unsigned long long start;
	long pg, up[MAXUP];
	char st;
	int eperm;

	if (h->boot[0] && me->boot[0] && strcmp(h->boot, me->boot) != 0)
		return 0; /* a record from before a reboot */
	/* the recorded process itself, the common case */
	if (pstatn(h->pid, &st, &pg, &start) && pg == h->pgid && live(st) &&
	    (h->start == 0 || start == h->start))
		return 1;
	if (kill(-(pid_t)h->pgid, 0) == 0)
		eperm = 0;
	else if (errno == EPERM)
		eperm = 1;
	else
		return 0;
	/* A group is named after its leader, whose number cannot be reused
	 * while the group has a process; a leader that started after the
	 * recorded process leads a new group of that number. */
	if (h->start && pstatn(h->pgid, &st, &pg, &start) && pg == h->pgid &&
	    start > h->start)
		return 0;
	return anyone(h, eperm, up, ancestors(up));
}

static _Noreturn void
busy(const char *path, const struct holder *h)
{
	if (h && h->pid)
		ex_diex(EXIT_BUSY, "%s: in use by process %ld (process group %ld)",
		    path, h->pid, h->pgid);
	ex_diex(EXIT_BUSY, "%s: in use by another process", path);
}

/* Take the record's flock.  Ours hold it for a moment; a holder that
 * keeps it is not one of us (flock(1) on the lock file): busy. */
static void
mutex(int fd, const char *path, const char *lpath, int flags)
{
	int r, naps = 0;

	while ((r = try(fd, LOCK_EX | LOCK_NB)) == 0) {
		if (naps++ < MUTEX_NAPS) {
			nap(1);
			continue;
		}
		if (!(flags & EX_LOCK_WAIT))
			busy(path, NULL);
		r = try(fd, LOCK_EX);
		break;
	}
	if (r < 0)
		ex_die(EXIT_IO, "lock: %s", lpath);
}

static void
one(int fd, const char *path, const char *lpath, int flags)
{
	struct holder h, me;
	int r;

	if ((r = try(fd, LOCK_EX | LOCK_NB)) == 0) {
		if (!(flags & EX_LOCK_WAIT)) {
			readrec(fd, &h);
			busy(path, &h);
		}
		r = try(fd, LOCK_EX);
	}
	if (r < 0)
		ex_die(EXIT_IO, "lock: %s", lpath);
	myself(&me);
	writerec(fd, &me, lpath);
}

static void
group(int fd, const char *path, const char *lpath, int flags)
{
	struct holder h, me;
	long wait = 1;

	myself(&me);
	for (;;) {
		mutex(fd, path, lpath, flags);
		if (!readrec(fd, &h) || h.pgid == me.pgid || !alive(&h, &me)) {
			struct holder w = me;

			/* joining: the pipeline began with the earlier shell */
			if (h.pgid == me.pgid && h.pstart && h.pstart < w.pstart &&
			    (!h.boot[0] || strcmp(h.boot, me.boot) == 0)) {
				w.ppid = h.ppid;
				w.pstart = h.pstart;
			}
			writerec(fd, &w, lpath);
			flock(fd, LOCK_UN);
			return;
		}
		flock(fd, LOCK_UN);
		if (!(flags & EX_LOCK_WAIT))
			busy(path, &h);
		/* nothing to block on until a group dies: look again soon */
		nap(wait);
		if (wait < 100)
			wait *= 2;
	}
}

int
ex_lock(const char *path, int flags)
{
	char *lpath = ex_strjoin(path, ".lock");
	int fd;

	fd = ex_state_open("lock file", lpath, O_RDWR | O_CREAT, 0666);
	if (fd < 0)
		ex_die(EXIT_IO, "open: %s", lpath);
	if (flags & EX_LOCK_GROUP)
		group(fd, path, lpath, flags);
	else
		one(fd, path, lpath, flags);
	free(lpath);
	return fd;
}

int
ex_lock_dir(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		ex_die(EXIT_IO, "open: %s", path);
	if ((r = try(fd, LOCK_EX | LOCK_NB)) == 0) {
		if (!(flags & EX_LOCK_WAIT))
			ex_diex(EXIT_BUSY, "%s: in use under another name", path);
		r = try(fd, LOCK_EX);
	}
	if (r < 0)
		ex_die(EXIT_IO, "lock: %s", path);
	return fd;
}
