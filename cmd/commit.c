/*
 * commit — record a consumer's progress in its offset file, before or
 * after the work (DESIGN.md section 3).
 *
 * Guarantees:
 *   -a (default), at-least-once: an offset is committed only once every
 *     record below it was processed: in filter mode, written on and flushed
 *     to stdout; in command mode, fed to a run of the command that exited
 *     0; with -e, acknowledged by the command.  A crash replays, never
 *     loses.
 *   -b, at-most-once: a batch's end is committed before any of it is
 *     written or fed.  A crash loses the rest of the batch, never replays.
 *
 * Invariants:
 *   - The committed offset is always "last record + 1", reaches disk only
 *     through ex_store_write (one fsync group per batch), and never moves
 *     backwards: a record below it, or not above the previous one, is bad
 *     input.  Only -R sets it to an arbitrary value.
 *   - The offset file is locked (shared with our own process group, the
 *     pipeline) for the whole run, so two consumers never interleave.
 *   - Bad input and failures commit nothing more: the file keeps the last
 *     offset that was true when it was written.
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
#include "out.h"
#include "rd.h"
#include "store.h"
#include "tag.h"

enum { GOT_REC, GOT_EOF, GOT_TIMEOUT };

struct opts {
	int before;      /* -b */
	int echo;        /* -e */
	int strip;       /* -p */
	int verbose;     /* -v */
	int wait;        /* -w */
	const char *file;
	uint64_t count;  /* records per batch; UINT64_MAX: until EOF */
	int ms;          /* cut a batch this long after its first record */
	char **cmd;      /* NULL in filter mode */
};

/* A record as read: line[0..len) is "OFF<TAB>PAYLOAD", line[len] its LF. */
struct rec {
	char *line;
	size_t len;
	uint64_t off;
	const char *payload;
	size_t plen;
};

/* A batch held back until its end is committed (-b). */
struct hold {
	char *buf;
	size_t len, cap;
};

struct echo {
	struct ex_ack a;
	int started, cmd_eof;
	uint64_t pending;    /* acknowledged, not yet committed */
	uint64_t done;       /* records whose acknowledgement is committed */
	uint64_t last_ack;   /* offset of the last acknowledged record */
	int64_t deadline;    /* commit the pending ones by then (-t) */
	int64_t quiet;       /* -v: since when no acknowledgement came, or 0 */
	int64_t warn;        /* -v: seconds of silence to report next */
};

struct commit {
	const struct opts *o;
	struct ex_store *store;
	struct ex_rd in;
	struct ex_out out;    /* our stdout */
	struct ex_out *idle;  /* flushed before we block on input, or NULL */
	uint64_t committed;   /* what the offset file says */
	int any;              /* a record was read */
	uint64_t last;        /* offset of the last record read */
	pid_t child;          /* a batch's command still running, or 0 */
	int child_in;         /* its stdin, or -1 */
	struct ex_ack *ack;   /* -e: the command, once started */
	struct hold held;     /* -b: the batch */
	struct ex_out feed;   /* the running batch's stdin */
	struct echo ec;       /* -e */
	uint64_t nin, nout, ncommit;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: %s [-a | -b] [-epvw] -o offsetfile [-n count] [-t ms] "
	    "[-- command [arg ...]]\n"
	    "       %s [-vw] -o offsetfile -R offset\n", ex_prog, ex_prog);
	exit(EXIT_USAGE);
}

static _Noreturn void
usagex(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", ex_prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage();
	exit(EXIT_USAGE); /* not reached */
}

/* Stops the command of an unfinished batch before we die, so it never
 * outlives us writing into a pipeline that has moved on.  Its records
 * stay uncommitted (-a), or were committed already (-b). */
static void
reap(struct commit *c)
{
	if (c->child_in >= 0)
		close(c->child_in);
	c->child_in = -1;
	if (c->child > 0)
		ex_child_wait(c->child);
	c->child = 0;
	if (c->ack) {
		ex_ack_eof(c->ack);
		ex_ack_wait(c->ack);
		c->ack = NULL;
	}
}

