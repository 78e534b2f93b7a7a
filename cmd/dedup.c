/*
 * dedup — the idempotent consumer (DESIGN.md section 3).
 *
 * Reads tagged records and passes on only those whose key has never been
 * seen, remembering keys in a seen-set (seen.h) that survives restarts and
 * crashes.  When a key is recorded decides what a crash costs:
 *   - filter mode: a key is recorded once its record has been written to
 *     stdout (handed to the next stage; made durable at the batch's end),
 *     never for a record that was not, even when the reader went away
 *     with SIGPIPE ignored; a later stage that fails loses what it was
 *     given (at-most-once after dedup);
 *   - command mode: the command gets a batch's first-seen records and the
 *     keys are made durable only after it exits 0 having read them all;
 *   - -e: a key is made durable only after the command acknowledged its
 *     record, and the record is written to stdout only after that, so a
 *     "commit -a" downstream never commits an offset whose key could still
 *     be forgotten.
 * Progress marks ("OFFSET" alone: every record up to OFFSET is done,
 * nothing to deliver) let a "commit" downstream commit past what dedup
 * drops.  In command mode and with -e, dedup writes one for the records it
 * dropped (duplicates, twins held back, records without a key under -m
 * drop, and marks it read) after the last record it passed on, and only
 * once the mark is true: in command mode after the batch's command exited
 * 0 and the batch's keys are durable; with -e once every record fed
 * before the dropped ones was acknowledged, its key durable and its
 * record written, and no record was fed after them.  At most one a batch
 * or group, or -t ms after the first drop when drops come alone.  Filter
 * mode writes none and drops the marks it reads.
 * Invariants: a key reaches the seen-set only in a group commit, after the
 * event its mode waits for; a key in flight (fed, not acknowledged) is fed
 * at most once per run; with -e, at most -n records are fed beyond the
 * last group commit (the feed window), so a crash repeats at most one
 * group.  Bad input ends the input: what came before it is finished as at
 * end of input, then dedup exits 65.  Dying never leaves the command
 * running without dedup (child.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ack.h"
#include "child.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "lock.h"
#include "loop.h"
#include "opt.h"
#include "out.h"
#include "rd.h"
#include "seen.h"
#include "sig.h"
#include "tag.h"

static const char usage_lines[] =
    "usage: dedup [-epvw] -s seenfile [-k name | -f field [-d delim]] "
    "[-m pass|drop] [-n count] [-t ms] [-W age] [-- command [arg ...]]\n";

enum { MISS_ERROR, MISS_PASS, MISS_DROP };

/* The parsed options: one field each, filled by parse(). */
struct opts {
	const char *seenpath; /* -s */
	const char *kname;    /* -k */
	size_t knamelen;
	uint64_t field;       /* -f, 0: none */
	char delim;           /* -d */
	int missing;          /* -m */
	int echo, strip, verbose, wait; /* -e -p -v -w */
	uint64_t count;       /* -n: records a batch or group; EX_COUNT_NONE */
	int ms;               /* -t */
	int64_t window;       /* -W, in ms; 0: keys kept for ever */
	char **cmd;           /* NULL: filter mode */
};

struct rec {
	uint64_t off;
	const char *payload;
	size_t len;
	size_t tag;  /* bytes of its tag before payload, kept in the chunk
	              * for -e to copy on; 0 if not kept */
	unsigned char fp[EX_KEY_FP];
	int haskey;
	int drop;  /* nothing to deliver: a mark, or no key under -m drop */
	int mark;  /* a progress mark read */
};

/* A key whose record is in our output buffer, not yet written. */
struct unwritten {
	unsigned char fp[EX_KEY_FP];
	uint64_t end; /* out.written once the record is out */
};

struct run {
	const struct opts *o;
	struct ex_rd in;
	struct ex_batch b;
	struct ex_out out;
	struct ex_seen *seen;
	struct ex_json_buf jbuf;
	int bad;  /* bad input seen: exit 65 when done */
	uint64_t expect_at; /* filter mode and -e: records read when next to
	                       tell ex_seen_expect */
	int ended; /* the input ended */
	/* filter mode: keys of records in the output buffer */
	struct unwritten *q;
	size_t qhead, qlen, qcap;
	uint64_t nin, nout, ndup, nheld, nnokey, nflight;
	/* command mode and -e: the progress mark to write */
	int mk_have;          /* records were dropped after the last one out */
	uint64_t mk_off;      /* the last of them */
	uint64_t mk_fed;      /* -e: records fed before it */
	int64_t mk_since;     /* -e: when the first of them was dropped */
	int out_any;          /* a record or mark was passed on */
	uint64_t out_hi;      /* the offset of the last one */
	uint64_t nmark, nmarkin;
};

/* Acknowledged records held until their keys are committed. */
struct group {
	char *buf;
	size_t len, cap;
	uint64_t n;
	uint64_t last;     /* offset of its last record */
	int64_t deadline;
};

static void
bad(struct run *r, uint64_t lineno, const char *what, const char *why)
{
	ex_warnx("%s: line %llu: %s%s", r->in.name,
	    (unsigned long long)lineno, what, why);
	r->bad = 1;
}


/* The key of a payload.  1: found; 0: missing, -1: invalid JSON (*why
 * says why).  jb is the caller's scratch: each thread has its own. */
