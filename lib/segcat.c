#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "err.h"
#include "hex.h"
#include "linefile.h"
#include "segcat.h"
#include "tag.h"

#define CAT_MAGIC "exactly-segments 1"

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

/* Split s[0..n) at single spaces into at most max words. */
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
	return max + 1; /* too many */
}

static const char *
parse(void *ctx, char *line, size_t len)
{
	struct ex_cat *c = ctx;
	char *w[4];
	size_t wl[4];
	uint64_t v;
	struct ex_catent *e, *prev;

	if (words(line, len, w, wl, 4) != 4)
		return "expected FIRST COUNT FPLEN FPHASH";
	/* add first: it may move the array, and prev with it */
	e = ex_cat_add(c);
	prev = c->n > 1 ? &c->e[c->n - 2] : NULL;
	if (ex_off_parse(w[0], wl[0], &e->first))
		return "bad FIRST offset";
	if (wl[1] == 1 && w[1][0] == '-')
		e->sealed = 0;
	else if (ex_off_parse(w[1], wl[1], &e->count))
		return "bad COUNT";
	else
		e->sealed = 1;
	if (ex_off_parse(w[2], wl[2], &v) || v == 0 || v > EX_FP_LEN)
		return "bad FPLEN";
	e->fplen = (size_t)v;
	if (ex_unhex(w[3], wl[3], e->fp, EX_FP_HASH) < 0)
		return "bad FPHASH";
	if (prev && !prev->sealed)
		return "a segment follows one that is not sealed";
	if (prev && e->first != prev->first + prev->count)
		return "FIRST does not follow the previous segment";
	if (e->sealed && e->count > EX_OFF_MAX - e->first)
		return "COUNT runs past 2^63-1";
	return NULL;
}

int
ex_cat_load(struct ex_cat *c, const char *path)
{
	memset(c, 0, sizeof *c);
	return ex_linefile_load(path, CAT_MAGIC, "segment catalogue", "",
	    parse, c);
}

void
ex_cat_save(const struct ex_cat *c, const char *path)
{
	size_t cap = sizeof CAT_MAGIC + 1 + c->n * (2 * 21 + 6 + 2 * EX_FP_HASH + 4);
	char *buf = ex_malloc(cap), hex[2 * EX_FP_HASH + 1];
	size_t n;

	n = (size_t)snprintf(buf, cap, "%s\n", CAT_MAGIC);
	for (size_t i = 0; i < c->n; i++) {
		const struct ex_catent *e = &c->e[i];
		char count[24];

		ex_hex(e->fp, EX_FP_HASH, hex);
		if (e->sealed)
			snprintf(count, sizeof count, "%llu",
			    (unsigned long long)e->count);
		else
			strcpy(count, "-");
		n += (size_t)snprintf(buf + n, cap - n, "%llu %s %zu %s\n",
		    (unsigned long long)e->first, count, e->fplen, hex);
	}
	ex_replace(path, buf, n);
	free(buf);
}
