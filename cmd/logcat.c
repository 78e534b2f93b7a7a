/*
 * logcat — read a log from a committed offset and write tagged records,
 * "OFFSET<TAB>PAYLOAD<LF>" (DESIGN.md sections 1 and 3).
 *
 * The files given are the segments of one log, plain or gzip (known by
 * magic bytes).  A segment is known by its content — the hash of its first
 * bytes (seg.h) — not by its name, so after logrotate renames, compresses
 * or deletes files every record keeps its offset.  With -o, what that
 * takes is kept beside the offset file: the catalogue of segments
 * (segcat.h: state, durable) and the resume index (idx.h: a cache).
 * Segments the catalogue does not know yet are newer than all it knows,
 * in the order of their modification times.
 *
 * Invariants:
 *  - A record's offset never changes: a segment's first offset is written
 *    durably to the catalogue before any of its records is written out,
 *    and it is fixed once the segment before it is sealed (a newer one
 *    follows it), never reassigned.  The one exception is said aloud: a
 *    newest segment deleted or truncated before logcat read it to its end
 *    has an unknown length, and newer segments go on from the committed
 *    offset, with a warning.
 *  - -F keeps the newest segment open and moves on only once the writer
 *    has (a new file of its name holds something), after reading the old
 *    one to its end.
 *  - A record is written whole or not at all.  The unterminated last line
 *    of the newest segment is still being written and is held back; the
 *    last line of an older segment is complete with or without its LF.
 *  - Nothing is skipped quietly: an offset beyond the end of the log or in
 *    a segment that is gone follows -r, by default an error (exit 65)
 *    saying which offsets are gone.  Bad gzip data is an error after
 *    everything before it was delivered.
 *  - logcat never writes the offset file; it reads it under the
 *    consumer's lock, which the commit of its own pipeline shares.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "idx.h"
#include "out.h"
#include "rd.h"
#include "seg.h"
#include "segcat.h"
#include "store.h"
#include "tag.h"

enum { R_ERROR, R_EARLIEST, R_LATEST };

#define CAT_KEEP 4096 /* segments the catalogue keeps, at least */
enum { GO_ON, STOP };

struct opts {
	const char *ofile;  /* -o */
	const char *soff;   /* -s, as given */
	uint64_t limit;     /* -n, or UINT64_MAX */
	int tagged;         /* not -p */
	int recover;        /* -r */
	int verbose;        /* -v */
	int follow;         /* -F */
	int pollms;         /* -F: poll this often instead of inotify */
};

/* A segment of the log as this run sees it. */
struct lseg {
	struct ex_seg s;    /* the open file, when present */
	int present;        /* some file given holds it */
	int argi;           /* its place among the arguments */
	long long rank;     /* age told by its name, for equal mtimes */
	int ci;             /* its catalogue entry, or -1 */
	uint64_t first;     /* offset of its first record */
	uint64_t count;     /* its records, when sealed */
	int sealed;
};

struct run {
	const struct opts *o;
	struct ex_store *store; /* -o, locked for the whole run */
	uint64_t start;     /* first offset to write */
	uint64_t left;      /* records still to write */
	uint64_t off;       /* offset of the next record of the log */
	uint64_t nrec, bytes, first, last;
	char from[512];     /* where start came from, for messages */
	struct ex_out out;
	struct ex_cat cat;
	struct ex_idx idx;
	int catdirty;
	struct lseg *seg;
	size_t nseg;
	char *catpath, *idxpath;
	/* the segment being read, kept open at the end of the log by -F */
	struct {
		struct lseg *l;
		struct ex_rd r;
		uint64_t rec;    /* records of it passed so far */
		uint64_t base;   /* byte position the reader started at */
		uint64_t pos;    /* byte position after the last record */
		uint64_t nextcp; /* where the next checkpoint is due */
		int open;
	} cur;
	struct stat *snap;  /* -F: the files as they were last arranged */
};

/* Set by SIGTERM and SIGINT under -F: finish what was read, then exit 0.
 * A signal handler can only tell the loop through a global. */
static volatile sig_atomic_t stopsig;

static void
usage(const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", ex_prog, why);
	fprintf(stderr, "usage: %s [-Fpv] [-n count] [-o offsetfile | -s offset] "
	    "[-r earliest|latest|error] file ...\n", ex_prog);
	exit(EXIT_USAGE);
}

