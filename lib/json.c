/*
 * A strict RFC 8259 scanner that validates a whole record and picks out one
 * top-level member.  It never recurses: nesting is tracked in a bit stack
 * (one bit per level: object or array), kept on the C stack for the first
 * JSON_LOCAL_DEPTH levels and on the heap beyond, so depth is limited only
 * by the record's own length (at most one bit per byte of it).
 *
 * Speed matters (dedup runs it on every record), so strings are scanned
 * sixteen (SSE2) or eight bytes at a time for the only bytes that need a
 * closer look: '"', '\\', control characters and non-ASCII; a document of
 * at most 128 bytes, where the CPU has AVX-512, is read as masks of its
 * quotes and digits instead.  Nothing is copied unless the wanted value
 * holds escapes, and the scratch buffer then grows once and is reused.
 */
#include <stdint.h>
#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define EX_JSON_WIDE
#endif
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "err.h"
#include "json.h"

#define JSON_LOCAL_DEPTH 4096
#define WHY_MAX 96

/* What scan() found for the wanted member; apart from EX_JSON_BAD. */
enum { V_NONE = 16, V_STRING, V_NUMBER, V_OTHER };

struct scan {
	const char *base, *end;
	struct ex_json_buf *scratch;
	const char **why;
};

/* Make sure the scratch buffer holds at least n bytes. */
static char *
scratch_reserve(struct ex_json_buf *b, size_t n)
{
	if (b->cap < n) {
		size_t cap = b->cap ? b->cap : 128;

		while (cap < n)
			cap *= 2;
		b->p = ex_realloc(b->p, cap);
		b->cap = cap;
	}
	return b->p;
}

/* Report "invalid JSON at byte N: what", N counted from 1.  The text lives
 * in the scratch buffer: no value is returned with EX_JSON_BAD. */
static int
bad(struct scan *s, const char *at, const char *what)
{
	char *buf = scratch_reserve(s->scratch, WHY_MAX);

	snprintf(buf, WHY_MAX, "invalid JSON at byte %zu: %s",
	    (size_t)(at - s->base) + 1, what);
	*s->why = buf;
	return EX_JSON_BAD;
}

static inline int
is_ws(unsigned char c)
{
	/* one comparison for the usual case, a byte above the space */
	return c <= ' ' && (UINT64_C(0x100002600) >> c & 1);
}

static inline const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && is_ws((unsigned char)*p))
		p++;
	return p;
}

