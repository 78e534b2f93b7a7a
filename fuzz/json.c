/*
 * libFuzzer harness for lib/json.c.  Input: one byte L, then L % 16 bytes
 * of member name, then the document.  Besides "no crash, no read past the
 * document", it checks properties any correct scanner has:
 *
 *   - a found key, written back as a JSON string (plainly, or with every
 *     character as a \u escape) into a new object behind a nested decoy
 *     and ahead of a duplicate, is found again, byte for byte;
 *   - a valid document stays valid, with the same answer, with whitespace
 *     appended, and is a valid value inside another object;
 *   - a valid document without its closing brace is bad;
 *   - every answer is the strict scanner's alone, reason for reason: the
 *     fast paths of lib/json.c (with AVX-512 masks where the CPU has
 *     them, and without: ex_json_get_narrow) only ever decide what it
 *     would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

/* The strict scanner alone, compiled in here under another name. */
int ex_json_get_strict(const char *doc, size_t n, const char *name,
    size_t namelen, struct ex_json_buf *scratch, const char **val,
    size_t *vlen, const char **why);
#define EX_JSON_STRICT_ONLY
#define ex_json_get ex_json_get_strict
#include "../lib/json.c"
#undef ex_json_get

static struct ex_json_buf scratch, scratch2, scratch3, scratch4;

struct str {
	char *p;
	size_t len, cap;
};

static void
add(struct str *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2 + 64;
		if (!(s->p = realloc(s->p, s->cap)))
			abort();
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
}

static void
adds(struct str *s, const char *z)
{
	add(s, z, strlen(z));
}

static void
add_u(struct str *s, unsigned long u)
{
	char e[8];

	snprintf(e, sizeof e, "\\u%04lx", u);
	add(s, e, 6);
}

/* p[0..n) as the body of a JSON string; all = every character escaped.
 * p is valid UTF-8: it came out of the scanner. */
static void
add_escaped(struct str *s, const char *p, size_t n, int all)
{
	const unsigned char *u = (const unsigned char *)p;

	for (size_t i = 0; i < n; i++) {
		unsigned long c = u[i];
		size_t k = 0;

		if (c >= 0x80) {
			k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
			if (i + k >= n)
				abort();
			c &= 0x3f >> k;
			for (size_t j = 1; j <= k; j++)
				c = c << 6 | (u[i + j] & 0x3f);
		}
		if (!all && (c >= 0x80 || (c >= 0x20 && c != '"' &&
		    c != '\\'))) {
			add(s, p + i, k + 1);
		} else if (!all && (c == '"' || c == '\\')) {
			add(s, "\\", 1);
			add(s, p + i, 1);
		} else if (c >= 0x10000) {
			add_u(s, 0xd800 + ((c - 0x10000) >> 10));
			add_u(s, 0xdc00 + ((c - 0x10000) & 0x3ff));
		} else
			add_u(s, c);
		i += k;
	}
}

static int
get(const char *doc, size_t n, const char *name, size_t namelen,
    struct ex_json_buf *b, const char **val, size_t *vlen)
{
	const char *why = NULL, *swhy = NULL, *sval = NULL, *nwhy = NULL,
	    *nval = NULL;
	size_t slen = 0, nlen = 0;
	int r = ex_json_get(doc, n, name, namelen, b, val, vlen, &why);
	int rs = ex_json_get_strict(doc, n, name, namelen, &scratch3, &sval,
	    &slen, &swhy);
	int rn = ex_json_get_narrow(doc, n, name, namelen, &scratch4, &nval,
	    &nlen, &nwhy);

	if (!why && r != EX_JSON_FOUND)
		abort();
	if (r != rs || (r == EX_JSON_FOUND &&
	    (slen != *vlen || memcmp(sval, *val, slen) != 0)) ||
	    (r != EX_JSON_FOUND && strcmp(why, swhy) != 0))
		abort();
	if (rn != rs || (rn == EX_JSON_FOUND &&
	    (slen != nlen || memcmp(sval, nval, slen) != 0)) ||
	    (rn != EX_JSON_FOUND && strcmp(nwhy, swhy) != 0))
		abort();
	return r;
}