/*
 * A reader of a 64 KiB pipe is woken every 64 KiB; with a 1 MiB pipe
 * logcat and its reader each run for longer stretches, which matters as
 * much as anything logcat does per record.  Best effort: a pipe that may
 * not grow (pipe-max-size, the user's pipe quota) stays as it is.
 */
static void
bigpipe(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1024 * 1024);
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
	const struct lseg *x = a, *y = b;
	const struct timespec *tx = &x->s.st.st_mtim, *ty = &y->s.st.st_mtim;

	if (tx->tv_sec != ty->tv_sec)
		return tx->tv_sec < ty->tv_sec ? -1 : 1;
	if (tx->tv_nsec != ty->tv_nsec)
		return tx->tv_nsec < ty->tv_nsec ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->argi - y->argi;
}

/* The hash of the up to EX_IDX_BACK bytes before pos in a plain file. */
static int
checkhash(struct ex_seg *s, uint64_t pos, unsigned char out[EX_FP_HASH])
{
	char buf[EX_IDX_BACK];
	size_t n = pos < EX_IDX_BACK ? (size_t)pos : EX_IDX_BACK;

	if (ex_seg_pread(s, buf, n, pos - n) != (ssize_t)n)
		return -1;
	if (n > 0 && buf[n - 1] != '\n')
		return -1;
	ex_seg_hash(buf, n, out);
	return 0;
}

/* Remember that record rec of segment l starts at byte pos. */
static void
checkpoint(struct run *u, struct lseg *l, uint64_t rec, uint64_t pos)
{
	unsigned char h[EX_FP_HASH];

	if (u->o->ofile && pos >= EX_IDX_MIN && checkhash(&l->s, pos, h) == 0)
		ex_idx_put(&u->idx, l->first, rec, pos, h);
}

/*
 * Start reading segment l at its record rec or the nearest checkpoint
 * before it.  Returns the record the reader is at; *base is the byte
 * position it starts from.
 */
static uint64_t
seekrec(struct run *u, struct lseg *l, uint64_t rec, uint64_t *base)
{
	const struct ex_idxent *cp;
	unsigned char h[EX_FP_HASH];

	*base = 0;
	if (rec == 0 || !(cp = ex_idx_find(&u->idx, l->first, rec)))
		return 0;
	if ((uint64_t)l->s.st.st_size < cp->pos ||
	    checkhash(&l->s, cp->pos, h) < 0 ||
	    memcmp(h, cp->check, EX_FP_HASH) != 0 ||
	    ex_seg_seek(&l->s, cp->pos) < 0) {
		ex_idx_drop(&u->idx, l->first); /* stale */
		return 0;
	}
	*base = cp->pos;
	return cp->rec;
}

/* Skip up to n records of r, leaving checkpoints on the way. */
static uint64_t
skip(struct run *u, struct lseg *l, struct ex_rd *r, uint64_t rec,
    uint64_t base, uint64_t n)
{
	uint64_t done = 0, k;

	while (done < n) {
		k = ex_rd_skip(r, n - done < 65536 ? n - done : 65536);
		done += k;
		if (k == 0)
			break;
		checkpoint(u, l, rec + done, base + r->consumed);
	}
	return done;
}

static _Noreturn void
badgz(struct run *u, struct lseg *l, uint64_t rec)
{
	ex_out_flush(&u->out);
	ex_diex(EXIT_DATA, "%s: bad gzip data after %llu records of the file "
	    "(log offset %llu): %s", l->s.path, (unsigned long long)rec,
	    (unsigned long long)(l->first + rec), ex_seg_bad(&l->s));
}

/* Count the records of a present segment to its end: it is being sealed. */
static uint64_t
countrecs(struct run *u, struct lseg *l)
{
	struct ex_rd r;
	uint64_t base, rec;
	char *line;
	size_t len;

	ex_rd_init_fill(&r, ex_seg_read, &l->s, l->s.path);
	rec = seekrec(u, l, UINT64_MAX, &base);
	rec += skip(u, l, &r, rec, base, UINT64_MAX);
	if (ex_seg_bad(&l->s))
		badgz(u, l, rec);
	/* an older segment's unterminated last line is a record */
	if (ex_rd_line(&r, &line, &len) == EX_RD_PARTIAL)
		rec++;
	if (ex_seg_bad(&l->s))
		badgz(u, l, rec);
	ex_rd_free(&r);
	/* read again from the start when its records are written */
	ex_seg_close(&l->s);
	if (ex_seg_open(&l->s, l->s.path, 1) < 0)
		l->present = 0; /* rotated away meanwhile */
	return rec;
}

