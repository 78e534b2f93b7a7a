#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "durable.h"
#include "err.h"
#include "out.h"

void
ex_fsync(int fd, const char *name)
{
	if (fsync(fd) < 0)
		ex_die(EXIT_IO, "fsync: %s", name);
}

void
ex_fsync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		ex_die(EXIT_FAILURE, "strdup");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		ex_die(EXIT_IO, "open directory: %s", dir);
	ex_fsync(fd, dir);
	close(fd);
	free(dir);
}

void
ex_replace(const char *path, const void *data, size_t n)
{
	char *tmp = ex_strjoin(path, ".tmp");
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		ex_die(EXIT_IO, "open: %s", tmp);
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
ex_tmpfile(const char *path, char **tmp)
{
	size_t n = strlen(path) + sizeof ".tmp.XXXXXXXX";
	char *t = ex_malloc(n);
	uint32_t r;
	int fd;

	for (int i = 0; i < 100; i++) {
		if (getrandom(&r, sizeof r, 0) != sizeof r)
			r = (uint32_t)getpid() * 2654435761u + (uint32_t)i;
		snprintf(t, n, "%s.tmp.%08x", path, (unsigned)r);
		fd = open(t, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0666);
		if (fd >= 0) {
			*tmp = t;
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	ex_die(EXIT_IO, "open: %s", t);
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
