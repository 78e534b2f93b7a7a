#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "segid.h"

/* A segment's identity hash, sorted by (len, h) for look-ups. */
struct fpkey {
	size_t len;
	unsigned char h[EX_FP_HASH];
	size_t ent;
};

/* File number file may hold segment ent; byfid: it is the very file
 * logcat last saw holding it. */
struct cand {
	size_t ent, file;
	int byfid;
};

struct ex_segid {
	const struct ex_cat *c;
	struct fpkey *fp;
	size_t nfp;
	size_t *lens, nlens;      /* the distinct FPLENs, increasing */
	struct cand *cand;
	size_t ncand, ccap;
	unsigned char (*whole)[EX_FP_HASH]; /* per file: its whole head */
	size_t wcap;
};

static int
fpcmp(const void *a, const void *b)
{
	const struct fpkey *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->h, y->h, EX_FP_HASH);
}

struct ex_segid *
ex_segid_new(const struct ex_cat *c)
{
	struct ex_segid *x = ex_malloc(sizeof *x);

	memset(x, 0, sizeof *x);
	x->c = c;
	x->fp = ex_malloc((c->n + 1) * sizeof *x->fp);
	x->lens = ex_malloc((c->n + 1) * sizeof *x->lens);
	for (size_t i = 0; i < c->n; i++) {
		x->fp[i].len = c->e[i].fplen;
		memcpy(x->fp[i].h, c->e[i].fp, EX_FP_HASH);
		x->fp[i].ent = i;
	}
	x->nfp = c->n;
	qsort(x->fp, x->nfp, sizeof *x->fp, fpcmp);
	for (size_t i = 0; i < x->nfp; i++)
		if (x->nlens == 0 || x->lens[x->nlens - 1] != x->fp[i].len)
			x->lens[x->nlens++] = x->fp[i].len;
	return x;
}

void
ex_segid_free(struct ex_segid *x)
{
	if (!x)
		return;
	free(x->fp);
	free(x->lens);
	free(x->cand);
	free(x->whole);
	free(x);
}

/* The first key at or after (len, h). */
static size_t
lookup(const struct ex_segid *x, size_t len, const unsigned char *h)
{
	struct fpkey k;
	size_t lo = 0, hi = x->nfp;

	k.len = len;
	memcpy(k.h, h, EX_FP_HASH);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fpcmp(&x->fp[mid], &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Does f agree with what logcat recorded of e beyond its first bytes? */
static int
agrees(const struct ex_catent *e, struct ex_seg *f, int same)
{
	unsigned char h[EX_FP_HASH];
	uint64_t len;
	int known = ex_seg_length(f, &len);

	/* a sealed segment's STOP is its whole length: a file that is longer
	 * can only be the very file, written to after it was sealed */
	if (e->sealed && e->stop > 0 && known && len != e->stop &&
	    !(same && len > e->stop))
		return 0;
	if (e->stop > 0 && known && len < e->stop)
		return 0;
	/* the bytes before where reading stopped; a gzip beyond its head
	 * cannot be checked without reading it */
	if (e->hasstop && ex_seg_check(f, e->stop, h) == 0 &&
	    memcmp(h, e->stophash, EX_FP_HASH) != 0)
		return 0;
	return 1;
}

static void
addcand(struct ex_segid *x, size_t ent, size_t file, int byfid)
{
	if (x->ncand == x->ccap) {
		x->ccap = x->ccap ? 2 * x->ccap : 64;
		x->cand = ex_realloc(x->cand, x->ccap * sizeof *x->cand);
	}
	x->cand[x->ncand++] = (struct cand){ ent, file, byfid };
}

void
ex_segid_scan(struct ex_segid *x, size_t fi, struct ex_seg *f)
{
	crypto_generichash_state st, t;
	unsigned char h[EX_FP_HASH];
	size_t done = 0;

	if (fi >= x->wcap) {
		x->wcap = fi >= 2 * x->wcap ? fi + 64 : 2 * x->wcap;
		x->whole = ex_realloc(x->whole, x->wcap * sizeof *x->whole);
	}
	/* one pass over the head, a hash at every length a segment has */
	crypto_generichash_init(&st, NULL, 0, EX_FP_HASH);
	for (size_t k = 0; k < x->nlens && x->lens[k] <= f->nhead; k++) {
		size_t len = x->lens[k];

		crypto_generichash_update(&st, (const unsigned char *)f->head +
		    done, len - done);
		done = len;
		t = st;
		crypto_generichash_final(&t, h, EX_FP_HASH);
		for (size_t i = lookup(x, len, h); i < x->nfp &&
		    x->fp[i].len == len && memcmp(x->fp[i].h, h, EX_FP_HASH) == 0;
		    i++) {
			const struct ex_catent *e = &x->c->e[x->fp[i].ent];
			int same = e->hasfid && ex_fid_same(&e->fid, &f->fid);

			if (agrees(e, f, same))
				addcand(x, x->fp[i].ent, fi, same);
		}
	}
	crypto_generichash_update(&st, (const unsigned char *)f->head + done,
	    f->nhead - done);
	crypto_generichash_final(&st, x->whole[fi], EX_FP_HASH);
}

int
ex_segid_known(const struct ex_segid *x, const struct ex_seg *f)
{
	unsigned char h[EX_FP_HASH];
	size_t i;

	for (size_t k = 0; k < x->nlens && x->lens[k] <= f->nhead; k++) {
		ex_seg_hash(f->head, x->lens[k], h);
		i = lookup(x, x->lens[k], h);
		if (i < x->nfp && x->fp[i].len == x->lens[k] &&
		    memcmp(x->fp[i].h, h, EX_FP_HASH) == 0)
			return 1;
	}
	return 0;
}

/* Newest segment first, and among its candidates the very file first. */
static int
candcmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->ent != y->ent)
		return x->ent > y->ent ? -1 : 1;
	if (x->byfid != y->byfid)
		return y->byfid - x->byfid;
	return x->file < y->file ? -1 : x->file > y->file;
}

