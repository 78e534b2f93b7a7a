/*
 * commit — record a consumer's progress in its offset file, before or
 * after the work (DESIGN.md section 3).
 *
 * Guarantees:
 *   -a (default), at-least-once: an offset is committed only once every
 *     record below it was processed: in filter mode, written on and flushed
 *     to stdout; in command mode, fed to a run of the command that exited
 *     0 having read all of its batch; with -e, acknowledged by the command.
 *     A crash replays, never loses.
 *   -b, at-most-once: a batch's end is committed before any of it is
 *     written or fed.  A crash loses the rest of the batch, never replays.
 *   A progress mark ("OFFSET" alone: everything up to it is done, nothing
 *   to deliver) is progress like a record and follows the same rules, but
 *   is never fed to a command: with -e it counts as done once every record
 *   fed before it is acknowledged.  Without -p it is written on, in its
 *   place, wherever records are written to stdout; with -p never.
 *
 * Invariants:
 *   - The committed offset is always "last record + 1", reaches disk only
 *     through ex_store_write (one fsync group per batch), and never moves
 *     backwards: a record below it, or not above the previous one, is bad
 *     input.  Only -R sets it to an arbitrary value.
 *   - The offset file is locked for the whole run, held by our process
 *     group (the pipeline) while any process of it lives, so two consumers
 *     never interleave, not even when one of our stages ends early.
 *   - Bad input, failures and signals commit nothing more: the file keeps
 *     the last offset that was true when it was written, and the command
 *     is stopped (child.h) before commit exits.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack.h"
#include "child.h"
#include "clock.h"
#include "err.h"
#include "kafka.h"
#include "loop.h"
#include "opt.h"
#include "out.h"
#include "rd.h"
#include "store.h"
#include "tag.h"

static const char usage_lines[] =
    "usage: commit [-a | -b] [-epvw] -o offsetfile [-n count] [-t ms] "
    "[-- command [arg ...]]\n"
    "       commit [-vw] -o offsetfile -R offset\n"
    "       offsetfile: a file, or a group's offset, "
    "kafka://BROKERS/TOPIC/PARTITION@GROUP\n";

struct opts {
	int before;      /* -b */
	int echo;        /* -e */
	int strip;       /* -p */
	int verbose;     /* -v */
	int wait;        /* -w */
	const char *file;
	uint64_t count;  /* -n: records per batch; EX_COUNT_NONE: until EOF */
	int ms;          /* -t: cut a batch this long after its first record */
	const char *reset; /* -R's offset, or NULL */
	uint64_t resetoff;
	char **cmd;      /* NULL in filter mode */
};

/* A record as read: line[0..len) is "OFF<TAB>PAYLOAD", line[len] its LF;
 * or a mark, "OFF" alone. */
struct rec {
	char *line;
	size_t len;
	uint64_t off;
	const char *payload;
	size_t plen;
	int mark;
};

/* A batch held back until its end is committed (-b). */
struct hold {
	char *buf;
	size_t len, cap;
};

struct commit {
	const struct opts *o;
	struct ex_store *store;
	struct ex_rd in;
	struct ex_batch b;
	struct ex_out out;    /* our stdout */
	uint64_t committed;   /* what the offset file says */
	int any;              /* a record was read */
	uint64_t last;        /* offset of the last record read */
	struct hold held;     /* -b: the batch */
	struct ex_feed feed;  /* command mode: the batch's run */
	struct ex_echo ec;    /* -e: the command, once started */
	int started;          /* -e: ec holds a command */
	int cmd_eof;          /* -e: it closed its stdout */
	uint64_t pending;     /* -e: acknowledged, not yet committed */
	int pmark;            /* -e: a mark is among the uncommitted progress */
	uint64_t last_ack;    /* -e: offset of the last acknowledged record or
	                       * mark taken */
	int64_t deadline;     /* -e: commit the pending ones by then (-t) */
	uint64_t nin, nout, ncommit, nmark;
};