/* Offsets from..to-1 are gone: -r says what to do.  Returns the offset to
 * go on from (UINT64_MAX: the end of the log). */
static uint64_t
gone(struct run *u, uint64_t from, uint64_t to, int known)
{
	char what[128];

	if (known)
		snprintf(what, sizeof what, "offsets %llu-%llu (%llu records)",
		    (unsigned long long)from, (unsigned long long)(to - 1),
		    (unsigned long long)(to - from));
	else
		snprintf(what, sizeof what, "offsets from %llu on",
		    (unsigned long long)from);
	switch (u->o->recover) {
	case R_EARLIEST:
		ex_warnx("%s are gone: their segment is no longer among the "
		    "files given; -r earliest: skipping them", what);
		return known ? to : UINT64_MAX;
	case R_LATEST:
		ex_warnx("%s are gone: their segment is no longer among the "
		    "files given; -r latest: starting after the newest record",
		    what);
		return UINT64_MAX;
	}
	ex_out_flush(&u->out);
	ex_diex(EXIT_DATA, "%s are gone: their segment is no longer among the "
	    "files given (%s; -r earliest or latest to go on)", what, u->from);
}

/* Is a the same segment as b (and the one to drop)?  later: a comes
 * after b among the arguments. */
static int
samecontent(const struct ex_seg *a, const struct ex_seg *b, int later)
{
	if (a->nhead > b->nhead || memcmp(a->head, b->head, a->nhead) != 0)
		return 0;
	if (ex_seg_bad(b))
		return 0;
	if (ex_seg_bad(a))
		return a->nhead > 0;
	if (a->nhead < b->nhead)
		return 0;
	if (a->st.st_dev == b->st.st_dev && a->st.st_ino == b->st.st_ino)
		return later;
	if (a->nhead < EX_FP_LEN)
		return 0;
	if ((a->gz != NULL) != (b->gz != NULL))
		return a->gz != NULL;
	return later;
}

/*
 * Put the files in log order and number their segments: the catalogue's
 * segments first, in its order, whether or not a file still holds them,
 * then new ones by age.  A segment followed by a newer one is sealed, its
 * records counted.  New numbers are made durable before anything is read.
 */