/* a and b have the same whole head: are they one content? */
static int
onecontent(const struct ex_seg *a, const struct ex_seg *b)
{
	uint64_t la, lb;

	if (ex_fid_same(&a->fid, &b->fid))
		return 1;
	if (a->nhead == EX_FP_LEN)
		return 1;
	/* short and whole: a gzip copy of a plain file, but two plain files
	 * alike are two segments (two rotations of a header alone) */
	return a->isgz != b->isgz && ex_seg_length(a, &la) &&
	    ex_seg_length(b, &lb) && la == lb;
}

static int
samehead(const struct ex_seg *a, const struct ex_seg *b)
{
	return a->nhead == b->nhead && memcmp(a->head, b->head, a->nhead) == 0;
}

/* a is a gzip cut short whose content begins b's. */
static int
cutcopy(const struct ex_seg *a, const struct ex_seg *b)
{
	return ex_seg_bad(a) && !ex_seg_bad(b) && a->nhead > 0 &&
	    a->nhead <= b->nhead && memcmp(a->head, b->head, a->nhead) == 0;
}

static int
alike(const struct ex_seg *a, const struct ex_seg *b)
{
	return (!ex_seg_bad(a) && !ex_seg_bad(b) && samehead(a, b) &&
	    onecontent(a, b)) || cutcopy(a, b) || cutcopy(b, a);
}

/* Of two names of one content, the one to read: whole, then plain. */
static int
better(const struct ex_seg *a, const struct ex_seg *b)
{
	if ((ex_seg_bad(a) == NULL) != (ex_seg_bad(b) == NULL))
		return ex_seg_bad(a) == NULL;
	return !a->isgz && b->isgz;
}

static _Noreturn void
undecidable(const struct ex_catent *e, const struct ex_seg *a,
    const struct ex_seg *b)
{
	ex_diex(EXIT_DATA, "%s and %s both begin as the segment holding offsets "
	    "from %llu on, and what logcat recorded of it (its first %zu bytes, "
	    "where reading it stopped, the file that held it) cannot tell which "
	    "one holds it: run once with only that one among the files given",
	    a->path, b->path, (unsigned long long)e->first, e->fplen);
}

/* Segment e by content alone: its candidates from cand[a..b) that no
 * other segment took.  Returns the file, or -1. */