static _Noreturn void
bad(struct commit *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static _Noreturn void
bad(struct commit *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	reap(c);
	ex_diex(EXIT_DATA, "%s: line %" PRIu64 ": %s", c->in.name,
	    c->in.lineno, msg);
}

/* Our reader went away ("| head"): stop as a filter killed by SIGPIPE
 * does, committing nothing that may not have reached it. */
static _Noreturn void
gone(void)
{
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	_exit(128 + SIGPIPE);
}

static void
flush_out(struct commit *c)
{
	if (ex_out_flush(&c->out) < 0)
		gone();
}

static void
commit_to(struct commit *c, uint64_t off)
{
	ex_store_write(c->store, off);
	c->committed = off;
	c->ncommit++;
}

/*
 * The next record, waiting for it until deadline (ex_now_ms; -1: for
 * ever).  Whatever is buffered for a reader further on is flushed first,
 * so a live stream never sits in our buffers while we wait.
 */
static int
next_rec(struct commit *c, int64_t deadline, struct rec *r)
{
	const char *why;
	int got;

	if (!ex_rd_ready(&c->in) && !ex_rd_wait(&c->in, 0)) {
		if (c->idle)
			ex_out_flush(c->idle);
		if (deadline >= 0) {
			int64_t left = deadline - ex_now_ms();

			if (left <= 0 || !ex_rd_wait(&c->in, (int)left))
				return GOT_TIMEOUT;
		}
	}
	got = ex_rd_line(&c->in, &r->line, &r->len);
	if (got == EX_RD_EOF)
		return GOT_EOF;
	if (got == EX_RD_PARTIAL) {
		c->in.lineno++;
		bad(c, "no newline at the end of the input (a torn record)");
	}
	if ((why = ex_tag_split(r->line, r->len, &r->off, &r->payload,
	    &r->plen)))
		bad(c, "%s", why);
	if (r->off < c->committed)
		bad(c, "offset %" PRIu64 " is below the committed offset %"
		    PRIu64 " of %s", r->off, c->committed, c->o->file);
	if (c->any && r->off <= c->last)
		bad(c, "offset %" PRIu64 " does not follow %" PRIu64
		    " (offsets must increase)", r->off, c->last);
	/* Its successor, the offset to commit, would be one no reader takes. */
	if (r->off == EX_OFF_MAX)
		bad(c, "offset %" PRIu64 " is the largest: the offset after it "
		    "cannot be committed", r->off);
	c->any = 1;
	c->last = r->off;
	c->nin++;
	return GOT_REC;
}

static void
put_rec(struct ex_out *o, const struct rec *r, int strip)
{
	if (strip)
		ex_out_rec(o, 0, r->payload, r->plen, 0);
	else
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
		ex_tag_split(r.line, r.len, &r.off, &r.payload, &r.plen);
		fn(c, &r);
	}
}

/*
 * Reads one batch: up to -n records, cut -t ms after its first.  Each
 * record goes to fn.  Returns the number read; *eof is set at the end of
 * the input.
 */
static uint64_t
batch(struct commit *c, void (*fn)(struct commit *, const struct rec *),
    int *eof)
{
	int64_t deadline = -1;
	uint64_t k = 0;
	struct rec r;
	int got;

	while (k < c->o->count) {
		got = next_rec(c, k ? deadline : -1, &r);
		if (got == GOT_EOF)
			*eof = 1;
		if (got != GOT_REC)
			break;
		if (k++ == 0 && c->o->ms > 0)
			deadline = ex_now_ms() + c->o->ms;
		fn(c, &r);
	}
	return k;
}

/* Filter mode. */

static void
filter_rec(struct commit *c, const struct rec *r)
{
	put_rec(&c->out, r, c->o->strip);
	c->nout++;
}

static void
hold_rec(struct commit *c, const struct rec *r)
{
	hold_add(&c->held, r);
}

/* Command mode, one run per batch. */

static void
start_batch(struct commit *c)
{
	c->child = ex_child_start(c->o->cmd, &c->child_in, NULL);
	ex_out_init(&c->feed, c->child_in, "command's stdin");
}

