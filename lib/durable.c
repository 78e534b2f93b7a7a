#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "err.h"
#include "sig.h"
#include "writeall.h"

#define TMP_SUFFIX ".tmp."
#define TMP_RAND   8 /* hex digits after it */

void
ex_fsync(int fd, const char *name)
{
	if (fsync(fd) < 0)
		ex_die(EXIT_IO, "fsync: %s", name);
}

/* The directory that holds path, as a new string. */
static char *
dirof(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		ex_die(EXIT_FAILURE, "strdup");
	return dir;
}

void
ex_fsync_dir(const char *path)
{
	char *dir = dirof(path);
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		ex_die(EXIT_IO, "open directory: %s", dir);
	ex_fsync(fd, dir);
	close(fd);
	free(dir);
}

/* A temporary of path that nobody has yet, opened with access acc
 * (O_WRONLY or O_RDWR): its name and descriptor. */
static int
newtmp(const char *path, int acc, char **tmp)
{
	size_t n = strlen(path);
	char *t = ex_malloc(n + sizeof TMP_SUFFIX + TMP_RAND);
	unsigned char r[TMP_RAND / 2];
	int fd;

	memcpy(t, path, n);
	memcpy(t + n, TMP_SUFFIX, sizeof TMP_SUFFIX);
	for (int tries = 0; tries < 100; tries++) {
		if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
			/* early in a boot: unique is all a name must be */
			uint32_t v = (uint32_t)getpid() * 2654435761u ^
			    (uint32_t)tries << 24 ^ (uint32_t)time(NULL);

			memcpy(r, &v, sizeof r);
		}
		for (size_t i = 0; i < sizeof r; i++)
			snprintf(t + n + sizeof TMP_SUFFIX - 1 + 2 * i, 3, "%02x",
			    r[i]);
		fd = open(t, acc | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY |
		    O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		ex_die(EXIT_IO, "open: %s", t);
	*tmp = t;
	return fd;
}

void
ex_replace(const char *path, const void *data, size_t n)
{
	char *tmp;
	int fd = newtmp(path, O_WRONLY, &tmp);

	if (ex_writeall(fd, data, n) < 0)
		ex_die(EXIT_IO, "write: %s", tmp);
	ex_fsync(fd, tmp);
	if (close(fd) < 0)
		ex_die(EXIT_IO, "close: %s", tmp);
	if (rename(tmp, path) < 0)
		ex_die(EXIT_IO, "rename: %s to %s", tmp, path);
	ex_fsync_dir(path);
	free(tmp);
}

int
ex_state_open(const char *what, const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd;

	fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		int e = errno;

		/* ELOOP, or, in a sticky directory, EACCES for another user's
		 * link or FIFO: say what is there rather than why not */
		if (e != ENOENT && lstat(path, &st) == 0) {
			if (S_ISLNK(st.st_mode))
				ex_diex(EXIT_DATA, "%s %s: is a symbolic link",
				    what, path);
			if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
				ex_diex(EXIT_DATA, "%s %s: not a regular file",
				    what, path);
		}
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) < 0)
		ex_die(EXIT_IO, "%s %s", what, path);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		ex_die(EXIT_DATA, "%s %s", what, path);
	}
	if (!S_ISREG(st.st_mode))
		ex_diex(EXIT_DATA, "%s %s: not a regular file", what, path);
	return fd;
}

/* Whether name is base followed by ex_replace's suffix (or the bare
 * ".tmp" of earlier versions). */
static int
istmp(const char *name, const char *base)
{
	size_t n = strlen(base);
	const char *s = name + n;

	if (strncmp(name, base, n) != 0 || strncmp(s, TMP_SUFFIX, 4) != 0)
		return 0;
	if (s[4] == '\0')
		return 1;
	if (s[4] != '.' || strlen(s + 5) != TMP_RAND)
		return 0;
	return strspn(s + 5, "0123456789abcdef") == TMP_RAND;
}

