#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "rd.h"

#define RD_INIT (256 * 1024)

static ssize_t
fd_fill(void *ctx, char *buf, size_t n)
{
	return read(*(int *)ctx, buf, n);
}

void
ex_rd_init_fill(struct ex_rd *r, ex_fill_fn *fill, void *ctx, const char *name)
{
	memset(r, 0, sizeof *r);
	r->cap = RD_INIT;
	r->buf = ex_malloc(r->cap);
	r->fd = -1;
	r->fill = fill;
	r->ctx = ctx;
	r->name = name;
}

void
ex_rd_init(struct ex_rd *r, int fd, const char *name)
{
	ex_rd_init_fill(r, fd_fill, NULL, name);
	r->fd = fd;
	r->ctx = &r->fd;
}

void
ex_rd_free(struct ex_rd *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Make room after r->end, then read once.  Returns bytes read (0 at EOF). */
static size_t
more(struct ex_rd *r)
{
	ssize_t n;

	if (r->pos > 0 && (r->end == r->cap || r->pos >= r->cap / 2)) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->scan -= r->pos;
		r->pos = 0;
	}
	if (r->end == r->cap) {
		r->cap *= 2;
		r->buf = ex_realloc(r->buf, r->cap);
	}
	do
		n = r->fill(r->ctx, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		ex_die(EXIT_IO, "read: %s", r->name);
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return (size_t)n;
}

static char *
find_lf(struct ex_rd *r)
{
	char *lf;

	if (r->scan < r->pos)
		r->scan = r->pos;
	if (r->scan < r->end && r->buf[r->scan] == '\n')
		return r->buf + r->scan; /* found by the call before */
	lf = memchr(r->buf + r->scan, '\n', r->end - r->scan);
	r->scan = lf ? (size_t)(lf - r->buf) : r->end;
	return lf;
}

int
ex_rd_ready(struct ex_rd *r)
{
	return find_lf(r) != NULL || r->eof;
}

int
ex_rd_at_hand(struct ex_rd *r)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	int n;

	if (ex_rd_ready(r))
		return 1;
	if (r->fd < 0)
		return 0;
	while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		ex_die(EXIT_IO, "poll: %s", r->name);
	if (n > 0)
		more(r);
	return ex_rd_ready(r);
}

int
ex_rd_line_more(struct ex_rd *r, char **line, size_t *len)
{
	char *lf;

	while (!(lf = find_lf(r))) {
		if (r->eof || more(r) == 0) {
			if (r->end == r->pos)
				return EX_RD_EOF;
			*line = r->buf + r->pos;
			*len = r->end - r->pos;
			r->consumed += *len;
			r->tail = *len;
			r->pos = r->scan = r->end;
			return EX_RD_PARTIAL;
		}
	}
	*line = r->buf + r->pos;
	*len = (size_t)(lf - *line);
	r->tail = 0;
	r->pos = (size_t)(lf - r->buf) + 1;
	r->lineno++;
	r->consumed += *len + 1;
	return EX_RD_LINE;
}

void
ex_rd_resume(struct ex_rd *r)
{
	/* the tail's bytes are still in the buffer, just before end */
	r->pos -= r->tail;
	r->consumed -= r->tail;
	r->scan = r->pos;
	r->tail = 0;
	r->eof = 0;
}

size_t
ex_rd_pending(const struct ex_rd *r, const char **p)
{
	*p = r->buf + r->pos;
	return r->end - r->pos;
}

void
ex_rd_consume(struct ex_rd *r, uint64_t nlines, size_t n)
{
	r->pos += n;
	r->lineno += nlines;
	r->consumed += n;
	r->tail = 0;
}

uint64_t
ex_rd_skip(struct ex_rd *r, uint64_t n)
{
	uint64_t k = 0;
	char *p, *e, *lf;

	r->tail = 0;
	while (k < n) {
		p = r->buf + r->pos;
		e = r->buf + r->end;
		while (k < n && (lf = memchr(p, '\n', (size_t)(e - p)))) {
			p = lf + 1;
			k++;
		}
		r->consumed += (uint64_t)(p - (r->buf + r->pos));
		r->pos = (size_t)(p - r->buf);
		r->scan = r->pos;
		if (k == n || r->eof)
			break;
		if (r->pos == r->end)
			r->pos = r->end = r->scan = 0; /* nothing to keep */
		if (more(r) == 0)
			break;
	}
	r->lineno += k;
	return k;
}

int
ex_rd_wait(struct ex_rd *r, int ms)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	int n;

	if (ex_rd_ready(r) || r->fd < 0)
		return 1;
	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		ex_die(EXIT_IO, "poll: %s", r->name);
	return n > 0;
}