static inline int
is_digit(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

static int
hexval(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The four hex digits of a \u escape at p (just past the "u"); -1 if they
 * are not four hex digits. */
static long
hex4(const char *p, const char *e)
{
	long v = 0;

	if (e - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)p[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/*
 * The length of the well-formed UTF-8 sequence at p (Unicode table 3-7:
 * no overlong forms, no encoded surrogates, nothing above U+10FFFF), or 0.
 */
static size_t
utf8_len(const unsigned char *p, const unsigned char *e)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(e - p) < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Masked with 0x80 in each byte: nonzero iff one of the eight bytes of x
 * is '"', '\\', a control character or non-ASCII, and the lowest set bit
 * marks the first such byte. */
static inline uint64_t
special8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101u;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return ((q - ones) & ~q) | ((b - ones) & ~b) | (x - ones * 0x20) | x;
}

/*
 * Scan the string whose opening quote is at p.  On success return the
 * byte after its closing quote and set *esc if it holds escapes; else
 * return NULL having reported why.
 */
static inline __attribute__((always_inline)) const char *
scan_string(struct scan *s, const char *p, int *esc)
{
	const char *e = s->end, *open = p;
	long u, lo;
	size_t n;

	*esc = 0;
	p++;
	for (;;) {
#ifdef __SSE2__
		/* a signed "less than space" catches control characters and
		 * every byte of 0x80 and above at once */
		while (e - p >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i m = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(x, _mm_set1_epi8(' ')));
			unsigned bits = (unsigned)_mm_movemask_epi8(m);

			if (bits) {
				p += __builtin_ctz(bits);
				goto look;
			}
			p += 16;
		}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		while (e - p >= 8) {
			const uint64_t high = 0x8080808080808080u;
			uint64_t x, m;

			memcpy(&x, p, 8);
			/* borrows may flag bytes after the first special
			 * one, never before it */
			m = special8(x) & high;
			if (m) {
				p += __builtin_ctzll(m) / 8;
				break;
			}
			p += 8;
		}
#endif
#ifdef __SSE2__
	look:
#endif
		if (p >= e) {
			bad(s, open, "unterminated string");
			return NULL;
		}
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20) {
			bad(s, p, "control character in a string");
			return NULL;
		}
		if (c >= 0x80) {
			if (!(n = utf8_len((const unsigned char *)p,
			    (const unsigned char *)e))) {
				bad(s, p, "invalid UTF-8 in a string");
				return NULL;
			}
			p += n;
			continue;
		}
		if (c != '\\') {
			p++;
			continue;
		}
		*esc = 1;
		if (e - p < 2) {
			bad(s, open, "unterminated string");
			return NULL;
		}
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			bad(s, p, "invalid escape in a string");
			return NULL;
		}
		if ((u = hex4(p + 2, e)) < 0) {
			bad(s, p, "\\u not followed by four hex digits");
			return NULL;
		}
		if (u >= 0xdc00 && u <= 0xdfff) {
			bad(s, p, "low surrogate without a high surrogate");
			return NULL;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			if (e - p < 12 || p[6] != '\\' || p[7] != 'u' ||
			    (lo = hex4(p + 8, e)) < 0xdc00 || lo > 0xdfff) {
				bad(s, p, "high surrogate without a low surrogate");
				return NULL;
			}
			p += 12;
		} else
			p += 6;
	}
}

