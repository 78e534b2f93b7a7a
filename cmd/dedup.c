/*
 * dedup — the idempotent consumer (DESIGN.md section 3).
 *
 * Reads tagged records and passes on only those whose key has never been
 * seen, remembering keys in a seen-set (seen.h) that survives restarts and
 * crashes.  When a key is recorded decides what a crash costs:
 *   - filter mode: a batch's records are written, then their keys are made
 *     durable; a crash in between repeats that batch, a later stage that
 *     fails loses what it was given (at-most-once after dedup);
 *   - command mode: the command gets a batch's first-seen records and the
 *     keys are made durable only after it exits 0;
 *   - -e: a key is made durable only after the command acknowledged its
 *     record, and the record is written to stdout only after that, so a
 *     "commit -a" downstream never commits an offset whose key could still
 *     be forgotten.
 * Invariants: a key reaches the seen-set only in a group commit, after the
 * event its mode waits for; a key in flight (fed, not acknowledged) is fed
 * at most once per run; with -e, at most -n records are fed beyond the
 * last group commit, so a crash repeats at most one group.  Bad input ends the input: what came before it is
 * finished as at end of input, then dedup exits 65.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack.h"
#include "child.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "lock.h"
#include "out.h"
#include "rd.h"
#include "seen.h"
#include "tag.h"

enum { MISS_ERROR, MISS_PASS, MISS_DROP };

/* The parsed options. */
static const char *seenpath, *kname;
static size_t knamelen;
static unsigned long field;
static char delim = '\t';
static int missing = MISS_ERROR, eflag, pflag, vflag, wflag;
static uint64_t count; /* records a batch or group; 0: until EOF */
static int tms = 1000;
static int64_t window; /* -W, ms; 0: keys kept for ever */
static char **cmd;

struct rec {
	uint64_t off;
	const char *payload;
	size_t len;
	unsigned char fp[EX_KEY_FP];
	int haskey;
};

struct run {
	struct ex_rd in;
	struct ex_out out;
	struct ex_seen *seen;
	struct ex_json_buf jbuf;
	int bad;  /* bad input seen: exit 65 when done */
	uint64_t nin, nout, ndup, nheld, nnokey;
};

/* Acknowledged records held until their keys are committed. */
struct group {
	char *buf;
	size_t len, cap;
	uint64_t n;
	uint64_t done; /* acknowledgements committed so far */
	int64_t deadline;
};

static void
usage(void)
{
	fprintf(stderr, "usage: dedup [-epvw] -s seenfile [-k name | -f field "
	    "[-d delim]] [-m pass|drop] [-n count] [-t ms] [-W age] "
	    "[-- command [arg ...]]\n");
	exit(EXIT_USAGE);
}

static void
bad(struct run *r, const char *what, const char *why)
{
	ex_warnx("%s: line %llu: %s%s", r->in.name,
	    (unsigned long long)r->in.lineno, what, why);
	r->bad = 1;
}

/* The key of a payload.  1: found; 0: missing, -1: invalid JSON (*why
 * says why). */
static int
getkey(struct run *r, const char *p, size_t n, const char **k, size_t *kn,
    const char **why)
{
	if (kname) {
		switch (ex_json_get(p, n, kname, knamelen, &r->jbuf, k, kn,
		    why)) {
		case EX_JSON_FOUND:
			return 1;
		case EX_JSON_MISSING:
			return 0;
		default:
			return -1;
		}
	}
	if (field) {
		const char *s = p, *e = p + n, *q;

		for (unsigned long i = 1; i < field; i++) {
			if (!(q = memchr(s, delim, (size_t)(e - s)))) {
				*why = "no such field";
				return 0;
			}
			s = q + 1;
		}
		q = memchr(s, delim, (size_t)(e - s));
		*k = s;
		*kn = (size_t)((q ? q : e) - s);
		return 1;
	}
	*k = p;
	*kn = n;
	return 1;
}

/* The next record worth handling, or 0 at end of input (and after bad
 * input, which ends it).  Records without a key are dropped here under
 * -m drop. */
static int
next(struct run *r, struct rec *rec)
{
	const char *why, *k;
	char *line;
	size_t len, kn;
	int st;

	while (!r->bad) {
		switch (ex_rd_line(&r->in, &line, &len)) {
		case EX_RD_EOF:
			return 0;
		case EX_RD_PARTIAL:
			r->in.lineno++;
			bad(r, "", "no newline at the end (a torn record)");
			return 0;
		}
		if ((why = ex_tag_split(line, len, &rec->off, &rec->payload,
		    &rec->len))) {
			bad(r, "", why);
			return 0;
		}
		r->nin++;
		st = getkey(r, rec->payload, rec->len, &k, &kn, &why);
		if (st < 0) {
			bad(r, "", why);
			return 0;
		}
		rec->haskey = st;
		if (st)
			ex_seen_fp(r->seen, k, kn, rec->fp);
		else if (missing == MISS_ERROR) {
			bad(r, kname ? "no key: " : "no key: -f: ", why);
			return 0;
		} else if (missing == MISS_DROP) {
			r->nnokey++;
			continue;
		} else {
			r->nnokey++;
			memset(rec->fp, 0, sizeof rec->fp);
		}
		return 1;
	}
	return 0;
}

