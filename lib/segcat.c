#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable.h"
#include "err.h"
#include "hex.h"
#include "linefile.h"
#include "segcat.h"
#include "tag.h"

static const char *const magic[] = {
	"exactly-segments 2", "exactly-segments 1", NULL
};

#define NWORDS 11 /* of a version 2 line */

struct parse {
	struct ex_cat *c;
	int version; /* index into magic[]: 0 is version 2 */
};

struct ex_catent *
ex_cat_add(struct ex_cat *c)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->e = ex_realloc(c->e, c->cap * sizeof *c->e);
	}
	memset(&c->e[c->n], 0, sizeof c->e[c->n]);
	return &c->e[c->n++];
}

void
ex_cat_free(struct ex_cat *c)
{
	free(c->e);
	memset(c, 0, sizeof *c);
}

/* Split s[0..n) at single spaces into at most max words; max + 1 if
 * there are more. */
static size_t
words(char *s, size_t n, char **w, size_t *wl, size_t max)
{
	size_t k = 0, i = 0;

	while (i <= n && k < max) {
		size_t j = i;

		while (j < n && s[j] != ' ')
			j++;
		w[k] = s + i;
		wl[k++] = j - i;
		if (j == n)
			return k;
		i = j + 1;
	}
	return max + 1;
}

static int
dash(const char *w, size_t wl)
{
	return wl == 1 && w[0] == '-';
}

/* "SECONDS.NANOSECONDS", nine digits after the point. */
static const char *
birth(const char *w, size_t wl, struct ex_fid *f)
{
	const char *dot = memchr(w, '.', wl);
	uint64_t s, ns;

	if (!dot || (size_t)(w + wl - dot - 1) != 9)
		return "bad BIRTH";
	if (ex_off_parse(w, (size_t)(dot - w), &s))
		return "bad BIRTH";
	ns = 0;
	for (int i = 1; i <= 9; i++) {
		if (dot[i] < '0' || dot[i] > '9')
			return "bad BIRTH";
		ns = ns * 10 + (uint64_t)(dot[i] - '0');
	}
	f->bsec = (int64_t)s;
	f->bnsec = (uint32_t)ns;
	f->hasbirth = 1;
	return NULL;
}

/* DEV INO BIRTH: all three "-", or a device and inode with a birth time
 * or "-". */
static const char *
fileid(char **w, size_t *wl, struct ex_catent *e)
{
	if (dash(w[0], wl[0]) && dash(w[1], wl[1]) && dash(w[2], wl[2]))
		return NULL;
	if (ex_off_parse(w[0], wl[0], &e->fid.dev) ||
	    ex_off_parse(w[1], wl[1], &e->fid.ino))
		return "bad DEV or INO";
	e->hasfid = 1;
	return dash(w[2], wl[2]) ? NULL : birth(w[2], wl[2], &e->fid);
}

/* READ STOP STOPHASH */
static const char *
stopped(char **w, size_t *wl, struct ex_catent *e)
{
	if (ex_off_parse(w[0], wl[0], &e->read) ||
	    ex_off_parse(w[1], wl[1], &e->stop))
		return "bad READ or STOP";
	if (e->sealed && e->read > e->count)
		return "READ is more than COUNT";
	if (e->read > e->stop)
		return "READ is more than STOP";
	if (dash(w[2], wl[2]))
		return NULL;
	if (e->stop == 0 || ex_unhex(w[2], wl[2], e->stophash, EX_FP_HASH) < 0)
		return "bad STOPHASH";
	e->hasstop = 1;
	return NULL;
}

/* FIRST COUNT [JOIN] FPLEN FPHASH: the words common to both versions. */
static const char *
common(char **w, size_t *wl, int v2, struct ex_catent *e)
{
	uint64_t v;
	int k = v2 ? 3 : 2;

	if (ex_off_parse(w[0], wl[0], &e->first))
		return "bad FIRST offset";
	if (dash(w[1], wl[1]))
		e->sealed = 0;
	else if (ex_off_parse(w[1], wl[1], &e->count))
		return "bad COUNT";
	else
		e->sealed = 1;
	if (v2) {
		if (wl[2] != 1 || (w[2][0] != '0' && w[2][0] != '1'))
			return "bad JOIN";
		e->join = w[2][0] == '1';
		if (e->join && !e->sealed)
			return "JOIN is 1 for a segment that is not sealed";
	}
	if (ex_off_parse(w[k], wl[k], &v) || v == 0 || v > EX_FP_LEN)
		return "bad FPLEN";
	e->fplen = (size_t)v;
	if (ex_unhex(w[k + 1], wl[k + 1], e->fp, EX_FP_HASH) < 0)
		return "bad FPHASH";
	if (e->sealed && e->count > EX_OFF_MAX - e->first)
		return "COUNT runs past 2^63-1";
	return NULL;
}