static long
bycontent(const struct ex_segid *x, size_t a, size_t b,
    struct ex_seg *const *f, const int *of)
{
	long best = -1;

	for (size_t i = a; i < b; i++) {
		size_t fi = x->cand[i].file;

		if (of[fi] != EX_SEGID_NEW)
			continue;
		if (best < 0 || better(f[fi], f[best]))
			best = (long)fi;
	}
	for (size_t i = a; best >= 0 && i < b; i++) {
		size_t fi = x->cand[i].file;

		if (of[fi] == EX_SEGID_NEW && (long)fi != best &&
		    !alike(f[fi], f[best]))
			/* named in the order they were given */
			undecidable(&x->c->e[x->cand[i].ent],
			    f[(long)fi < best ? (long)fi : best],
			    f[(long)fi < best ? best : (long)fi]);
	}
	return best;
}

/* Of i and j, alike, is i the one to drop?  Keep a file that holds a
 * segment, else the better one, else the one given first. */
static int
drop(struct ex_seg *const *f, const int *of, size_t i, size_t j)
{
	if (of[i] >= 0)
		return 0;
	return of[j] >= 0 || better(f[j], f[i]) || (!better(f[i], f[j]) && j < i);
}

static int
byhead(const void *a, const void *b, void *ctx)
{
	const struct ex_segid *x = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int d = memcmp(x->whole[i], x->whole[j], EX_FP_HASH);

	return d ? d : i < j ? -1 : i > j;
}

/* Files that hold no known segment and are another name of a file kept:
 * compared only within a run of equal whole heads, and gzip files cut
 * short with every other file (there are few). */
static void
dups(const struct ex_segid *x, struct ex_seg *const *f, size_t nf, int *of)
{
	size_t *o = ex_malloc((nf + 1) * sizeof *o), a, b;

	for (size_t i = 0; i < nf; i++)
		o[i] = i;
	qsort_r(o, nf, sizeof *o, byhead, (void *)x);
	for (a = 0; a < nf; a = b) {
		for (b = a + 1; b < nf && memcmp(x->whole[o[a]], x->whole[o[b]],
		    EX_FP_HASH) == 0; b++)
			;
		for (size_t i = a; i < b; i++)
			for (size_t j = a; j < b && of[o[i]] == EX_SEGID_NEW; j++)
				if (j != i && of[o[j]] != EX_SEGID_DUP &&
				    alike(f[o[i]], f[o[j]]) && drop(f, of, o[i], o[j]))
					of[o[i]] = EX_SEGID_DUP;
	}
	free(o);
	for (size_t i = 0; i < nf; i++) {
		if (of[i] != EX_SEGID_NEW || !ex_seg_bad(f[i]))
			continue;
		for (size_t j = 0; j < nf && of[i] == EX_SEGID_NEW; j++)
			if (j != i && of[j] != EX_SEGID_DUP && cutcopy(f[i], f[j]))
				of[i] = EX_SEGID_DUP;
	}
}

void
ex_segid_decide(struct ex_segid *x, struct ex_seg *const *f, size_t nf,
    int *of, long *holder)
{
	size_t a, b;

	for (size_t i = 0; i < nf; i++)
		of[i] = EX_SEGID_NEW;
	for (size_t e = 0; e < x->c->n; e++)
		holder[e] = -1;
	if (x->ncand > 1)
		qsort(x->cand, x->ncand, sizeof *x->cand, candcmp);
	/* the very file logcat last saw holding a segment holds it */
	for (size_t i = 0; i < x->ncand; i++) {
		struct cand *c = &x->cand[i];

		if (c->byfid && holder[c->ent] < 0 && of[c->file] == EX_SEGID_NEW) {
			holder[c->ent] = (long)c->file;
			of[c->file] = (int)c->ent;
		}
	}
	for (a = 0; a < x->ncand; a = b) {
		size_t ent = x->cand[a].ent;
		long fi;

		for (b = a; b < x->ncand && x->cand[b].ent == ent; b++)
			;
		if (holder[ent] >= 0 || (fi = bycontent(x, a, b, f, of)) < 0)
			continue;
		holder[ent] = fi;
		of[fi] = (int)ent;
	}
	dups(x, f, nf, of);
}
