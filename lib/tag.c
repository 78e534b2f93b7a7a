#include <string.h>

#include "tag.h"

/* Why an offset is refused: the reason alone, and the same said of a
 * progress mark. */
enum { OFF_OK, OFF_EMPTY, OFF_SIGN, OFF_NOTDEC, OFF_BIG, OFF_ZEROS };

#define WHY_OFF(pre) { \
	[OFF_EMPTY] = pre "empty offset", \
	[OFF_SIGN] = pre "offset has a sign", \
	[OFF_NOTDEC] = pre "offset is not a decimal number", \
	[OFF_BIG] = pre "offset is larger than 2^63-1", \
	[OFF_ZEROS] = pre "offset has leading zeros", \
}

static const char *const why_off[] = WHY_OFF("");
static const char *const why_mark[] = WHY_OFF("progress mark: ");

static int
off_check(const char *s, size_t n, uint64_t *off)
{
	uint64_t v = 0;

	if (n == 0)
		return OFF_EMPTY;
	if (s[0] == '-' || s[0] == '+')
		return OFF_SIGN;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return OFF_NOTDEC;
		/* 18 digits cannot pass 2^63-1: no division for them */
		if (i >= 18 && v > (EX_OFF_MAX - d) / 10)
			return OFF_BIG;
		v = v * 10 + d;
	}
	if (n > 1 && s[0] == '0')
		return OFF_ZEROS;
	*off = v;
	return OFF_OK;
}

const char *
ex_off_parse(const char *s, size_t n, uint64_t *off)
{
	int r = off_check(s, n, off);

	return r == OFF_OK ? NULL : why_off[r];
}

/* A record whose tag ends at tab. */
static const char *
split_at(const char *line, size_t len, const char *tab, uint64_t *off,
    const char **payload, size_t *plen)
{
	const char *why;

	if ((why = ex_off_parse(line, (size_t)(tab - line), off)))
		return why;
	*payload = tab + 1;
	*plen = len - (size_t)(tab - line) - 1;
	return NULL;
}

const char *
ex_tag_split(const char *line, size_t len, uint64_t *off,
    const char **payload, size_t *plen)
{
	const char *tab = memchr(line, '\t', len < 21 ? len : 21);

	if (!tab) {
		if (len == 0)
			return "empty line, expected OFFSET<TAB>PAYLOAD";
		/* too long for a tag, but say what is wrong with it rather
		 * than that the TAB is missing */
		if (!(tab = memchr(line, '\t', len)))
			return "no TAB after the offset, expected OFFSET<TAB>PAYLOAD";
	}
	return split_at(line, len, tab, off, payload, plen);
}

/* A sign, then one or more digits, and nothing else: meant as a mark. */
static int
markish(const char *s, size_t n)
{
	size_t i = n > 0 && (s[0] == '-' || s[0] == '+');

	if (i == n)
		return 0;
	for (; i < n; i++)
		if ((unsigned)((unsigned char)s[i] - '0') > 9)
			return 0;
	return 1;
}

const char *
ex_tag_line(const char *line, size_t len, uint64_t *off,
    const char **payload, size_t *plen, int *mark)
{
	const char *tab, *why;
	uint64_t v = 0;
	size_t i = 0;
	int r;
	unsigned d;

	/* The common case in one pass: up to 18 digits (which cannot pass
	 * 2^63-1), no leading zero, then the TAB.  Anything else is read
	 * again below, as ex_tag_split reads it. */
	while (i < len && i < 18 && (d = (unsigned char)line[i] - '0') <= 9) {
		v = v * 10 + d;
		i++;
	}
	if (i > 0 && i < len && line[i] == '\t' && (i == 1 || line[0] != '0')) {
		*off = v;
		*payload = line + i + 1;
		*plen = len - i - 1;
		*mark = 0;
		return NULL;
	}
	/* A record. */
	if ((tab = memchr(line, '\t', len < 21 ? len : 21))) {
		if (!(why = split_at(line, len, tab, off, payload, plen)))
			*mark = 0;
		return why;
	}
	/* Not meant as a mark: say what is wrong with it as a record. */
	if (!markish(line, len))
		return ex_tag_split(line, len, off, payload, plen);
	if ((r = off_check(line, len, &v)) != OFF_OK)
		return why_mark[r];
	*off = v;
	*payload = line + len;
	*plen = 0;
	*mark = 1;
	return NULL;
}

size_t
ex_tag_run(const char *p, size_t n, uint64_t from, uint64_t *count,
    uint64_t *last)
{
	const char *s = p, *e = p + n, *lf;
	uint64_t k = 0, max = *count, v = 0;

	while (k < max && s < e) {
		const char *d = s;
		uint64_t x = 0;

		/* up to 18 digits cannot pass 2^63-1; longer ones, rare, are
		 * left to ex_tag_split */
		while (d < e && d - s < 18 && (unsigned char)(*d - '0') <= 9)
			x = x * 10 + (uint64_t)(*d++ - '0');
		if (d == s || d == e || *d != '\t' || (*s == '0' && d - s > 1) ||
		    x < from || x >= EX_OFF_MAX)
			break;
		if (!(lf = memchr(d + 1, '\n', (size_t)(e - d - 1))))
			break;
		v = x;
		from = x + 1;
		s = lf + 1;
		k++;
	}
	*count = k;
	if (k > 0)
		*last = v;
	return (size_t)(s - p);
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

size_t
ex_tag_rec(char *buf, uint64_t off, const char *payload, size_t len,
    size_t tag)
{
	if (tag) {
		memcpy(buf, payload - tag, tag + len);
		return tag;
	}
	tag = ex_tag_fmt(buf, off);
	memcpy(buf + tag, payload, len);
	return tag;
}

size_t
ex_mark_fmt(char *buf, uint64_t off)
{
	size_t n = ex_tag_fmt(buf, off);

	buf[n - 1] = '\n';
	return n;
}