static size_t
put_utf8(char *o, unsigned long u)
{
	if (u < 0x80) {
		o[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		o[0] = (char)(0xc0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		o[0] = (char)(0xe0 | u >> 12);
		o[1] = (char)(0x80 | (u >> 6 & 0x3f));
		o[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | u >> 18);
	o[1] = (char)(0x80 | (u >> 12 & 0x3f));
	o[2] = (char)(0x80 | (u >> 6 & 0x3f));
	o[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/* Unescape the body p[0..n) of a string scan_string accepted into o, which
 * has room for n bytes (unescaping never lengthens); return its length. */
static size_t
unescape(const char *p, size_t n, char *o)
{
	const char *e = p + n;
	size_t k = 0;

	while (p < e) {
		const char *bs = memchr(p, '\\', (size_t)(e - p));
		size_t run = bs ? (size_t)(bs - p) : (size_t)(e - p);
		unsigned long u;

		memcpy(o + k, p, run);
		k += run;
		if (!bs)
			break;
		p = bs + 2;
		switch (bs[1]) {
		case 'b': o[k++] = '\b'; continue;
		case 'f': o[k++] = '\f'; continue;
		case 'n': o[k++] = '\n'; continue;
		case 'r': o[k++] = '\r'; continue;
		case 't': o[k++] = '\t'; continue;
		case 'u': break;
		default: o[k++] = bs[1]; continue;
		}
		u = (unsigned long)hex4(p, e);
		p += 4;
		if (u >= 0xd800 && u <= 0xdbff) {
			u = 0x10000 + ((u - 0xd800) << 10) +
			    ((unsigned long)hex4(p + 2, e) - 0xdc00);
			p += 6;
		}
		k += put_utf8(o + k, u);
	}
	return k;
}

/* Scan the number at p; return the byte after it, or NULL. */
static const char *
scan_number(struct scan *s, const char *p)
{
	const char *e = s->end;

	if (*p == '-' && ++p == e) {
		bad(s, p, "'-' without digits");
		return NULL;
	}
	if (*p == '0') {
		if (++p < e && is_digit((unsigned char)*p)) {
			bad(s, p - 1, "number with a leading zero");
			return NULL;
		}
	} else if (is_digit((unsigned char)*p)) {
		while (++p < e && is_digit((unsigned char)*p))
			;
	} else {
		bad(s, p, "'-' without digits");
		return NULL;
	}
	if (p < e && *p == '.') {
		if (++p == e || !is_digit((unsigned char)*p)) {
			bad(s, p, "no digit after a decimal point");
			return NULL;
		}
		while (++p < e && is_digit((unsigned char)*p))
			;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p == e || !is_digit((unsigned char)*p)) {
			bad(s, p, "no digit in an exponent");
			return NULL;
		}
		while (++p < e && is_digit((unsigned char)*p))
			;
	}
	return p;
}

static const char *
scan_literal(struct scan *s, const char *p)
{
	size_t left = (size_t)(s->end - p);

	if (left >= 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4)))
		return p + 4;
	if (left >= 5 && !memcmp(p, "false", 5))
		return p + 5;
	bad(s, p, "expected a value");
	return NULL;
}

/* Does the member name body p[0..n) equal name once unescaped? */
static int
name_is(struct scan *s, const char *p, size_t n, int esc, const char *name,
    size_t namelen)
{
	char *o;

	if (!esc)
		return n == namelen && memcmp(p, name, n) == 0;
	if (n < namelen)
		return 0; /* unescaping only shortens */
	/* The scratch buffer is free: names are compared only until the
	 * first match, and the value is unescaped after the whole scan. */
	o = scratch_reserve(s->scratch, n);
	return unescape(p, n, o) == namelen && memcmp(o, name, namelen) == 0;
}

/* The bit stack: 1 for an object, 0 for an array, one bit per level. */
struct stack {
	unsigned char local[JSON_LOCAL_DEPTH / 8];
	unsigned char *bits;
	size_t cap; /* in bits */
};

static void
grow_stack(struct stack *st)
{
	size_t cap = st->cap * 2;

	if (st->bits == st->local) {
		st->bits = ex_malloc(cap / 8);
		memcpy(st->bits, st->local, sizeof st->local);
	} else
		st->bits = ex_realloc(st->bits, cap / 8);
	st->cap = cap;
}

static inline void
push(struct stack *st, size_t depth, int obj)
{
	if (depth >= st->cap)
		grow_stack(st);
	if (obj)
		st->bits[depth / 8] |= (unsigned char)(1u << depth % 8);
	else
		st->bits[depth / 8] &= (unsigned char)~(1u << depth % 8);
}

static inline int
top_is_obj(const struct stack *st, size_t depth)
{
	return st->bits[(depth - 1) / 8] >> (depth - 1) % 8 & 1;
}

static const char *
kind_why(char c)
{
	switch (c) {
	case '{': return "the member's value is an object, not a string or number";
	case '[': return "the member's value is an array, not a string or number";
	case 'n': return "the member's value is null, not a string or number";
	default: return "the member's value is a boolean, not a string or number";
	}
}

static int
scan(struct scan *s, struct stack *st, const char *name, size_t namelen,
    const char **val, size_t *vlen, int *vesc, const char **missing)
{
	const char *p = s->base, *e = s->end, *q;
	size_t depth = 0;
	int kind = V_NONE, want = 0, esc, obj = 0; /* obj: in an object */

	p = skip_ws(p, e);
	if (p == e)
		return bad(s, p, "empty, expected an object");
	if (*p != '{')
		return bad(s, p, "not an object");
	goto open_object;

value:
	/* p is at the first byte of a value, whitespace skipped */
	if (p == e)
		return bad(s, p, "expected a value");
	switch (*p) {
	case '"':
		if (!(q = scan_string(s, p, &esc)))
			return EX_JSON_BAD;
		if (want) {
			kind = V_STRING;
			*val = p + 1;
			*vlen = (size_t)(q - p) - 2;
			*vesc = esc;
		}
		p = q;
		break;
	case '{':
		if (want) {
			kind = V_OTHER;
			*missing = kind_why('{');
		}
	open_object:
		push(st, depth++, 1);
		obj = 1;
		want = 0;
		p = skip_ws(p + 1, e);
		if (p < e && *p == '}') {
			p++;
			obj = --depth ? top_is_obj(st, depth) : 0;
			break;
		}
		goto member;
	case '[':
		if (want) {
			kind = V_OTHER;
			*missing = kind_why('[');
		}
		push(st, depth++, 0);
		obj = 0;
		want = 0;
		p = skip_ws(p + 1, e);
		if (p < e && *p == ']') {
			p++;
			obj = --depth ? top_is_obj(st, depth) : 0;
			break;
		}
		goto value;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if (!(q = scan_number(s, p)))
			return EX_JSON_BAD;
		if (want) {
			kind = V_NUMBER;
			*val = p;
			*vlen = (size_t)(q - p);
		}
		p = q;
		break;
	default:
		if (!(q = scan_literal(s, p)))
			return EX_JSON_BAD;
		if (want) {
			kind = V_OTHER;
			*missing = kind_why(*p);
		}
		p = q;
		break;
	}
	want = 0;

after_value:
	/* a value (or a whole container) ended at p, at the given depth */
	if (depth == 0) {
		p = skip_ws(p, e);
		if (p != e)
			return bad(s, p, "trailing data after the object");
		return kind;
	}
	p = skip_ws(p, e);
	if (p == e)
		return bad(s, p, obj ? "unterminated object" :
		    "unterminated array");
	if (*p == ',') {
		p = skip_ws(p + 1, e);
		if (obj)
			goto member;
		goto value;
	}
	if (*p == (obj ? '}' : ']')) {
		p++;
		obj = --depth ? top_is_obj(st, depth) : 0;
		goto after_value;
	}
	return bad(s, p, obj ? "expected ',' or '}' after a member" :
	    "expected ',' or ']' after an element");

member:
	/* p is at what must be a member name, whitespace skipped */
	if (p == e)
		return bad(s, p, "unterminated object");
	if (*p != '"')
		return bad(s, p, "expected a member name");
	if (!(q = scan_string(s, p, &esc)))
		return EX_JSON_BAD;
	if (depth == 1 && kind == V_NONE &&
	    name_is(s, p + 1, (size_t)(q - p) - 2, esc, name, namelen))
		want = 1;
	p = skip_ws(q, e);
	if (p == e || *p != ':')
		return bad(s, p, "expected ':' after a member name");
	p = skip_ws(p + 1, e);
	goto value;
}

/* The strict scanner: every document, and the reference for every
 * answer and every reason. */
static int
strict(const char *doc, size_t n, const char *name, size_t namelen,
    struct ex_json_buf *scratch, const char **val, size_t *vlen,
    const char **why)
{
	struct scan s = { doc, doc + n, scratch, why };
	struct stack st;
	const char *missing = NULL;
	int r, vesc = 0;

	st.bits = st.local;
	st.cap = JSON_LOCAL_DEPTH;
	r = scan(&s, &st, name, namelen, val, vlen, &vesc, &missing);
	if (st.bits != st.local)
		free(st.bits);
	switch (r) {
	case EX_JSON_BAD:
		return EX_JSON_BAD;
	case V_NONE:
		*why = "no such top-level member";
		return EX_JSON_MISSING;
	case V_OTHER:
		*why = missing;
		return EX_JSON_MISSING;
	case V_STRING:
		if (vesc) {
			char *o = scratch_reserve(scratch, *vlen);

			*vlen = unescape(*val, *vlen, o);
			*val = o;
		}
		return EX_JSON_FOUND;
	default:
		return EX_JSON_FOUND;
	}
}

#ifndef EX_JSON_STRICT_ONLY
/*
 * The fast path: what a log line usually is, a document nested at most 63
 * deep whose strings are printable ASCII (0x20 to 0x7f) without a
 * backslash and whose whitespace is spaces.  There a string is simply the
 * bytes between two quotes, so the scan needs neither escapes nor UTF-8.
 * It reads the document in place, sixteen bytes at a time where it can
 * (a copy would cost more: loads across the copy's stores stall), and
 * decides only valid documents, with the strict scanner's answer;
 * anything else (an error included) it hands to the strict scanner,
 * which then says why.  fuzz/json.c holds the two to the same answers.
 */

#define FAST_UNSURE (-1)

/* The byte at i, or NUL past the end (NUL ends every scan below). */
#define AT(i) ((i) < n ? d[i] : 0)

/* The closing quote of the string whose opening quote is at i, or 0 if
 * the string holds a byte outside the fast path's alphabet or does not
 * end before the document does. */
static inline size_t
fast_string(const unsigned char *d, size_t n, size_t i)
{
	i++;
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
		/* a signed "less than space" catches control characters and
		 * every byte of 0x80 and above at once */
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
		    _mm_cmplt_epi8(x, _mm_set1_epi8(' '))));

		if (m) {
			i += (size_t)__builtin_ctz(m);
			return d[i] == '"' ? i : 0;
		}
	}
