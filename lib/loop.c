#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"
#include "err.h"
#include "loop.h"
#include "opt.h"

/* ---- batches ------------------------------------------------------------- */

void
ex_batch_init(struct ex_batch *b, struct ex_rd *in, uint64_t count, int ms)
{
	memset(b, 0, sizeof *b);
	b->in = in;
	b->count = count;
	b->ms = ms;
}

void
ex_batch_start(struct ex_batch *b)
{
	b->n = 0;
	b->max = b->count;
	b->deadline = -1;
}

int
ex_out_gone(const struct ex_out *o)
{
	struct pollfd p = { .fd = o->fd, .events = 0 };

	if (o->broken)
		return 1;
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)) &&
	    !(p.revents & POLLNVAL);
}

int
ex_batch_wait(struct ex_batch *b, int64_t deadline)
{
	struct pollfd p[2];
	int n = 1, r;

	if (ex_rd_ready(b->in) || b->in->fd < 0)
		return 1;
	p[0] = (struct pollfd){ .fd = b->in->fd, .events = POLLIN };
	/* more input at hand: no wait, and no flush of a partial buffer */
	while ((r = poll(p, 1, 0)) < 0 && errno == EINTR)
		;
	if (r > 0)
		return 1;
	if (b->idle)
		ex_out_flush(b->idle);
	if (b->watch && b->watch->broken)
		return -1;
	/* no events asked: a pipe whose reader left says POLLERR anyway,
	 * a regular file or /dev/null nothing */
	if (b->watch)
		p[n++] = (struct pollfd){ .fd = b->watch->fd, .events = 0 };
	for (;;) {
		int ms = -1;

		if (deadline >= 0) {
			int64_t left = deadline - ex_now_ms();

			ms = left > 0 ? (int)left : 0;
		}
		if ((r = poll(p, (nfds_t)n, ms)) < 0) {
			if (errno == EINTR)
				continue;
			ex_die(EXIT_IO, "poll: %s", b->in->name);
		}
		if (r == 0)
			return 0;
		if (p[0].revents)
			return 1;
		if (p[1].revents & POLLNVAL)
			n = 1; /* not open: nothing to watch */
		else
			return -1;
	}
}

int
ex_batch_next(struct ex_batch *b, char **line, size_t *len)
{
	int r;

	if (b->n >= b->max)
		return EX_BATCH_END;
	if (!ex_rd_ready(b->in)) {
		r = ex_batch_wait(b, b->n && b->ms ? b->deadline : -1);
		if (r < 0)
			return EX_BATCH_GONE;
		if (r == 0)
			return EX_BATCH_END;
	}
	switch (ex_rd_line(b->in, line, len)) {
	case EX_RD_EOF:
		return EX_BATCH_EOF;
	case EX_RD_PARTIAL:
		return EX_BATCH_TORN;
	}
	ex_batch_took(b, 1);
	return EX_BATCH_REC;
}

uint64_t
ex_batch_room(const struct ex_batch *b)
{
	return b->max - b->n;
}

void
ex_batch_took(struct ex_batch *b, uint64_t k)
{
	if (k > 0 && b->n == 0 && b->ms)
		b->deadline = ex_now_ms() + b->ms;
	b->n += k;
}

void
ex_batch_mark(struct ex_batch *b)
{
	if (b->max != EX_COUNT_NONE)
		b->max++;
}

/* ---- one run per batch --------------------------------------------------- */

#define FEED_PIPE (1024 * 1024) /* the default pipe-max-size */

void
ex_feed_start(struct ex_feed *f, char *const argv[])
{
	int fd, pidfd;

	f->peek = -1;
	f->pid = ex_child_start(argv, &fd, &f->peek, NULL);
	/* A pipe that holds a batch of ordinary records lets us write it
	 * while the command is still starting, rather than wait for it
	 * 64 KiB at a time.  Over the user's limit it stays as it is. */
	(void)fcntl(fd, F_SETPIPE_SZ, FEED_PIPE);
	ex_out_init(&f->to, fd, argv[0]);
	if ((pidfd = ex_child_pidfd(f->pid)) >= 0)
		ex_out_watch(&f->to, pidfd);
	else {
		/* no pidfd: a reader we keep would hide the command's exit
		 * from a write to a full pipe, so keep none */
		ex_child_close(f->peek);
		f->peek = -1;
	}
}

int
ex_feed_end(struct ex_feed *f, int *whole)
{
	int broken = ex_out_flush(&f->to) < 0, left = 0, st;

	ex_child_close(f->to.fd);
	ex_out_free(&f->to);
	st = ex_child_wait(f->pid, &f->wstatus);
	if (f->peek >= 0) {
		if (ioctl(f->peek, FIONREAD, &left) < 0)
			left = 0;
		ex_child_close(f->peek);
		f->peek = -1;
	}
	f->pid = 0;
	*whole = !broken && left == 0;
	return st;
}

/* ---- the feed window ----------------------------------------------------- */

void
ex_echo_start(struct ex_echo *e, char *const argv[], int tagged,
    uint64_t window, int verbose)
{
	memset(e, 0, sizeof *e);
	e->name = argv[0];
	e->window = window;
	e->verbose = verbose;
	ex_ack_start(&e->a, argv, tagged);
}

int
ex_echo_may_feed(const struct ex_echo *e)
{
	return !ex_ack_full(&e->a) && e->a.fed - e->done < e->window;
}

/* How long to poll: ms, or less if a warning falls due sooner. */
static int
quiet_ms(struct ex_echo *e, int ms)
{
	int64_t now = ex_now_ms(), left;

	if (!e->verbose || e->a.fed == e->a.acked) {
		e->quiet = 0;
		return ms;
	}
	if (e->quiet == 0) {
		e->quiet = now;
		e->warn = 1;
	}
	left = e->quiet + e->warn * 1000 - now;
	if (left < 0)
		left = 0;
	return ms < 0 || left < ms ? (int)left : ms;
}

static void
quiet_check(struct ex_echo *e, uint64_t acked)
{
	uint64_t n = e->a.fed - e->a.acked;

	if (e->a.acked != acked || e->quiet == 0) {
		e->quiet = 0;
		return;
	}
	if (ex_now_ms() - e->quiet < e->warn * 1000)
		return;
	ex_warnx("%s: no acknowledgement for %lld s, %" PRIu64 " record%s in "
	    "flight (is its output line-buffered?)", e->name,
	    (long long)e->warn, n, n == 1 ? "" : "s");
	e->warn *= 2;
}

int
ex_echo_poll(struct ex_echo *e, int in_fd, int ms)
{
	uint64_t acked = e->a.acked;
	int bits = ex_ack_poll(&e->a, in_fd, quiet_ms(e, ms));

	if (e->quiet)
		quiet_check(e, acked);
	return bits;
}
