#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