/* Wait for input until the batch's deadline.  0 if it passed first. */
static int
await(struct run *r, int64_t deadline)
{
	int64_t left;

	if (ex_rd_ready(&r->in))
		return 1;
	left = deadline - ex_now_ms();
	return left > 0 && ex_rd_wait(&r->in, (int)left);
}

/* A few records read ahead, their payloads copied out of the reader, so
 * the lookups of their keys can be prefetched together: with a set larger
 * than the caches each lookup is a cache miss, and overlapping them is
 * what makes the filter fast. */
#define WIN 16

struct win {
	struct rec rec[WIN];
	size_t at[WIN];
	char *buf;
	size_t len, cap;
};

/* Up to max records: the first may block, the others only if buffered.
 * Returns how many; 0 at the end of the input. */
static int
fill(struct run *r, struct win *w, uint64_t max)
{
	int n = 0;

	w->len = 0;
	while (n < WIN && (uint64_t)n < max && (n == 0 || ex_rd_ready(&r->in))) {
		struct rec *x = &w->rec[n];

		if (!next(r, x))
			break;
		if (w->len + x->len > w->cap) {
			w->cap = 2 * (w->len + x->len) + 4096;
			w->buf = ex_realloc(w->buf, w->cap);
		}
		memcpy(w->buf + w->len, x->payload, x->len);
		w->at[n++] = w->len;
		w->len += x->len;
		if (x->haskey)
			ex_seen_prefetch(r->seen, x->fp);
	}
	for (int i = 0; i < n; i++)
		w->rec[i].payload = w->buf + w->at[i];
	return n;
}

typedef void each_fn(struct run *, struct rec *, void *);

/* One batch: -n records, or fewer if -t passes while the input is idle.
 * Returns 0 once the input has ended. */
static int
batch(struct run *r, struct win *w, each_fn *each, void *ctx)
{
	uint64_t n = 0;
	int64_t deadline = 0;

	for (;;) {
		int got = fill(r, w, count ? count - n : UINT64_MAX);

		if (got == 0)
			return 0;
		if (n == 0)
			deadline = ex_now_ms() + tms;
		for (int i = 0; i < got; i++)
			each(r, &w->rec[i], ctx);
		n += (uint64_t)got;
		if (n == count || !await(r, deadline))
			return 1;
	}
}

static void
filter_rec(struct run *r, struct rec *rec, void *ctx)
{
	(void)ctx;
	if (!rec->haskey || ex_seen_add(r->seen, rec->fp)) {
		ex_out_rec(&r->out, rec->off, rec->payload, rec->len, !pflag);
		r->nout++;
	} else
		r->ndup++;
}

/* Filter mode: write each batch, then commit its keys. */
static void
filter(struct run *r)
{
	struct win w = { 0 };
	int more;

	do {
		more = batch(r, &w, filter_rec, NULL);
		ex_out_flush(&r->out);
		ex_seen_commit(r->seen);
	} while (more);
	free(w.buf);
}

struct child {
	pid_t pid;
	int fd;
	struct ex_out to;
};

static void
batch_rec(struct run *r, struct rec *rec, void *ctx)
{
	struct child *c = ctx;

	if (rec->haskey && !ex_seen_add(r->seen, rec->fp)) {
		r->ndup++;
		return;
	}
	if (c->pid < 0) {
		c->pid = ex_child_start(cmd, &c->fd, NULL);
		ex_out_init(&c->to, c->fd, cmd[0]);
	}
	ex_out_rec(&c->to, rec->off, rec->payload, rec->len, !pflag);
	r->nout++;
}

/* Command mode: run the command once per batch that has new records. */
static void
batches(struct run *r)
{
	struct win w = { 0 };
	struct child c;
	int more, st, broken;

	do {
		c.pid = -1;
		more = batch(r, &w, batch_rec, &c);
		if (c.pid < 0)
			continue;
		broken = ex_out_flush(&c.to) < 0;
		ex_out_free(&c.to);
		close(c.fd);
		if ((st = ex_child_wait(c.pid)) != 0) {
			ex_warnx("%s: exit status %d: keys of this batch not "
			    "recorded", cmd[0], st);
			exit(st);
		}
		/* Keys of records it never read would be records lost. */
		if (broken)
			ex_diex(EXIT_FAILURE, "%s: exited 0 without reading all "
			    "of its batch; keys of this batch not recorded",
			    cmd[0]);
		ex_seen_commit(r->seen);
	} while (more);
	free(w.buf);
}