static _Noreturn void
bad(struct commit *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The command, if any, is stopped by the die hook (child.h) before we
 * exit: given end of input, its records uncommitted (-a) or committed
 * already (-b). */
static _Noreturn void
bad(struct commit *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ex_diex(EXIT_DATA, "%s: line %" PRIu64 ": %s", c->in.name,
	    c->in.lineno, msg);
}


static void
flush_out(struct commit *c)
{
	if (ex_out_flush(&c->out) < 0)
		ex_child_gone();
}

static void
commit_to(struct commit *c, uint64_t off)
{
	ex_store_write(c->store, off);
	c->committed = off;
	c->ncommit++;
}

#define WHAT(r) ((r)->mark ? "progress mark" : "offset")

/* Check a line read: its tag, and that its offset may be committed.  A
 * mark obeys the rules of a record: offsets increase across both. */
static void
check(struct commit *c, char *line, size_t len, struct rec *r)
{
	const char *why;

	r->line = line;
	r->len = len;
	if ((why = ex_tag_line(line, len, &r->off, &r->payload, &r->plen,
	    &r->mark)))
		bad(c, "%s", why);
	if (r->off < c->committed) {
		/* A group's offset is read by our logcat and by us, each at
		 * its start: ahead of our records, another consumer moved it
		 * in between (DESIGN.md section 8), as it is when the check
		 * before each commit fails. */
		if (ex_kafka_name(c->o->file))
			ex_diex(EXIT_BUSY, "%s: line %" PRIu64 ": %s %"
			    PRIu64 " is below the committed offset %" PRIu64
			    " of %s: another consumer moved the group's offset "
			    "since this pipeline's reader read it (or the "
			    "records were not read from it); nothing committed",
			    c->in.name, c->in.lineno, WHAT(r), r->off,
			    c->committed, c->o->file);
		bad(c, "%s %" PRIu64 " is below the committed offset %"
		    PRIu64 " of %s", WHAT(r), r->off, c->committed, c->o->file);
	}
	if (c->any && r->off <= c->last)
		bad(c, "%s %" PRIu64 " does not follow %" PRIu64
		    " (offsets must increase)", WHAT(r), r->off, c->last);
	/* Its successor, the offset to commit, would be one no reader takes. */
	if (r->off == EX_OFF_MAX)
		bad(c, "%s %" PRIu64 " is the largest: the offset after it "
		    "cannot be committed", WHAT(r), r->off);
	c->any = 1;
	c->last = r->off;
	if (r->mark) {
		ex_batch_mark(&c->b);
		c->nmark++;
	} else
		c->nin++;
}

/*
 * The next record of the batch, or why there is none: EX_BATCH_END,
 * EX_BATCH_EOF (a torn last line is bad input), EX_BATCH_GONE.
 */
static int
next_rec(struct commit *c, struct rec *r)
{
	char *line;
	size_t len;
	int got = ex_batch_next(&c->b, &line, &len);

	if (got == EX_BATCH_TORN) {
		c->in.lineno++;
		bad(c, "no newline at the end of the input (a torn record)");
	}
	if (got == EX_BATCH_REC)
		check(c, line, len, r);
	return got;
}

/* A mark is written on only where the stream stays tagged (not -p). */
static void
put_rec(struct ex_out *o, const struct rec *r, int strip)
{
	if (strip) {
		if (!r->mark)
			ex_out_rec(o, 0, r->payload, r->plen, 0);
	} else
		ex_out_write(o, r->line, r->len + 1);
}

static void
hold_add(struct hold *h, const struct rec *r)
{
	if (h->cap - h->len < r->len + 1) {
		while (h->cap - h->len < r->len + 1)
			h->cap = h->cap ? h->cap * 2 : 64 * 1024;
		h->buf = ex_realloc(h->buf, h->cap);
	}
	memcpy(h->buf + h->len, r->line, r->len + 1);
	h->len += r->len + 1;
}

/* Calls fn for each held record; held lines were checked when read. */
static void
hold_each(struct hold *h, void (*fn)(struct commit *, const struct rec *),
    struct commit *c)
{
	struct rec r;
	char *p = h->buf, *end = h->buf + h->len, *lf;

	for (; p < end; p = lf + 1) {
		lf = memchr(p, '\n', (size_t)(end - p));
		r.line = p;
		r.len = (size_t)(lf - p);
		ex_tag_line(r.line, r.len, &r.off, &r.payload, &r.plen, &r.mark);
		fn(c, &r);
	}
}

/* A function that hands on a run of k records, n bytes at p, whole. */
typedef void span_fn(struct commit *, const char *p, size_t n, uint64_t k);

/*
 * The records already buffered that need no look one by one (ex_tag_run:
 * well-formed, in order, above the committed offset), up to the batch's
 * end, handed to span as they were read: no call, no copy a record.
 * Returns how many; 0 leaves the next line to next_rec.
 */
static uint64_t
take_run(struct commit *c, span_fn *span)
{
	const char *p;
	size_t n = ex_rd_pending(&c->in, &p), used;
	uint64_t k = ex_batch_room(&c->b), last = 0;

	used = ex_tag_run(p, n, c->any ? c->last + 1 : c->committed, &k, &last);
	if (k == 0)
		return 0;
	ex_rd_consume(&c->in, k, used);
	ex_batch_took(&c->b, k);
	c->any = 1;
	c->last = last;
	c->nin += k;
	span(c, p, used, k); /* p stays valid until the next read */
	return k;
}

/*
 * Reads one batch, each record and mark to fn, or runs of records to
 * span if it is not NULL (records passed on as they are: no -p).
 * Returns the number of lines read (marks count: they too are progress
 * to commit); *eof is set at the end of the input.  A reader of ours that
 * went away while we waited is the end (gone), unless records of the
 * batch still need a command (which says so itself if it cannot hand
 * them on).
 */
static uint64_t
batch(struct commit *c, void (*fn)(struct commit *, const struct rec *),
    span_fn *span, int *eof)
{
	struct rec r;
	int got;

	ex_batch_start(&c->b);
	for (;;) {
		if (span && take_run(c, span))
			continue;
		if ((got = next_rec(c, &r)) != EX_BATCH_REC)
			break;
		fn(c, &r);
	}
	if (got == EX_BATCH_GONE)
		ex_child_gone();
	if (got == EX_BATCH_EOF)
		*eof = 1;
	return c->b.n;
}

/* Filter mode. */

static void
filter_rec(struct commit *c, const struct rec *r)
{
	put_rec(&c->out, r, c->o->strip);
	if (!r->mark)
		c->nout++;
	/* the reader went away (SIGPIPE ignored): on a stream that never
	 * pauses the batch would never end */
	if (c->out.broken)
		ex_child_gone();
}

static void
filter_span(struct commit *c, const char *p, size_t n, uint64_t k)
{
	ex_out_write(&c->out, p, n);
	c->nout += k;
	if (c->out.broken)
		ex_child_gone();
}

static void
hold_rec(struct commit *c, const struct rec *r)
{
	hold_add(&c->held, r);
}

/* Command mode, one run per batch. */

/* Ends the batch's run, if it had one (a batch of marks alone runs no
 * command); on failure exits as DESIGN.md section 5 says. */
static void
end_batch(struct commit *c)
{
	int whole, st;

	if (!c->feed.pid)
		return;
	st = ex_feed_end(&c->feed, &whole);

	if (st != 0) {
		ex_child_report(c->o->cmd[0], c->feed.wstatus);
		exit(st);
	}
	if (!whole)
		ex_diex(EXIT_FAILURE, "%s: exited 0 without reading all of its "
		    "batch; %s", c->o->cmd[0], c->o->before ?
		    "the rest of the batch is lost" :
		    "batch not committed");
}

static void
feed_start(struct commit *c)
{
	if (!c->feed.pid) {
		ex_feed_start(&c->feed, c->o->cmd);
		c->b.idle = &c->feed.to;
	}
}

static void
feed_rec(struct commit *c, const struct rec *r)
{
	if (r->mark)
		return; /* never fed: its progress is the batch's */
	feed_start(c);
	put_rec(&c->feed.to, r, c->o->strip);
	c->nout++;
}

static void
feed_span(struct commit *c, const char *p, size_t n, uint64_t k)
{
	feed_start(c);
	ex_out_write(&c->feed.to, p, n);
	c->nout += k;
}

/*
 * Batch after batch, in filter mode (put = filter_rec, span =
 * filter_span, done = flush_out) or one run of the command per batch
 * (feed_rec, feed_span, end_batch).  -b holds a
 * batch, commits its end, then hands it on; -a hands records on as they
 * come and commits the batch's end once it is done: written on and
 * flushed, or fed to a command that exited 0 having read it all.
 */
static void
run_batches(struct commit *c, void (*put)(struct commit *, const struct rec *),
    span_fn *span, void (*done)(struct commit *))
{
	int eof = 0;

	if (c->o->strip)
		span = NULL;
	while (!eof) {
		if (c->o->before) {
			c->held.len = 0;
			if (batch(c, hold_rec, NULL, &eof) == 0)
				break;
			commit_to(c, c->last + 1);
			hold_each(&c->held, put, c);
			done(c);
		} else {
			if (batch(c, put, span, &eof) == 0)
				break;
			done(c);
			commit_to(c, c->last + 1);
		}
		if (c->o->cmd)
			c->b.idle = NULL;
	}
}

/* Command mode with acknowledgements (-e). */

static void
commit_acked(struct commit *c)
{
	if (c->pending == 0 && !c->pmark)
		return;
	flush_out(c);
	if (!c->o->before)
		commit_to(c, c->last_ack + 1);
	c->ec.done += c->pending;
	c->pending = 0;
	c->pmark = 0;
}

/* Hands on what the command acknowledged, and the marks behind it (which
 * are done once the records before them are), committing every -n
 * records and -t ms after the first progress not yet committed. */
static void
take_acks(struct commit *c)
{
	struct ex_flight *f;

	while ((f = ex_ack_take(&c->ec.a))) {
		if (c->pending == 0 && !c->pmark && c->o->ms > 0)
			c->deadline = ex_now_ms() + c->o->ms;
		c->last_ack = f->off;
		if (f->mark) {
			if (!c->o->strip) {
				char m[EX_TAG_MAX];

				ex_out_write(&c->out, m, ex_mark_fmt(m, f->off));
			}
			c->pmark = 1;
			continue;
		}
		ex_out_rec(&c->out, f->off, f->payload, f->len, !c->o->strip);
		c->nout++;
		if (++c->pending >= c->o->count)
			commit_acked(c);
	}
	if ((c->pending || c->pmark) && c->o->ms > 0 &&
	    ex_now_ms() >= c->deadline)
		commit_acked(c);
}

static int
poll_ms(struct commit *c)
{
	int64_t left;

	if ((c->pending == 0 && !c->pmark) || c->o->ms <= 0)
		return -1;
	left = c->deadline - ex_now_ms();
	return left < 0 ? 0 : (int)left;
}

static void
pump(struct commit *c, int in_fd)
{
	int bits;

	/* Acknowledged records may wait for the deadline in our buffer;
	 * a reader further on should see them before we sleep. */
	flush_out(c);
	bits = ex_echo_poll(&c->ec, in_fd, poll_ms(c));
	if (bits & EX_ACK_GONE)
		ex_child_gone();
	if (bits & EX_ACK_EOF)
		c->cmd_eof = 1;
	take_acks(c);
}

static void
send_rec(struct commit *c, const struct rec *r)
{
	if (!c->started) {
		/* -a: at most -n records fed beyond the committed ones */
		ex_echo_start(&c->ec, c->o->cmd, !c->o->strip,
		    c->o->before ? EX_COUNT_NONE : c->o->count, c->o->verbose);
		c->ec.a.watch = c->out.fd;
		c->started = 1;
	}
	if (r->mark) {
		/* behind the records fed before it: done when they are */
		ex_ack_mark(&c->ec.a, r->off);
		return;
	}
	while (ex_ack_full(&c->ec.a) && !c->cmd_eof)
		pump(c, -1);
	ex_ack_send(&c->ec.a, r->off, r->payload, r->plen, 0);
}

/* -b -e: each group is committed, then fed and fully acknowledged before
 * the next is read, so a crash loses at most the group in flight. */
static void
echo_before(struct commit *c)
{
	int eof = 0;

	while (!eof && !c->cmd_eof) {
		c->held.len = 0;
		if (batch(c, hold_rec, NULL, &eof) == 0)
			break;
		commit_to(c, c->last + 1);
		hold_each(&c->held, send_rec, c);
		while (c->ec.a.acked < c->ec.a.fed && !c->cmd_eof)
			pump(c, -1);
		take_acks(c); /* the marks after the group's last record */
		commit_acked(c);
	}
}

/*
 * -a -e: records are fed as they arrive; acknowledged progress is
 * committed every -n acks, -t ms after the first uncommitted one, and at
 * the end.  At most -n records are fed beyond the committed ones (the
 * feed window), so a crash replays at most -n records however fast the
 * command runs ahead of the fsyncs.
 */
static void
echo_after(struct commit *c)
{
	struct rec r;
	int eof = 0, readable = 0, got;

	/* one batch without limits: the window and -t rule here */
	ex_batch_init(&c->b, &c->in, EX_COUNT_NONE, 0);
	ex_batch_start(&c->b);
	c->b.watch = &c->out;
	switch (next_rec(c, &r)) {
	case EX_BATCH_EOF:
		return;
	case EX_BATCH_GONE:
		ex_child_gone();
	}
	send_rec(c, &r);
	while (!eof && !c->cmd_eof) {
		while (ex_echo_may_feed(&c->ec) &&
		    (readable || ex_rd_ready(&c->in))) {
			readable = 0;
			got = next_rec(c, &r);
			if (got == EX_BATCH_GONE)
				ex_child_gone();
			if (got == EX_BATCH_EOF) {
				eof = 1;
				break;
			}
			send_rec(c, &r);
		}
		if (eof || c->cmd_eof)
			break;
		pump(c, ex_echo_may_feed(&c->ec) ? c->in.fd : -1);
		readable = ex_echo_may_feed(&c->ec) && ex_rd_wait(&c->in, 0);
	}
	ex_ack_eof(&c->ec.a);
	while (!c->cmd_eof)
		pump(c, -1);
}

static void
run_echo(struct commit *c)
{
	int st;

	c->b.watch = &c->out;
	if (c->o->before)
		echo_before(c);
	else
		echo_after(c);
	if (!c->started)
		return;
	if (c->o->before)
		ex_ack_eof(&c->ec.a);
	st = ex_ack_wait(&c->ec.a);
	take_acks(c);
	commit_acked(c);
	if (st != 0) {
		ex_child_report(c->o->cmd[0], c->ec.a.wstatus);
		exit(st);
	}
	if (c->ec.a.acked < c->ec.a.fed)
		ex_diex(EXIT_FAILURE, "%s: exited 0 with %" PRIu64 " of %" PRIu64
		    " records unacknowledged; %s", c->o->cmd[0],
		    c->ec.a.fed - c->ec.a.acked, c->ec.a.fed, c->o->before ?
		    "they are lost" : "they stay uncommitted");
}

static void
summary(const struct commit *c)
{
	char flight[64] = "", marks[64] = "";

	if (c->started)
		snprintf(flight, sizeof flight, ", %" PRIu64 " in flight",
		    c->ec.a.fed - c->ec.a.acked);
	if (c->nmark)
		snprintf(marks, sizeof marks, ", %" PRIu64 " progress mark%s",
		    c->nmark, c->nmark == 1 ? "" : "s");
	ex_summary("%" PRIu64 " records in, %" PRIu64 " out%s%s, offset %"
	    PRIu64 " %s (%" PRIu64 " commit%s)", c->nin, c->nout, flight, marks,
	    c->committed, c->ncommit ? "committed" : "unchanged", c->ncommit,
	    c->ncommit == 1 ? "" : "s");
}

static void
reset(const struct opts *o)
{
	struct ex_store *s;

	s = ex_store_open(o->file, o->wait ? EX_STORE_WAIT : 0);
	ex_store_write(s, o->resetoff);
	ex_store_close(s);
	if (o->verbose)
		ex_summary("%s reset to offset %" PRIu64, o->file, o->resetoff);
}

static void
parse(int argc, char *argv[], struct opts *o)
{
	int ch, ab = 0;

	while ((ch = getopt(argc, argv, "+abeo:n:pR:t:vw")) != -1) {
		switch (ch) {
		case 'a':
		case 'b':
			if (ab && ab != ch)
				ex_usage("-a and -b exclude each other");
			ab = ch;
			o->before = ch == 'b';
			break;
		case 'e':
			o->echo = 1;
			break;
		case 'o':
			o->file = ex_opt_path("-o", optarg);
			break;
		case 'n':
			o->count = ex_opt_count("-n", optarg);
			break;
		case 'p':
			o->strip = 1;
			break;
		case 'R':
			o->reset = optarg;
			o->resetoff = ex_opt_offset("-R", optarg);
			break;
		case 't':
			o->ms = ex_opt_ms("-t", optarg);
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'w':
			o->wait = 1;
			break;
		default:
			ex_usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (!o->file)
		ex_usage("-o offsetfile is required");
	if (o->reset) {
		if (argc > 0 || ab || o->echo || o->strip ||
		    o->count != EX_COUNT_NONE || o->ms != 1000)
			ex_usage("-R takes only -o, -v and -w");
		return;
	}
	if (argc > 0)
		o->cmd = argv;
	if (o->echo && !o->cmd)
		ex_usage("-e needs a command");
}

int
main(int argc, char *argv[])
{
	struct opts o = { .count = EX_COUNT_NONE, .ms = 1000 };
	struct commit c;

	ex_opt_init(argv[0], usage_lines);
	ex_elapsed();
	parse(argc, argv, &o);
	ex_kafka_verbose(o.verbose);
	if (o.reset) {
		reset(&o);
		return 0;
	}

	memset(&c, 0, sizeof c);
	c.o = &o;
	c.store = ex_store_open(o.file, o.wait ? EX_STORE_WAIT : 0);
	ex_store_read(c.store, &c.committed);
	ex_rd_init(&c.in, 0, "stdin");
	ex_out_init(&c.out, 1, "stdout");
	ex_batch_init(&c.b, &c.in, o.count, o.ms);
	if (o.cmd) {
		/* A command that stops reading is its batch's failure,
		 * reported as such; it must not kill us before we can say so.
		 * And we never die leaving it running on without us. */
		signal(SIGPIPE, SIG_IGN);
		ex_child_guard();
	}

	if (!o.cmd) {
		c.b.idle = c.b.watch = &c.out;
		run_batches(&c, filter_rec, filter_span, flush_out);
	} else if (o.echo)
		run_echo(&c);
	else
		run_batches(&c, feed_rec, feed_span, end_batch);

	flush_out(&c);
	if (close(1) < 0)
		ex_die(EXIT_IO, "write: stdout");
	if (o.verbose)
		summary(&c);
	return 0;
}
