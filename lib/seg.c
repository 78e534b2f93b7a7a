#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "gz.h"
#include "seg.h"

void
ex_seg_open(struct ex_seg *s, const char *path)
{
	ssize_t n;

	memset(s, 0, sizeof *s);
	s->path = path;
	if ((s->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		ex_die(EXIT_IO, "open: %s", path);
	if (fstat(s->fd, &s->st) < 0)
		ex_die(EXIT_IO, "stat: %s", path);
	if (S_ISDIR(s->st.st_mode)) {
		errno = EISDIR;
		ex_die(EXIT_IO, "read: %s", path);
	}
	while (s->nhead < sizeof s->head) {
		n = read(s->fd, s->head + s->nhead, sizeof s->head - s->nhead);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ex_die(EXIT_IO, "read: %s", path);
		if (n == 0)
			break;
		s->nhead += (size_t)n;
	}
	if (ex_gz_magic(s->head, s->nhead)) {
		s->gz = ex_gz_open(s->fd, s->head, s->nhead);
		s->nhead = 0;
	}
}

ssize_t
ex_seg_read(void *ctx, char *buf, size_t n)
{
	struct ex_seg *s = ctx;
	size_t k;

	if (s->gz)
		return ex_gz_read(s->gz, buf, n);
	if (s->hpos < s->nhead) {
		k = s->nhead - s->hpos;
		if (k > n)
			k = n;
		memcpy(buf, s->head + s->hpos, k);
		s->hpos += k;
		return (ssize_t)k;
	}
	return read(s->fd, buf, n);
}

const char *
ex_seg_bad(const struct ex_seg *s)
{
	return s->gz ? ex_gz_bad(s->gz) : NULL;
}

void
ex_seg_close(struct ex_seg *s)
{
	ex_gz_close(s->gz);
	s->gz = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