static int
getkey(const struct opts *o, struct ex_json_buf *jb, const char *p, size_t n,
    const char **k, size_t *kn, const char **why)
{
	if (o->kname) {
		switch (ex_json_get(p, n, o->kname, o->knamelen, jb, k, kn,
		    why)) {
		case EX_JSON_FOUND:
			return 1;
		case EX_JSON_MISSING:
			return 0;
		default:
			return -1;
		}
	}
	if (o->field) {
		const char *s = p, *e = p + n, *q;

		for (uint64_t i = 1; i < o->field; i++) {
			if (!(q = memchr(s, o->delim, (size_t)(e - s)))) {
				*why = "no such field";
				return 0;
			}
			s = q + 1;
		}
		q = memchr(s, o->delim, (size_t)(e - s));
		*k = s;
		*kn = (size_t)((q ? q : e) - s);
		return 1;
	}
	*k = p;
	*kn = n;
	return 1;
}

#define BLOCK 64 /* records keyed at a time, by either thread */

/* Keys found in their records, to be fingerprinted together. */
struct keyq {
	const unsigned char *key[BLOCK];
	size_t len[BLOCK], n;
	unsigned char *fp[BLOCK];
};

/* rec's key, with haskey and drop (-m) set: NULL, or why the record is
 * bad input (*whatp: the message's prefix).  A key in the record is put
 * in q, whose caller fingerprints it; one unescaped into jb is
 * fingerprinted at once.  It reads only o, the set's secret and rec, and
 * writes only rec, jb and q, so that a thread of its own can run it. */
static const char *
keyof(const struct opts *o, const struct ex_seen *seen, struct ex_json_buf *jb,
    struct rec *rec, struct keyq *q, const char **whatp)
{
	const char *why, *k;
	size_t kn;
	int st;

	if (rec->mark) { /* no key, no record, only progress */
		rec->haskey = 0;
		rec->drop = 1;
		return NULL;
	}
	if ((st = getkey(o, jb, rec->payload, rec->len, &k, &kn, &why)) < 0) {
		*whatp = "";
		return why;
	}
	rec->haskey = st;
	rec->drop = 0;
	if (st && k >= rec->payload && k + kn <= rec->payload + rec->len) {
		q->key[q->n] = (const unsigned char *)k;
		q->len[q->n] = kn;
		q->fp[q->n++] = rec->fp;
	} else if (st)
		ex_seen_fp(seen, k, kn, rec->fp);
	else if (o->missing == MISS_ERROR) {
		*whatp = o->kname ? "no key: " : "no key: -f: ";
		return why;
	} else if (o->missing == MISS_DROP)
		rec->drop = 1;
	else
		memset(rec->fp, 0, sizeof rec->fp);
	return NULL;
}

/* The next line of the batch into rec, tag parsed and no key yet:
 * EX_BATCH_REC, EX_BATCH_END, EX_BATCH_EOF (r->ended set), EX_BATCH_GONE
 * (our reader went away) or EX_BATCH_TORN for any bad line (*whyp says
 * why; r->in.lineno is its line). */
static int
line(struct run *r, struct rec *rec, const char **whyp)
{
	char *l;
	size_t len;
	int st;

	switch ((st = ex_batch_next(&r->b, &l, &len))) {
	case EX_BATCH_EOF:
		r->ended = 1;
		return st;
	case EX_BATCH_END:
	case EX_BATCH_GONE:
		return st;
	case EX_BATCH_TORN:
		r->in.lineno++;
		*whyp = "no newline at the end (a torn record)";
		return st;
	}
	if ((*whyp = ex_tag_line(l, len, &rec->off, &rec->payload, &rec->len,
	    &rec->mark)))
		return EX_BATCH_TORN;
	/* kept only where it is copied on: the lines -e feeds its command */
	rec->tag = rec->mark || !r->o->echo || r->o->strip ? 0 :
	    (size_t)(rec->payload - l);
	if (rec->mark)
		ex_batch_mark(&r->b);
	return EX_BATCH_REC;
}

/* The record's counts, once it is to be handled. */
static void
tally(struct run *r, const struct rec *rec)
{
	if (rec->mark)
		r->nmarkin++;
	else {
		r->nin++;
		if (!rec->haskey)
			r->nnokey++;
	}
}

/*
 * Filter mode and -e read ahead a chunk at a time: while the records of
 * one chunk are looked up, recorded and written (or fed), a thread of its
 * own (the keyer) computes the keys of the next, the JSON scan and
 * SipHash being half of dedup's work; once the main thread is done with
 * its chunk it helps, block by block, so that neither waits for the other
 * long.  A chunk holds only records at hand (ex_rd_at_hand: none waits
 * for input while another is in hand), so a live stream's records are
 * handed on as soon as without the keyer; records at hand are not only
 * those in the read buffer, or a chunk read from a file would stop at its
 * end and the main thread key most of the next one itself.  Bad input in
 * a chunk ends it there: the records before it are handled, then it is
 * reported, and what was read after it is never handled.
 */
#define CHUNK 2048
#define AHEAD 16 /* lookups prefetched ahead of the one made */

struct chunk {
	struct rec rec[CHUNK];
	size_t at[CHUNK];
	int n;              /* records read */
	int stop;           /* records to handle: n, or up to bad input */
	const char *what, *why; /* the bad input after them; why NULL: none */
	uint64_t line;      /* its line */
	int isrec;          /* it is a record, to count in */
	uint64_t line0;     /* the line before rec[0] */
	char *buf;
	size_t len, cap;
	atomic_int blk;     /* the next block to key */
	struct {            /* each block's first bad record, if any */
		int at;
		const char *what, *why;
	} bad[CHUNK / BLOCK];
};