/* Ends the batch's run; on failure exits as DESIGN.md section 5 says. */
static void
end_batch(struct commit *c)
{
	int broken = ex_out_flush(&c->feed) < 0;
	int st;

	ex_out_free(&c->feed);
	close(c->child_in);
	c->child_in = -1;
	st = ex_child_wait(c->child);
	c->child = 0;
	if (st != 0)
		exit(st);
	if (broken)
		ex_diex(EXIT_FAILURE, "%s: exited 0 without reading all of its "
		    "batch; %s", c->o->cmd[0], c->o->before ?
		    "the rest of the batch is lost" :
		    "batch not committed");
}

static void
feed_rec(struct commit *c, const struct rec *r)
{
	if (!c->child)
		start_batch(c);
	put_rec(&c->feed, r, c->o->strip);
	c->nout++;
}

/*
 * Batch after batch, in filter mode (put = filter_rec, done = flush_out)
 * or one run of the command per batch (feed_rec, end_batch).  -b holds a
 * batch, commits its end, then hands it on; -a hands records on as they
 * come and commits the batch's end once it is done: written on and
 * flushed, or fed to a command that exited 0.
 */
static void
run_batches(struct commit *c, void (*put)(struct commit *, const struct rec *),
    void (*done)(struct commit *), struct ex_out *idle)
{
	int eof = 0;

	while (!eof) {
		if (c->o->before) {
			c->held.len = 0;
			if (batch(c, hold_rec, &eof) == 0)
				break;
			commit_to(c, c->last + 1);
			hold_each(&c->held, put, c);
			done(c);
		} else {
			c->idle = idle;
			if (batch(c, put, &eof) == 0)
				break;
			c->idle = NULL;
			done(c);
			commit_to(c, c->last + 1);
		}
	}
}

/* Command mode with acknowledgements (-e). */

static void
commit_acked(struct commit *c)
{
	if (c->ec.pending == 0)
		return;
	flush_out(c);
	if (!c->o->before)
		commit_to(c, c->ec.last_ack + 1);
	c->ec.done += c->ec.pending;
	c->ec.pending = 0;
}

/* Hands on what the command acknowledged, committing every -n. */
static void
take_acks(struct commit *c)
{
	struct ex_flight *f;

	while ((f = ex_ack_take(&c->ec.a))) {
		ex_out_rec(&c->out, f->off, f->payload, f->len, !c->o->strip);
		c->nout++;
		c->ec.last_ack = f->off;
		if (c->ec.pending++ == 0 && c->o->ms > 0)
			c->ec.deadline = ex_now_ms() + c->o->ms;
		if (c->ec.pending >= c->o->count)
			commit_acked(c);
	}
	if (c->ec.pending && c->o->ms > 0 && ex_now_ms() >= c->ec.deadline)
		commit_acked(c);
}

static int
poll_ms(struct commit *c)
{
	int64_t left;

	if (c->ec.pending == 0 || c->o->ms <= 0)
		return -1;
	left = c->ec.deadline - ex_now_ms();
	return left < 0 ? 0 : (int)left;
}

/*
 * -v: a command that keeps its acknowledgements in a buffer stalls us,
 * once -n records are in flight, exactly like a slow one; we cannot tell
 * which, but we can say how long it has been silent and how much it holds.
 */
static int
quiet_ms(struct commit *c, int ms)
{
	int64_t now = ex_now_ms(), left;

	if (!c->o->verbose || c->ec.a.fed == c->ec.a.acked) {
		c->ec.quiet = 0;
		return ms;
	}
	if (c->ec.quiet == 0) {
		c->ec.quiet = now;
		c->ec.warn = 1;
	}
	left = c->ec.quiet + c->ec.warn * 1000 - now;
	if (left < 0)
		left = 0;
	return ms < 0 || left < ms ? (int)left : ms;
}