#endif
	for (; i < n; i++) {
		unsigned char c = d[i];

		if (c == '"')
			return i;
		if (c < 0x20 || c >= 0x80 || c == '\\')
			return 0;
	}
	return 0;
}

/* How many digits start at i. */
static inline size_t
fast_digits(const unsigned char *d, size_t n, size_t i)
{
	const uint64_t ones = 0x0101010101010101u;
	size_t k = i;

	for (; k + 8 <= n; k += 8) {
		uint64_t x, m;

		memcpy(&x, d + k, 8);
		x ^= ones * '0'; /* the digits become 0 to 9 */
		/* the high bit set in each byte that is not a digit; a carry
		 * leaves only bytes after the first such one */
		m = (x | (x + ones * 0x76)) & (ones * 0x80);
		if (m)
			return k + (size_t)__builtin_ctzll(m) / 8 - i;
	}
	while (k < n && is_digit(d[k]))
		k++;
	return k - i;
}

/* Documents of at most WIDE_MAX bytes have masks of their quotes and
 * digits, made 64 bytes at a time (AVX-512) where the CPU can: then the
 * end of a string is the next quote, and a run of digits the next bit
 * clear, with no loop over bytes.  Masks are kept only once the document
 * is known to hold no byte the fast path refuses ('\\', a control
 * character, non-ASCII): with none, a string's end is its next quote. */
