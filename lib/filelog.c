/*
 * The file log (log.h): the files given, plain or gzip, as the segments
 * of one log.
 *
 * A segment is known by its content and what was recorded of it beyond
 * (segid.h), never by its name.  With an offset store, the catalogue of
 * segments (segcat.h, state) and the resume index (idx.h, a cache) are
 * kept beside it; under -F without one they live in memory; without
 * either, the files are numbered as they are read.  Segments the
 * catalogue does not know are newer than all it knows, in the order of
 * their modification times.
 *
 * Invariants:
 *  - A record's offset never changes.  A segment's first offset is written
 *    durably to the catalogue before any record that depends on it is
 *    handed out, and is fixed once the segment before it is sealed (a
 *    newer one follows it, its record count final); it is never
 *    reassigned.  A sealed segment is read to the length it had when
 *    sealed, and no further.
 *  - A record is a whole line, or nothing.  The unterminated last line of
 *    the newest segment is still being written and is held back; the last
 *    line of an older segment without its LF goes on in the next segment
 *    (copytruncate cut it in two), as cat(1) would join them, and it is
 *    that segment's last record.
 *  - Nothing is skipped quietly.  Offsets that are gone follow the policy
 *    (-r); so does a newest segment gone before it was read to its end,
 *    except under -F when it was caught up, with a warning.  Bad gzip data
 *    is an error after everything before it was handed out.
 *  - Few descriptors: a file is opened to read its head and closed; only
 *    the segment being read is open.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "durable.h"
#include "err.h"
#include "idx.h"
#include "log.h"
#include "rd.h"
#include "seg.h"
#include "segcat.h"
#include "segid.h"

#define CAT_KEEP 4096 /* segments the catalogue keeps, at least */

enum { GOT, MORE, END }; /* what a step of reading came to */
enum { SAME, ROTATED, TRUNCATED };

/* A file given, as the last look found it: closed, its head kept. */
struct ffile {
	struct ex_seg s;
	int argi;
	long long rank; /* age told by its name, for equal mtimes */
};

/* Segment i: catalogue entry i, and the file that holds it. */
struct fseg {
	long file;      /* index into files, or -1: no file given holds it */
	int numbered;   /* its first offset is known */
	int counted;    /* sealed with its count known (not yet, when the
	                 * files are numbered as they are read) */
};

/* A record that began in a segment before the one being read. */
struct carry {
	char *buf;
	size_t n, cap;
	int on;
	uint64_t off;
};

/* The segment being read. */
struct reader {
	size_t i;
	int open;
	struct ex_seg s;
	struct ex_rd r;
	uint64_t limit;     /* content bytes it may give: a sealed length */
	uint64_t got;       /* content bytes taken from the file so far */
	uint64_t rec;       /* its own records passed */
	uint64_t base;      /* content byte the reader started at */
	uint64_t pos;       /* content byte after the last record passed */
	uint64_t nextcp;    /* where the next checkpoint is due */
	uint64_t seen;      /* -F: the largest size it was seen to have */
	uint64_t first;     /* its first offset */
	int plain;          /* its complete lines are records of its own, one
	                     * after another: no lead to join, no count to
	                     * stop at (the common case, read in fl_next) */
	int lead;           /* its first line ends the record before */
	int draining;       /* -F: rotated away; read to its end, then seal */
	int tailseen;       /* it ended without a LF */
	int watch;          /* -F: keep seen up to date as it is read */
	int hascheck;       /* -F: check holds the bytes before pos */
	unsigned char check[EX_FP_HASH];
};

struct flog {
	struct ex_log base;
	int flags;
	int keep;           /* state is kept beside a store, and written */
	int upfront;        /* segments are numbered when seen, not read */
	struct ex_store *store;
	char *catpath, *idxpath;
	struct ex_cat cat;
	struct ex_idx idx;
	int mustsave;       /* changed in what records depend on */
	int cansave;        /* changed in what identifies segments */
	char *const *names;
	int nnames;
	struct ffile *file;
	size_t nfile;
	struct fseg *seg;   /* one per catalogue entry */
	size_t segcap;
	struct ex_segid *id; /* -F: the catalogue as last arranged */
	struct stat *snap;  /* -F: the names as last looked at */

	int have;           /* a start was given (committed, or -s) */
	uint64_t start;     /* the first offset to hand out */
	int policy;
	char *from;         /* where start came from, for messages */
	int tolatest;       /* -r latest: hand out nothing before the end */
	int fast;           /* fl_next may take the common case: the segment
	                     * being read is open and plain, nothing waits */
	int endchecked;     /* the start was compared with the end */
	int waiting;        /* the last ex_log_next was at the end */
	uint64_t off;       /* offset of the next record to begin */
	size_t next;        /* segment to read next */
	struct reader cur;
	struct carry carry;
};

/* ---- small things ------------------------------------------------------ */

