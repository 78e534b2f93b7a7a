#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "err.h"
#include "writeall.h"

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