static void
acked(struct run *r, struct group *g, struct ex_flight *f)
{
	static const unsigned char nokey[EX_KEY_FP];
	size_t need = g->len + EX_TAG_MAX + f->len + 1;

	if (memcmp(f->user, nokey, EX_KEY_FP) != 0)
		ex_seen_add(r->seen, f->user);
	if (need > g->cap) {
		g->cap = 2 * need;
		g->buf = ex_realloc(g->buf, g->cap);
	}
	g->len += ex_tag_fmt(g->buf + g->len, f->off);
	memcpy(g->buf + g->len, f->payload, f->len);
	g->len += f->len;
	g->buf[g->len++] = '\n';
	r->nout++;
	if (++g->n == 1)
		g->deadline = ex_now_ms() + tms;
}

/* Keys first: a record on stdout is one whose key is durable. */
static void
group_commit(struct run *r, struct group *g)
{
	ex_seen_commit(r->seen);
	ex_out_write(&r->out, g->buf, g->len);
	g->len = 0;
	g->done += g->n;
	g->n = 0;
}

/* At most -n records beyond the last commit: the command never runs ahead
 * of the disk, so a crash repeats at most a group, and with -n 1 a record
 * is fed only once the key before it is durable. */
static int
canfeed(const struct ex_ack *a, const struct group *g)
{
	return !ex_ack_full(a) && a->fed - g->done < count;
}

/* -e: feed records as they come, record each key when its record is
 * acknowledged, and write the record on after its group commit. */
static void
echo(struct run *r)
{
	struct ex_ack a;
	struct ex_fpset flying; /* keys fed and not yet acknowledged */
	struct group g = { 0 };
	struct ex_flight *f;
	struct win ahead = { 0 };
	int in_eof = 0, wi = 0, wn = 0, ev = 0, st;

	ex_fpset_init(&flying);
	ex_ack_start(&a, cmd, !pflag);
	for (;;) {
		int burst = 0, ms = -1;

		/* Records are read a window ahead of what may be fed: their
		 * lookups are prefetched together, and the end of the input
		 * reaches the command even while the group is full (a command
		 * may finish its last record only at EOF). */
		while (burst++ < 1024) {
			struct rec *x;

			if (wi == wn) {
				if (in_eof || !(ex_rd_ready(&r->in) ||
				    (ev & EX_ACK_IN)))
					break;
				ev &= ~EX_ACK_IN;
				wi = 0;
				if ((wn = fill(r, &ahead, WIN)) == 0) {
					in_eof = 1;
					ex_ack_eof(&a);
					break;
				}
			}
			if (!canfeed(&a, &g))
				break;
			x = &ahead.rec[wi++];
			if (x->haskey && ex_seen_has(r->seen, x->fp)) {
				r->ndup++;
				continue;
			}
			if (x->haskey && !ex_fpset_add(&flying, x->fp)) {
				/* Its twin is in flight: once that is
				 * acknowledged this one is a duplicate; if it
				 * never is, the next run sees both again. */
				r->nheld++;
				continue;
			}
			f = ex_ack_send(&a, x->off, x->payload, x->len);
			memcpy(f->user, x->fp, EX_KEY_FP);
		}
		if (g.n)
			ms = (int)(g.deadline > ex_now_ms() ?
			    g.deadline - ex_now_ms() : 0);
		if (wi == wn && !in_eof && ex_rd_ready(&r->in))
			ms = 0;
		ev = ex_ack_poll(&a, wi == wn && !in_eof ? r->in.fd : -1, ms);
		while ((f = ex_ack_take(&a))) {
			ex_fpset_del(&flying, f->user);
			acked(r, &g, f);
			if (g.n == count)
				group_commit(r, &g);
		}
		if (g.n && ex_now_ms() >= g.deadline)
			group_commit(r, &g);
		if (ex_out_flush(&r->out) < 0 && !in_eof) {
			/* The reader went away: feed no more. */
			in_eof = 1;
			ex_ack_eof(&a);
		}
		if (ev & EX_ACK_EOF)
			break;
	}
	st = ex_ack_wait(&a);
	while ((f = ex_ack_take(&a)))
		acked(r, &g, f);
	group_commit(r, &g);
	ex_out_flush(&r->out);
	if (st != 0) {
		ex_warnx("%s: exit status %d", cmd[0], st);
		exit(st);
	}
	if (a.fed > a.acked)
		ex_diex(EXIT_FAILURE, "%s: exited 0 with %llu of %llu records "
		    "unacknowledged; their keys stay unrecorded", cmd[0],
		    (unsigned long long)(a.fed - a.acked),
		    (unsigned long long)a.fed);
	if (!in_eof)
		ex_diex(EXIT_FAILURE, "%s: exited 0 before the end of the input",
		    cmd[0]);
	ex_ack_free(&a);
	free(ahead.buf);
	free(g.buf);
	ex_fpset_free(&flying);
}

