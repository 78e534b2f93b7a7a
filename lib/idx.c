#include <errno.h>
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

int
ex_idx_load(struct ex_idx *x, const char *path)
{
	static const char *const magic[] = { IDX_MAGIC, NULL };
	int which;

	memset(x, 0, sizeof *x);
	return ex_linefile_load(path, magic, &which, "resume index",
	    " (the index is a cache: delete it to rebuild it)", parse, x);
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

const struct ex_idxent *
ex_idx_find(const struct ex_idx *x, uint64_t first, uint64_t rec)
{
	const struct ex_idxent *best = NULL;

	for (size_t i = 0; i < x->n; i++)
		if (x->e[i].first == first && x->e[i].rec <= rec &&
		    (!best || x->e[i].rec > best->rec))
			best = &x->e[i];
	return best;
}

void
ex_idx_put(struct ex_idx *x, uint64_t first, uint64_t rec, uint64_t pos,
    const unsigned char check[EX_FP_HASH])
{
	struct ex_idxent *e;

	for (size_t i = 0; i < x->n; i++) {
		uint64_t p = x->e[i].pos;

		if (x->e[i].first == first &&
		    (p > pos ? p - pos : pos - p) < EX_IDX_GAP)
			return;
	}
	e = add(x);
	e->first = first;
	e->rec = rec;
	e->pos = pos;
	memcpy(e->check, check, EX_FP_HASH);
	x->dirty = 1;
}

static void
keep(struct ex_idx *x, int (*want)(const struct ex_idxent *, uint64_t),
    uint64_t arg)
{
	size_t k = 0;

	for (size_t i = 0; i < x->n; i++)
		if (want(&x->e[i], arg))
			x->e[k++] = x->e[i];
	if (k != x->n)
		x->dirty = 1;
	x->n = k;
}

static int
other(const struct ex_idxent *e, uint64_t first)
{
	return e->first != first;
}

static int
newer(const struct ex_idxent *e, uint64_t lo)
{
	return e->first >= lo;
}

void
ex_idx_drop(struct ex_idx *x, uint64_t first)
{
	keep(x, other, first);
}

void
ex_idx_prune(struct ex_idx *x, uint64_t lo)
{
	keep(x, newer, lo);
}

void
ex_idx_free(struct ex_idx *x)
{
	free(x->e);
	memset(x, 0, sizeof *x);
}