void
ex_sweep_tmp(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir = dirof(path);
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (!(d = opendir(dir))) {
		free(dir);
		return; /* the write that follows will say why */
	}
	while ((e = readdir(d))) {
		if (!istmp(e->d_name, base))
			continue;
		/* only our own regular files: what another user planted here
		 * is theirs, and was never written through */
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	free(dir);
}

int
ex_tmpfile(const char *path, char **tmp)
{
	return newtmp(path, O_RDWR, tmp);
}

void
ex_install(int fd, const char *tmp, const char *path)
{
	ex_fsync(fd, tmp);
	if (rename(tmp, path) < 0)
		ex_die(EXIT_IO, "rename: %s to %s", tmp, path);
	ex_fsync_dir(path);
}

void
ex_remove(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		ex_die(EXIT_IO, "unlink: %s", path);
	ex_fsync_dir(path);
}

/* ---- the durable append in the background -------------------------------- */

struct ex_bg {
	pthread_t th;
	int running;           /* th exists */
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* a job posted, a job done, or quit */
	int busy;              /* a job is under way: posted, not yet seen done */
	int posted, finished, quit;
	int fd;
	const void *buf;
	size_t n;
	const char *name;
	void (*after)(void *); /* run once the fsync succeeded, or NULL */
	void *arg;
	int err;               /* errno of the failed call, or 0 */
	const char *what;      /* "write" or "fsync" */
	int wake[2];           /* a byte in it: a job finished */
};

/* The worker: one job at a time, the same write and fsync as ex_fsync's
 * callers make, its outcome handed back rather than acted on here: only
 * the main thread exits.  after runs only once the data is durable. */
static void *
bg_main(void *arg)
{
	struct ex_bg *b = arg;
	const char *what;
	int err;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (!b->posted && !b->quit)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->quit)
			break;
		b->posted = 0;
		pthread_mutex_unlock(&b->mu);
		what = NULL;
		err = 0;
		if (ex_writeall(b->fd, b->buf, b->n) < 0)
			what = "write";
		else if (fsync(b->fd) < 0)
			what = "fsync";
		if (what)
			err = errno;
		else if (b->after)
			b->after(b->arg);
		pthread_mutex_lock(&b->mu);
		b->what = what;
		b->err = err;
		__atomic_store_n(&b->finished, 1, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&b->cv);
		/* the pipe holds far more than the one byte it ever has */
		(void)!write(b->wake[1], "", 1);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

struct ex_bg *
ex_bg_new(void)
{
	struct ex_bg *b = ex_malloc(sizeof *b);

	memset(b, 0, sizeof *b);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if (pipe2(b->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		ex_die(EXIT_FAILURE, "pipe");
	return b;
}

static void
bg_spawn(struct ex_bg *b)
{
	int e = ex_thread_start(&b->th, bg_main, b);

	if (e != 0) {
		errno = e;
		ex_die(EXIT_FAILURE, "pthread_create");
	}
	b->running = 1;
}

int
ex_bg_done(struct ex_bg *b, int wait)
{
	char c;

	if (!b->busy)
		return 1;
	/* asked between every two polls: no lock taken while it runs */
	if (!wait && !__atomic_load_n(&b->finished, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&b->mu);
	while (!__atomic_load_n(&b->finished, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&b->cv, &b->mu);
	__atomic_store_n(&b->finished, 0, __ATOMIC_RELAXED);
	b->busy = 0;
	pthread_mutex_unlock(&b->mu);
	/* the one byte of this job; the worker writes it before it can
	 * take the next */
	(void)!read(b->wake[0], &c, 1);
	if (b->what) {
		errno = b->err;
		ex_die(EXIT_IO, "%s: %s", b->what, b->name);
	}
	return 1;
}

void
ex_bg_start(struct ex_bg *b, int fd, const void *buf, size_t n,
    const char *name, void (*after)(void *), void *arg)
{
	ex_bg_done(b, 1);
	if (!b->running)
		bg_spawn(b);
	pthread_mutex_lock(&b->mu);
	b->fd = fd;
	b->buf = buf;
	b->n = n;
	b->name = name;
	b->after = after;
	b->arg = arg;
	b->posted = 1;
	b->busy = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

int
ex_bg_fd(const struct ex_bg *b)
{
	return b->wake[0];
}

void
ex_bg_free(struct ex_bg *b)
{
	if (!b)
		return;
	ex_bg_done(b, 1);
	if (b->running) {
		pthread_mutex_lock(&b->mu);
		b->quit = 1;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		pthread_join(b->th, NULL);
	}
	close(b->wake[0]);
	close(b->wake[1]);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	free(b);
}