static void
arrange(struct run *u, char **files, int nfiles)
{
	struct lseg *f = ex_malloc((size_t)nfiles * sizeof *f), *l;
	size_t nf = 0, nnew, i, j;
	struct ex_cat *c = &u->cat;

	for (i = 0; i < u->nseg; i++)
		if (u->seg[i].present)
			ex_seg_close(&u->seg[i].s);
	free(u->seg);

	for (i = 0; i < (size_t)nfiles; i++) {
		l = &f[nf];
		memset(l, 0, sizeof *l);
		if (ex_seg_open(&l->s, files[i], u->o->follow) < 0)
			continue; /* -F: not there yet */
		if (l->s.nhead == 0 && !ex_seg_bad(&l->s)) {
			ex_seg_close(&l->s); /* empty: not a segment yet */
			continue;
		}
		l->present = 1;
		l->argi = (int)i;
		l->rank = rank(files[i]);
		l->ci = -1;
		nf++;
	}
	/* one content under two names is one segment: a file given twice,
	 * a hard link, or, while logrotate compresses, "log.1" and a growing
	 * "log.1.gz": keep the plain one, and drop a gzip cut short that
	 * begins like another file */
	for (i = 0; i < nf; i++)
		for (j = 0; j < nf && f[i].ci != -2; j++)
			if (i != j && f[j].ci != -2 &&
			    samecontent(&f[i].s, &f[j].s, i > j))
				f[i].ci = -2;
	/* known segments, newest first, each taking the largest matching
	 * file; other files with the same content are the same segment */
	for (i = c->n; i-- > 0;) {
		struct ex_catent *e = &c->e[i];
		long best = -1;

		for (j = 0; j < nf; j++) {
			if (f[j].ci != -1 ||
			    !ex_seg_match(&f[j].s, e->fplen, e->fp))
				continue;
			if (best < 0)
				best = (long)j;
			else if (f[j].s.st.st_size > f[best].s.st.st_size) {
				f[best].ci = -2;
				best = (long)j;
			} else
				f[j].ci = -2;
		}
		if (best < 0)
			continue;
		f[best].ci = (int)i;
		if (f[best].s.nhead > e->fplen && !e->sealed) {
			e->fplen = f[best].s.nhead;
			ex_seg_hash(f[best].s.head, e->fplen, e->fp);
			u->catdirty = 1;
		}
	}
	u->seg = ex_malloc((c->n + nf) * sizeof *u->seg);
	u->nseg = 0;
	for (i = 0; i < c->n; i++) {
		l = &u->seg[u->nseg++];
		memset(l, 0, sizeof *l);
		l->ci = (int)i;
		l->s.fd = -1;
		for (j = 0; j < nf; j++)
			if (f[j].ci == (int)i) {
				*l = f[j];
				break;
			}
		l->first = c->e[i].first;
		l->count = c->e[i].count;
		l->sealed = c->e[i].sealed;
	}
	for (j = 0; j < nf; j++)
		if (f[j].ci == -2)
			ex_seg_close(&f[j].s);
	nnew = 0;
	for (j = 0; j < nf; j++)
		if (f[j].ci == -1)
			f[nnew++] = f[j];
	qsort(f, nnew, sizeof *f, older);
	for (j = 0; j < nnew; j++)
		u->seg[u->nseg++] = f[j];
	free(f);

	/* seal and number */
	for (i = 0; i < u->nseg; i++) {
		struct lseg *p = i ? &u->seg[i - 1] : NULL;

		l = &u->seg[i];
		if (l->ci < 0) {
			struct ex_catent *e;

			if (ex_seg_bad(&l->s) && (u->o->ofile || u->o->follow))
				ex_diex(EXIT_DATA, "%s: bad gzip data in its first "
				    "%zu bytes, so it cannot be numbered: %s",
				    l->s.path, l->s.nhead, ex_seg_bad(&l->s));
			l->first = p ? p->first + p->count : 0;
			if (p && p->first == UINT64_MAX)
				l->first = UINT64_MAX;
			if (u->o->ofile || u->o->follow) {
				e = ex_cat_add(c);
				e->first = l->first;
				e->fplen = l->s.nhead;
				ex_seg_hash(l->s.head, e->fplen, e->fp);
				l->ci = (int)(c->n - 1);
				u->catdirty = 1;
			}
		}
		if (l->sealed || i == u->nseg - 1)
			continue;
		if (!u->o->ofile && !u->o->follow) {
			/* nothing to keep: numbered as it is read */
			l->first = UINT64_MAX;
			continue;
		}
		if (l->present)
			l->count = countrecs(u, l);
		else {
			/* gone (deleted, or truncated and regrown) before it
			 * was read to its end: it held at least what was read
			 * and committed of it */
			const struct ex_idxent *cp = ex_idx_find(&u->idx,
			    l->first, UINT64_MAX);
			uint64_t least = cp ? cp->rec : 0;

			if (u->start > l->first && u->start - l->first > least)
				least = u->start - l->first;
			if (least == 0 && u->o->recover == R_ERROR) {
				ex_diex(EXIT_DATA, "the segment holding offsets "
				    "from %llu on is gone with none of it "
				    "committed: how many records it held is unknown "
				    "(%s; -r earliest or latest to number newer "
				    "segments from offset %llu)",
				    (unsigned long long)l->first, u->from,
				    (unsigned long long)l->first);
			}
			if (least == 0)
				ex_warnx("the segment holding offsets from %llu "
				    "on is gone with none of it committed; newer "
				    "segments are numbered from offset %llu",
				    (unsigned long long)l->first,
				    (unsigned long long)l->first);
			else
				ex_warnx("the segment holding offsets from %llu "
				    "on is gone (deleted, or truncated) before it "
				    "was read to its end: what was written to it "
				    "after offset %llu is unknown; newer segments "
				    "are numbered from offset %llu",
				    (unsigned long long)l->first,
				    (unsigned long long)(l->first + least - 1),
				    (unsigned long long)(l->first + least));
			l->count = least;
		}
		l->sealed = 1;
		if (l->ci >= 0) {
			c->e[l->ci].count = l->count;
			c->e[l->ci].sealed = 1;
			u->catdirty = 1;
		}
	}
	/* segments wholly before the start and gone are history, but a later
	 * run may be given their files again: forget only the oldest of
	 * very many */
	for (i = 0; u->nseg > CAT_KEEP && i + CAT_KEEP < u->nseg &&
	    !u->seg[i].present && u->seg[i].sealed &&
	    u->seg[i].first + u->seg[i].count <= u->start; i++)
		;
	if (u->o->ofile && i > 0 && u->catdirty) {
		memmove(c->e, c->e + i, (c->n - i) * sizeof *c->e);
		c->n -= i;
		memmove(u->seg, u->seg + i, (u->nseg - i) * sizeof *u->seg);
		u->nseg -= i;
		for (j = 0; j < u->nseg; j++)
			u->seg[j].ci -= (int)i;
		ex_idx_prune(&u->idx, c->n ? c->e[0].first : 0);
	}
	if (u->o->ofile && u->catdirty)
		ex_cat_save(c, u->catpath);
	u->catdirty = 0;
}