static unsigned long
number(const char *s, const char *what, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v < min || v > max) {
		ex_warnx("-%s: not a number from %lu to %lu: %s", what, min, max,
		    s);
		usage();
	}
	return v;
}

/* -W AGE: seconds, or a number of days, hours, minutes or seconds (28d,
 * 12h, 90m, 45s), from 1 s to 100 years; in milliseconds. */
static int64_t
age(const char *s)
{
	static const struct { char c; int64_t s; } unit[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	int64_t mul = 1;
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	for (size_t i = 0; *end && i < sizeof unit / sizeof unit[0]; i++)
		if (end[0] == unit[i].c && !end[1]) {
			mul = unit[i].s;
			end++;
		}
	if (s[0] < '0' || s[0] > '9' || *end || errno || v == 0 ||
	    v > 3156000000ull / (unsigned long long)mul) {
		ex_warnx("-W: not an age of 1 s to 100 years (N seconds, or "
		    "Nd, Nh, Nm, Ns): %s", s);
		usage();
	}
	return (int64_t)v * mul * 1000;
}

int
main(int argc, char *argv[])
{
	struct run r;
	int c, nset = 0, dset = 0;

	ex_setprog(argv[0]);
	ex_elapsed();
	while ((c = getopt(argc, argv, "+d:ef:k:m:n:ps:t:vwW:")) != -1) {
		switch (c) {
		case 'd':
			if (strlen(optarg) != 1) {
				ex_warnx("-d: the delimiter must be one byte");
				usage();
			}
			delim = optarg[0];
			dset = 1;
			break;
		case 'e':
			eflag = 1;
			break;
		case 'f':
			field = number(optarg, "f", 1, ULONG_MAX);
			break;
		case 'k':
			if (!*optarg) {
				ex_warnx("-k: empty name");
				usage();
			}
			kname = optarg;
			knamelen = strlen(optarg);
			break;
		case 'm':
			if (strcmp(optarg, "pass") == 0)
				missing = MISS_PASS;
			else if (strcmp(optarg, "drop") == 0)
				missing = MISS_DROP;
			else {
				ex_warnx("-m: pass or drop, not %s", optarg);
				usage();
			}
			break;
		case 'n':
			count = number(optarg, "n", 1, ULONG_MAX);
			nset = 1;
			break;
		case 'p':
			pflag = 1;
			break;
		case 's':
			seenpath = optarg;
			break;
		case 't':
			tms = (int)number(optarg, "t", 0, INT_MAX);
			break;
		case 'v':
			vflag = 1;
			break;
		case 'w':
			wflag = 1;
			break;
		case 'W':
			window = age(optarg);
			break;
		default:
			usage();
		}
	}
	argv += optind;
	if (*argv)
		cmd = argv;
	if (!seenpath) {
		ex_warnx("-s seenfile is required");
		usage();
	}
	if (kname && field) {
		ex_warnx("-k and -f are exclusive");
		usage();
	}
	if (dset && !field) {
		ex_warnx("-d needs -f");
		usage();
	}
	if (eflag && !cmd) {
		ex_warnx("-e needs a command");
		usage();
	}
	if (eflag && !nset)
		count = 1; /* each key durable before the next record is fed */

	memset(&r, 0, sizeof r);
	ex_rd_init(&r.in, 0, "stdin");
	ex_out_init(&r.out, 1, "stdout");
	r.seen = ex_seen_open(seenpath, wflag ? EX_LOCK_WAIT : 0);
	if (window)
		ex_seen_window(r.seen, window);
	if (cmd) {
		/* A command that stops reading must not kill us. */
		signal(SIGPIPE, SIG_IGN);
		if (eflag)
			echo(&r);
		else
			batches(&r);
	} else
		filter(&r);
	ex_out_flush(&r.out);
	if (vflag)
		ex_summary("%llu in, %llu out, %llu duplicates, %llu held back, "
		    "%llu without key, %llu keys in %s",
		    (unsigned long long)r.nin, (unsigned long long)r.nout,
		    (unsigned long long)r.ndup, (unsigned long long)r.nheld,
		    (unsigned long long)r.nnokey,
		    (unsigned long long)ex_seen_count(r.seen), seenpath);
	ex_seen_close(r.seen);
	ex_out_free(&r.out);
	ex_rd_free(&r.in);
	free(r.jbuf.p);
	return r.bad ? EXIT_DATA : 0;
}
