/*
 * libFuzzer harness for lib/offfile.c's parser.  An accepted file's first
 * line is exactly what ex_offfile_write would write for that offset, so
 * no two texts of one offset are both accepted and none is misread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "offfile.h"
#include "tag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *text = (const char *)data, *why, *lf;
	char buf[EX_TAG_MAX];
	uint64_t off = UINT64_MAX;
	size_t k, first;

	why = ex_offfile_parse(text, n, &off);
	if (why) {
		if (!*why || off != UINT64_MAX)
			abort();
		return 0;
	}
	lf = memchr(text, '\n', n);
	first = lf ? (size_t)(lf - text) : n;
	k = ex_tag_fmt(buf, off) - 1;
	if (off > EX_OFF_MAX || k != first || memcmp(buf, text, k) != 0)
		abort();
	return 0;
}
