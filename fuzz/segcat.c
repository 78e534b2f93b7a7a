/*
 * libFuzzer harness for lib/segcat.c's parser.  Beyond "no crash, no read
 * past the input": an accepted catalogue is one logcat could have written
 * — written out again and read back, it is the same text (so no line is
 * misread as another), its FIRSTs follow each other, and only the newest
 * segment may be unsealed.  A refused one says why and at which line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segcat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct ex_cat c, d;
	unsigned long line = 0, line2;
	const char *why = ex_cat_parse(&c, (const char *)data, n, &line);
	char *text, *again;
	size_t tn, an;

	if (why) {
		if (!*why || (line == 0 && n > 0))
			abort();
		ex_cat_free(&c);
		return 0;
	}
	for (size_t i = 0; i < c.n; i++) {
		if (i + 1 < c.n && (!c.e[i].sealed ||
		    c.e[i + 1].first != c.e[i].first + c.e[i].count))
			abort();
		if (c.e[i].fplen == 0 || c.e[i].fplen > EX_FP_LEN)
			abort();
	}
	text = ex_cat_text(&c, &tn);
	if (ex_cat_parse(&d, text, tn, &line2) || d.n != c.n)
		abort();
	again = ex_cat_text(&d, &an);
	if (an != tn || memcmp(again, text, tn) != 0)
		abort();
	/* a version 2 text is read back as itself */
	if (n >= 19 && memcmp(data, "exactly-segments 2\n", 19) == 0 &&
	    (tn != n || memcmp(text, data, n) != 0))
		abort();
	free(text);
	free(again);
	ex_cat_free(&c);
	ex_cat_free(&d);
	return 0;
}
