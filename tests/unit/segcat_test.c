/*
 * segcat_test — lib/segcat.c: the catalogue's text, read back to what was
 * written, version 1 read as segments of which less is known, and every
 * malformed line refused with its reason.
 */
#include <string.h>
#include <stdlib.h>

#include "err.h"
#include "segcat.h"
#include "unit.h"

#define H32 "0123456789abcdef0123456789abcdef"

static const char *
parse(const char *text, struct ex_cat *c, unsigned long *line)
{
	return ex_cat_parse(c, text, strlen(text), line);
}

#define refused(text, why, lineno) do { \
	struct ex_cat c_; \
	unsigned long l_ = 0; \
	CHECK_STR(parse(text, &c_, &l_), why); \
	CHECK_U64(l_, lineno); \
	ex_cat_free(&c_); \
} while (0)

static void
roundtrip(void)
{
	struct ex_cat c, d;
	struct ex_catent *e;
	unsigned long line;
	char *text, *again;
	size_t n, m;

	memset(&c, 0, sizeof c);
	e = ex_cat_add(&c);
	e->count = 7;
	e->sealed = 1;
	e->join = 1;
	e->fplen = 1024;
	memset(e->fp, 0xab, sizeof e->fp);
	e->hasfid = 1;
	e->fid = (struct ex_fid){ 65024, 123456789012ULL, 1796119035, 487472418, 1 };
	e->read = 7;
	e->stop = 9000;
	e->hasstop = 1;
	memset(e->stophash, 0x01, sizeof e->stophash);
	e = ex_cat_add(&c);
	e->first = 7;
	e->fplen = 3;
	e->hasfid = 1;
	e->fid = (struct ex_fid){ 1, 2, 0, 0, 0 };
	text = ex_cat_text(&c, &n);
	CHECK_STR(text, "exactly-segments 2\n"
	    "0 7 1 1024 abababababababababababababababab 65024 123456789012 "
	    "1796119035.487472418 7 9000 01010101010101010101010101010101\n"
	    "7 - 0 3 00000000000000000000000000000000 1 2 - 0 0 -\n");
	CHECK(parse(text, &d, &line) == NULL);
	CHECK_U64(d.n, 2);
	CHECK(d.loaded);
	again = ex_cat_text(&d, &m);
	CHECK_MEM(again, m, text, n);
	CHECK(d.e[0].fid.hasbirth && d.e[0].fid.bnsec == 487472418);
	CHECK(!d.e[1].fid.hasbirth && !d.e[1].hasstop && !d.e[1].sealed);
	free(text);
	free(again);
	ex_cat_free(&c);
	ex_cat_free(&d);
}

static void
version1(void)
{
	struct ex_cat c;
	unsigned long line;

	CHECK(parse("exactly-segments 1\n0 5 10 " H32 "\n5 - 3 " H32 "\n", &c,
	    &line) == NULL);
	CHECK_U64(c.n, 2);
	CHECK(c.e[0].sealed && !c.e[0].join && !c.e[0].hasfid);
	CHECK_U64(c.e[0].stop, 0);
	CHECK_U64(c.e[1].first, 5);
	ex_cat_free(&c);
	/* a version 2 line in a version 1 file, and the other way */
	refused("exactly-segments 1\n0 - 0 3 " H32 " - - - 0 0 -\n",
	    "expected FIRST COUNT FPLEN FPHASH", 2);
	refused("exactly-segments 2\n0 5 10 " H32 "\n",
	    "expected FIRST COUNT JOIN FPLEN FPHASH DEV INO BIRTH READ STOP "
	    "STOPHASH", 2);
}

static void
malformed(void)
{
	refused("", "empty", 0);
	refused("exactly-segments 3\n", "foreign", 1);
	refused("exactly-segments 2", "no newline at its end", 1);
	refused("exactly-segments 2\n0 - 0 3 " H32 " - - - 0 0 -",
	    "no newline at its end", 2);
	refused("exactly-segments 2\n00 - 0 3 " H32 " - - - 0 0 -\n",
	    "bad FIRST offset", 2);
	refused("exactly-segments 2\n0 x 0 3 " H32 " - - - 0 0 -\n",
	    "bad COUNT", 2);
	refused("exactly-segments 2\n0 - 2 3 " H32 " - - - 0 0 -\n",
	    "bad JOIN", 2);
	refused("exactly-segments 2\n0 - 1 3 " H32 " - - - 0 0 -\n",
	    "JOIN is 1 for a segment that is not sealed", 2);
	refused("exactly-segments 2\n0 - 0 0 " H32 " - - - 0 0 -\n",
	    "bad FPLEN", 2);
	refused("exactly-segments 2\n0 - 0 1025 " H32 " - - - 0 0 -\n",
	    "bad FPLEN", 2);
	refused("exactly-segments 2\n0 - 0 3 " H32 "0 - - - 0 0 -\n",
	    "bad FPHASH", 2);
	refused("exactly-segments 2\n0 - 0 3 " H32 " 1 - - 0 0 -\n",
	    "bad DEV or INO", 2);
	refused("exactly-segments 2\n0 - 0 3 " H32 " 1 2 3.4 0 0 -\n",
	    "bad BIRTH", 2);
	refused("exactly-segments 2\n0 - 0 3 " H32 " 1 2 3.00000000x 0 0 -\n",
	    "bad BIRTH", 2);
	refused("exactly-segments 2\n0 - 0 3 " H32 " - - - 5 3 -\n",
	    "READ is more than STOP", 2);
	refused("exactly-segments 2\n0 2 0 3 " H32 " - - - 3 9 -\n",
	    "READ is more than COUNT", 2);
	refused("exactly-segments 2\n0 - 0 3 " H32 " - - - 0 0 " H32 "\n",
	    "bad STOPHASH", 2);
	refused("exactly-segments 2\n0 - 0 3 " H32 " - - - 0 0 -\n"
	    "0 - 0 3 " H32 " - - - 0 0 -\n",
	    "a segment follows one that is not sealed", 3);
	refused("exactly-segments 2\n0 2 0 3 " H32 " - - - 0 0 -\n"
	    "3 - 0 3 " H32 " - - - 0 0 -\n",
	    "FIRST does not follow the previous segment", 3);
	refused("exactly-segments 2\n9223372036854775800 8 0 3 " H32
	    " - - - 0 0 -\n", "COUNT runs past 2^63-1", 2);
	refused("exactly-segments 2\n0 - 0 3 " H32 " - - - 0 0 - x\n",
	    "expected FIRST COUNT JOIN FPLEN FPHASH DEV INO BIRTH READ STOP "
	    "STOPHASH", 2);
}

/* More entries than the array first holds: the check of each against the
 * one before must not read the array it outgrew. */
static void
many(void)
{
	size_t cap = 64 + 5000 * 80, n;
	char *text = malloc(cap);
	struct ex_cat c;
	unsigned long line;

	n = (size_t)snprintf(text, cap, "exactly-segments 2\n");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(text + n, cap - n, "%d 1 0 3 " H32
		    " - - - 0 0 -\n", i);
	CHECK(ex_cat_parse(&c, text, n, &line) == NULL);
	CHECK_U64(c.n, 5000);
	CHECK_U64(c.e[4999].first, 4999);
	ex_cat_free(&c);
	free(text);
}

int
main(void)
{
	ex_setprog("segcat_test");
	roundtrip();
	version1();
	malformed();
	many();
	return unit_done("segcat_test");
}