#define WIDE_MAX 128

struct masks {
	uint64_t quote[2], digit[2];
};

/* The first set bit of m at or after i, or 0 if none (a string's closing
 * quote is never at byte 0). */
static inline size_t
next_bit(const uint64_t m[2], size_t i)
{
	uint64_t x;

	if (i < 64 && (x = m[0] >> i))
		return i + (size_t)__builtin_ctzll(x);
	if (i < 64)
		i = 64;
	if (i < WIDE_MAX && (x = m[1] >> (i - 64)))
		return i + (size_t)__builtin_ctzll(x);
	return 0;
}

/* How many bits of m are set from i on, in a row. */
static inline size_t
run_of(const uint64_t m[2], size_t i)
{
	size_t k = i;
	uint64_t x;

	if (k < 64) {
		if ((x = ~m[0] >> k))
			return (size_t)__builtin_ctzll(x);
		k = 64;
	}
	if (k < WIDE_MAX && (x = ~m[1] >> (k - 64)))
		return k + (size_t)__builtin_ctzll(x) - i;
	return WIDE_MAX - i;
}

/* The fast path itself, with the masks m or without (NULL): inlined into
 * each of its two callers, which makes two scanners of it. */
static inline __attribute__((always_inline)) int
fast_scan(const char *doc, size_t n, const char *name, size_t namelen,
    const char **val, size_t *vlen, const char **why, const struct masks *m)
{
	const unsigned char *d = (const unsigned char *)doc;
	uint64_t stack = 0; /* bit d: level d + 1 is an object */
	size_t i = 0, j, k, vstart = 0, vend = 0;
	unsigned depth = 0;
	int kind = V_NONE, want = 0;
	const char *missing = NULL;

#define SKIP() while (AT(i) == ' ') i++
#define STRING_END(i) (m ? next_bit(m->quote, (i) + 1) : fast_string(d, n, i))
#define DIGITS(i) (m ? run_of(m->digit, i) : fast_digits(d, n, i))
	SKIP();
	if (AT(i) != '{')
		return FAST_UNSURE;
	goto open_object;

value:
	switch (AT(i)) {
	case '"':
		if (!(j = STRING_END(i)))
			return FAST_UNSURE;
		if (want) {
			kind = V_STRING;
			vstart = i + 1;
			vend = j;
		}
		i = j + 1;
		break;
	case '{':
		if (want) {
			kind = V_OTHER;
			missing = kind_why('{');
		}
	open_object:
		if (depth == 63)
			return FAST_UNSURE;
		stack |= UINT64_C(1) << depth;
		depth++;
		want = 0;
		i++;
		SKIP();
		if (AT(i) == '}') {
			i++;
			depth--;
			break;
		}
		goto member;
	case '[':
		if (want) {
			kind = V_OTHER;
			missing = kind_why('[');
		}
		if (depth == 63)
			return FAST_UNSURE;
		stack &= ~(UINT64_C(1) << depth);
		depth++;
		want = 0;
		i++;
		SKIP();
		if (AT(i) == ']') {
			i++;
			depth--;
			break;
		}
		goto value;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		j = i;
		if (d[i] == '-')
			i++;
		if (AT(i) == '0')
			i++;
		else if ((k = DIGITS(i)))
			i += k;
		else
			return FAST_UNSURE;
		if (AT(i) == '.') {
			if (!(k = DIGITS(i + 1)))
				return FAST_UNSURE;
			i += 1 + k;
		}
		if ((AT(i) | 0x20) == 'e') {
			i++;
			if (AT(i) == '+' || AT(i) == '-')
				i++;
			if (!(k = DIGITS(i)))
				return FAST_UNSURE;
			i += k;
		}
		if (want) {
			kind = V_NUMBER;
			vstart = j;
			vend = i;
		}
		break;
	case 't':
	case 'n':
		if (n - i < 4 ||
		    memcmp(d + i, d[i] == 't' ? "true" : "null", 4) != 0)
			return FAST_UNSURE;
		goto literal;
	case 'f':
		if (n - i < 5 || memcmp(d + i, "false", 5) != 0)
			return FAST_UNSURE;
		i++;
	literal:
		if (want) {
			kind = V_OTHER;
			missing = kind_why((char)d[i]);
		}
		i += 4;
		break;
	default:
		return FAST_UNSURE;
	}
	want = 0;

after_value:
	SKIP();
	if (depth == 0) {
		if (i != n)
			return FAST_UNSURE;
		switch (kind) {
		case V_NONE:
			*why = "no such top-level member";
			return EX_JSON_MISSING;
		case V_OTHER:
			*why = missing;
			return EX_JSON_MISSING;
		default:
			*val = doc + vstart;
			*vlen = vend - vstart;
			return EX_JSON_FOUND;
		}
	}
	if (AT(i) == ',') {
		i++;
		SKIP();
		if (stack >> (depth - 1) & 1)
			goto member;
		goto value;
	}
	if (AT(i) == ((stack >> (depth - 1) & 1) ? '}' : ']')) {
		i++;
		depth--;
		goto after_value;
	}
	return FAST_UNSURE;

member:
	if (AT(i) != '"' || !(j = STRING_END(i)))
		return FAST_UNSURE;
	if (depth == 1 && kind == V_NONE && j - i - 1 == namelen &&
	    memcmp(d + i + 1, name, namelen) == 0)
		want = 1;
	i = j + 1;
	SKIP();
	if (AT(i) != ':')
		return FAST_UNSURE;
	i++;
	SKIP();
	goto value;
#undef SKIP
#undef STRING_END
#undef DIGITS
}
#undef AT

