#include <string.h>

#include "tag.h"

const char *
ex_off_parse(const char *s, size_t n, uint64_t *off)
{
	uint64_t v = 0;

	if (n == 0)
		return "empty offset";
	if (s[0] == '-' || s[0] == '+')
		return "offset has a sign";
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return "offset is not a decimal number";
		/* 18 digits cannot pass 2^63-1: no division for them */
		if (i >= 18 && v > (EX_OFF_MAX - d) / 10)
			return "offset is larger than 2^63-1";
		v = v * 10 + d;
	}
	if (n > 1 && s[0] == '0')
		return "offset has leading zeros";
	*off = v;
	return NULL;
}

const char *
ex_tag_split(const char *line, size_t len, uint64_t *off,
    const char **payload, size_t *plen)
{
	const char *tab = memchr(line, '\t', len < 21 ? len : 21);
	const char *why;

	if (!tab) {
		if (len == 0)
			return "empty line, expected OFFSET<TAB>PAYLOAD";
		/* too long for a tag, but say what is wrong with it rather
		 * than that the TAB is missing */
		if (!(tab = memchr(line, '\t', len)))
			return "no TAB after the offset, expected OFFSET<TAB>PAYLOAD";
	}
	if ((why = ex_off_parse(line, (size_t)(tab - line), off)))
		return why;
	*payload = tab + 1;
	*plen = len - (size_t)(tab - line) - 1;
	return NULL;
}

size_t
ex_tag_fmt(char *buf, uint64_t off)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + off % 10);
		off /= 10;
	} while (off);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\t';
	return n + 1;
}
