#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"
#include "gz.h"

#define GZ_IN (256 * 1024)

struct ex_gz {
	z_stream zs;
	int fd;
	int eof;      /* read(2) returned 0 */
	int done;     /* last member ended cleanly at end of file */
	int member;   /* inside a member (not between two) */
	const char *bad;
	unsigned long long total;
	unsigned char in[GZ_IN];
};

int
ex_gz_magic(const void *p, size_t n)
{
	const unsigned char *b = p;

	return n >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

struct ex_gz *
ex_gz_open(int fd, const void *pre, size_t npre)
{
	struct ex_gz *g = ex_malloc(sizeof *g);

	memset(&g->zs, 0, sizeof g->zs);
	g->fd = fd;
	g->eof = g->done = 0;
	g->member = 1;
	g->bad = NULL;
	g->total = 0;
	/* 16 + MAX_WBITS: a gzip wrapper only, checked, CRC and length too */
	if (inflateInit2(&g->zs, 16 + MAX_WBITS) != Z_OK)
		ex_diex(EXIT_FAILURE, "inflateInit2: %s",
		    g->zs.msg ? g->zs.msg : "failed");
	if (npre > sizeof g->in)
		npre = sizeof g->in;
	memcpy(g->in, pre, npre);
	g->zs.next_in = g->in;
	g->zs.avail_in = (uInt)npre;
	return g;
}

/* Refill the input; -1 on a read error. */
static int
refill(struct ex_gz *g)
{
	ssize_t n;

	do
		n = read(g->fd, g->in, sizeof g->in);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		g->eof = 1;
	g->zs.next_in = g->in;
	g->zs.avail_in = (uInt)n;
	return 0;
}

/* Make sure two bytes are at hand, enough to see a member's magic. */
static int
more2(struct ex_gz *g)
{
	ssize_t n;

	memmove(g->in, g->zs.next_in, g->zs.avail_in);
	g->zs.next_in = g->in;
	while (g->zs.avail_in < 2 && !g->eof) {
		n = read(g->fd, g->in + g->zs.avail_in,
		    sizeof g->in - g->zs.avail_in);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			g->eof = 1;
		g->zs.avail_in += (uInt)n;
	}
	return 0;
}

ssize_t
ex_gz_read(void *ctx, char *buf, size_t n)
{
	struct ex_gz *g = ctx;
	size_t got;
	int rc;

	if (g->done || g->bad)
		return 0;
	if (n > UINT_MAX)
		n = UINT_MAX;
	g->zs.next_out = (unsigned char *)buf;
	g->zs.avail_out = (uInt)n;
	while (g->zs.avail_out == n) {
		if (g->zs.avail_in == 0 && !g->eof && refill(g) < 0)
			return -1;
		if (!g->member) {
			/* between members: end of file, or the next one */
			if (g->zs.avail_in == 0 && g->eof) {
				g->done = 1;
				break;
			}
			if (g->zs.avail_in < 2 && !g->eof && more2(g) < 0)
				return -1;
			if (!ex_gz_magic(g->zs.next_in, g->zs.avail_in)) {
				g->bad = "data after the last gzip member is not gzip";
				break;
			}
			inflateReset(&g->zs);
			g->member = 1;
		}
		if (g->zs.avail_in == 0 && g->eof) {
			g->bad = "truncated gzip data (unexpected end of file)";
			break;
		}
		rc = inflate(&g->zs, Z_NO_FLUSH);
		if (rc == Z_MEM_ERROR)
			ex_diex(EXIT_FAILURE, "inflate: out of memory");
		if (rc == Z_STREAM_END) {
			g->member = 0;
			continue;
		}
		if (rc == Z_BUF_ERROR && g->zs.avail_in == 0)
			continue; /* wants input */
		if (rc != Z_OK) {
			g->bad = g->zs.msg ? g->zs.msg : "corrupt gzip data";
			break;
		}
	}
	got = n - g->zs.avail_out;
	g->total += got;
	return (ssize_t)got;
}

const char *
ex_gz_bad(const struct ex_gz *g)
{
	return g->bad;
}

unsigned long long
ex_gz_total(const struct ex_gz *g)
{
	return g->total;
}

void
ex_gz_close(struct ex_gz *g)
{
	if (!g)
		return;
	inflateEnd(&g->zs);
	free(g);
}