/* Copy p[0..n) to a buffer of exactly n bytes, so ASan sees overreads. */
static char *
exact(const char *p, size_t n)
{
	char *c = malloc(n ? n : 1);

	if (!c)
		abort();
	memcpy(c, p, n);
	return c;
}

static void
refind(const char *name, size_t namelen, const char *val, size_t vlen,
    int all)
{
	struct str s = { 0 };
	const char *v2;
	size_t v2len;
	char *doc;

	adds(&s, " {\n\"");
	add_escaped(&s, name, namelen, all);
	adds(&s, "x\" : [ { \"");
	add_escaped(&s, name, namelen, all);
	adds(&s, "\" : \"decoy\" } ] ,\t\"");
	add_escaped(&s, name, namelen, all);
	adds(&s, "\":\"");
	add_escaped(&s, val, vlen, all);
	adds(&s, "\", \"");
	add_escaped(&s, name, namelen, !all);
	adds(&s, "\" : \"second\" }\r\n");
	doc = exact(s.p, s.len);
	if (get(doc, s.len, name, namelen, &scratch2, &v2, &v2len) !=
	    EX_JSON_FOUND || v2len != vlen || memcmp(v2, val, vlen) != 0)
		abort();
	free(doc);
	free(s.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *name, *doc, *val = NULL, *v2;
	size_t namelen, dn, vlen = 0, v2len;
	struct str s = { 0 };
	char *c;
	int r;

	if (n < 1)
		return 0;
	namelen = data[0] % 16;
	if (n < 1 + namelen)
		return 0;
	name = (const char *)data + 1;
	doc = name + namelen;
	dn = n - 1 - namelen;

	r = get(doc, dn, name, namelen, &scratch, &val, &vlen);
	if (r == EX_JSON_BAD)
		return 0;
	if (r == EX_JSON_FOUND) {
		/* the key is in the document or in the scratch buffer */
		if (!((val >= doc && val + vlen <= doc + dn) ||
		    (val >= scratch.p && val + vlen <= scratch.p + scratch.cap)))
			abort();
		c = exact(val, vlen);
		refind(name, namelen, c, vlen, 0);
		refind(name, namelen, c, vlen, 1);
		free(c);
	}

	/* trailing whitespace changes nothing */
	add(&s, doc, dn);
	adds(&s, " \t\r\n");
	c = exact(s.p, s.len);
	if (get(c, s.len, name, namelen, &scratch2, &v2, &v2len) != r ||
	    (r == EX_JSON_FOUND &&
	    (v2len != vlen || memcmp(v2, val, vlen) != 0)))
		abort();
	free(c);

	/* a valid object is a valid value */
	s.len = 0;
	adds(&s, "{\"\":[");
	add(&s, doc, dn);
	adds(&s, "],\"\":");
	add(&s, doc, dn);
	adds(&s, "}");
	c = exact(s.p, s.len);
	if (get(c, s.len, "\x01", 1, &scratch2, &v2, &v2len) !=
	    EX_JSON_MISSING)
		abort();
	free(c);

	/* and without its closing brace it is not */
	s.len = 0;
	add(&s, doc, dn);
	while (s.len > 0 && (s.p[s.len - 1] == ' ' ||
	    s.p[s.len - 1] == '\t' || s.p[s.len - 1] == '\r' ||
	    s.p[s.len - 1] == '\n'))
		s.len--;
	if (s.len == 0 || s.p[s.len - 1] != '}')
		abort();
	c = exact(s.p, s.len - 1);
	if (get(c, s.len - 1, name, namelen, &scratch2, &v2, &v2len) !=
	    EX_JSON_BAD)
		abort();
	free(c);
	free(s.p);
	return 0;
}
