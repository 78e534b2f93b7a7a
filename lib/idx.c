#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable.h"
#include "err.h"
#include "hex.h"
#include "idx.h"
#include "linefile.h"
#include "tag.h"

#define IDX_MAGIC "exactly-index 1"

static struct ex_idxent *
add(struct ex_idx *x)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->e = ex_realloc(x->e, x->cap * sizeof *x->e);
	}
	return &x->e[x->n++];
}

static const char *
parse(void *ctx, char *line, size_t len)
{
	struct ex_idx *x = ctx;
	struct ex_idxent *e = add(x);
	char *w[4];
	size_t k = 0, i = 0, wl[4];

	while (k < 4) {
		size_t j = i;

		while (j < len && line[j] != ' ')
			j++;
		w[k] = line + i;
		wl[k++] = j - i;
		if (j == len)
			break;
		i = j + 1;
	}
	if (k != 4 || w[3] + wl[3] != line + len)
		return "expected FIRST REC POS CHECK";
	if (ex_off_parse(w[0], wl[0], &e->first) ||
	    ex_off_parse(w[1], wl[1], &e->rec) ||
	    ex_off_parse(w[2], wl[2], &e->pos))
		return "bad number";
	if (ex_unhex(w[3], wl[3], e->check, EX_FP_HASH) < 0)
		return "bad CHECK";
	return NULL;
}

static int
order(const void *a, const void *b)
{
	const struct ex_idxent *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	if (x->rec != y->rec)
		return x->rec < y->rec ? -1 : 1;
	return 0;
}

int
ex_idx_load(struct ex_idx *x, const char *path)
{
	static const char *const magic[] = { IDX_MAGIC, NULL };
	int which, r;

	memset(x, 0, sizeof *x);
	r = ex_linefile_load(path, magic, &which, "resume index",
	    " (the index is a cache: delete it to rebuild it)", parse, x);
	/* an index of an older logcat may be in any order */
	if (x->n > 1)
		qsort(x->e, x->n, sizeof *x->e, order);
	return r;
}

void
ex_idx_save(struct ex_idx *x, const char *path)
{
	size_t cap = sizeof IDX_MAGIC + 1 + x->n * (3 * 21 + 2 * EX_FP_HASH + 2);
	char *buf, hex[2 * EX_FP_HASH + 1];
	size_t n;

	if (!x->dirty)
		return;
	buf = ex_malloc(cap);
	n = (size_t)snprintf(buf, cap, "%s\n", IDX_MAGIC);
	for (size_t i = 0; i < x->n; i++) {
		ex_hex(x->e[i].check, EX_FP_HASH, hex);
		n += (size_t)snprintf(buf + n, cap - n, "%llu %llu %llu %s\n",
		    (unsigned long long)x->e[i].first,
		    (unsigned long long)x->e[i].rec,
		    (unsigned long long)x->e[i].pos, hex);
	}
	ex_replace(path, buf, n);
	free(buf);
	x->dirty = 0;
}

/* How many checkpoints come before (first, rec). */
static size_t
below(const struct ex_idx *x, uint64_t first, uint64_t rec)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ex_idxent *e = &x->e[mid];

		if (e->first < first || (e->first == first && e->rec < rec))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ex_idxent *
ex_idx_find(const struct ex_idx *x, uint64_t first, uint64_t rec)
{
	size_t i;

	/* the first checkpoint after (first, rec), then one back */
	i = rec == UINT64_MAX ? below(x, first + 1, 0) : below(x, first, rec + 1);
	if (i == 0 || x->e[i - 1].first != first)
		return NULL;
	return &x->e[i - 1];
}

static uint64_t
dist(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

void
ex_idx_put(struct ex_idx *x, uint64_t first, uint64_t rec, uint64_t pos,
    const unsigned char check[EX_FP_HASH])
{
	size_t i = below(x, first, rec);
	struct ex_idxent *e;

	/* positions grow with records, so the neighbours are the nearest */
	if (i < x->n && x->e[i].first == first && dist(x->e[i].pos, pos) < EX_IDX_GAP)
		return;
	if (i > 0 && x->e[i - 1].first == first &&
	    dist(x->e[i - 1].pos, pos) < EX_IDX_GAP)
		return;
	add(x);
	e = &x->e[i];
	memmove(e + 1, e, (x->n - 1 - i) * sizeof *e);
	e->first = first;
	e->rec = rec;
	e->pos = pos;
	memcpy(e->check, check, EX_FP_HASH);
	x->dirty = 1;
}

void
ex_idx_drop(struct ex_idx *x, uint64_t first)
{
	size_t a = below(x, first, 0), b = first == UINT64_MAX ? x->n :
	    below(x, first + 1, 0);

	if (a == b)
		return;
	memmove(x->e + a, x->e + b, (x->n - b) * sizeof *x->e);
	x->n -= b - a;
	x->dirty = 1;
}

void
ex_idx_keep(struct ex_idx *x, const uint64_t *firsts, size_t n)
{
	size_t k = 0, j = 0;

	for (size_t i = 0; i < x->n; i++) {
		while (j < n && firsts[j] < x->e[i].first)
			j++;
		if (j < n && firsts[j] == x->e[i].first)
			x->e[k++] = x->e[i];
	}
	if (k != x->n)
		x->dirty = 1;
	x->n = k;
}

void
ex_idx_free(struct ex_idx *x)
{
	free(x->e);
	memset(x, 0, sizeof *x);
}
