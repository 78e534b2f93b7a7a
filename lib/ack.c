/*
 * The acknowledgement loop.  Bytes for the command live in a list of
 * chunks: each record is appended once, as the line the command will read,
 * and its flight points at the payload inside that line, so one copy serves
 * both the writing and the hand-over.  Chunks never move, which keeps a
 * taken flight's payload valid while more records are sent, and a chunk is
 * recycled once every record in it has been written and taken, so the
 * steady state allocates nothing.  Writes gather every queued byte into
 * one writev(2); reads take what the pipe holds in one go and count LFs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ack.h"
#include "child.h"
#include "clock.h"
#include "err.h"
#include "tag.h"

#define CHUNK     (256 * 1024)  /* bytes of one chunk of queued records */
#define FULL      (1024 * 1024) /* queued bytes beyond which ex_ack_full */
#define RBUF      (64 * 1024)   /* one read of acknowledgements */
#define MAXIOV    64
#define RING_INIT 1024

struct chunk {
	struct chunk *next;
	size_t cap, len;
	size_t live; /* records in it not yet taken */
	char data[];
};

struct slot {
	struct ex_flight f;
	struct chunk *c; /* NULL for a mark */
};

struct ex_ack_impl {
	int to, from;           /* our ends of the pipes; -1 once closed */
	int closing;            /* ex_ack_eof: close to once drained */
	int eof;                /* the command closed its stdout */
	int gone;               /* the reader of watch went away */
	struct chunk *head, *tail, *spare;
	struct chunk *wc;       /* chunk holding the next byte to write */
	size_t wpos;            /* its position in wc */
	size_t pending;         /* bytes queued, not yet written */
	struct slot *ring;      /* records sent and not taken, oldest first */
	size_t rcap, rhead, rcount;
	uint64_t taken;         /* records taken (marks are not counted) */
	struct slot out;        /* the last flight handed out by take */
	int holding;            /* out is held (its chunk still counts it) */
	char *rbuf;
	char *name;             /* the command, for messages */
};

static void
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		ex_die(EXIT_FAILURE, "fcntl");
}

void
ex_ack_start(struct ex_ack *a, char *const argv[], int tagged)
{
	struct ex_ack_impl *p = ex_malloc(sizeof *p);

	memset(p, 0, sizeof *p);
	p->name = strdup(argv[0]);
	if (!p->name)
		ex_die(EXIT_FAILURE, "strdup");
	p->rcap = RING_INIT;
	p->ring = ex_malloc(p->rcap * sizeof *p->ring);
	p->rbuf = ex_malloc(RBUF);
	a->pid = ex_child_start(argv, &p->to, NULL, &p->from);
	nonblock(p->to);
	nonblock(p->from);
	a->fed = a->acked = 0;
	a->wstatus = 0;
	a->watch = -1;
	a->wake = -1;
	a->tagged = tagged;
	a->p = p;
}

static struct chunk *
chunk_new(struct ex_ack_impl *p, size_t need)
{
	struct chunk *c;

	if (need <= CHUNK && p->spare) {
		c = p->spare;
		p->spare = NULL;
	} else {
		size_t cap = need > CHUNK ? need : CHUNK;

		c = ex_malloc(sizeof *c + cap);
		c->cap = cap;
	}
	c->next = NULL;
	c->len = c->live = 0;
	return c;
}

static void
chunk_drop(struct ex_ack_impl *p, struct chunk *c)
{
	if (c->cap == CHUNK && !p->spare)
		p->spare = c;
	else
		free(c);
}

/* Give back the chunks at the head that hold nothing still needed. */
static void
reclaim(struct ex_ack_impl *p)
{
	while (p->head && p->head->live == 0 && p->wc != p->head) {
		struct chunk *c = p->head;

		p->head = c->next;
		chunk_drop(p, c);
	}
	if (!p->head) {
		p->tail = p->wc = NULL;
		p->wpos = 0;
	} else if (p->head == p->tail && p->head->live == 0 &&
	    p->wpos == p->head->len) {
		p->head->len = p->wpos = 0; /* all written and taken: reuse */
	}
}

/* Once we stop writing (EPIPE, or our end closed), every byte counts as
 * written: records still go in flight, but nothing waits to be sent. */
static void
skip_pending(struct ex_ack_impl *p)
{
	p->wc = p->tail;
	p->wpos = p->tail ? p->tail->len : 0;
	p->pending = 0;
}

static void
close_to(struct ex_ack_impl *p)
{
	if (p->to >= 0) {
		ex_child_close(p->to);
		p->to = -1;
	}
	skip_pending(p);
}

/* A new slot at the ring's end, zeroed. */
static struct slot *
ring_add(struct ex_ack_impl *p)
{
	struct slot *s;

	if (p->rcount == p->rcap) {
		p->ring = ex_realloc(p->ring, 2 * p->rcap * sizeof *p->ring);
		memcpy(p->ring + p->rcap, p->ring, p->rhead * sizeof *p->ring);
		p->rcap *= 2;
	}
	s = &p->ring[(p->rhead + p->rcount++) & (p->rcap - 1)];
	memset(s, 0, sizeof *s);
	return s;
}