/* Open segment l for reading at the record that u->start asks for. */
static void
segopen(struct run *u, struct lseg *l)
{
	uint64_t want;

	u->cur.l = l;
	u->cur.rec = u->cur.base = 0;
	u->cur.open = 1;
	ex_rd_init_fill(&u->cur.r, ex_seg_read, &l->s, l->s.path);
	if (u->start > l->first) {
		want = u->start - l->first;
		u->cur.rec = seekrec(u, l, want, &u->cur.base);
		u->cur.rec += skip(u, l, &u->cur.r, u->cur.rec, u->cur.base,
		    want - u->cur.rec);
	}
	u->cur.pos = u->cur.base + u->cur.r.consumed;
	u->cur.nextcp = u->cur.pos + EX_IDX_GAP;
	u->off = l->first + u->cur.rec;
}

/*
 * Write the records of the open segment until its end.  With last, an
 * unterminated line there is still being written and is held back.
 * Returns STOP when -n is used up or the reader of stdout went away.
 */
static int
pump(struct run *u, int last)
{
	struct lseg *l = u->cur.l;
	struct ex_rd *r = &u->cur.r;
	char *line;
	size_t len;
	int rc;

	while ((rc = ex_rd_line(r, &line, &len)) != EX_RD_EOF) {
		/* still being written, or cut short by bad data */
		if (rc == EX_RD_PARTIAL &&
		    ((last && !l->sealed) || ex_seg_bad(&l->s)))
			break;
		if (l->sealed && u->cur.rec >= l->count) {
			/* written after it was sealed: its offsets are taken */
			ex_warnx("%s: lines written after a newer segment "
			    "followed it (at offset %llu) are not delivered",
			    l->s.path, (unsigned long long)u->off);
			break;
		}
		if (u->off >= u->start) {
			if (u->left == 0)
				return STOP;
			ex_out_rec(&u->out, u->off, line, len, u->o->tagged);
			if (u->nrec++ == 0)
				u->first = u->off;
			u->last = u->off;
			u->bytes += len + (rc == EX_RD_LINE);
			u->left--;
		}
		u->off++;
		u->cur.rec++;
		if (rc == EX_RD_LINE) {
			u->cur.pos = u->cur.base + r->consumed;
			if (u->cur.pos >= u->cur.nextcp) {
				checkpoint(u, l, u->cur.rec, u->cur.pos);
				u->cur.nextcp = u->cur.pos + EX_IDX_GAP;
			}
		}
		if (u->off > u->start && (u->left == 0 || u->out.broken ||
		    stopsig))
			return STOP;
	}
	if (ex_seg_bad(&l->s))
		badgz(u, l, u->cur.rec);
	return GO_ON;
}

static void
segclose(struct run *u)
{
	if (!u->cur.open)
		return;
	if (u->o->ofile)
		checkpoint(u, u->cur.l, u->cur.rec, u->cur.pos);
	ex_rd_free(&u->cur.r);
	ex_seg_close(&u->cur.l->s);
	u->cur.open = 0;
}

/* Read segment l from the record that u->start asks for.  Returns STOP
 * when -n is used up or the reader of stdout went away.  Under -F the
 * newest segment stays open at its end. */
static int
segment(struct run *u, struct lseg *l, int last)
{
	int ret;

	segopen(u, l);
	ret = pump(u, last);
	if (!(ret == GO_ON && last && u->o->follow))
		segclose(u);
	return ret;
}

