#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "out.h"
#include "tag.h"

#define OUT_CAP (128 * 1024)

void
ex_out_init(struct ex_out *o, int fd, const char *name)
{
	o->fd = fd;
	o->cap = OUT_CAP;
	o->buf = ex_malloc(o->cap);
	o->len = 0;
	o->name = name;
	o->broken = 0;
	o->written = 0;
	o->waitfd = -1;
	o->tagoff = 0;
	o->taglen = 0;
}

void
ex_out_watch(struct ex_out *o, int waitfd)
{
	int fl = fcntl(o->fd, F_GETFL);

	if (fl < 0 || fcntl(o->fd, F_SETFL, fl | O_NONBLOCK) < 0)
		ex_die(EXIT_FAILURE, "fcntl: %s", o->name);
	o->waitfd = waitfd;
}

/* The pipe is full: wait for room, or for the end of the reader that
 * ex_out_watch named (none: -1, which poll skips).  0 when there is room,
 * -1 once the reader has exited. */
static int
await_room(struct ex_out *o)
{
	struct pollfd p[2] = {
		{ .fd = o->fd, .events = POLLOUT },
		{ .fd = o->waitfd, .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ex_die(EXIT_FAILURE, "poll: %s", o->name);
		}
		if (p[1].revents)
			return -1;
		if (p[0].revents)
			return 0;
	}
}

void
ex_out_free(struct ex_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

static int
put(struct ex_out *o, const void *p, size_t n)
{
	const char *s = p;

	if (o->broken)
		return -1;
	while (n > 0) {
		ssize_t w = write(o->fd, s, n);

		if (w >= 0) {
			s += w;
			n -= (size_t)w;
			o->written += (uint64_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* EAGAIN: ours, or a descriptor another process made
		 * non-blocking; wait for room either way */
		if (errno == EAGAIN && await_room(o) == 0)
			continue;
		if (errno == EPIPE || errno == EAGAIN) {
			o->broken = 1; /* EAGAIN here: the command exited */
			return -1;
		}
		ex_die(EXIT_IO, "write: %s", o->name);
	}
	return 0;
}

int
ex_out_flush(struct ex_out *o)
{
	int r = o->len ? put(o, o->buf, o->len) : (o->broken ? -1 : 0);

	o->len = 0;
	return r;
}

void
ex_out_write(struct ex_out *o, const void *p, size_t n)
{
	if (n == 0)
		return; /* p may be NULL then, which memcpy must not see */
	if (o->len + n > o->cap) {
		ex_out_flush(o);
		if (n >= o->cap) {
			put(o, p, n);
			return;
		}
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* The tag tag[0..len) ("123<TAB>") plus one; returns its new length. */
static size_t
plus1(char *tag, size_t len)
{
	size_t i;

	for (i = len - 1; i > 0 && tag[i - 1] == '9'; i--)
		tag[i - 1] = '0';
	if (i > 0) {
		tag[i - 1]++;
		return len;
	}
	memmove(tag + 1, tag, len); /* 99 -> 100 */
	tag[0] = '1';
	return len + 1;
}

/* o->tag becomes the tag of off: the previous one plus 1 when it can. */
void
ex_out_tag(struct ex_out *o, uint64_t off)
{
	if (o->taglen == 0 || off != o->tagoff + 1)
		o->taglen = ex_tag_fmt(o->tag, off);
	else
		o->taglen = plus1(o->tag, o->taglen);
	o->tagoff = off;
}

void
ex_out_rec_more(struct ex_out *o, uint64_t off, const char *payload, size_t n,
    int tagged)
{
	if (tagged) {
		if (o->cap - o->len < EX_TAG_MAX)
			ex_out_flush(o);
		ex_out_tag(o, off);
		memcpy(o->buf + o->len, o->tag, o->taglen);
		o->len += o->taglen;
	}
	ex_out_write(o, payload, n);
	if (o->len == o->cap)
		ex_out_flush(o);
	o->buf[o->len++] = '\n';
}

size_t
ex_out_lines(struct ex_out *o, const char *p, size_t n, uint64_t off,
    uint64_t *count, int tagged)
{
	const char *s = p, *e = p + n, *lf;
	uint64_t k = 0, max = *count;
	char tag[EX_OUT_TAGCOPY], *d;
	size_t tl, len;

	if (!tagged) {
		/* the lines as they are: find where the last one ends, and
		 * copy them all at once */
		while (k < max && (lf = memchr(s, '\n', (size_t)(e - s)))) {
			s = lf + 1;
			k++;
		}
		ex_out_write(o, p, (size_t)(s - p));
		*count = k;
		return (size_t)(s - p);
	}
	/*
	 * ex_out_rec's work, with what it keeps in o held in locals (the
	 * compiler would reload o after every memcpy).  The next tag is made
	 * as soon as this one is copied, not just before it is copied again:
	 * a tag read right after one of its digits was stored would wait for
	 * the store.  One loop finds and copies: the search for the next LF
	 * runs while the copy of this line is still under way.
	 */
	ex_out_tag(o, off);
	memcpy(tag, o->tag, sizeof tag);
	tl = o->taglen;
	d = o->buf + o->len;
	while (k < max && (lf = memchr(s, '\n', (size_t)(e - s)))) {
		len = (size_t)(lf - s) + 1; /* with its LF */
		if ((size_t)(o->buf + o->cap - d) <= len + EX_OUT_TAGCOPY) {
			o->len = (size_t)(d - o->buf);
			ex_out_flush(o);
			if (len + EX_OUT_TAGCOPY >= o->cap) {
				/* longer than the buffer: written through */
				ex_out_rec_more(o, off + k, s, len - 1, 1);
				d = o->buf + o->len;
				tl = plus1(tag, tl);
				s = lf + 1;
				k++;
				continue;
			}
			d = o->buf;
		}
		memcpy(d, tag, EX_OUT_TAGCOPY);
		d += tl;
		if (tag[tl - 2] != '9')
			tag[tl - 2]++;
		else
			tl = plus1(tag, tl);
		memcpy(d, s, len);
		d += len;
		s = lf + 1;
		k++;
	}
	o->len = (size_t)(d - o->buf);
	/* o's tag is the last one written, as ex_out_rec leaves it */
	if (k > 0) {
		o->tagoff = off + k - 1;
		o->taglen = ex_tag_fmt(o->tag, o->tagoff);
	}
	*count = k;
	return (size_t)(s - p);
}