static int
fast(const char *doc, size_t n, const char *name, size_t namelen,
    const char **val, size_t *vlen, const char **why)
{
	return fast_scan(doc, n, name, namelen, val, vlen, why, NULL);
}

#ifdef EX_JSON_WIDE
static int
wide_ok(void)
{
	return ex_cpu_has(EX_CPU_AVX512F | EX_CPU_AVX512BW);
}

/* The masks of the 64 bytes at p (those of the first k only), into
 * quote[]/digit[]; whether they hold a byte the fast path refuses. */
static __attribute__((target("avx512f,avx512bw"))) inline int
mask64(const char *p, __mmask64 k, uint64_t *quote, uint64_t *digit)
{
	__m512i x = _mm512_maskz_loadu_epi8(k, p);
	__mmask64 odd = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\\')) |
	    _mm512_cmplt_epu8_mask(x, _mm512_set1_epi8(' ')) |
	    _mm512_movepi8_mask(x);

	*quote = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('"'));
	*digit = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(x,
	    _mm512_set1_epi8('0')), _mm512_set1_epi8(10));
	return (odd & k) != 0;
}

static __attribute__((target("avx512f,avx512bw"))) int
fast_wide(const char *doc, size_t n, const char *name, size_t namelen,
    const char **val, size_t *vlen, const char **why)
{
	struct masks m = { { 0, 0 }, { 0, 0 } };
	__mmask64 k0 = n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;

	if (mask64(doc, k0, &m.quote[0], &m.digit[0]))
		return FAST_UNSURE;
	if (n > 64 && mask64(doc + 64, n >= 128 ? ~(__mmask64)0 :
	    ((__mmask64)1 << (n - 64)) - 1, &m.quote[1], &m.digit[1]))
		return FAST_UNSURE;
	return fast_scan(doc, n, name, namelen, val, vlen, why, &m);
}
#else
static int
wide_ok(void)
{
	return 0;
}

static int
fast_wide(const char *doc, size_t n, const char *name, size_t namelen,
    const char **val, size_t *vlen, const char **why)
{
	return fast(doc, n, name, namelen, val, vlen, why);
}
#endif

#endif

int
ex_json_get(const char *doc, size_t n, const char *name, size_t namelen,
    struct ex_json_buf *scratch, const char **val, size_t *vlen,
    const char **why)
{
#ifndef EX_JSON_STRICT_ONLY
	int r = n <= WIDE_MAX && wide_ok() ?
	    fast_wide(doc, n, name, namelen, val, vlen, why) :
	    fast(doc, n, name, namelen, val, vlen, why);

	if (r != FAST_UNSURE)
		return r;
#endif
	return strict(doc, n, name, namelen, scratch, val, vlen, why);
}

#ifndef EX_JSON_STRICT_ONLY
int
ex_json_get_narrow(const char *doc, size_t n, const char *name,
    size_t namelen, struct ex_json_buf *scratch, const char **val,
    size_t *vlen, const char **why)
{
	int r = fast(doc, n, name, namelen, val, vlen, why);

	if (r != FAST_UNSURE)
		return r;
	return strict(doc, n, name, namelen, scratch, val, vlen, why);
}
#endif