static const char *
parse(void *ctx, char *line, size_t len)
{
	struct parse *p = ctx;
	struct ex_cat *c = p->c;
	char *w[NWORDS];
	size_t wl[NWORDS], want = p->version == 0 ? NWORDS : 4;
	struct ex_catent *e, *prev;
	const char *why;

	if (words(line, len, w, wl, NWORDS) != want)
		return p->version == 0 ? "expected FIRST COUNT JOIN FPLEN "
		    "FPHASH DEV INO BIRTH READ STOP STOPHASH" :
		    "expected FIRST COUNT FPLEN FPHASH";
	/* add first: it may move the array, and prev with it */
	e = ex_cat_add(c);
	prev = c->n > 1 ? &c->e[c->n - 2] : NULL;
	if ((why = common(w, wl, p->version == 0, e)))
		return why;
	if (p->version == 0 && ((why = fileid(w + 5, wl + 5, e)) ||
	    (why = stopped(w + 8, wl + 8, e))))
		return why;
	if (prev && !prev->sealed)
		return "a segment follows one that is not sealed";
	if (prev && e->first != prev->first + prev->count)
		return "FIRST does not follow the previous segment";
	return NULL;
}

const char *
ex_cat_parse(struct ex_cat *c, const char *text, size_t n,
    unsigned long *lineno)
{
	struct parse p = { c, 0 };
	char *copy = ex_malloc(n + 1);
	const char *why;

	memset(c, 0, sizeof *c);
	memcpy(copy, text, n);
	why = ex_linefile_parse(copy, n, magic, &p.version, parse, &p, lineno);
	free(copy);
	c->loaded = why == NULL;
	return why;
}

int
ex_cat_load(struct ex_cat *c, const char *path)
{
	struct parse p = { c, 0 };

	memset(c, 0, sizeof *c);
	c->loaded = ex_linefile_load(path, magic, &p.version,
	    "segment catalogue", "", parse, &p);
	return c->loaded;
}

char *
ex_cat_text(const struct ex_cat *c, size_t *n)
{
	/* a line is at most 230 bytes: six numbers of up to 20 digits, a
	 * birth time of 30, JOIN and FPLEN, two hashes, 10 spaces and a LF */
	size_t cap = strlen(magic[0]) + 2 + c->n * 256;
	char *buf = ex_malloc(cap), fp[2 * EX_FP_HASH + 1], sh[2 * EX_FP_HASH + 1];

	*n = (size_t)snprintf(buf, cap, "%s\n", magic[0]);
	for (size_t i = 0; i < c->n; i++) {
		const struct ex_catent *e = &c->e[i];
		char count[24] = "-", dev[24] = "-", ino[24] = "-", bt[40] = "-";

		if (e->sealed)
			snprintf(count, sizeof count, "%llu",
			    (unsigned long long)e->count);
		if (e->hasfid) {
			snprintf(dev, sizeof dev, "%llu",
			    (unsigned long long)e->fid.dev);
			snprintf(ino, sizeof ino, "%llu",
			    (unsigned long long)e->fid.ino);
		}
		if (e->hasfid && e->fid.hasbirth)
			snprintf(bt, sizeof bt, "%lld.%09u",
			    (long long)e->fid.bsec, (unsigned)e->fid.bnsec);
		ex_hex(e->fp, EX_FP_HASH, fp);
		if (e->hasstop)
			ex_hex(e->stophash, EX_FP_HASH, sh);
		else
			strcpy(sh, "-");
		*n += (size_t)snprintf(buf + *n, cap - *n,
		    "%llu %s %d %zu %s %s %s %s %llu %llu %s\n",
		    (unsigned long long)e->first, count, e->join, e->fplen, fp,
		    dev, ino, bt, (unsigned long long)e->read,
		    (unsigned long long)e->stop, sh);
	}
	return buf;
}

void
ex_cat_save(const struct ex_cat *c, const char *path)
{
	size_t n;
	char *buf = ex_cat_text(c, &n);

	ex_replace(path, buf, n);
	free(buf);
}