struct ex_flight *
ex_ack_send(struct ex_ack *a, uint64_t off, const char *payload, size_t len,
    size_t tag)
{
	struct ex_ack_impl *p = a->p;
	size_t need = len + EX_TAG_MAX + 1;
	struct chunk *c = p->tail;
	struct slot *s;
	char *line, *d;

	if (!c || c->cap - c->len < need) {
		c = chunk_new(p, need);
		if (p->tail)
			p->tail->next = c;
		else
			p->head = c;
		if (!p->wc || (p->wc == p->tail && p->wpos == p->tail->len)) {
			p->wc = c;
			p->wpos = 0;
		}
		p->tail = c;
	}
	d = line = c->data + c->len;
	if (a->tagged)
		d += ex_tag_rec(d, off, payload, len, tag);
	else
		memcpy(d, payload, len);
	d[len] = '\n';
	p->pending += (size_t)(d + len + 1 - (c->data + c->len));
	c->len = (size_t)(d + len + 1 - c->data);
	c->live++;
	if (p->to < 0)
		skip_pending(p);

	s = ring_add(p);
	s->f.off = off;
	s->f.payload = d;
	s->f.len = len;
	s->f.tag = (size_t)(d - line);
	s->c = c;
	a->fed++;
	return &s->f;
}

void
ex_ack_mark(struct ex_ack *a, uint64_t off)
{
	static char empty[1];
	struct ex_ack_impl *p = a->p;
	struct slot *s;

	/* right behind another mark, it says all that one said: replace it,
	 * so that marks alone never grow the ring */
	if (p->rcount > 0) {
		s = &p->ring[(p->rhead + p->rcount - 1) & (p->rcap - 1)];
		if (s->f.mark) {
			s->f.off = off;
			return;
		}
	}
	s = ring_add(p);
	s->f.off = off;
	s->f.payload = empty;
	s->f.mark = 1;
}

/* Whether ex_ack_take has something to hand out. */
static int
takeable(const struct ex_ack *a)
{
	const struct ex_ack_impl *p = a->p;

	return a->acked > p->taken ||
	    (p->rcount > 0 && p->ring[p->rhead].f.mark);
}

int
ex_ack_full(const struct ex_ack *a)
{
	return a->p->pending > FULL;
}

/* Write what the pipe takes, in as few writev(2) calls as it allows. */
static void
feed(struct ex_ack_impl *p)
{
	while (p->pending > 0) {
		struct iovec iov[MAXIOV];
		struct chunk *c = p->wc;
		size_t pos = p->wpos;
		int n = 0;
		ssize_t w;

		for (; c && n < MAXIOV; c = c->next, pos = 0) {
			if (c->len > pos) {
				iov[n].iov_base = c->data + pos;
				iov[n++].iov_len = c->len - pos;
			}
		}
		if (n == 0) {
			p->pending = 0; /* never, if the count is right */
			break;
		}
		w = writev(p->to, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			if (errno == EPIPE) {
				close_to(p);
				return;
			}
			ex_die(EXIT_IO, "write to %s", p->name);
		}
		p->pending -= (size_t)w;
		while (w > 0) {
			size_t left = p->wc->len - p->wpos;

			if ((size_t)w < left) {
				p->wpos += (size_t)w;
				break;
			}
			w -= (ssize_t)left;
			p->wpos = p->wc->len;
			if (p->wc->next) {
				p->wc = p->wc->next;
				p->wpos = 0;
			}
		}
	}
	reclaim(p);
	if (p->closing)
		close_to(p);
}

static void
drain(struct ex_ack *a)
{
	struct ex_ack_impl *p = a->p;

	for (;;) {
		ssize_t n = read(p->from, p->rbuf, RBUF);
		const char *s, *e, *lf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			ex_die(EXIT_IO, "read from %s", p->name);
		}
		if (n == 0) {
			ex_child_close(p->from);
			p->from = -1;
			p->eof = 1;
			return;
		}
		for (s = p->rbuf, e = s + n; (lf = memchr(s, '\n', (size_t)(e - s)));
		    s = lf + 1)
			a->acked++;
		if (a->acked > a->fed)
			ex_diex(EXIT_DATA, "%s: %llu acknowledgement lines for %llu "
			    "records fed: the command must write one line per "
			    "record", p->name, (unsigned long long)a->acked,
			    (unsigned long long)a->fed);
		if (n < RBUF)
			return; /* the pipe is empty: spare a read */
	}
}

/* One poll(2) over the command's pipes, in_fd and the watched descriptor.
 * Returns 1 if in_fd is readable, 2 if a->wake is (3: both), 0 if
 * neither, -1 if there was nothing to wait for. */