static void
quiet_check(struct commit *c, uint64_t acked)
{
	if (c->ec.a.acked != acked || c->ec.quiet == 0) {
		c->ec.quiet = 0;
		return;
	}
	if (ex_now_ms() - c->ec.quiet < c->ec.warn * 1000)
		return;
	ex_warnx("%s: no acknowledgement for %lld s, %" PRIu64 " records in "
	    "flight (is its output line-buffered?)", c->o->cmd[0],
	    (long long)c->ec.warn, c->ec.a.fed - c->ec.a.acked);
	c->ec.warn *= 2;
}

static void
pump(struct commit *c, int in_fd)
{
	uint64_t acked = c->ec.a.acked;
	int bits;

	/* Acknowledged records may wait for the deadline in our buffer;
	 * a reader further on should see them before we sleep. */
	ex_out_flush(&c->out);
	bits = ex_ack_poll(&c->ec.a, in_fd, quiet_ms(c, poll_ms(c)));
	if (bits & EX_ACK_EOF)
		c->ec.cmd_eof = 1;
	if (c->ec.quiet)
		quiet_check(c, acked);
	take_acks(c);
}

static void
send_rec(struct commit *c, const struct rec *r)
{
	if (!c->ec.started) {
		ex_ack_start(&c->ec.a, c->o->cmd, !c->o->strip);
		c->ec.started = 1;
		c->ack = &c->ec.a;
	}
	while (ex_ack_full(&c->ec.a) && !c->ec.cmd_eof)
		pump(c, -1);
	ex_ack_send(&c->ec.a, r->off, r->payload, r->plen);
}

/* -b -e: each group is committed, then fed and fully acknowledged before
 * the next is read, so a crash loses at most the group in flight. */
static void
echo_before(struct commit *c)
{
	int eof = 0;

	while (!eof && !c->ec.cmd_eof) {
		c->held.len = 0;
		if (batch(c, hold_rec, &eof) == 0)
			break;
		commit_to(c, c->last + 1);
		hold_each(&c->held, send_rec, c);
		while (c->ec.a.acked < c->ec.a.fed && !c->ec.cmd_eof)
			pump(c, -1);
		commit_acked(c);
	}
}

/*
 * -a -e: records are fed as they arrive; acknowledged progress is
 * committed every -n acks, -t ms after the first uncommitted one, and at
 * the end.  At most -n records are fed beyond the committed ones, so a
 * crash replays at most -n records however fast the command runs ahead
 * of the fsyncs.
 */
static int
may_feed(const struct commit *c)
{
	return !ex_ack_full(&c->ec.a) && c->ec.a.fed - c->ec.done < c->o->count;
}

static void
echo_after(struct commit *c)
{
	struct rec r;
	int eof = 0, readable = 0, got;

	if ((got = next_rec(c, -1, &r)) == GOT_EOF)
		return;
	send_rec(c, &r);
	while (!eof && !c->ec.cmd_eof) {
		while (may_feed(c) && (readable || ex_rd_ready(&c->in))) {
			readable = 0;
			if (next_rec(c, -1, &r) == GOT_EOF) {
				eof = 1;
				break;
			}
			send_rec(c, &r);
		}
		if (eof || c->ec.cmd_eof)
			break;
		pump(c, may_feed(c) ? c->in.fd : -1);
		readable = may_feed(c) && ex_rd_wait(&c->in, 0);
	}
	ex_ack_eof(&c->ec.a);
	while (!c->ec.cmd_eof)
		pump(c, -1);
}

static void
run_echo(struct commit *c)
{
	int st;

	if (c->o->before)
		echo_before(c);
	else
		echo_after(c);
	if (!c->ec.started)
		return;
	if (c->o->before)
		ex_ack_eof(&c->ec.a);
	st = ex_ack_wait(&c->ec.a);
	c->ack = NULL;
	take_acks(c);
	commit_acked(c);
	if (st != 0)
		exit(st);
	if (c->ec.a.acked < c->ec.a.fed)
		ex_diex(EXIT_FAILURE, "%s: exited 0 with %" PRIu64 " of %" PRIu64
		    " records unacknowledged; %s", c->o->cmd[0],
		    c->ec.a.fed - c->ec.a.acked, c->ec.a.fed, c->o->before ?
		    "they are lost" : "they stay uncommitted");
}

