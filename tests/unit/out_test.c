/*
 * out_test — lib/out.c and the reader's side of it (lib/rd.c): a run of
 * lines written by ex_out_lines is byte for byte what ex_out_rec writes
 * one record at a time, whatever the lines (empty, binary, longer than
 * the buffer), the offsets (every carry of a digit, up to 2^63-1), the
 * counts asked for and the calls mixed with it; an unfinished line is
 * left alone; ex_rd_consume hands out what it was told and the reader
 * goes on after it; a stream whose reader left drops the rest.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "out.h"
#include "rd.h"
#include "unit.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

/* A stream to a new temporary file. */
static int
sink(struct ex_out *o)
{
	char path[] = "/tmp/out_test.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		ex_die(1, "mkstemp");
	unlink(path);
	ex_out_init(o, fd, "test output");
	return fd;
}

/* Flush o and return all that reached its file (*n bytes), malloc'd. */
static char *
drain(struct ex_out *o, size_t *n)
{
	off_t end;
	char *buf;

	ex_out_flush(o);
	end = lseek(o->fd, 0, SEEK_END);
	buf = ex_malloc((size_t)end + 1);
	if (pread(o->fd, buf, (size_t)end, 0) != (ssize_t)end)
		ex_die(1, "pread");
	*n = (size_t)end;
	close(o->fd);
	ex_out_free(o);
	return buf;
}

/* Lines of random bytes other than LF, each ended by one: mostly short,
 * some empty, a few longer than the output buffer. */
static char *
lines(size_t nlines, size_t *n)
{
	size_t cap = 1 << 20, len = 0;
	char *p = ex_malloc(cap);

	for (size_t i = 0; i < nlines; i++) {
		size_t l = rnd(20) == 0 ? 0 : rnd(300) == 0 ?
		    200000 + rnd(100000) : rnd(200);

		if (len + l + 1 > cap) {
			cap = 2 * (len + l + 1);
			p = ex_realloc(p, cap);
		}
		for (size_t j = 0; j < l; j++) {
			char c = (char)rnd(256);

			p[len + j] = c == '\n' ? '\t' : c;
		}
		len += l;
		p[len++] = '\n';
	}
	*n = len;
	return p;
}

/* The same lines through ex_out_lines (runs of random counts, some
 * records between them through ex_out_rec) and through ex_out_rec alone,
 * from offset start on: the same bytes. */
static void
same_as_rec(uint64_t start, int tagged)
{
	struct ex_out a, b;
	size_t n, na, nb, pos = 0;
	char *in = lines(1000, &n), *ga, *gb, *lf;
	uint64_t off = start, k;

	sink(&a);
	sink(&b);
	for (char *s = in; (lf = memchr(s, '\n', (size_t)(in + n - s))); s = lf + 1)
		ex_out_rec(&b, off++, s, (size_t)(lf - s), tagged);
	off = start;
	while (pos < n) {
		if (rnd(4) == 0) {
			lf = memchr(in + pos, '\n', n - pos);
			ex_out_rec(&a, off++, in + pos, (size_t)(lf - (in + pos)),
			    tagged);
			pos = (size_t)(lf - in) + 1;
			continue;
		}
		k = 1 + rnd(60);
		pos += ex_out_lines(&a, in + pos, n - pos, off, &k, tagged);
		off += k;
	}
	CHECK_U64(off - start, 1000);
	ga = drain(&a, &na);
	gb = drain(&b, &nb);
	CHECK_U64(na, nb);
	CHECK(na == nb && memcmp(ga, gb, na) == 0);
	free(in);
	free(ga);
	free(gb);
}

static void
runs(void)
{
	static const uint64_t starts[] = {
		0, 1, 7, 9, 95, 99, 990, 9999, 99999999, 1000000000000000000ULL,
		9223372036854775000ULL,
	};

	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		same_as_rec(starts[i], 1);
		same_as_rec(starts[i], 0);
	}
}

/* What ex_out_lines takes and leaves, and its counts. */
static void
counts(void)
{
	struct ex_out o;
	uint64_t k;
	size_t n, used;
	char *got;

	sink(&o);
	k = 10;
	used = ex_out_lines(&o, "a\nbb\nccc", 8, 98, &k, 1);
	CHECK_U64(k, 2);
	CHECK_U64(used, 5);
	k = 1;
	used = ex_out_lines(&o, "x\ny\n", 4, 100, &k, 1);
	CHECK_U64(k, 1);
	CHECK_U64(used, 2);
	k = 0;
	used = ex_out_lines(&o, "z\n", 2, 101, &k, 1);
	CHECK_U64(k, 0);
	CHECK_U64(used, 0);
	k = 5;
	used = ex_out_lines(&o, "no end", 6, 101, &k, 1);
	CHECK_U64(k, 0);
	CHECK_U64(used, 0);
	ex_out_rec(&o, 101, "after", 5, 1);
	k = 3;
	used = ex_out_lines(&o, "\n\n", 2, 102, &k, 0);
	CHECK_U64(k, 2);
	CHECK_U64(used, 2);
	got = drain(&o, &n);
	CHECK_MEM(got, n, "98\ta\n99\tbb\n100\tx\n101\tafter\n\n\n", 29);
	free(got);
}

/* Lines taken straight from a reader's buffer: ex_rd_consume counts them,
 * and ex_rd_line goes on with the next, an unfinished one included. */
static void
consume(void)
{
	struct ex_out o;
	struct ex_rd r;
	int fds[2];
	const char *p;
	char *line, *got;
	size_t n, len, used;
	uint64_t k = 2;

	if (pipe(fds) < 0 || write(fds[1], "one\ntwo\nthree\nfo", 16) != 16)
		ex_die(1, "pipe");
	close(fds[1]);
	ex_rd_init(&r, fds[0], "test input");
	CHECK_U64(ex_rd_line(&r, &line, &len), EX_RD_LINE);
	CHECK_MEM(line, len, "one", 3);
	sink(&o);
	n = ex_rd_pending(&r, &p);
	CHECK_MEM(p, n, "two\nthree\nfo", 12);
	used = ex_out_lines(&o, p, n, 1, &k, 1);
	ex_rd_consume(&r, k, used);
	CHECK_U64(k, 2);
	CHECK_U64(r.lineno, 3);
	CHECK_U64(r.consumed, 14);
	CHECK_U64(ex_rd_line(&r, &line, &len), EX_RD_PARTIAL);
	CHECK_MEM(line, len, "fo", 2);
	CHECK_U64(ex_rd_line(&r, &line, &len), EX_RD_EOF);
	got = drain(&o, &n);
	CHECK_MEM(got, n, "1\ttwo\n2\tthree\n", 14);
	free(got);
	ex_rd_free(&r);
	close(fds[0]);
}

/* A reader that left: the stream breaks, and the rest is dropped. */
static void
broken(void)
{
	struct ex_out o;
	size_t n;
	char *in = lines(3000, &n);
	int fds[2];
	uint64_t k = UINT64_MAX;

	signal(SIGPIPE, SIG_IGN);
	if (pipe(fds) < 0)
		ex_die(1, "pipe");
	close(fds[0]);
	ex_out_init(&o, fds[1], "test pipe");
	CHECK_U64(ex_out_lines(&o, in, n, 0, &k, 1), n);
	CHECK_U64(k, 3000);
	CHECK(o.broken);
	CHECK(ex_out_flush(&o) < 0);
	ex_out_free(&o);
	close(fds[1]);
	free(in);
}

int
main(void)
{
	runs();
	counts();
	consume();
	broken();
	return unit_done("out_test");
}