static int
step(struct ex_ack *a, int in_fd, int ms)
{
	struct ex_ack_impl *p = a->p;
	struct pollfd pf[5];
	int n = 0, iw = -1, ir = -1, ii = -1, iv = -1, ik = -1, r;

	if (p->to >= 0 && p->pending > 0) {
		pf[iw = n++] = (struct pollfd){ .fd = p->to, .events = POLLOUT };
	}
	if (p->from >= 0)
		pf[ir = n++] = (struct pollfd){ .fd = p->from, .events = POLLIN };
	if (in_fd >= 0)
		pf[ii = n++] = (struct pollfd){ .fd = in_fd, .events = POLLIN };
	if (a->wake >= 0)
		pf[ik = n++] = (struct pollfd){ .fd = a->wake, .events = POLLIN };
	if (n == 0)
		return -1;
	/* no events asked: a pipe whose reader left says POLLERR anyway */
	if (a->watch >= 0 && !p->gone)
		pf[iv = n++] = (struct pollfd){ .fd = a->watch, .events = 0 };
	if ((r = poll(pf, (nfds_t)n, ms)) < 0) {
		if (errno == EINTR)
			return 0;
		ex_die(EXIT_FAILURE, "poll");
	}
	if (r == 0)
		return 0;
	if (iw >= 0 && pf[iw].revents)
		feed(p);
	if (ir >= 0 && pf[ir].revents)
		drain(a);
	if (iv >= 0 && pf[iv].revents & POLLNVAL)
		a->watch = -1; /* not open: nothing to watch */
	else if (iv >= 0 && pf[iv].revents & (POLLERR | POLLHUP))
		p->gone = 1;
	return (ii >= 0 && pf[ii].revents ? 1 : 0) |
	    (ik >= 0 && pf[ik].revents ? 2 : 0);
}

/* What the caller should hear about at once. */
static int
news(const struct ex_ack *a, int waseof, int wasfull)
{
	const struct ex_ack_impl *p = a->p;
	int bits = 0;

	if (takeable(a))
		bits |= EX_ACK_READY;
	if (p->eof)
		bits |= EX_ACK_EOF;
	if (p->gone)
		bits |= EX_ACK_GONE;
	if ((bits & (EX_ACK_READY | EX_ACK_GONE)) || p->eof != waseof ||
	    (wasfull && !ex_ack_full(a)))
		bits |= 16; /* news: not one of the bits handed out */
	return bits;
}

int
ex_ack_poll(struct ex_ack *a, int in_fd, int ms)
{
	struct ex_ack_impl *p = a->p;
	int64_t deadline = ms > 0 ? ex_now_ms() + ms : 0;
	int wasfull = ex_ack_full(a), waseof = p->eof;

	if (p->pending > 0 && p->to >= 0)
		feed(p); /* most calls find room in the pipe: skip the poll */
	for (;;) {
		int bits = news(a, waseof, wasfull), wait = ms, r;

		if (bits & 16)
			wait = 0; /* news for the caller: look, do not wait */
		else if (ms > 0 && (wait = (int)(deadline - ex_now_ms())) < 0)
			wait = 0;
		r = step(a, in_fd, wait);
		bits = news(a, waseof, wasfull);
		if (r > 0 && (r & 1))
			bits |= EX_ACK_IN;
		if (r > 0 && (r & 2))
			bits |= EX_ACK_WAKE;
		if (r != 0 || wait == 0 || (bits & 16))
			return bits & ~16;
		if (ms > 0 && ex_now_ms() >= deadline)
			return bits & ~16;
	}
}

static void
release(struct ex_ack_impl *p)
{
	if (p->holding) {
		p->out.c->live--;
		p->holding = 0;
		reclaim(p);
	}
}

struct ex_flight *
ex_ack_take(struct ex_ack *a)
{
	struct ex_ack_impl *p = a->p;

	release(p);
	if (!takeable(a))
		return NULL;
	p->out = p->ring[p->rhead];
	p->rhead = (p->rhead + 1) & (p->rcap - 1);
	p->rcount--;
	if (!p->out.f.mark) {
		p->taken++;
		p->holding = 1;
	}
	return &p->out.f;
}

void
ex_ack_eof(struct ex_ack *a)
{
	struct ex_ack_impl *p = a->p;

	p->closing = 1;
	if (p->pending == 0)
		close_to(p);
}

int
ex_ack_wait(struct ex_ack *a)
{
	ex_ack_eof(a);
	a->wake = -1; /* only the command's end is waited for now */
	while (step(a, -1, -1) >= 0)
		;
	return ex_child_wait(a->pid, &a->wstatus);
}

void
ex_ack_free(struct ex_ack *a)
{
	struct ex_ack_impl *p = a->p;
	struct chunk *c, *next;

	if (!p)
		return;
	ex_child_close(p->to);
	ex_child_close(p->from);
	for (c = p->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(p->spare);
	free(p->ring);
	free(p->rbuf);
	free(p->name);
	free(p);
	a->p = NULL;
}