struct keyer {
	pthread_t t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running;
	int quit;
	struct chunk *job;  /* keys to compute, or NULL when done */
	int taken;          /* the thread is at work on it */
	const struct opts *o;
	const struct ex_seen *seen;
	struct ex_json_buf jb;
};

/* n chunks, empty, and their end. */
static struct chunk *
chunks_new(int n)
{
	struct chunk *c = ex_malloc((size_t)n * sizeof *c);

	for (int i = 0; i < n; i++)
		c[i].buf = NULL;
	return c;
}

static void
chunks_free(struct chunk *c, int n)
{
	for (int i = 0; i < n; i++)
		free(c[i].buf);
	free(c);
}

/* Read up to max (at most CHUNK) records of the batch into c, waiting
 * for the first only if wait.  Returns 0 when the batch will give no
 * more: it ended, the input did, our reader went away (*gonep) or bad
 * input (in c). */
static int
take(struct run *r, struct chunk *c, int max, int wait, int *gonep)
{
	int more = 1;

	c->n = 0;
	c->len = 0;
	c->why = NULL;
	c->line0 = r->in.lineno;
	while (c->n < max && ((wait && c->n == 0) || ex_rd_at_hand(&r->in))) {
		struct rec *x = &c->rec[c->n];
		int st = line(r, x, &c->why);

		if (st != EX_BATCH_REC) {
			if (st == EX_BATCH_GONE)
				*gonep = 1;
			if (st == EX_BATCH_TORN) {
				c->what = "";
				c->line = r->in.lineno;
				c->isrec = 0;
			}
			more = 0;
			break;
		}
		/* a mark's empty payload first still needs a buffer: memcpy
		 * is never handed NULL */
		if (!c->buf || c->len + x->tag + x->len > c->cap) {
			c->cap = 2 * (c->len + x->tag + x->len) + 65536;
			c->buf = ex_realloc(c->buf, c->cap);
		}
		/* and its tag, if kept */
		memcpy(c->buf + c->len, x->payload - x->tag, x->tag + x->len);
		c->at[c->n++] = c->len + x->tag;
		c->len += x->tag + x->len;
	}
	for (int i = 0; i < c->n; i++)
		c->rec[i].payload = c->buf + c->at[i];
	c->stop = c->n;
	atomic_store(&c->blk, 0);
	return more;
}

/* Key blocks of c until none is left, with the scratch jb. */
static void
keys(const struct opts *o, const struct ex_seen *seen, struct chunk *c,
    struct ex_json_buf *jb)
{
	int b, nblk = (c->n + BLOCK - 1) / BLOCK;

	while ((b = atomic_fetch_add(&c->blk, 1)) < nblk) {
		int i = b * BLOCK, end = i + BLOCK < c->n ? i + BLOCK : c->n;
		struct keyq q;

		q.n = 0;
		c->bad[b].why = NULL;
		for (; i < end; i++)
			if ((c->bad[b].why = keyof(o, seen, jb, &c->rec[i],
			    &q, &c->bad[b].what))) {
				c->bad[b].at = i;
				break;
			}
		ex_seen_fps(seen, q.n, q.key, q.len, q.fp);
	}
}

/* Once every block is keyed: the first bad record ends c. */
static void
keyed(struct chunk *c)
{
	for (int b = 0; b * BLOCK < c->n; b++)
		if (c->bad[b].why) {
			c->stop = c->bad[b].at;
			c->what = c->bad[b].what;
			c->why = c->bad[b].why;
			c->line = c->line0 + (uint64_t)c->stop + 1;
			c->isrec = 1;
			return;
		}
}

/* The bad input that ends c, if any: reported, and counted in if it is
 * a record. */
static void
report(struct run *r, const struct chunk *c)
{
	if (!c->why)
		return;
	if (c->isrec)
		r->nin++;
	bad(r, c->line, c->what, c->why);
}

/*
 * Command mode reads WIN records at a time, keyed here: the first
 * may wait as the batch allows, the others only if buffered.  Their
 * lookups are prefetched together: with a set larger than the caches
 * each lookup is a cache miss, and overlapping them is what makes dedup
 * fast.  Returns how many are good: 0 at the batch's end, the input's, or
 * bad input (reported at once).
 */
#define WIN 16

static int
fill(struct run *r, struct chunk *c, int *gonep)
{
	if (r->bad)
		return 0;
	take(r, c, WIN, 1, gonep);
	keys(r->o, r->seen, c, &r->jbuf);
	keyed(c);
	for (int i = 0; i < c->stop; i++) {
		tally(r, &c->rec[i]);
		if (c->rec[i].haskey)
			ex_seen_prefetch(r->seen, c->rec[i].fp);
	}
	report(r, c);
	return c->stop;
}

typedef void each_fn(struct run *, struct rec *, void *);

/* One batch: -n records, or fewer if -t passes while the input is idle.
 * Returns 0 once the input has ended; *gonep is set if our reader went
 * away while we waited. */
static int
batch(struct run *r, struct chunk *c, each_fn *each, void *ctx, int *gonep)
{
	int got;

	ex_batch_start(&r->b);
	/* a reader gone (EPIPE) ends the batch: on a stream that never
	 * pauses it would never end */
	while (!r->out.broken && (got = fill(r, c, gonep)) > 0)
		for (int i = 0; i < got; i++)
			each(r, &c->rec[i], ctx);
	return !r->bad && !*gonep && !r->ended && !r->out.broken;
}