/* Read the log from u->start.  Returns STOP, or GO_ON at its end. */
static int
readlog(struct run *u)
{
	struct lseg *l;
	uint64_t to;

	u->off = u->nseg && u->seg[0].first != UINT64_MAX ? u->seg[0].first : 0;
	for (size_t i = 0; i < u->nseg; i++) {
		l = &u->seg[i];
		if (l->first == UINT64_MAX)
			l->first = u->off; /* numbered as it is read */
		u->off = l->first;
		if (l->sealed && l->first + l->count <= u->start) {
			u->off = l->first + l->count;
			ex_seg_close(&l->s);
			continue;
		}
		if (!l->present) {
			/* the records from max(start, first) are gone */
			uint64_t from = u->start > l->first ? u->start : l->first;

			to = gone(u, from, l->first + l->count, l->sealed);
			if (to == UINT64_MAX)
				u->start = UINT64_MAX;
			else
				u->start = to;
			u->off = l->sealed ? l->first + l->count : from;
			continue;
		}
		if (segment(u, l, i == u->nseg - 1) == STOP) {
			for (i++; i < u->nseg; i++)
				ex_seg_close(&u->seg[i].s);
			return STOP;
		}
	}
	if (u->start == UINT64_MAX)
		u->start = u->off; /* -r latest: after the newest record */
	return GO_ON;
}

static void
onsig(int sig)
{
	stopsig = sig;
}

/* Watch the directories of the files: a directory's watch also reports
 * writes to the files in it, renames and creations.  -1 if inotify is not
 * to be had: then logcat polls. */
