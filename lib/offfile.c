#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "err.h"
#include "offfile.h"
#include "tag.h"

#define OFFFILE_MAX 4096 /* an offset file is a few lines; more is foreign */

const char *
ex_offfile_parse(const char *text, size_t n, uint64_t *off)
{
	const char *lf, *why;
	size_t len;
	uint64_t v;

	if (n == 0)
		return "empty offset file";
	lf = memchr(text, '\n', n);
	len = lf ? (size_t)(lf - text) : n;
	if ((why = ex_off_parse(text, len, &v)))
		return why;
	/* Every writer ends the line; without its LF, a prefix of the digits
	 * would read as a smaller, wrong offset. */
	if (!lf)
		return "no newline after the offset (file cut short?)";
	*off = v;
	return NULL;
}

int
ex_offfile_read(const char *path, uint64_t *off)
{
	char buf[OFFFILE_MAX + 1] = ""; /* cppcheck cannot see read(2) fill it */
	size_t n = 0;
	const char *why;
	int fd;

	/* Not through a symbolic link: commit's rename would replace the link
	 * and leave what it points to behind, and a dangling one would read
	 * as "never committed".  Not blocking on a FIFO either. */
	fd = ex_state_open("offset file", path, O_RDONLY, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		ex_die(errno == EIO ? EXIT_IO : EXIT_DATA, "offset file %s", path);
	}
	while (n < sizeof buf) {
		ssize_t r = read(fd, buf + n, sizeof buf - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ex_die(errno == EIO ? EXIT_IO : EXIT_DATA, "offset file %s",
			    path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > OFFFILE_MAX)
		ex_diex(EXIT_DATA, "offset file %s: too large to be an offset file",
		    path);
	if ((why = ex_offfile_parse(buf, n, off)))
		ex_diex(EXIT_DATA, "offset file %s: %s", path, why);
	return 1;
}

void
ex_offfile_write(const char *path, uint64_t off)
{
	char buf[EX_TAG_MAX];
	size_t n = ex_tag_fmt(buf, off);

	buf[n - 1] = '\n';
	ex_replace(path, buf, n);
}