static _Noreturn void
fatal(struct flog *f, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static _Noreturn void
fatal(struct flog *f, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	ex_log_fatal(&f->base);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ex_diex(status, "%s", msg);
}

static struct ex_catent *
ent(struct flog *f, size_t i)
{
	return &f->cat.e[i];
}

static int
newest(const struct flog *f, size_t i)
{
	return i + 1 == f->cat.n && !f->cat.e[i].sealed;
}

/* Segment i's first line ends the last record of the segment before. */
static int
haslead(const struct flog *f, size_t i)
{
	return i > 0 && f->cat.e[i - 1].sealed && f->cat.e[i - 1].join;
}

static const struct ex_seg *
fileof(const struct flog *f, size_t i)
{
	return f->seg[i].file >= 0 ? &f->file[f->seg[i].file].s : NULL;
}

static void
addseg(struct flog *f, long file, int numbered)
{
	if (f->cat.n > f->segcap) {
		f->segcap = f->cat.n * 2;
		f->seg = ex_realloc(f->seg, f->segcap * sizeof *f->seg);
	}
	f->seg[f->cat.n - 1] = (struct fseg){ file, numbered, 0 };
}

static _Noreturn void
badgz(struct flog *f, const struct ex_seg *s, size_t i, uint64_t rec)
{
	fatal(f, EXIT_DATA, "%s: bad gzip data after %llu records of the file "
	    "(log offset %llu): %s", s->path, (unsigned long long)rec,
	    (unsigned long long)(ent(f, i)->first + rec), ex_seg_bad(s));
}

/*
 * How old a name says a file is, for files whose mtimes are equal:
 * "log.2.gz" is older than "log.1", which is older than "log"; dateext's
 * "log-20261127" is older than "log" and newer than "log-20261126".
 */
static long long
rank(const char *path)
{
	size_t n = strlen(path), i;
	long long v = 0, scale = 1;

	if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
		n -= 3;
	for (i = n; i > 0 && path[i - 1] >= '0' && path[i - 1] <= '9'; i--)
		;
	if (i == n || i == 0 || n - i > 15)
		return 0;
	for (size_t j = n; j > i; j--, scale *= 10)
		v += (path[j - 1] - '0') * scale;
	if (path[i - 1] == '.')
		return -v;
	if (path[i - 1] == '-')
		return v - 1000000000000000LL;
	return 0;
}

static int
older(const void *a, const void *b)
{
	const struct ffile *x = *(struct ffile *const *)a;
	const struct ffile *y = *(struct ffile *const *)b;
	const struct timespec *tx = &x->s.st.st_mtim, *ty = &y->s.st.st_mtim;

	if (tx->tv_sec != ty->tv_sec)
		return tx->tv_sec < ty->tv_sec ? -1 : 1;
	if (tx->tv_nsec != ty->tv_nsec)
		return tx->tv_nsec < ty->tv_nsec ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->argi - y->argi;
}

/* The file that holds segment i may be under another name by now (a
 * rotation while this run reads): open it, wherever it is.  -1 if no
 * name given holds it any more.  A file that is not a regular file (a
 * pipe) cannot be opened again: it was kept open, and is handed over. */
static int
reopen(struct flog *f, size_t i, struct ex_seg *s)
{
	struct ex_seg *was = f->seg[i].file >= 0 ? &f->file[f->seg[i].file].s :
	    NULL;

	if (!was)
		return -1;
	if (was->fd >= 0) {
		*s = *was;
		was->fd = -1;
		was->gz = NULL;
		return 0;
	}
	if (ex_seg_open(s, was->path, 1) == 0) {
		if (ex_fid_same(&s->fid, &was->fid))
			return 0;
		ex_seg_close(s);
	}
	for (int k = 0; k < f->nnames; k++) {
		struct stat st;

		if (stat(f->names[k], &st) < 0 ||
		    (uint64_t)st.st_ino != was->fid.ino ||
		    (uint64_t)st.st_dev != was->fid.dev ||
		    ex_seg_open(s, f->names[k], 1) < 0)
			continue;
		if (ex_fid_same(&s->fid, &was->fid))
			return 0;
		ex_seg_close(s);
	}
	return -1;
}

/* ---- counting: a segment's records, to seal it or to know the end ------ */

/* A source that gives at most limit content bytes of a segment. */
static ssize_t
bounded(void *ctx, char *buf, size_t n)
{
	struct reader *c = ctx;
	ssize_t k;

	if (c->got >= c->limit)
		return 0;
	if (n > c->limit - c->got)
		n = (size_t)(c->limit - c->got);
	k = ex_seg_read(&c->s, buf, n);
	if (k > 0)
		c->got += (uint64_t)k;
	/* -F: how far the file went, to know later whether a truncation
	 * took what was not read yet (once a buffer, not once a line) */
	if (k > 0 && c->watch) {
		struct stat st;

		if (fstat(c->s.fd, &st) == 0 && (uint64_t)st.st_size > c->seen)
			c->seen = (uint64_t)st.st_size;
	}
	return k;
}

static void
checkpoint(struct flog *f, struct reader *c)
{
	unsigned char h[EX_FP_HASH];

	if (!f->keep || c->pos < EX_IDX_MIN || c->pos < c->nextcp)
		return;
	c->nextcp = c->pos + EX_IDX_GAP;
	if (ex_seg_check(&c->s, c->pos, h) == 0)
		ex_idx_put(&f->idx, ent(f, c->i)->first, c->rec, c->pos, h);
}

/* Start the reader c, whose file is open, at the nearest known position
 * at or before its own record want: where reading it stopped, or a
 * checkpoint of the index, each checked against the file. */
static void
startat(struct flog *f, struct reader *c, uint64_t want)
{
	const struct ex_catent *e = ent(f, c->i);
	const struct ex_idxent *cp;
	unsigned char h[EX_FP_HASH];
	uint64_t rec = 0, pos = 0;

	if (e->hasstop && e->read > 0 && e->read <= want &&
	    ex_seg_check(&c->s, e->stop, h) == 0 &&
	    memcmp(h, e->stophash, EX_FP_HASH) == 0) {
		rec = e->read;
		pos = e->stop;
	}
	if (want > rec && (cp = ex_idx_find(&f->idx, e->first, want)) &&
	    cp->rec > rec) {
		if (ex_seg_check(&c->s, cp->pos, h) == 0 &&
		    memcmp(h, cp->check, EX_FP_HASH) == 0) {
			rec = cp->rec;
			pos = cp->pos;
		} else
			ex_idx_drop(&f->idx, e->first); /* stale */
	}
	if (pos > 0 && ex_seg_seek(&c->s, pos) < 0)
		rec = pos = 0;
	c->rec = rec;
	c->base = c->got = c->pos = pos;
	c->lead = pos == 0 && haslead(f, c->i);
	ex_rd_init_fill(&c->r, bounded, c, c->s.path);
}

/* Skip own records of c up to want (fewer at its end), leaving
 * checkpoints on the way; a lead line first, if c starts with one. */
static void
skipto(struct flog *f, struct reader *c, uint64_t want)
{
	uint64_t k;

	if (c->lead && want > 0) {
		if (ex_rd_skip(&c->r, 1) == 0)
			return; /* all of it is the record before */
		c->lead = 0;
	}
	while (c->rec < want) {
		k = ex_rd_skip(&c->r, want - c->rec < 65536 ? want - c->rec : 65536);
		if (k == 0)
			break;
		c->rec += k;
		c->pos = c->base + c->r.consumed;
		checkpoint(f, c);
	}
	c->pos = c->base + c->r.consumed;
}

/* Count segment i's records in its open file s: *n its own that are
 * complete, *tail whether it ends without a LF, *leadonly whether it has
 * none at all and begins with a lead (all of it is in the record before),
 * *len its content bytes. */
static void
count(struct flog *f, size_t i, struct ex_seg *s, uint64_t *n, int *tail,
    int *leadonly, uint64_t *len)
{
	struct reader c;
	char *line;
	size_t l;

	memset(&c, 0, sizeof c);
	c.i = i;
	c.s = *s;
	c.limit = UINT64_MAX;
	startat(f, &c, UINT64_MAX);
	skipto(f, &c, UINT64_MAX);
	if (ex_seg_bad(&c.s))
		badgz(f, &c.s, i, c.rec);
	*tail = ex_rd_line(&c.r, &line, &l) == EX_RD_PARTIAL;
	if (ex_seg_bad(&c.s))
		badgz(f, &c.s, i, c.rec);
	*n = c.rec;
	*leadonly = *tail && c.lead;
	*len = c.base + c.r.consumed;
	ex_rd_free(&c.r);
	*s = c.s;
}

/* Know segment i by all the bytes it begins with, up to its length. */
static void
learn(struct flog *f, size_t i, const struct ex_seg *s)
{
	struct ex_catent *e = ent(f, i);
	size_t n = s->nhead;

	if (!e->hasfid || !ex_fid_same(&e->fid, &s->fid)) {
		e->fid = s->fid;
		e->hasfid = 1;
		f->cansave = 1;
	}
	if (e->sealed && e->stop > 0 && e->stop < n)
		n = (size_t)e->stop;
	if (ex_seg_bad(s) || n <= e->fplen)
		return;
	e->fplen = n;
	ex_seg_hash(s->head, n, e->fp);
	f->cansave = 1;
}

/* Seal segment i: n records of its own, len content bytes, its last
 * record going on in the next segment if join.  s, if not NULL, is its
 * file, still open. */
static void
seal(struct flog *f, size_t i, uint64_t n, int join, uint64_t len,
    struct ex_seg *s)
{
	struct ex_catent *e = ent(f, i);

	e->count = e->read = n;
	e->join = join;
	e->sealed = 1;
	e->stop = len;
	e->hasstop = s && len > 0 && ex_seg_check(s, len, e->stophash) == 0;
	f->seg[i].counted = 1;
	f->mustsave = 1;
	if (s)
		learn(f, i, s);
}

/* ---- arranging: which file holds which segment; numbering -------------- */

static void snapshot(struct flog *f);

static void
freefiles(struct flog *f)
{
	for (size_t i = 0; i < f->nfile; i++)
		ex_seg_close(&f->file[i].s);
	free(f->file);
	f->file = NULL;
	f->nfile = 0;
}

/* Look at every file given: its head, and which segment it holds.  The
 * files that hold none are new: *fresh lists them, oldest first. */
static size_t
scan(struct flog *f, struct ffile ***fresh)
{
	struct ex_segid *id = ex_segid_new(&f->cat);
	struct ex_seg **p;
	int *of;
	long *holder;
	size_t nnew = 0;

	freefiles(f);
	f->file = ex_malloc(((size_t)f->nnames + 1) * sizeof *f->file);
	for (int i = 0; i < f->nnames; i++) {
		struct ffile *x = &f->file[f->nfile];

		if (ex_seg_open(&x->s, f->names[i], f->flags & EX_LOG_FOLLOW) < 0)
			continue; /* -F: not there yet */
		if (x->s.nhead == 0 && !ex_seg_bad(&x->s)) {
			ex_seg_close(&x->s); /* empty: not a segment yet */
			continue;
		}
		x->argi = i;
		x->rank = rank(f->names[i]);
		ex_segid_scan(id, f->nfile, &x->s);
		/* a pipe's bytes, once read, cannot be read again */
		if (S_ISREG(x->s.st.st_mode))
			ex_seg_close(&x->s);
		f->nfile++;
	}
	p = ex_malloc((f->nfile + 1) * sizeof *p);
	of = ex_malloc((f->nfile + 1) * sizeof *of);
	holder = ex_malloc((f->cat.n + 1) * sizeof *holder);
	for (size_t i = 0; i < f->nfile; i++)
		p[i] = &f->file[i].s;
	ex_segid_decide(id, p, f->nfile, of, holder);
	ex_segid_free(id);
	for (size_t e = 0; e < f->cat.n; e++)
		if ((f->seg[e].file = holder[e]) >= 0)
			learn(f, e, &f->file[holder[e]].s);
	*fresh = ex_malloc((f->nfile + 1) * sizeof **fresh);
	for (size_t i = 0; i < f->nfile; i++)
		if (of[i] == EX_SEGID_NEW)
			(*fresh)[nnew++] = &f->file[i];
	qsort(*fresh, nnew, sizeof **fresh, older);
	free(p);
	free(of);
	free(holder);
	return nnew;
}

/* "offset 41" of what was read of segment e, or that none was. */
static void
lastread(const struct ex_catent *e, uint64_t upto, char *buf, size_t n)
{
	if (upto > e->first)
		snprintf(buf, n, "the last offset read from it is %llu",
		    (unsigned long long)(upto - 1));
	else
		snprintf(buf, n, "none of it was read");
}

/*
 * The newest segment, i, is gone before it was read to its end: no file
 * given holds it any more (deleted, truncated, replaced).  Whether it held
 * records that nobody read cannot be known, so the policy decides; going
 * on, what follows is numbered on after what is known to have been read
 * of it (at least the committed offset).
 */
static void
gone(struct flog *f, size_t i)
{
	struct ex_catent *e = ent(f, i);
	uint64_t upto = e->first + e->read;
	char last[64];

	if (f->have && f->start > upto)
		upto = f->start;
	lastread(e, upto, last, sizeof last);
	if (f->policy == EX_LOG_ERROR)
		fatal(f, EXIT_DATA, "the segment holding offsets from %llu on is "
		    "gone (deleted, truncated or replaced) before it was read to "
		    "its end, and %s: what was written to it after that is "
		    "unknown (%s; give the rotated files too, as log* does, or "
		    "-r earliest to accept the loss and number what follows from "
		    "offset %llu)", (unsigned long long)e->first, last, f->from,
		    (unsigned long long)upto);
	ex_warnx("the segment holding offsets from %llu on is gone (deleted, "
	    "truncated or replaced) before it was read to its end, and %s: "
	    "what was written to it after that is lost; -r %s: numbering what "
	    "follows from offset %llu", (unsigned long long)e->first, last,
	    f->policy == EX_LOG_EARLIEST ? "earliest" : "latest",
	    (unsigned long long)upto);
	seal(f, i, upto - e->first, 0, 0, NULL);
	e->read = 0; /* nothing of its content is known */
	/* a start inside it goes on after it; one before it still reads the
	 * records of the segments that are there */
	if (f->start >= e->first && f->start < upto)
		f->start = upto;
	if (f->policy == EX_LOG_LATEST)
		f->tolatest = 1;
}

/* A committed offset above 0 with no catalogue beside it: the offsets
 * of the files given are unknown, and numbering them from 0 would hand
 * out other records under the offsets committed. */
static void
uncatalogued(struct flog *f)
{
	if (!f->catpath || f->cat.loaded || !f->have || f->start == 0)
		return;
	fatal(f, EXIT_DATA, "%s, but there is no segment catalogue %s beside "
	    "it, so which offsets the files given hold is unknown (restore %s "
	    "with it; or, if the files given begin at offset 0, create it: "
	    "printf 'exactly-segments 2\\n' >%s)", f->from, f->catpath,
	    f->catpath, f->catpath);
}

/* Number the new files, oldest first, after the known segments; each
 * segment followed by a newer one is sealed, its records counted. */
static void
number(struct flog *f, struct ffile **fresh, size_t nnew)
{
	struct ex_seg s;

	if (nnew == 0)
		return;
	if (f->upfront)
		uncatalogued(f);
	for (size_t j = 0; j < nnew; j++) {
		size_t i = f->cat.n;
		struct ex_catent *e;

		if (f->upfront && ex_seg_bad(&fresh[j]->s))
			fatal(f, EXIT_DATA, "%s: bad gzip data in its first %zu "
			    "bytes, so it cannot be numbered: %s",
			    fresh[j]->s.path, fresh[j]->s.nhead,
			    ex_seg_bad(&fresh[j]->s));
		if (i > 0 && !ent(f, i - 1)->sealed) {
			uint64_t n, len;
			int tail, leadonly;

			if (!f->upfront) {
				/* numbered as it is read */
				ent(f, i - 1)->sealed = 1;
			} else if (reopen(f, i - 1, &s) < 0)
				gone(f, i - 1);
			else {
				count(f, i - 1, &s, &n, &tail, &leadonly, &len);
				seal(f, i - 1, n + (tail && !leadonly), tail, len,
				    &s);
				ex_seg_close(&s);
			}
		}
		e = ex_cat_add(&f->cat);
		e->fplen = fresh[j]->s.nhead;
		ex_seg_hash(fresh[j]->s.head, e->fplen, e->fp);
		e->fid = fresh[j]->s.fid;
		e->hasfid = 1;
		addseg(f, fresh[j] - f->file, i == 0 || f->seg[i - 1].counted);
		if (f->seg[i].numbered && i > 0)
			e->first = ent(f, i - 1)->first + ent(f, i - 1)->count;
		f->mustsave = 1;
	}
}

/* Segments wholly before the start and gone are history, but a later run
 * may be given their files again: forget only the oldest of very many. */
static void
prune(struct flog *f)
{
	size_t k = 0;

	while (k + CAT_KEEP < f->cat.n && f->seg[k].file < 0 &&
	    ent(f, k)->sealed && ent(f, k)->first + ent(f, k)->count <= f->start)
		k++;
	if (k == 0 || !f->mustsave)
		return;
	memmove(f->cat.e, f->cat.e + k, (f->cat.n - k) * sizeof *f->cat.e);
	memmove(f->seg, f->seg + k, (f->cat.n - k) * sizeof *f->seg);
	f->cat.n -= k;
}

static void
save(struct flog *f)
{
	if (f->keep && (f->mustsave || f->cansave))
		ex_cat_save(&f->cat, f->catpath);
	f->mustsave = f->cansave = 0;
}

/* Which file is which segment, and number the new ones; durable before
 * anything is read. */
static void
arrange(struct flog *f, int pruning)
{
	struct ffile **fresh;
	size_t nnew, n;

	/* -F: the names as they are before they are looked at, so that a
	 * change while they are is seen at the next look */
	if (f->flags & EX_LOG_FOLLOW)
		snapshot(f);
	nnew = scan(f, &fresh);
	n = f->cat.n;

	/* the newest segment, gone: the rule is the same whether or not
	 * a newer file holds anything yet */
	if (f->upfront && n > 0 && !ent(f, n - 1)->sealed && f->seg[n - 1].file < 0)
		gone(f, n - 1);
	number(f, fresh, nnew);
	free(fresh);
	if (pruning)
		prune(f);
	if (f->mustsave)
		save(f);
	if (f->flags & EX_LOG_FOLLOW) {
		ex_segid_free(f->id);
		f->id = ex_segid_new(&f->cat);
	}
}

/* Offsets from..to-1 are gone with a segment no file given holds. */
static void
lost(struct flog *f, uint64_t from, uint64_t to)
{
	char what[128];

	snprintf(what, sizeof what, "offsets %llu-%llu (%llu records)",
	    (unsigned long long)from, (unsigned long long)(to - 1),
	    (unsigned long long)(to - from));
	switch (f->policy) {
	case EX_LOG_EARLIEST:
		ex_warnx("%s are gone: their segment is no longer among the "
		    "files given; -r earliest: skipping them", what);
		f->start = to;
		return;
	case EX_LOG_LATEST:
		ex_warnx("%s are gone: their segment is no longer among the "
		    "files given; -r latest: starting after the newest record",
		    what);
		f->tolatest = 1;
		return;
	}
	fatal(f, EXIT_DATA, "%s are gone: their segment is no longer among the "
	    "files given (%s; -r earliest or latest to go on)", what, f->from);
}

/* Where reading begins: the first segment not wholly before the start.
 * Segments that are gone are met, and the policy asked, as they come. */
static void
plan(struct flog *f)
{
	size_t i;

	for (i = 0; i + 1 < f->cat.n && f->seg[i + 1].numbered &&
	    f->seg[i].counted &&
	    ent(f, i)->first + ent(f, i)->count <= f->start; i++)
		;
	f->next = i;
	f->off = i < f->cat.n ? ent(f, i)->first : 0;
}

/* ---- reading ----------------------------------------------------------- */

static void arrange(struct flog *f, int pruning);

static void
setcarry(struct carry *k, uint64_t off, const char *p, size_t n)
{
	k->n = 0;
	k->on = 1;
	k->off = off;
	if (n > k->cap) {
		k->cap = n;
		k->buf = ex_realloc(k->buf, k->cap);
	}
	memcpy(k->buf, p, n);
	k->n = n;
}

static void
addcarry(struct carry *k, const char *p, size_t n)
{
	if (k->n + n > k->cap) {
		k->cap = k->n + n > 2 * k->cap ? k->n + n : 2 * k->cap;
		k->buf = ex_realloc(k->buf, k->cap);
	}
	memcpy(k->buf + k->n, p, n);
	k->n += n;
}

static void
closecur(struct flog *f)
{
	struct reader *c = &f->cur;
	struct ex_catent *e;

	if (!c->open)
		return;
	e = ent(f, c->i);
	/* where reading the newest segment stopped, to know it next time */
	if (f->keep && newest(f, c->i) && c->rec > e->read) {
		e->read = c->rec;
		e->stop = c->pos;
		e->hasstop = ex_seg_check(&c->s, c->pos, e->stophash) == 0;
		f->cansave = 1;
	}
	c->nextcp = 0;
	checkpoint(f, c);
	ex_rd_free(&c->r);
	ex_seg_close(&c->s);
	c->open = 0;
}

/* Open segment i to read it from the record the start asks for.  0, or
 * -1 if no file given holds it any more. */
static int
segopen(struct flog *f, size_t i)
{
	struct reader *c = &f->cur;
	const struct ex_catent *e = ent(f, i);
	uint64_t want = f->start > e->first && !f->carry.on ?
	    f->start - e->first : 0;
	struct stat st;

	memset(c, 0, sizeof *c);
	c->i = i;
	if (f->seg[i].file < 0 || reopen(f, i, &c->s) < 0)
		return -1;
	c->open = 1;
	c->limit = f->seg[i].counted && e->stop > 0 ? e->stop : UINT64_MAX;
	startat(f, c, want);
	skipto(f, c, want);
	c->nextcp = f->keep ? c->pos + EX_IDX_GAP : UINT64_MAX;
	c->first = e->first;
	c->plain = !c->lead && !(f->seg[i].counted && c->limit == UINT64_MAX);
	if (fstat(c->s.fd, &st) == 0)
		c->seen = (uint64_t)st.st_size;
	c->watch = (f->flags & EX_LOG_FOLLOW) && !c->s.isgz;
	f->off = e->first + c->rec;
	return 0;
}

static int
give(struct flog *f, uint64_t off, const char *p, size_t n,
    struct ex_log_rec *out)
{
	if (f->tolatest || off < f->start)
		return MORE;
	out->off = off;
	out->data = p;
	out->len = n;
	return GOT;
}

/* Segment i is not there to be read: no file given holds it (any more). */
static int
missing(struct flog *f, size_t i, struct ex_log_rec *out)
{
	const struct ex_catent *e = ent(f, i);
	uint64_t from = f->start > e->first ? f->start : e->first;

	if (f->carry.on) {
		/* a record that began before it, whose end it had */
		f->carry.on = 0;
		ex_warnx("offset %llu: the end of this record was in the segment "
		    "holding offsets from %llu on, which no file given holds any "
		    "more: it is written as far as it goes",
		    (unsigned long long)f->carry.off, (unsigned long long)e->first);
		return give(f, f->carry.off, f->carry.buf, f->carry.n, out);
	}
	if (!f->seg[i].counted) {
		if (!f->upfront)
			fatal(f, EXIT_IO, "%s: gone while the log was read",
			    fileof(f, i)->path);
		gone(f, i); /* the newest: -F was behind when it went */
		return MORE;
	}
	if (e->first + e->count > from && !f->tolatest)
		lost(f, from, e->first + e->count);
	f->off = e->first + e->count;
	f->next = i + 1;
	return MORE;
}

static int
advance(struct flog *f, struct ex_log_rec *out)
{
	size_t i = f->next;

	if (i >= f->cat.n)
		return END;
	if (segopen(f, i) == 0)
		return MORE;
	return missing(f, i, out);
}

static void late(struct flog *f);

/* A complete line of the segment being read. */
static int
line(struct flog *f, char *p, size_t n, struct ex_log_rec *out)
{
	struct reader *c = &f->cur;
	const struct ex_catent *e = ent(f, c->i);
	uint64_t off;

	c->pos = c->base + c->r.consumed;
	if (c->lead) {
		/* the end of the record the segment before began */
		c->lead = 0;
		c->plain = !(f->seg[c->i].counted && c->limit == UINT64_MAX);
		if (!f->carry.on)
			return MORE;
		addcarry(&f->carry, p, n);
		f->carry.on = 0;
		return give(f, f->carry.off, f->carry.buf, f->carry.n, out);
	}
	if (f->seg[c->i].counted && c->limit == UINT64_MAX && c->rec >= e->count) {
		/* a segment of a version 1 catalogue: no length, a count */
		late(f);
		f->next = c->i + 1;
		closecur(f);
		return MORE;
	}
	off = e->first + c->rec++;
	if (c->pos >= c->nextcp)
		checkpoint(f, c);
	f->off = off + 1;
	return give(f, off, p, n, out);
}

/* The unterminated end of the segment being read. */
static int
tail(struct flog *f, char *p, size_t n, struct ex_log_rec *out)
{
	struct reader *c = &f->cur;
	const struct ex_catent *e = ent(f, c->i);
	uint64_t off;

	if (ex_seg_bad(&c->s))
		badgz(f, &c->s, c->i, c->rec);
	if (newest(f, c->i) && !c->draining) {
		ex_rd_resume(&c->r); /* still being written: held back */
		return END;
	}
	c->tailseen = 1;
	c->pos = c->base + c->r.consumed;
	if (c->lead) {
		/* no LF at all: all of it is in the record before */
		c->lead = 0;
		if (f->carry.on)
			addcarry(&f->carry, p, n);
		return MORE;
	}
	off = e->first + c->rec++;
	f->off = off + 1;
	/* a version 1 catalogue's segment: its last line is a record alone */
	if (f->seg[c->i].counted && !e->join && !c->draining)
		return give(f, off, p, n, out);
	if (!f->tolatest && off >= f->start)
		setcarry(&f->carry, off, p, n);
	return MORE;
}


/* Lines written to a sealed segment after a newer one followed it: their
 * offsets belong to the newer one. */
static void
late(struct flog *f)
{
	struct reader *c = &f->cur;
	const struct ex_catent *e = ent(f, c->i);

	ex_warnx("%s: lines written after a newer segment followed it (at "
	    "offset %llu) are not delivered", c->s.path,
	    (unsigned long long)(e->first + e->count));
}

/* Under -F the segment being read was rotated away and is read to its
 * end: seal it, and look at the files again. */
static void
drained(struct flog *f)
{
	struct reader *c = &f->cur;
	size_t i = c->i;

	c->pos = c->base + c->r.consumed;
	seal(f, i, c->rec, c->tailseen, c->got, &c->s);
	closecur(f);
	f->next = i + 1;
	arrange(f, 0);
}

/* The end of the segment being read. */
static int
segend(struct flog *f)
{
	struct reader *c = &f->cur;
	size_t i = c->i;
	struct ex_catent *e = ent(f, i);
	struct stat st;

	if (ex_seg_bad(&c->s))
		badgz(f, &c->s, i, c->rec);
	if (newest(f, i) && !c->draining)
		return END;
	if (c->draining) {
		drained(f);
		return MORE;
	}
	if (!f->seg[i].counted) {
		/* numbered as it is read: now its count is known */
		e->count = c->rec;
		e->join = c->tailseen;
		f->seg[i].counted = 1;
		if (i + 1 < f->cat.n) {
			ent(f, i + 1)->first = e->first + e->count;
			f->seg[i + 1].numbered = 1;
		}
	} else if (c->limit != UINT64_MAX && c->got == c->limit &&
	    !c->s.isgz && fstat(c->s.fd, &st) == 0 &&
	    (uint64_t)st.st_size > c->limit)
		late(f);
	closecur(f);
	f->next = i + 1;
	return MORE;
}

/* The first offset of the oldest segment a file given holds, or the end. */
static uint64_t
firstpresent(const struct flog *f, uint64_t end)
{
	for (size_t i = 0; i < f->cat.n; i++)
		if (f->seg[i].file >= 0 && f->seg[i].numbered)
			return f->cat.e[i].first;
	return end;
}

/* The log ends before the start: the policy decides.  Nonzero if reading
 * starts over. */
static int
beyond(struct flog *f)
{
	uint64_t to;

	switch (f->policy) {
	case EX_LOG_LATEST:
		ex_warnx("%s is beyond the end of the log; -r latest: starting "
		    "at its end, offset %llu", f->from,
		    (unsigned long long)f->off);
		f->start = f->off;
		return 0;
	case EX_LOG_EARLIEST:
		to = firstpresent(f, f->off);
		ex_warnx("%s is beyond the end of the log, which ends at offset "
		    "%llu; -r earliest: starting at offset %llu", f->from,
		    (unsigned long long)f->off, (unsigned long long)to);
		f->start = to;
		closecur(f);
		f->carry.on = 0;
		plan(f);
		return 1;
	}
	fatal(f, EXIT_DATA, "%s is beyond the end of the log, which ends at "
	    "offset %llu", f->from, (unsigned long long)f->off);
}

/* The bytes before pos as the file holds them now (not its head, which
 * was read when it was opened). */
static int
checknow(struct reader *c, uint64_t pos, unsigned char h[EX_FP_HASH])
{
	char buf[EX_SEG_BACK];
	size_t n = pos < EX_SEG_BACK ? (size_t)pos : EX_SEG_BACK;

	if (pos == 0 || ex_seg_pread(&c->s, buf, n, pos - n) != (ssize_t)n)
		return -1;
	ex_seg_hash(buf, n, h);
	return 0;
}

static int
atend(struct flog *f)
{
	struct reader *c = &f->cur;

	if (!f->endchecked) {
		f->endchecked = 1;
		if (f->off < f->start && !f->tolatest && beyond(f))
			return MORE;
	}
	if (f->tolatest) {
		f->tolatest = 0;
		f->start = f->off;
	}
	f->waiting = 1;
	if ((f->flags & EX_LOG_FOLLOW) && c->open)
		c->hascheck = checknow(c, c->pos, c->check) == 0;
	return END;
}

/* ---- following (-F) ---------------------------------------------------- */

static void
snapshot(struct flog *f)
{
	if (!f->snap)
		f->snap = ex_malloc(((size_t)f->nnames + 1) * sizeof *f->snap);
	for (int i = 0; i < f->nnames; i++)
		if (stat(f->names[i], &f->snap[i]) < 0)
			memset(&f->snap[i], 0, sizeof f->snap[i]);
}

static int
samestat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int
arranged(const struct flog *f, const struct stat *st)
{
	for (size_t k = 0; k < f->nfile; k++)
		if (f->file[k].s.fid.ino == (uint64_t)st->st_ino &&
		    f->file[k].s.fid.dev == (uint64_t)st->st_dev)
			return 1;
	return 0;
}

/*
 * A name given holds, since it was last looked at, a file with content
 * that may be a segment not seen before.  While a segment is being read,
 * one that begins like a known segment does not count (a compressed copy
 * of an older one): the writer has not moved on.
 */
static int
newfile(struct flog *f)
{
	struct reader *c = &f->cur;
	struct stat st;
	struct ex_seg s;
	int fresh = 0;

	for (int i = 0; i < f->nnames && !fresh; i++) {
		if (stat(f->names[i], &st) < 0 || st.st_size == 0)
			continue;
		if (c->open && st.st_ino == c->s.st.st_ino &&
		    st.st_dev == c->s.st.st_dev)
			continue;
		if (samestat(&st, &f->snap[i]))
			continue;
		f->snap[i] = st;
		if (!c->open) {
			fresh = !arranged(f, &st);
			continue;
		}
		if (ex_seg_open(&s, f->names[i], 1) < 0)
			continue;
		fresh = s.nhead > 0 && !ex_segid_known(f->id, &s);
		ex_seg_close(&s);
	}
	return fresh;
}

/* What became of the segment being read since it was read to its end. */
static int
fate(struct flog *f)
{
	struct reader *c = &f->cur;
	struct stat now, path;
	unsigned char h[EX_FP_HASH];

	if (fstat(c->s.fd, &now) < 0)
		ex_die(EXIT_IO, "stat: %s", c->s.path);
	if (!c->s.isgz && S_ISREG(now.st_mode)) {
		if ((uint64_t)now.st_size > c->seen)
			c->seen = (uint64_t)now.st_size;
		if ((uint64_t)now.st_size < c->got || (c->hascheck &&
		    (checknow(c, c->pos, h) < 0 ||
		    memcmp(h, c->check, EX_FP_HASH) != 0)))
			return TRUNCATED;
	}
	/* renamed, and the writer has moved on to a new file of that name */
	if (stat(c->s.path, &path) == 0 && path.st_size > 0 &&
	    (path.st_ino != now.st_ino || path.st_dev != now.st_dev))
		return ROTATED;
	return newfile(f) ? ROTATED : SAME;
}

/* copytruncate: a file given, not the one being read, holds all that the
 * one being read held where reading it stopped.  Go on reading that one,
 * to its end.  Nonzero if there is one. */
static int
copyat(struct flog *f)
{
	struct reader *c = &f->cur;
	const struct ex_catent *e = ent(f, c->i);
	unsigned char h[EX_FP_HASH];
	uint64_t len, rec = c->rec;
	struct ex_seg s;

	for (int k = 0; k < f->nnames; k++) {
		if (ex_seg_open(&s, f->names[k], 1) < 0)
			continue;
		if (ex_fid_same(&s.fid, &c->s.fid) ||
		    !ex_seg_match(&s, e->fplen, e->fp) ||
		    (ex_seg_length(&s, &len) && len < c->pos) ||
		    (c->hascheck && ex_seg_check(&s, c->pos, h) == 0 &&
		    memcmp(h, c->check, EX_FP_HASH) != 0)) {
			ex_seg_close(&s);
			continue;
		}
		ex_rd_free(&c->r);
		ex_seg_close(&c->s);
		c->s = s;
		c->limit = UINT64_MAX;
		c->hascheck = 0;
		c->draining = 1;
		if (c->pos > 0 && ex_seg_seek(&c->s, c->pos) == 0) {
			c->base = c->got = c->pos;
			ex_rd_init_fill(&c->r, bounded, c, c->s.path);
		} else {
			/* a gzip copy: read it again up to there */
			c->base = c->got = c->pos = c->rec = 0;
			c->lead = haslead(f, c->i);
			ex_rd_init_fill(&c->r, bounded, c, c->s.path);
			skipto(f, c, rec);
		}
		c->plain = !c->lead;
		return 1;
	}
	return 0;
}

/*
 * The segment being read was truncated (copytruncate, or emptied) and no
 * file given holds its copy.  If it had been read as far as it was seen
 * to go, only what was written to it in that instant is unknown: warn and
 * go on.  If not, the rest is lost for certain and the policy decides.
 * Either way it is sealed where reading it stopped; a line it held
 * unfinished goes on in what is written next.
 */
static void
truncated(struct flog *f)
{
	struct reader *c = &f->cur;
	size_t i = c->i;
	const struct ex_catent *e = ent(f, i);
	int caught = c->got >= c->seen;
	const char *p;
	char last[64];
	size_t n = 0;

	if (copyat(f))
		return;
	lastread(e, e->first + c->rec, last, sizeof last);
	if (!caught && f->policy == EX_LOG_ERROR)
		fatal(f, EXIT_DATA, "%s: truncated before it was read to its "
		    "end, and %s: what it held after that is lost (%s; give the "
		    "file that copytruncate copies it to among the files given, "
		    "or -r earliest to go on from offset %llu)", c->s.path, last,
		    f->from, (unsigned long long)(e->first + c->rec));
	if (!caught)
		ex_warnx("%s: truncated before it was read to its end, and %s: "
		    "what it held after that is lost; -r %s: going on from "
		    "offset %llu", c->s.path, last, f->policy == EX_LOG_EARLIEST ?
		    "earliest" : "latest", (unsigned long long)(e->first + c->rec));
	else
		ex_warnx("%s: truncated, and %s: what was written to it in the "
		    "instant before is unknown; going on from offset %llu",
		    c->s.path, last, (unsigned long long)(e->first + c->rec));
	if (!caught && f->policy == EX_LOG_LATEST)
		f->tolatest = 1;
	/* behind, the bytes read of a line are of one that went on in what
	 * was lost; caught up, of one the writer had not finished */
	if (caught && (n = ex_rd_pending(&c->r, &p)) > 0) {
		uint64_t off = e->first + c->rec++;

		if (!f->tolatest && off >= f->start)
			setcarry(&f->carry, off, p, n);
		f->off = off + 1;
	}
	seal(f, i, c->rec, n > 0, c->pos + n, NULL);
	closecur(f);
	f->next = i + 1;
	arrange(f, 0);
}

/* After a wait: what changed, and what it means for reading. */
static void
look(struct flog *f)
{
	struct reader *c = &f->cur;

	if (!c->open) {
		if (newfile(f))
			arrange(f, 0);
		return;
	}
	switch (fate(f)) {
	case TRUNCATED:
		truncated(f);
		return;
	case ROTATED:
		c->draining = 1;
		break;
	}
	ex_rd_resume(&c->r);
}

/* ---- the interface ----------------------------------------------------- */

static void
fl_seek(struct ex_log *l, int have, uint64_t off, int policy, const char *from)
{
	struct flog *f = (struct flog *)l;

	f->have = have;
	f->start = have ? off : 0;
	f->policy = policy;
	free(f->from);
	f->from = ex_strjoin(from, "");
	arrange(f, 1);
	plan(f);
}

/* What the common case (fl_next) leaves for later: the offset of the next
 * record, and where the last one passed ends. */
static void
settle(struct flog *f)
{
	struct reader *c = &f->cur;

	if (!f->fast)
		return;
	f->off = c->first + c->rec;
	c->pos = c->base + c->r.consumed;
	f->fast = 0;
}

/* Everything but the common case, from a line already taken (rc, p, n)
 * or none (rc -1). */
static int
slow(struct flog *f, struct ex_log_rec *out, int rc, char *p, size_t n)
{
	struct reader *c = &f->cur;
	int r;

	if (rc < 0)
		settle(f);
	else if (f->fast) {
		f->off = c->first + c->rec;
		f->fast = 0;
	}
	if (f->waiting) {
		if (!(f->flags & EX_LOG_FOLLOW))
			return 0;
		f->waiting = 0;
		look(f);
	}
	for (;; rc = -1) {
		if (rc < 0 && !c->open)
			r = advance(f, out);
		else {
			if (rc < 0)
				rc = ex_rd_line(&c->r, &p, &n);
			r = rc == EX_RD_LINE ? line(f, p, n, out) :
			    rc == EX_RD_PARTIAL ? tail(f, p, n, out) : segend(f);
		}
		if (r == GOT || (r == END && atend(f) == END))
			break;
	}
	f->fast = c->open && c->plain && !f->waiting && !f->tolatest;
	return r == GOT;
}

/* The common case, which nearly every record takes, and no more: a
 * complete line of the segment being read, a record of its own, at or
 * after the start.  f->off and c->pos are brought up to date when slow
 * takes over. */
static int
fl_next(struct ex_log *l, struct ex_log_rec *out)
{
	struct flog *f = (struct flog *)l;
	struct reader *c = &f->cur;
	uint64_t before = c->r.consumed, off;
	char *p;
	size_t n;
	int rc;

	if (!f->fast)
		return slow(f, out, -1, NULL, 0);
	if ((rc = ex_rd_line(&c->r, &p, &n)) != EX_RD_LINE) {
		c->pos = c->base + before;
		return slow(f, out, rc, p, n);
	}
	off = c->first + c->rec++;
	if (c->base + c->r.consumed >= c->nextcp) {
		c->pos = c->base + c->r.consumed;
		checkpoint(f, c);
	}
	if (off < f->start)
		return slow(f, out, -1, NULL, 0);
	out->off = off;
	out->data = p;
	out->len = n;
	return 1;
}

/* The common case a buffer at a time: the whole lines the reader holds,
 * from the start on, are records of their own, one after another, and
 * are written in one call.  Anything else is fl_next's. */
static uint64_t
fl_copy(struct ex_log *l, struct ex_out *o, uint64_t max, int tagged,
    struct ex_log_span *sp)
{
	struct flog *f = (struct flog *)l;
	struct reader *c = &f->cur;
	uint64_t off = c->first + c->rec, k = max;
	const char *p;
	size_t n, used;

	if (f->fast && off >= f->start && (n = ex_rd_pending(&c->r, &p)) > 0 &&
	    (used = ex_out_lines(o, p, n, off, &k, tagged), k > 0)) {
		ex_rd_consume(&c->r, k, used);
		c->rec += k;
		if (c->base + c->r.consumed >= c->nextcp) {
			c->pos = c->base + c->r.consumed;
			checkpoint(f, c);
		}
		sp->first = off;
		sp->last = off + k - 1;
		sp->bytes = used;
		return k;
	}
	return ex_log_copy1(l, o, tagged, sp);
}

static void
fl_wait(struct ex_log *l, struct ex_log_wait *w)
{
	struct flog *f = (struct flog *)l;

	w->fd = -1;
	w->paths = f->names;
	w->npaths = f->nnames;
	w->ms = -1;
}

/* The offset after the newest complete record. */
static uint64_t
endof(struct flog *f)
{
	size_t i = f->cat.n;
	const struct ex_catent *e;
	struct ex_seg s;
	uint64_t n, len;
	int tail, leadonly;

	if (i-- == 0)
		return 0;
	e = ent(f, i);
	/* a last record that goes on in a segment not there yet is not
	 * complete */
	if (e->sealed)
		return e->first + e->count - (uint64_t)e->join;
	if (reopen(f, i, &s) < 0)
		return e->first + e->read;
	count(f, i, &s, &n, &tail, &leadonly, &len);
	ex_seg_close(&s);
	/* the newest segment's unfinished line is no record yet, nor is the
	 * one the segment before began if this one has no LF at all */
	return e->first + n - (leadonly && e->first > 0);
}

static int
fl_stand(struct ex_log *l, size_t i, struct ex_log_stand *st)
{
	struct flog *f = (struct flog *)l;
	char from[512];

	if (i > 0)
		return 0;
	memset(st, 0, sizeof *st);
	if (f->store && ex_store_read(f->store, &st->committed))
		st->hascommitted = 1;
	snprintf(from, sizeof from, "%s: committed offset %llu",
	    f->store ? ex_store_name(f->store) : "-",
	    (unsigned long long)st->committed);
	f->have = st->hascommitted;
	f->start = st->committed;
	f->policy = EX_LOG_ERROR;
	free(f->from);
	f->from = ex_strjoin(from, "");
	arrange(f, 0);
	st->end = endof(f);
	st->first = firstpresent(f, st->end);
	st->name = f->nnames ? f->names[0] : "-";
	for (size_t k = f->cat.n; k-- > 0;)
		if (f->seg[k].file >= 0) {
			st->name = fileof(f, k)->path;
			break;
		}
	return 1;
}

static void
fl_close(struct ex_log *l)
{
	struct flog *f = (struct flog *)l;
	uint64_t *firsts;
	size_t n = 0;

	settle(f);
	closecur(f);
	if (f->keep) {
		save(f);
		/* checkpoints of the segments given only: the index does not
		 * grow with every segment logrotate ever deleted */
		firsts = ex_malloc((f->cat.n + 1) * sizeof *firsts);
		for (size_t i = 0; i < f->cat.n; i++)
			if (f->seg[i].file >= 0)
				firsts[n++] = f->cat.e[i].first;
		ex_idx_keep(&f->idx, firsts, n);
		free(firsts);
		ex_idx_save(&f->idx, f->idxpath);
	}
	ex_cat_free(&f->cat);
	ex_idx_free(&f->idx);
	ex_segid_free(f->id);
	freefiles(f);
	free(f->seg);
	free(f->snap);
	free(f->carry.buf);
	free(f->catpath);
	free(f->idxpath);
	free(f->from);
	free(f);
}

static const struct ex_log_ops ops = {
	fl_seek, fl_next, fl_wait, fl_stand, fl_close, fl_copy
};

struct ex_log *
ex_filelog_open(char *const *names, int n, struct ex_store *store, int flags)
{
	struct flog *f = ex_malloc(sizeof *f);
	const char *path = store ? ex_store_path(store) : NULL;

	memset(f, 0, sizeof *f);
	f->base.ops = &ops;
	f->flags = flags;
	f->names = names;
	f->nnames = n;
	f->store = store;
	f->keep = path && !(flags & EX_LOG_LIST);
	f->upfront = path || (flags & (EX_LOG_FOLLOW | EX_LOG_LIST));
	f->from = ex_strjoin("the start", "");
	if (path) {
		f->catpath = ex_strjoin(path, ".seg");
		f->idxpath = ex_strjoin(path, ".idx");
		ex_cat_load(&f->cat, f->catpath);
		ex_idx_load(&f->idx, f->idxpath);
		if (f->keep) {
			/* we are their one writer now: a crash's leftovers go */
			ex_sweep_tmp(f->catpath);
			ex_sweep_tmp(f->idxpath);
		}
	}
	f->segcap = f->cat.n + 16;
	f->seg = ex_malloc(f->segcap * sizeof *f->seg);
	for (size_t i = 0; i < f->cat.n; i++)
		f->seg[i] = (struct fseg){ -1, 1, f->cat.e[i].sealed };
	return &f->base;
}
