/*
 * libFuzzer harness for lib/tag.c.  Beyond "no crash, no read past the
 * input": an accepted tag is in canonical form, so formatting its offset
 * gives back exactly the bytes that were parsed, and a refused one says
 * why and leaves the outputs alone.  A line of a stream with marks is a
 * record exactly when ex_tag_split takes it, else a mark whose offset
 * formats back to the whole line, else refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *line = (const char *)data, *payload = NULL, *why;
	char buf[EX_TAG_MAX];
	uint64_t off = UINT64_MAX, whole = UINT64_MAX;
	size_t plen = SIZE_MAX, k;
	const char *lp = NULL, *lwhy;
	uint64_t loff = UINT64_MAX;
	size_t lplen = SIZE_MAX;
	int mark = -1;

	why = ex_tag_split(line, n, &off, &payload, &plen);
	if (why) {
		if (!*why || off != UINT64_MAX || payload || plen != SIZE_MAX)
			abort();
	} else {
		if (off > EX_OFF_MAX || payload < line || plen > n ||
		    payload + plen != line + n)
			abort();
		k = ex_tag_fmt(buf, off);
		if (k > EX_TAG_MAX - 1 || k != n - plen ||
		    memcmp(buf, line, k) != 0)
			abort();
	}

	lwhy = ex_tag_line(line, n, &loff, &lp, &lplen, &mark);
	if (lwhy) {
		if (!*lwhy || loff != UINT64_MAX || lp || lplen != SIZE_MAX ||
		    mark != -1 || !why)
			abort();
	} else if (mark == 0) {
		if (why || loff != off || lp != payload || lplen != plen)
			abort();
	} else {
		k = ex_mark_fmt(buf, loff);
		if (mark != 1 || !why || lplen != 0 || lp != line + n ||
		    k != n + 1 || memcmp(buf, line, n) != 0 || buf[n] != '\n')
			abort();
	}

	why = ex_off_parse(line, n, &whole);
	if (why) {
		if (!*why || whole != UINT64_MAX)
			abort();
	} else {
		k = ex_tag_fmt(buf, whole);
		if (whole > EX_OFF_MAX || k != n + 1 || memcmp(buf, line, n))
			abort();
	}
	return 0;
}