static void
summary(const struct commit *c)
{
	char flight[64] = "";

	if (c->ec.started)
		snprintf(flight, sizeof flight, ", %" PRIu64 " in flight",
		    c->ec.a.fed - c->ec.a.acked);
	ex_summary("%" PRIu64 " records in, %" PRIu64 " out%s, offset %"
	    PRIu64 " %s (%" PRIu64 " commit%s)", c->nin, c->nout, flight,
	    c->committed, c->ncommit ? "committed" : "unchanged", c->ncommit,
	    c->ncommit == 1 ? "" : "s");
}

static void
reset(const struct opts *o, const char *arg)
{
	struct ex_store *s;
	uint64_t off;
	const char *why;

	if ((why = ex_off_parse(arg, strlen(arg), &off)))
		usagex("-R: %s", why);
	s = ex_store_open(o->file, o->wait ? EX_STORE_WAIT : 0);
	ex_store_write(s, off);
	ex_store_close(s);
	if (o->verbose)
		ex_summary("%s reset to offset %" PRIu64, o->file, off);
}

static uint64_t
number(const char *opt, const char *arg, uint64_t max)
{
	uint64_t v;
	const char *why = ex_off_parse(arg, strlen(arg), &v);

	if (why)
		usagex(opt, why);
	if (v == 0 || v > max)
		usagex(opt, "out of range");
	return v;
}

int
main(int argc, char *argv[])
{
	struct opts o = { .count = UINT64_MAX, .ms = 1000 };
	struct commit c;
	const char *rarg = NULL;
	int ch, ab = 0;

	ex_setprog(argv[0]);
	ex_elapsed();
	while ((ch = getopt(argc, argv, "+abeo:n:pR:t:vw")) != -1) {
		switch (ch) {
		case 'a':
		case 'b':
			if (ab && ab != ch)
				usagex("%s", "-a and -b exclude each other");
			ab = ch;
			o.before = ch == 'b';
			break;
		case 'e':
			o.echo = 1;
			break;
		case 'o':
			o.file = optarg;
			break;
		case 'n':
			o.count = number("-n: %s", optarg, EX_OFF_MAX);
			break;
		case 'p':
			o.strip = 1;
			break;
		case 'R':
			rarg = optarg;
			break;
		case 't':
			/* -t 0: no time limit, batches end at -n or EOF. */
			o.ms = strcmp(optarg, "0") == 0 ? 0 :
			    (int)number("-t: %s", optarg, 86400000);
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'w':
			o.wait = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (!o.file)
		usagex("%s", "-o offsetfile is required");
	if (*o.file == '\0')
		usagex("%s", "-o: empty file name");
	if (rarg) {
		if (argc > 0 || ab || o.echo || o.strip ||
		    o.count != UINT64_MAX || o.ms != 1000)
			usagex("%s", "-R takes only -o, -v and -w");
		reset(&o, rarg);
		return 0;
	}
	if (argc > 0)
		o.cmd = argv;
	if (o.echo && !o.cmd)
		usagex("%s", "-e needs a command");

	memset(&c, 0, sizeof c);
	c.o = &o;
	c.child_in = -1;
	c.store = ex_store_open(o.file, o.wait ? EX_STORE_WAIT : 0);
	ex_store_read(c.store, &c.committed);
	ex_rd_init(&c.in, 0, "stdin");
	ex_out_init(&c.out, 1, "stdout");
	/* A command that stops reading is its batch's failure, reported as
	 * such; it must not kill us before we can say so. */
	if (o.cmd)
		signal(SIGPIPE, SIG_IGN);

	if (!o.cmd)
		run_batches(&c, filter_rec, flush_out, &c.out);
	else if (o.echo)
		run_echo(&c);
	else
		run_batches(&c, feed_rec, end_batch, &c.feed);

	flush_out(&c);
	if (close(1) < 0)
		ex_die(EXIT_IO, "write: stdout");
	if (o.verbose)
		summary(&c);
	return 0;
}