static void *
keyer_main(void *arg)
{
	struct keyer *k = arg;

	pthread_mutex_lock(&k->mu);
	for (;;) {
		struct chunk *c;

		while (!k->job && !k->quit)
			pthread_cond_wait(&k->cv, &k->mu);
		if (k->quit)
			break;
		/* taken: the main thread leaves job alone until it is NULL */
		k->taken = 1;
		c = k->job;
		pthread_mutex_unlock(&k->mu);
		keys(k->o, k->seen, c, &k->jb);
		pthread_mutex_lock(&k->mu);
		k->job = NULL;
		k->taken = 0;
		pthread_cond_broadcast(&k->cv);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/* Without a thread (none could be made) the main thread keys alone. */
static void
keyer_start(struct keyer *k, const struct run *r)
{
	memset(k, 0, sizeof *k);
	k->o = r->o;
	k->seen = r->seen;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	k->running = ex_thread_start(&k->t, keyer_main, k) == 0;
}

static void
keyer_give(struct keyer *k, struct chunk *c)
{
	if (!k->running)
		return;
	pthread_mutex_lock(&k->mu);
	k->job = c;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

/* Wait until the keyer is done with the chunk given (or take it back, if
 * it never began). */
static void
keyer_wait(struct keyer *k)
{
	if (!k->running)
		return;
	pthread_mutex_lock(&k->mu);
	if (!k->taken)
		k->job = NULL;
	while (k->job)
		pthread_cond_wait(&k->cv, &k->mu);
	pthread_mutex_unlock(&k->mu);
}

/* Key what is left of the chunk given, with the keyer. */
static void
keyer_finish(struct keyer *k, struct chunk *c, struct ex_json_buf *jb)
{
	keys(k->o, k->seen, c, jb);
	keyer_wait(k);
	keyed(c);
}

static void
keyer_stop(struct keyer *k)
{
	if (k->running) {
		pthread_mutex_lock(&k->mu);
		k->quit = 1;
		pthread_cond_broadcast(&k->cv);
		pthread_mutex_unlock(&k->mu);
		pthread_join(k->t, NULL);
	}
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k->jb.p);
}

/* Handle c's records in order, their lookups prefetched AHEAD records
 * ahead; then its bad input, if any. */
static void
handle(struct run *r, struct chunk *c, each_fn *each, void *ctx)
{
	for (int i = 0; i < c->stop && i < AHEAD; i++)
		if (c->rec[i].haskey)
			ex_seen_prefetch(r->seen, c->rec[i].fp);
	for (int i = 0; i < c->stop && !r->out.broken; i++) {
		struct rec *x = &c->rec[i];

		if (i + AHEAD < c->stop && x[AHEAD].haskey)
			ex_seen_prefetch(r->seen, x[AHEAD].fp);
		tally(r, x);
		each(r, x, ctx);
	}
	if (!r->out.broken)
		report(r, c);
}

/* One batch as batch() reads it, the keys of the chunk read last computed
 * by the keyer while the one before it is handled. */
static int
chunked(struct run *r, struct keyer *k, struct chunk c[2], each_fn *each,
    void *ctx, int *gonep)
{
	struct chunk *held = NULL; /* with the keyer */
	int more = 1;

	ex_batch_start(&r->b);
	for (;;) {
		struct chunk *got = held == &c[0] ? &c[1] : &c[0];

		got->n = 0;
		got->why = NULL;
		if (more)
			more = take(r, got, CHUNK, !held, gonep);
		if (held)
			keyer_finish(k, held, &r->jbuf);
		if (got->n || got->why)
			keyer_give(k, got);
		else
			got = NULL;
		if (held)
			handle(r, held, each, ctx);
		held = got;
		if (r->bad || r->out.broken) {
			if (held) { /* read after the end: never handled */
				atomic_store(&held->blk, CHUNK);
				keyer_wait(k);
			}
			break;
		}
		if (!held && !more)
			break;
	}
	return !r->bad && !*gonep && !r->ended && !r->out.broken;
}

/* Filter mode.  A record's key is added to the seen-set's pending keys
 * (one lookup that also finds a duplicate of a record still in our
 * buffer) and queued with where the record ends in our output; it is
 * committed once the record has been written, and taken back if the
 * reader went away first.  The buffer is flushed before a record would
 * overflow it, so at each flush every record queued is written whole. */

static void
written(struct run *r)
{
	while (r->qlen && r->q[r->qhead].end <= r->out.written) {
		r->qhead++;
		r->qlen--;
	}
	if (r->out.broken) /* never written: not to be recorded */
		for (; r->qlen; r->qhead++, r->qlen--)
			ex_seen_unadd(r->seen, r->q[r->qhead].fp);
	if (r->qlen == 0)
		r->qhead = 0;
}

/* Records read before the set is first told how many new keys to
 * expect, and between updates. */
#define EXPECT_FIRST 512
#define EXPECT_EVERY 65536

/* From a regular file, the rest of the input is known: its records, at
 * the length of those read so far, and the new keys among them, at the
 * rate so far, go to ex_seen_expect, so that a big batch of new keys
 * builds its table at once rather than doubling its way there. */
static void
expect(struct run *r)
{
	struct stat st;
	const char *p;
	off_t at;
	double left, est;

	r->expect_at = r->nin + EXPECT_EVERY;
	if (fstat(r->in.fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (at = lseek(r->in.fd, 0, SEEK_CUR)) < 0 || at > st.st_size ||
	    r->in.consumed == 0)
		return;
	left = (double)(st.st_size - at) + (double)ex_rd_pending(&r->in, &p);
	/* the lines left, at the length of those read (some of them read
	 * ahead, not handled yet), times the share of new keys so far */
	est = left * (double)r->in.lineno / (double)r->in.consumed *
	    (double)r->nout / (double)r->nin;
	/* a batch adds at most -n; with -e, -n is the window, not a limit */
	if (!r->o->echo && r->o->count != EX_COUNT_NONE &&
	    est > (double)r->o->count)
		est = (double)r->o->count;
	ex_seen_expect(r->seen, est > 1e18 ? (uint64_t)1e18 : (uint64_t)est);
}

static void
filter_rec(struct run *r, struct rec *rec, void *ctx)
{
	struct unwritten *u;

	(void)ctx;
	if (rec->drop)
		return; /* filter mode writes no marks */
	if (r->nin >= r->expect_at)
		expect(r);
	if (rec->haskey && !ex_seen_add(r->seen, rec->fp)) {
		r->ndup++;
		return;
	}
	if (r->out.len + EX_TAG_MAX + rec->len + 1 > r->out.cap) {
		ex_out_flush(&r->out);
		written(r);
	}
	if (r->out.broken) {
		/* nothing more is written: the batch ends here */
		if (rec->haskey)
			ex_seen_unadd(r->seen, rec->fp);
		return;
	}
	ex_out_rec(&r->out, rec->off, rec->payload, rec->len, !r->o->strip);
	r->nout++;
	if (!rec->haskey)
		return;
	if (r->qhead + r->qlen == r->qcap) {
		r->qcap = r->qcap ? 2 * r->qcap : 1024;
		r->q = ex_realloc(r->q, r->qcap * sizeof *r->q);
	}
	u = &r->q[r->qhead + r->qlen++];
	memcpy(u->fp, rec->fp, EX_KEY_FP);
	/* past out.written until the whole record (its LF is always
	 * buffered last) has been written */
	u->end = r->out.written + r->out.len;
}

/* Write each batch, then commit the keys of what was written. */
static void
filter(struct run *r)
{
	struct chunk *c = chunks_new(2);
	struct keyer k;
	int more, left = 0;

	keyer_start(&k, r);
	r->b.idle = r->b.watch = &r->out;
	r->expect_at = EXPECT_FIRST;
	do {
		more = chunked(r, &k, c, filter_rec, NULL, &left);
		ex_out_flush(&r->out);
		written(r);
		left |= r->out.broken;
		if (!more || left)
			ex_seen_expect(r->seen, 0); /* the last: cut to size */
		ex_seen_commit(r->seen);
	} while (more && !left);
	keyer_stop(&k);
	chunks_free(c, 2);
	free(r->q);
	if (left)
		ex_child_gone();
}

/* Progress marks, in command mode and with -e. */

/* rec was dropped, fed records having been fed before it (-e): the mark
 * to write covers it.  Its clock starts at the first drop since the last
 * record fed. */
static void
dropped(struct run *r, const struct rec *rec, uint64_t fed)
{
	if (!r->mk_have || r->mk_fed != fed)
		r->mk_since = ex_now_ms();
	r->mk_have = 1;
	r->mk_off = rec->off;
	r->mk_fed = fed;
}

/* Write the mark, unless a record after the drops it covers went out
 * (that record's progress says more).  The caller knows it is true. */
static void
mark_out(struct run *r)
{
	char m[EX_TAG_MAX];

	r->mk_have = 0;
	if (r->out_any && r->mk_off <= r->out_hi)
		return;
	ex_out_write(&r->out, m, ex_mark_fmt(m, r->mk_off));
	r->out_any = 1;
	r->out_hi = r->mk_off;
	r->nmark++;
}

/* Command mode: run the command once per batch that has new records. */

static void
batch_rec(struct run *r, struct rec *rec, void *ctx)
{
	struct ex_feed *f = ctx;

	if (rec->drop) {
		dropped(r, rec, 0);
		return;
	}
	if (rec->haskey && !ex_seen_add(r->seen, rec->fp)) {
		r->ndup++;
		dropped(r, rec, 0);
		return;
	}
	/* the command is to hand it on: its progress is the command's */
	r->out_any = 1;
	r->out_hi = rec->off;
	if (!f->pid) {
		ex_feed_start(f, r->o->cmd);
		r->b.idle = &f->to;
	}
	ex_out_rec(&f->to, rec->off, rec->payload, rec->len, !r->o->strip);
	r->nout++;
}

/*
 * One run of the command per batch; then the batch's keys; then, if its
 * last records were dropped, their mark, on our stdout after all that the
 * command wrote there: every record of the batch is done by then.
 */
static void
batches(struct run *r)
{
	struct chunk *w = chunks_new(1);
	struct ex_feed f = { 0 };
	int more, st, whole, left = 0;

	do {
		more = batch(r, w, batch_rec, &f, &left);
		r->b.idle = NULL;
		if (f.pid) {
			if ((st = ex_feed_end(&f, &whole)) != 0) {
				ex_child_report(r->o->cmd[0], f.wstatus);
				exit(st);
			}
			/* Keys of records it never read would be records
			 * lost. */
			if (!whole)
				ex_diex(EXIT_FAILURE, "%s: exited 0 without "
				    "reading all of its batch; keys of this "
				    "batch not recorded", r->o->cmd[0]);
			ex_seen_commit(r->seen);
		}
		/* With -p the command's output, our stdout, is not a
		 * tagged stream: no mark belongs in it. */
		if (r->mk_have && r->o->strip)
			r->mk_have = 0;
		if (r->mk_have) {
			mark_out(r);
			/* before the next batch's command writes there */
			if (ex_out_flush(&r->out) < 0)
				ex_child_gone();
		}
	} while (more);
	chunks_free(w, 1);
}

/* -e: the command acknowledges records one by one. */

static void
acked(struct run *r, struct group *g, struct ex_flight *f)
{
	static const unsigned char nokey[EX_KEY_FP];
	size_t need = g->len + EX_TAG_MAX + f->len + 1;

	/* absent when fed, and its twins held back since */
	if (memcmp(f->user, nokey, EX_KEY_FP) != 0)
		ex_seen_add_new(r->seen, f->user);
	if (need > g->cap) {
		g->cap = 2 * need;
		g->buf = ex_realloc(g->buf, g->cap);
	}
	/* the line fed, if tagged, is the line out */
	g->len += ex_tag_rec(g->buf + g->len, f->off, f->payload, f->len,
	    f->tag) + f->len;
	g->buf[g->len++] = '\n';
	g->last = f->off;
	r->nout++;
	/* -t 0: no time limit, a group ends at -n or at exit */
	if (++g->n == 1)
		g->deadline = r->o->ms ? ex_now_ms() + r->o->ms : INT64_MAX;
}

/* The mark is true, and wanted: every record fed before the drops it
 * covers was acknowledged, its key made durable and its record written;
 * and none was fed after them (that one, once done, says more). */
static int
mark_ready(const struct run *r, const struct ex_echo *e)
{
	return r->mk_have && e->a.fed == r->mk_fed && e->done == e->a.fed;
}

/* A group whose keys are durable: its records on stdout, the feed window
 * moves past them, and then the mark, if it became true: at most one a
 * group. */
static void
group_out(struct run *r, struct ex_echo *e, struct group *g)
{
	ex_out_write(&r->out, g->buf, g->len);
	if (g->n) {
		r->out_any = 1;
		r->out_hi = g->last;
	}
	g->len = 0;
	e->done += g->n;
	g->n = 0;
	if (mark_ready(r, e))
		mark_out(r);
}

/* -e reads as filter mode does, a chunk at a time, the keyer keying the
 * next while one is fed: the JSON scan and SipHash would otherwise be a
 * fifth of the main thread's work.  c[cur] is fed from; c[!cur] was read
 * ahead, if ahead, from the input at hand, never waited for. */
struct feed {
	struct chunk *c; /* two */
	int cur;         /* -1 before the first */
	int ahead;
	int more;        /* the input may give more */
};

/* The next chunk to feed from, its records counted in and their lookups
 * begun: how many are good, 0 once the input gave its last (or bad
 * input, reported at once).  It waits for input only if none was read
 * ahead. */
static int
refill(struct run *r, struct keyer *k, struct feed *f, int *gonep)
{
	int i = f->cur < 0 ? 0 : !f->cur;
	struct chunk *c = &f->c[i];

	if (r->bad)
		return 0;
	if (!f->ahead) {
		if (!f->more)
			return 0;
		f->more = take(r, c, CHUNK, 1, gonep);
		keyer_give(k, c);
	}
	f->cur = i;
	f->ahead = 0;
	keyer_finish(k, c, &r->jbuf);
	if (f->more && !c->why && ex_rd_at_hand(&r->in)) {
		f->more = take(r, &f->c[!i], CHUNK, 0, gonep);
		if ((f->ahead = f->c[!i].n || f->c[!i].why))
			keyer_give(k, &f->c[!i]);
	}
	for (int j = 0; j < c->stop; j++) {
		tally(r, &c->rec[j]);
		if (j < AHEAD && c->rec[j].haskey)
			ex_seen_prefetch(r->seen, c->rec[j].fp);
	}
	if (r->nin >= r->expect_at)
		expect(r);
	report(r, c);
	return c->stop;
}

/* Keys first: a record on stdout is one whose key is durable. */
static void
group_commit(struct run *r, struct ex_echo *e, struct group *g)
{
	ex_seen_commit(r->seen);
	group_out(r, e, g);
}

/* The acknowledgements that close a group of -n count when the groups
 * overlap: half of it, rounded up. */
static uint64_t
half(uint64_t count)
{
	return count - count / 2;
}

/*
 * With -n 2 or more (and no -W), the keys of one group are made durable
 * while the next is fed and acknowledged (ex_seen_commit_start): gf is
 * the group under way, written on once it is durable, and g is started in
 * its place once it holds half of -n (or -t cut it) and the disk is free.
 * The feed window still counts only durable groups as done, so the two
 * together are at most -n records fed beyond the last durable group.
 */
static void
groups(struct run *r, struct ex_echo *e, struct group *g, struct group *gf,
    int cut)
{
	struct group t;

	/* twice when a commit was made at once (a table's growth) */
	for (;;) {
		if (gf->n && ex_seen_commit_done(r->seen, 0))
			group_out(r, e, gf);
		if (gf->n || g->n == 0 || (!cut && g->n < half(r->o->count)))
			return;
		ex_seen_commit_start(r->seen);
		e->a.wake = ex_seen_commit_fd(r->seen);
		t = *gf;
		*gf = *g;
		*g = t;
	}
}

/* Feed records as they come, record each key when its record is
 * acknowledged, and write the record on after its group commit. */
static void
echo(struct run *r)
{
	const struct opts *o = r->o;
	struct ex_echo e;
	struct ex_fpset flying; /* keys fed and not yet acknowledged */
	struct group g = { 0 }, gf = { 0 };
	/* with -W a commit may start or drop slices, made at once (seen.h):
	 * groups of -n, each durable before more is fed, as with -n 1 */
	int overlap = o->count >= 2 && !o->window;
	struct ex_flight *f;
	struct feed in = { chunks_new(2), -1, 0, 1 };
	struct keyer k;
	int in_eof = 0, left = 0, wi = 0, wn = 0, ev = 0, st;

	ex_fpset_init(&flying);
	keyer_start(&k, r);
	/* at most -n records beyond the last commit: the command never runs
	 * ahead of the disk, so a crash repeats at most a group, and with
	 * -n 1 a record is fed only once the key before it is durable */
	ex_echo_start(&e, o->cmd, !o->strip, o->count, o->verbose);
	e.a.watch = r->out.fd;
	/* one batch without limits: the window and -t rule here */
	ex_batch_init(&r->b, &r->in, EX_COUNT_NONE, 0);
	ex_batch_start(&r->b);
	r->expect_at = EXPECT_FIRST;
	for (;;) {
		int burst = 0, ms = -1;

		/* Records are read a chunk ahead of what may be fed: their
		 * lookups are prefetched AHEAD records ahead, and the end of
		 * the input reaches the command even while the group is full
		 * (a command may finish its last record only at EOF). */
		while (burst++ < 1024 && !left) {
			struct rec *x;

			if (wi == wn) {
				if (in_eof || !(in.ahead ||
				    ex_rd_ready(&r->in) || (ev & EX_ACK_IN)))
					break;
				ev &= ~EX_ACK_IN;
				wi = 0;
				if ((wn = refill(r, &k, &in, &left)) == 0) {
					in_eof = 1;
					ex_ack_eof(&e.a);
					break;
				}
			}
			if (!ex_echo_may_feed(&e))
				break;
			x = &in.c[in.cur].rec[wi++];
			if (wi - 1 + AHEAD < wn && x[AHEAD].haskey)
				ex_seen_prefetch(r->seen, x[AHEAD].fp);
			/* Each drop is done once the records fed before it
			 * are: the mark waits for them. */
			if (x->drop) {
				dropped(r, x, e.a.fed);
				continue;
			}
			if (x->haskey && ex_seen_has(r->seen, x->fp)) {
				r->ndup++;
				dropped(r, x, e.a.fed);
				continue;
			}
			if (x->haskey && !ex_fpset_add(&flying, x->fp)) {
				/* Its twin is in flight: once that is
				 * acknowledged this one is a duplicate; if it
				 * never is, the next run sees both again. */
				r->nheld++;
				dropped(r, x, e.a.fed);
				continue;
			}
			f = ex_ack_send(&e.a, x->off, x->payload, x->len, x->tag);
			memcpy(f->user, x->fp, EX_KEY_FP);
		}
		/* behind a group under way, g waits for its end (a wake) */
		if (g.n && o->ms && !gf.n)
			ms = (int)(g.deadline > ex_now_ms() ?
			    g.deadline - ex_now_ms() : 0);
		/* drops alone, with no group to ride on: -t after the first */
		if (mark_ready(r, &e) && o->ms) {
			int64_t due = r->mk_since + o->ms - ex_now_ms();
			int m = due > 0 ? (int)due : 0;

			if (ms < 0 || m < ms)
				ms = m;
		}
		/* more to feed at once (the burst ended mid-chunk): look,
		 * do not wait */
		if (wi < wn ? ex_echo_may_feed(&e) :
		    !in_eof && (in.ahead || ex_rd_ready(&r->in)))
			ms = 0;
		/* what is written on waits in the buffer while there is more
		 * to do at once, not once it would wait */
		if (ms != 0)
			ex_out_flush(&r->out);
		ev = ex_echo_poll(&e, wi == wn && !in_eof ? r->in.fd : -1, ms);
		while ((f = ex_ack_take(&e.a))) {
			ex_fpset_del(&flying, f->user);
			acked(r, &g, f);
			if (!overlap && g.n == o->count)
				group_commit(r, &e, &g);
			/* a burst of acknowledgements is cut where a group
			 * ends, or the next group would have none to feed */
			else if (overlap && g.n == half(o->count))
				groups(r, &e, &g, &gf, 0);
		}
		if (overlap)
			groups(r, &e, &g, &gf, g.n && ex_now_ms() >= g.deadline);
		else if (g.n && ex_now_ms() >= g.deadline)
			group_commit(r, &e, &g);
		if (mark_ready(r, &e) && o->ms &&
		    ex_now_ms() >= r->mk_since + o->ms)
			mark_out(r);
		if ((ev & EX_ACK_GONE) || r->out.broken)
			left = 1;
		if (left && !in_eof) {
			/* The reader went away: feed no more. */
			in_eof = 1;
			ex_ack_eof(&e.a);
		}
		if (ev & EX_ACK_EOF)
			break;
	}
	st = ex_ack_wait(&e.a);
	while ((f = ex_ack_take(&e.a)))
		acked(r, &g, f);
	ex_seen_expect(r->seen, 0); /* the last commit: cut to size */
	if (gf.n && ex_seen_commit_done(r->seen, 1))
		group_out(r, &e, &gf);
	group_commit(r, &e, &g);
	if (ex_out_flush(&r->out) < 0)
		left = 1;
	r->nflight = e.a.fed - e.a.acked;
	if (st != 0) {
		ex_child_report(o->cmd[0], e.a.wstatus);
		exit(st);
	}
	if (e.a.fed > e.a.acked)
		ex_diex(EXIT_FAILURE, "%s: exited 0 with %llu of %llu records "
		    "unacknowledged; their keys stay unrecorded", o->cmd[0],
		    (unsigned long long)(e.a.fed - e.a.acked),
		    (unsigned long long)e.a.fed);
	if (left)
		ex_child_gone();
	if (!in_eof)
		ex_diex(EXIT_FAILURE, "%s: exited 0 before the end of the input",
		    o->cmd[0]);
	ex_ack_free(&e.a);
	keyer_stop(&k);
	chunks_free(in.c, 2);
	free(g.buf);
	free(gf.buf);
	ex_fpset_free(&flying);
}

/* -W AGE: seconds, or a number of days, hours, minutes or seconds (28d,
 * 12h, 90m, 45s), from 1 s to 100 years; in milliseconds. */
static int64_t
age(const char *arg)
{
	static const struct { char c; int64_t s; } unit[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	int64_t mul = 1;
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	for (size_t i = 0; *end && i < sizeof unit / sizeof unit[0]; i++)
		if (end[0] == unit[i].c && !end[1]) {
			mul = unit[i].s;
			end++;
		}
	if (arg[0] < '0' || arg[0] > '9' || *end || errno || v == 0 ||
	    v > 3156000000ull / (unsigned long long)mul)
		ex_usage("-W %s: expected an age from 1 s to 100 years "
		    "(seconds, or Nd, Nh, Nm, Ns)", arg);
	return (int64_t)v * mul * 1000;
}

/* Fills o from the command line; each option is one case and one field. */
static void
parse(int argc, char *argv[], struct opts *o)
{
	int c, nset = 0, dset = 0;

	while ((c = getopt(argc, argv, "+d:ef:k:m:n:ps:t:vwW:")) != -1) {
		switch (c) {
		case 'd':
			if (strlen(optarg) != 1)
				ex_usage("-d %s%s: expected one byte", optarg,
				    *optarg ? "" : "''");
			o->delim = optarg[0];
			dset = 1;
			break;
		case 'e':
			o->echo = 1;
			break;
		case 'f':
			o->field = ex_opt_number("-f", optarg, 1, EX_COUNT_MAX,
			    "a field number");
			break;
		case 'k':
			if (!*optarg)
				ex_usage("-k '': expected a member name");
			o->kname = optarg;
			o->knamelen = strlen(optarg);
			break;
		case 'm':
			if (strcmp(optarg, "pass") == 0)
				o->missing = MISS_PASS;
			else if (strcmp(optarg, "drop") == 0)
				o->missing = MISS_DROP;
			else
				ex_usage("-m %s: expected pass or drop", optarg);
			break;
		case 'n':
			o->count = ex_opt_count("-n", optarg);
			nset = 1;
			break;
		case 'p':
			o->strip = 1;
			break;
		case 's':
			o->seenpath = ex_opt_path("-s", optarg);
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
		case 'W':
			o->window = age(optarg);
			break;
		default:
			ex_usage(NULL);
		}
	}
	argv += optind;
	if (*argv)
		o->cmd = argv;
	if (!o->seenpath)
		ex_usage("-s seenfile is required");
	if (o->kname && o->field)
		ex_usage("-k and -f exclude each other");
	if (dset && !o->field)
		ex_usage("-d needs -f");
	if (o->echo && !o->cmd)
		ex_usage("-e needs a command");
	if (o->echo && !nset)
		o->count = 1; /* each key durable before the next record is fed */
}

int
main(int argc, char *argv[])
{
	struct opts o = {
		.delim = '\t', .missing = MISS_ERROR, .count = EX_COUNT_NONE,
		.ms = 1000,
	};
	struct run r;
	char flight[64] = "", marks[80] = "";

	ex_opt_init(argv[0], usage_lines);
	ex_elapsed();
	parse(argc, argv, &o);

	memset(&r, 0, sizeof r);
	r.o = &o;
	ex_rd_init(&r.in, 0, "stdin");
	ex_out_init(&r.out, 1, "stdout");
	ex_batch_init(&r.b, &r.in, o.count, o.ms);
	/* EPIPE is ours to see, from the command or from our own reader:
	 * keys are recorded only for what was written. */
	signal(SIGPIPE, SIG_IGN);
	r.seen = ex_seen_open(o.seenpath, o.wait ? EX_LOCK_WAIT : 0);
	if (o.window)
		ex_seen_window(r.seen, o.window);
	if (o.cmd) {
		ex_child_guard();
		if (o.echo)
			echo(&r);
		else
			batches(&r);
	} else
		filter(&r);
	if (ex_out_flush(&r.out) < 0)
		ex_child_gone();
	if (o.echo)
		snprintf(flight, sizeof flight, "%llu in flight, ",
		    (unsigned long long)r.nflight);
	if (r.nmarkin || r.nmark)
		snprintf(marks, sizeof marks, "progress marks %llu in, %llu out, ",
		    (unsigned long long)r.nmarkin, (unsigned long long)r.nmark);
	if (o.verbose)
		ex_summary("%llu in, %llu out, %llu duplicates, %llu held back, "
		    "%s%s%llu without key, %llu keys in %s",
		    (unsigned long long)r.nin, (unsigned long long)r.nout,
		    (unsigned long long)r.ndup, (unsigned long long)r.nheld,
		    flight, marks, (unsigned long long)r.nnokey,
		    (unsigned long long)ex_seen_count(r.seen), o.seenpath);
	ex_seen_close(r.seen);
	ex_out_free(&r.out);
	ex_rd_free(&r.in);
	free(r.jbuf.p);
	return r.bad ? EXIT_DATA : 0;
}