static int
watch(char **files, int nfiles)
{
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), n = 0;

	if (fd < 0)
		return -1;
	for (int i = 0; i < nfiles; i++) {
		const char *slash = strrchr(files[i], '/');
		char dir[4096];

		if (!slash)
			strcpy(dir, ".");
		else
			snprintf(dir, sizeof dir, "%.*s", slash == files[i] ? 1 :
			    (int)(slash - files[i]), files[i]);
		if (inotify_add_watch(fd, dir, IN_MODIFY | IN_CREATE |
		    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB) >= 0)
			n++;
	}
	if (n == 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Wait until something may have changed, up to ms, or a signal.  Returns
 * nonzero when the reader of stdout has gone away: a follower that has
 * nothing to write would not learn it from a write, and would linger.
 */
static int
waitchange(int ifd, int ms)
{
	struct pollfd p[2] = {
		{ .fd = STDOUT_FILENO, .events = 0 },
		{ .fd = ifd, .events = POLLIN },
	};
	char buf[4096];

	if (poll(p, ifd >= 0 ? 2 : 1, ms) < 0 && errno != EINTR)
		ex_die(EXIT_IO, "poll");
	if (ifd >= 0)
		while (read(ifd, buf, sizeof buf) > 0)
			;
	return (p[0].revents & (POLLERR | POLLHUP)) != 0;
}

enum { SAME, ROTATED, TRUNCATED };

/* What became of the newest segment since it was last read to its end. */
static int
fate(struct run *u, const unsigned char check[EX_FP_HASH])
{
	struct ex_seg *s = &u->cur.l->s;
	struct stat now, path;
	unsigned char h[EX_FP_HASH];

	if (fstat(s->fd, &now) < 0)
		ex_die(EXIT_IO, "stat: %s", s->path);
	if ((uint64_t)now.st_size < u->cur.pos ||
	    (u->cur.pos >= 1 && (checkhash(s, u->cur.pos, h) < 0 ||
	    memcmp(h, check, EX_FP_HASH) != 0)))
		return TRUNCATED;
	/* renamed, and the writer has moved on to a new file of that name */
	if (stat(s->path, &path) == 0 && path.st_size > 0 &&
	    (path.st_ino != now.st_ino || path.st_dev != now.st_dev))
		return ROTATED;
	return SAME;
}

/* Remember what the files given are now, to see later that one changed. */
static void
snapshot(struct run *u, char **files, int nfiles)
{
	if (!u->snap)
		u->snap = ex_malloc((size_t)nfiles * sizeof *u->snap);
	for (int i = 0; i < nfiles; i++)
		if (stat(files[i], &u->snap[i]) < 0)
			memset(&u->snap[i], 0, sizeof u->snap[i]);
}

/* Nonzero if s begins like a segment of the catalogue. */
static int
known(const struct run *u, const struct ex_seg *s)
{
	for (size_t i = 0; i < u->cat.n; i++)
		if (ex_seg_match(s, u->cat.e[i].fplen, u->cat.e[i].fp))
			return 1;
	return 0;
}

/* A file given has changed since it was last looked at and holds a
 * segment not seen before.  The open segment's own file (renamed, say)
 * does not count, nor does a copy of a known segment. */
static int
newfile(struct run *u, char **files, int nfiles)
{
	struct stat st, *was;
	struct ex_seg s;
	int fresh = 0;

	for (int i = 0; i < nfiles && !fresh; i++) {
		was = &u->snap[i];
		if (stat(files[i], &st) < 0 || st.st_size == 0)
			continue;
		if (u->cur.open && st.st_ino == u->cur.l->s.st.st_ino &&
		    st.st_dev == u->cur.l->s.st.st_dev)
			continue;
		if (st.st_ino == was->st_ino && st.st_dev == was->st_dev &&
		    st.st_size == was->st_size &&
		    st.st_mtim.tv_sec == was->st_mtim.tv_sec &&
		    st.st_mtim.tv_nsec == was->st_mtim.tv_nsec)
			continue;
		*was = st;
		if (ex_seg_open(&s, files[i], 1) < 0)
			continue;
		fresh = s.nhead > 0 && !known(u, &s);
		ex_seg_close(&s);
	}
	return fresh;
}

/*
 * -F: at the end of the log, wait for more and write it as it comes.  The
 * newest segment stays open.  When a new file of its name has content (a
 * create-style rotation, the writer moved on), the old one is read to its
 * end and sealed; when it was truncated (copytruncate), what it held is
 * read from its copy if that is among the files given.  Either way the
 * files are arranged again and reading goes on at the next offset.
 */
static void
follow(struct run *u, char **files, int nfiles)
{
	unsigned char check[EX_FP_HASH];
	int ifd = u->o->pollms ? -1 : watch(files, nfiles), what;
	int ms = ifd >= 0 ? 1000 : u->o->pollms ? u->o->pollms : 100;

	snapshot(u, files, nfiles);
	for (;;) {
		if (ex_out_flush(&u->out) < 0)
			return;
		if (u->cur.open && u->cur.pos >= 1 &&
		    checkhash(&u->cur.l->s, u->cur.pos, check) < 0)
			memset(check, 0, sizeof check);
		if (stopsig)
			return;
		if (waitchange(ifd, ms) || stopsig)
			return;
		what = u->cur.open ? fate(u, check) : SAME;
		/* a new file with content: the open one (say, the copy that
		 * copytruncate made) has all it will get */
		if (what == SAME && newfile(u, files, nfiles))
			what = ROTATED;
		if (what == SAME) {
			if (u->cur.open) {
				ex_rd_resume(&u->cur.r);
				if (pump(u, 1) == STOP)
					return;
			}
			continue;
		}
		if (u->cur.open && what == ROTATED) {
			/* the old file has all it will get: finish it */
			struct lseg *l = u->cur.l;

			ex_rd_resume(&u->cur.r);
			if (pump(u, 0) == STOP)
				return;
			l->count = u->cur.rec;
			l->sealed = 1;
			if (l->ci >= 0) {
				struct ex_catent *e = &u->cat.e[l->ci];
				char head[EX_FP_LEN];
				ssize_t n;

				/* it may have been short when it was numbered:
				 * know it by all the bytes it begins with now */
				n = ex_seg_pread(&l->s, head, sizeof head, 0);
				if (n > 0 && (size_t)n > e->fplen) {
					e->fplen = (size_t)n;
					ex_seg_hash(head, e->fplen, e->fp);
				}
				e->count = l->count;
				e->sealed = 1;
				u->catdirty = 1;
			}
		}
		segclose(u);
		u->start = u->off;
		snapshot(u, files, nfiles);
		arrange(u, files, nfiles);
		if (readlog(u) == STOP)
			return;
	}
}

/* Keep checkpoints of the segments present only, so the index does not
 * grow with every segment logrotate ever deleted. */
static void
forget(struct run *u)
{
	size_t i = 0, k;

	while (i < u->idx.n) {
		uint64_t first = u->idx.e[i].first;

		for (k = 0; k < u->nseg; k++)
			if (u->seg[k].present && u->seg[k].first == first)
				break;
		if (k == u->nseg)
			ex_idx_drop(&u->idx, first); /* moves the rest down */
		else
			i++;
	}
}

static void
summary(const struct run *u)
{
	if (u->nrec == 0)
		ex_summary("0 records, 0 bytes, at offset %llu",
		    (unsigned long long)u->start);
	else
		ex_summary("%llu records, %llu bytes, offsets %llu-%llu",
		    (unsigned long long)u->nrec, (unsigned long long)u->bytes,
		    (unsigned long long)u->first, (unsigned long long)u->last);
}

int
main(int argc, char *argv[])
{
	struct opts o = { .limit = UINT64_MAX, .tagged = 1 };
	struct run u;
	const char *why;
	int c;

	ex_setprog(argv[0]);
	ex_elapsed();
	memset(&u, 0, sizeof u);
	u.o = &o;
	while ((c = getopt(argc, argv, "Fn:o:pr:s:v")) != -1) {
		switch (c) {
		case 'F':
			o.follow = 1;
			break;
		case 'n':
			if ((why = ex_off_parse(optarg, strlen(optarg), &o.limit)))
				usage("-n: count must be a decimal number "
				    "without sign or leading zeros");
			break;
		case 'o':
			o.ofile = optarg;
			break;
		case 'p':
			o.tagged = 0;
			break;
		case 'r':
			if (strcmp(optarg, "error") == 0)
				o.recover = R_ERROR;
			else if (strcmp(optarg, "earliest") == 0)
				o.recover = R_EARLIEST;
			else if (strcmp(optarg, "latest") == 0)
				o.recover = R_LATEST;
			else
				usage("-r: expected earliest, latest or error");
			break;
		case 's':
			if ((why = ex_off_parse(optarg, strlen(optarg), &u.start))) {
				fprintf(stderr, "%s: -s %s: %s\n", ex_prog, optarg,
				    why);
				usage(NULL);
			}
			o.soff = optarg;
			break;
		case 'v':
			o.verbose = 1;
			break;
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (o.ofile && o.soff)
		usage("-o and -s both say where to start: give one");
	if (argc == 0)
		usage("no log file given");

	if (o.ofile) {
		u.store = ex_store_open(o.ofile, 0);
		if (!ex_store_read(u.store, &u.start))
			u.start = 0;
		snprintf(u.from, sizeof u.from, "%s: committed offset %llu",
		    o.ofile, (unsigned long long)u.start);
		u.catpath = ex_strjoin(o.ofile, ".seg");
		u.idxpath = ex_strjoin(o.ofile, ".idx");
		ex_cat_load(&u.cat, u.catpath);
		ex_idx_load(&u.idx, u.idxpath);
	} else
		snprintf(u.from, sizeof u.from, "-s %llu: offset",
		    (unsigned long long)u.start);

	if (o.follow) {
		struct sigaction sa;
		const char *env = getenv("LOGCAT_POLL");
		uint64_t ms;

		/* inotify does not see changes made on another machine (NFS) */
		if (env && *env) {
			if (ex_off_parse(env, strlen(env), &ms) || ms == 0 ||
			    ms > 60000)
				ex_diex(EXIT_USAGE, "LOGCAT_POLL=%s: expected "
				    "milliseconds, 1 to 60000", env);
			o.pollms = (int)ms;
		}

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = onsig; /* no SA_RESTART: poll returns at once */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	u.left = o.limit;
	ex_out_init(&u.out, STDOUT_FILENO, "stdout");
	bigpipe(STDOUT_FILENO);
	arrange(&u, argv, argc);
	if (readlog(&u) == GO_ON && u.off < u.start) {
		switch (o.recover) {
		case R_ERROR:
			ex_diex(EXIT_DATA, "%s is beyond the end of the log, "
			    "which ends at offset %llu", u.from,
			    (unsigned long long)u.off);
		case R_LATEST:
			ex_warnx("%s is beyond the end of the log; -r latest: "
			    "starting at its end, offset %llu", u.from,
			    (unsigned long long)u.off);
			u.start = u.off;
			break;
		case R_EARLIEST:
			ex_warnx("%s is beyond the end of the log, which ends "
			    "at offset %llu; -r earliest: starting at offset "
			    "%llu", u.from, (unsigned long long)u.off,
			    (unsigned long long)(u.nseg ? u.seg[0].first : 0));
			u.start = UINT64_MAX;
			for (size_t i = 0; i < u.nseg; i++)
				if (u.seg[i].present) {
					ex_seg_open(&u.seg[i].s, u.seg[i].s.path, 0);
					if (u.start == UINT64_MAX)
						u.start = u.seg[i].first;
				}
			readlog(&u);
			break;
		}
	}
	if (o.follow && !u.out.broken && u.left > 0)
		follow(&u, argv, argc);
	/* a reader that went away is not an error for a filter */
	ex_out_flush(&u.out);
	if (o.ofile) {
		forget(&u);
		ex_idx_save(&u.idx, u.idxpath);
	}
	if (o.verbose)
		summary(&u);
	return 0;
}
