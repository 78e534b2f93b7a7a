/*
 * json_test — lib/json.c against RFC 8259, case by case: the exact outcome
 * code, the exact key bytes, and for bad input the exact reason and byte;
 * and its two fast paths (with AVX-512 masks, and without) against each
 * other across the seams of the masks.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "unit.h"

#define F EX_JSON_FOUND
#define M EX_JSON_MISSING
#define B EX_JSON_BAD

static struct ex_json_buf scratch; /* shared by every call, as dedup shares it */

/* One call: doc (dn bytes), key "k" unless name is given. */
static int
get(const char *doc, size_t dn, const char *name, const char **val,
    size_t *vlen, const char **why)
{
	*val = NULL;
	*vlen = 0;
	*why = NULL;
	return ex_json_get(doc, dn, name, strlen(name), &scratch, val, vlen,
	    why);
}

/* found(doc, value): doc has member "k" whose key is exactly value. */
#define found(doc, value) found_n(doc, sizeof doc - 1, "k", value, \
	sizeof value - 1, __LINE__)
#define found_in(doc, name, value) found_n(doc, sizeof doc - 1, name, \
	value, sizeof value - 1, __LINE__)

static void
found_n(const char *doc, size_t dn, const char *name, const char *want,
    size_t wn, int line)
{
	const char *val, *why;
	size_t vlen;
	int r = get(doc, dn, name, &val, &vlen, &why);

	unit_checks++;
	if (r != F || vlen != wn || memcmp(val, want, wn) != 0) {
		unit_failed++;
		fprintf(stderr, "json_test.c:%d: %s: got %d \"%.*s\" (%s), "
		    "want found \"%.*s\"\n", line, doc, r, (int)vlen,
		    val ? val : "", why ? why : "", (int)wn, want);
	}
}

/* outcome(doc, code, why): doc gives code with exactly this reason. */
#define outcome(doc, code, reason) outcome_n(doc, sizeof doc - 1, "k", \
	code, reason, __LINE__)

static void
outcome_n(const char *doc, size_t dn, const char *name, int want,
    const char *wantwhy, int line)
{
	const char *val, *why;
	size_t vlen;
	int r = get(doc, dn, name, &val, &vlen, &why);

	unit_checks++;
	if (r != want || !why || strcmp(why, wantwhy) != 0) {
		unit_failed++;
		fprintf(stderr, "json_test.c:%d: %.*s: got %d (%s), "
		    "want %d (%s)\n", line, (int)dn, doc, r,
		    why ? why : "no reason", want, wantwhy);
	}
}

static void
strings(void)
{
	found("{\"k\":\"v\"}", "v");
	found("{\"k\":\"\"}", "");
	found("{\"k\":\"a\\\"b\"}", "a\"b");
	found("{\"k\":\"\\\\\"}", "\\");
	found("{\"k\":\"\\/\"}", "/");
	found("{\"k\":\"\\b\\f\\n\\r\\t\"}", "\b\f\n\r\t");
	found("{\"k\":\"\\u0041\"}", "A");
	found("{\"k\":\"\\u00e9\"}", "\xc3\xa9");
	found("{\"k\":\"\\u00E9\"}", "\xc3\xa9");
	found("{\"k\":\"\\u20ac\"}", "\xe2\x82\xac");
	found("{\"k\":\"\\uffff\"}", "\xef\xbf\xbf");
	found("{\"k\":\"\\u0000\"}", "\0");
	found("{\"k\":\"\\ud83d\\ude00\"}", "\xf0\x9f\x98\x80");
	found("{\"k\":\"\\uD800\\uDC00\"}", "\xf0\x90\x80\x80");
	found("{\"k\":\"\\udbff\\udfff\"}", "\xf4\x8f\xbf\xbf");
	found("{\"k\":\"x\\ud83d\\ude00y\\n\"}", "x\xf0\x9f\x98\x80y\n");
	/* raw UTF-8 passes through untouched */
	found("{\"k\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	found("{\"k\":\"\x7f\"}", "\x7f");
	/* long strings go through the eight-byte scan and its tail */
	found("{\"k\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}",
	    "abcdefghijklmnopqrstuvwxyz0123456789");
	found("{\"k\":\"abcdefgh\\\"ijklmnop\\\\qrstuvw\"}",
	    "abcdefgh\"ijklmnop\\qrstuvw");

	outcome("{\"k\":\"v}", B, "invalid JSON at byte 6: unterminated string");
	outcome("{\"k\":\"abcdefghijklmnop", B,
	    "invalid JSON at byte 6: unterminated string");
	outcome("{\"k\":\"v\\", B, "invalid JSON at byte 6: unterminated string");
	outcome("{\"k\":\"a\tb\"}", B,
	    "invalid JSON at byte 8: control character in a string");
	outcome("{\"k\":\"abcdefghij\nb\"}", B,
	    "invalid JSON at byte 17: control character in a string");
	outcome("{\"k\":\"\x1f\"}", B,
	    "invalid JSON at byte 7: control character in a string");
	outcome_n("{\"k\":\"a\0b\"}", 10, "k", B,
	    "invalid JSON at byte 8: control character in a string", __LINE__);
	outcome("{\"k\":\"\\x\"}", B,
	    "invalid JSON at byte 7: invalid escape in a string");
	outcome("{\"k\":\"\\'\"}", B,
	    "invalid JSON at byte 7: invalid escape in a string");
	outcome("{\"k\":\"\\U0041\"}", B,
	    "invalid JSON at byte 7: invalid escape in a string");
	outcome("{\"k\":\"\\u004\"}", B,
	    "invalid JSON at byte 7: \\u not followed by four hex digits");
	outcome("{\"k\":\"\\u00g1\"}", B,
	    "invalid JSON at byte 7: \\u not followed by four hex digits");
	outcome("{\"k\":\"\\u12", B,
	    "invalid JSON at byte 7: \\u not followed by four hex digits");
	outcome("{\"k\":\"\\ud83d\"}", B,
	    "invalid JSON at byte 7: high surrogate without a low surrogate");
	outcome("{\"k\":\"\\ud83dx\\ude00\"}", B,
	    "invalid JSON at byte 7: high surrogate without a low surrogate");
	outcome("{\"k\":\"\\ud83d\\u0041\"}", B,
	    "invalid JSON at byte 7: high surrogate without a low surrogate");
	outcome("{\"k\":\"\\ud83d\\ud83d\"}", B,
	    "invalid JSON at byte 7: high surrogate without a low surrogate");
	outcome("{\"k\":\"\\ude00\\ud83d\"}", B,
	    "invalid JSON at byte 7: low surrogate without a high surrogate");
	outcome("{\"k\":\"\\udc00\"}", B,
	    "invalid JSON at byte 7: low surrogate without a high surrogate");
	/* UTF-8: bare continuation, overlong, surrogate, above U+10FFFF,
	 * truncated, invalid lead bytes */
	outcome("{\"k\":\"\x80\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xc0\xaf\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xc1\xbf\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xe0\x80\xaf\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xed\xa0\x80\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xf0\x80\x80\xaf\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xf4\x90\x80\x80\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xf5\x80\x80\x80\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xff\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xe2\x82\"}", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"\xe2\x82", B,
	    "invalid JSON at byte 7: invalid UTF-8 in a string");
	outcome("{\"k\":\"abc\xc3(\"}", B,
	    "invalid JSON at byte 10: invalid UTF-8 in a string");
	/* the edges that are fine */
	found("{\"k\":\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
	    "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}",
	    "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
	    "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
}

static void
numbers(void)
{
	found("{\"k\":0}", "0");
	found("{\"k\":-0}", "-0");
	found("{\"k\":1}", "1");
	found("{\"k\":1.0}", "1.0");
	found("{\"k\":1e5}", "1e5");
	found("{\"k\":1E5}", "1E5");
	found("{\"k\":1e+5}", "1e+5");
	found("{\"k\":1e-05}", "1e-05");
	found("{\"k\":-12.5e10}", "-12.5e10");
	found("{\"k\":0.000}", "0.000");
	found("{\"k\":123456789012345678901234567890}",
	    "123456789012345678901234567890");
	found("{\"k\":42 }", "42");
	found("{\"k\":42\n}", "42");
	found("{\"k\":7,\"j\":1}", "7");

	outcome("{\"k\":01}", B,
	    "invalid JSON at byte 6: number with a leading zero");
	outcome("{\"k\":-01}", B,
	    "invalid JSON at byte 7: number with a leading zero");
	outcome("{\"k\":00}", B,
	    "invalid JSON at byte 6: number with a leading zero");
	outcome("{\"k\":1.}", B,
	    "invalid JSON at byte 8: no digit after a decimal point");
	outcome("{\"k\":1.e5}", B,
	    "invalid JSON at byte 8: no digit after a decimal point");
	outcome("{\"k\":.5}", B, "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":+1}", B, "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":-}", B, "invalid JSON at byte 7: '-' without digits");
	outcome("{\"k\":-", B, "invalid JSON at byte 7: '-' without digits");
	outcome("{\"k\":-a}", B, "invalid JSON at byte 7: '-' without digits");
	outcome("{\"k\":1e}", B,
	    "invalid JSON at byte 8: no digit in an exponent");
	outcome("{\"k\":1e+}", B,
	    "invalid JSON at byte 9: no digit in an exponent");
	outcome("{\"k\":1E-x}", B,
	    "invalid JSON at byte 9: no digit in an exponent");
	outcome("{\"k\":0x10}", B,
	    "invalid JSON at byte 7: expected ',' or '}' after a member");
	outcome("{\"k\":1.5.2}", B,
	    "invalid JSON at byte 9: expected ',' or '}' after a member");
	outcome("{\"k\":NaN}", B, "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":Infinity}", B,
	    "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":-Infinity}", B,
	    "invalid JSON at byte 7: '-' without digits");
	outcome("{\"k\":1", B, "invalid JSON at byte 7: unterminated object");
}

static void
members(void)
{
	/* the first occurrence of a duplicate name wins */
	found("{\"k\":\"first\",\"k\":\"second\"}", "first");
	found("{\"k\":1,\"k\":\"second\"}", "1");
	outcome("{\"k\":null,\"k\":\"second\"}", M,
	    "the member's value is null, not a string or number");
	/* and the rest is still checked */
	outcome("{\"k\":\"first\",\"k\":}", B,
	    "invalid JSON at byte 18: expected a value");
	outcome("{\"k\":\"v\",\"j\":[1,2}", B,
	    "invalid JSON at byte 18: expected ',' or ']' after an element");
	/* names are compared once unescaped, both ways */
	found("{\"\\u006b\":\"v\"}", "v");
	found("{\"\\u006B\":\"v\"}", "v");
	found_in("{\"a\\\"b\":\"v\"}", "a\"b", "v");
	found_in("{\"a\\/b\":\"v\"}", "a/b", "v");
	found_in("{\"caf\\u00e9\":\"v\"}", "caf\xc3\xa9", "v");
	found_in("{\"caf\xc3\xa9\":\"v\"}", "caf\xc3\xa9", "v");
	found_in("{\"\\ud83d\\ude00\":\"v\"}", "\xf0\x9f\x98\x80", "v");
	outcome_n("{\"a\\u0000b\":\"v\"}", 16, "a", M,
	    "no such top-level member", __LINE__);
	found("{\"k\\u0000\":1,\"k\":2}", "2");
	found("{\"kk\":1,\"K\":2,\"k \":3,\"k\":4}", "4");
	/* an escaped name that unescapes to another name still counts as
	 * its first occurrence */
	found("{\"\\u006b\":\"a\",\"k\":\"b\"}", "a");
	found("{\"k\":\"a\",\"\\u006b\":\"b\"}", "a");
	/* escaped name compared, then an escaped value returned */
	found("{\"\\u006a\":\"x\",\"k\":\"a\\tb\"}", "a\tb");
	found("{\"k\":\"a\\tb\",\"\\u006a\":\"xyzxyzxyz\"}", "a\tb");
	/* nested members never match */
	found("{\"a\":{\"k\":\"inner\"},\"k\":\"outer\"}", "outer");
	found("{\"a\":[{\"k\":\"inner\"}],\"k\":\"outer\"}", "outer");
	found("{\"a\":{\"b\":{\"k\":1}},\"k\":2}", "2");
	outcome("{\"a\":{\"k\":\"inner\"}}", M, "no such top-level member");
	outcome("{\"a\":[\"k\"]}", M, "no such top-level member");
	outcome("{\"a\":\"k\"}", M, "no such top-level member");
	outcome("{}", M, "no such top-level member");
	outcome("{\"K\":1}", M, "no such top-level member");
	/* present but not a string or number */
	outcome("{\"k\":null}", M,
	    "the member's value is null, not a string or number");
	outcome("{\"k\":true}", M,
	    "the member's value is a boolean, not a string or number");
	outcome("{\"k\":false}", M,
	    "the member's value is a boolean, not a string or number");
	outcome("{\"k\":{\"k\":1}}", M,
	    "the member's value is an object, not a string or number");
	outcome("{\"k\":[1]}", M,
	    "the member's value is an array, not a string or number");
	outcome("{\"k\":{}}", M,
	    "the member's value is an object, not a string or number");
	outcome("{\"k\":[]}", M,
	    "the member's value is an array, not a string or number");
	/* found a key, but a later member name is not a string */
	outcome("{\"k\":1,j:2}", B,
	    "invalid JSON at byte 8: expected a member name");
	outcome("{\"k\":1,}", B,
	    "invalid JSON at byte 8: expected a member name");
	outcome("{\"k\" 1}", B,
	    "invalid JSON at byte 6: expected ':' after a member name");
	outcome("{\"k\"", B,
	    "invalid JSON at byte 5: expected ':' after a member name");
	outcome("{\"k\":", B, "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":1 \"j\":2}", B,
	    "invalid JSON at byte 8: expected ',' or '}' after a member");
	outcome("{,}", B, "invalid JSON at byte 2: expected a member name");
	outcome("{\"k\"::1}", B, "invalid JSON at byte 6: expected a value");
	/* the name is matched by its exact length, NUL included */
	{
		const char *val, *why;
		size_t vlen;
		static const char doc[] = "{\"a\\u0000b\":\"v\",\"a\":\"w\"}";
		int r = ex_json_get(doc, sizeof doc - 1,
		    "a\0b", 3, &scratch, &val, &vlen, &why);

		CHECK(r == F);
		CHECK_MEM(val, vlen, "v", 1);
	}
}

static void
literals_and_structure(void)
{
	found("{\"t\":true,\"f\":false,\"n\":null,\"k\":\"v\"}", "v");
	found("{\"a\":[],\"b\":{},\"c\":[[],{}],\"k\":\"v\"}", "v");
	found("{\"a\":[1,\"x\",true,null,{\"y\":[false]}],\"k\":3}", "3");
	outcome("{\"k\":tru}", B, "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":True}", B, "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":nul", B, "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":truex}", B,
	    "invalid JSON at byte 10: expected ',' or '}' after a member");
	outcome("{\"k\":undefined}", B,
	    "invalid JSON at byte 6: expected a value");
	outcome("{\"a\":[1,]}", B, "invalid JSON at byte 9: expected a value");
	outcome("{\"a\":[,1]}", B, "invalid JSON at byte 7: expected a value");
	outcome("{\"a\":[1 2]}", B,
	    "invalid JSON at byte 9: expected ',' or ']' after an element");
	outcome("{\"a\":[1}", B,
	    "invalid JSON at byte 8: expected ',' or ']' after an element");
	outcome("{\"a\":{\"b\":1]}", B,
	    "invalid JSON at byte 12: expected ',' or '}' after a member");
	outcome("{\"a\":[1", B, "invalid JSON at byte 8: unterminated array");
	outcome("{\"a\":{\"b\":1", B,
	    "invalid JSON at byte 12: unterminated object");
	outcome("{\"a\":{", B, "invalid JSON at byte 7: unterminated object");
	outcome("{\"a\":[", B, "invalid JSON at byte 7: expected a value");
	outcome("{", B, "invalid JSON at byte 2: unterminated object");
	outcome("{\"k\":1}}", B,
	    "invalid JSON at byte 8: trailing data after the object");
	outcome("{\"k\":1} {}", B,
	    "invalid JSON at byte 9: trailing data after the object");
	outcome("{\"k\":1}x", B,
	    "invalid JSON at byte 8: trailing data after the object");
	outcome_n("{\"k\":1}\0", 8, "k", B,
	    "invalid JSON at byte 8: trailing data after the object", __LINE__);
	/* top level */
	outcome("", B, "invalid JSON at byte 1: empty, expected an object");
	outcome("   ", B, "invalid JSON at byte 4: empty, expected an object");
	outcome("[1]", B, "invalid JSON at byte 1: not an object");
	outcome("\"k\"", B, "invalid JSON at byte 1: not an object");
	outcome("1", B, "invalid JSON at byte 1: not an object");
	outcome("null", B, "invalid JSON at byte 1: not an object");
	outcome("\xef\xbb\xbf{\"k\":1}", B,
	    "invalid JSON at byte 1: not an object");
	outcome("k=1", B, "invalid JSON at byte 1: not an object");
	outcome("}", B, "invalid JSON at byte 1: not an object");
}

static void
whitespace(void)
{
	found(" \t\r\n{ \t\r\n\"k\" \t\r\n: \t\r\n\"v\" \t\r\n, \t\r\n\"j\""
	    " : [ 1 , { } ] \t\r\n} \t\r\n", "v");
	found("{ \"k\" : 1 }", "1");
	outcome("{\"a\":[ ],\"k\":{ }}", M,
	    "the member's value is an object, not a string or number");
	/* whitespace JSON does not allow */
	outcome("{\"k\":\f1}", B, "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":\v1}", B, "invalid JSON at byte 6: expected a value");
	outcome("{\"k\":\xc2\xa0" "1}", B,
	    "invalid JSON at byte 6: expected a value");
}

static void
depth(void)
{
	/* far deeper than the bits kept on the C stack, and unbalanced */
	size_t n = 100000, len;
	char *doc = malloc(8 * n + 32);
	const char *val, *why;
	size_t vlen;
	int r;

	len = (size_t)sprintf(doc, "{\"a\":");
	for (size_t i = 0; i < n; i++) {
		memcpy(doc + len, "[{\"b\":", 6);
		len += 6;
	}
	memcpy(doc + len, "1", 1);
	len++;
	for (size_t i = 0; i < n; i++) {
		memcpy(doc + len, "}]", 2);
		len += 2;
	}
	memcpy(doc + len, ",\"k\":\"deep\"}", 12);
	len += 12;
	r = get(doc, len, "k", &val, &vlen, &why);
	CHECK(r == F);
	CHECK_MEM(val, vlen, "deep", 4);

	/* the same, one closing bracket short */
	memmove(doc + len - 14, doc + len - 13, 13);
	r = get(doc, len - 1, "k", &val, &vlen, &why);
	CHECK(r == B);
	CHECK_STR(why, "invalid JSON at byte 800005: "
	    "expected ',' or '}' after a member");

	/* only opening brackets: an unterminated array, no crash */
	len = (size_t)sprintf(doc, "{\"a\":");
	memset(doc + len, '[', n);
	len += n;
	r = get(doc, len, "k", &val, &vlen, &why);
	CHECK(r == B);
	CHECK_STR(why, "invalid JSON at byte 100006: expected a value");
	free(doc);
}

static void
long_values(void)
{
	/* a long escaped key grows the scratch buffer; a short one after it
	 * reuses it */
	size_t n = 1 << 20, len;
	char *doc = malloc(2 * n + 32), *want = malloc(n);
	const char *val, *why;
	size_t vlen;
	int r;

	len = (size_t)sprintf(doc, "{\"k\":\"");
	for (size_t i = 0; i < n; i++) {
		if (i % 1000 == 0) {
			memcpy(doc + len, "\\n", 2);
			len += 2;
			want[i] = '\n';
		} else {
			doc[len++] = (char)('a' + i % 26);
			want[i] = (char)('a' + i % 26);
		}
	}
	memcpy(doc + len, "\"}", 2);
	len += 2;
	r = get(doc, len, "k", &val, &vlen, &why);
	CHECK(r == F);
	CHECK(vlen == n && memcmp(val, want, n) == 0);
	found("{\"k\":\"\\u0041\\u0042\"}", "AB");
	free(doc);
	free(want);
}

static void
not_nul_terminated(void)
{
	/* the scanner reads exactly n bytes: give it a buffer with nothing
	 * after them so a sanitizer would catch a read past the end */
	static const char *docs[] = {
		"{\"k\":1}", "{\"k\":12", "{\"k\":\"abcdefghijklmnop\"}",
		"{\"k\":\"abcdefghijklmnop", "{\"k\":tru", "{\"k\":\"\\u12",
		"{\"k\":\"\\ud83d\\ude0", "{\"k\":\"\xf0\x9f\x98", "{\"k\":1e",
		"{\"k\":-", "{\"k\":0.", "{\"k\":[", "{\"k\":\"\\",
	};

	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		size_t n = strlen(docs[i]);
		char *p = malloc(n);
		const char *val, *why;
		size_t vlen;

		memcpy(p, docs[i], n);
		int r = get(p, n, "k", &val, &vlen, &why);

		unit_checks++;
		if (r != (i == 0 || i == 2 ? F : B)) {
			unit_failed++;
			fprintf(stderr, "json_test.c: %s: got %d (%s)\n",
			    docs[i], r, why ? why : "");
		}
		free(p);
	}
}

/* ex_json_get and ex_json_get_narrow give the same answer, reason for
 * reason, on doc[0..n). */
static void
same(const char *doc, size_t n)
{
	static struct ex_json_buf s2;
	const char *v1 = NULL, *v2 = NULL, *w1 = NULL, *w2 = NULL;
	size_t l1 = 0, l2 = 0;
	int r1 = ex_json_get(doc, n, "k", 1, &scratch, &v1, &l1, &w1);
	int r2 = ex_json_get_narrow(doc, n, "k", 1, &s2, &v2, &l2, &w2);

	unit_checks++;
	if (r1 != r2 || (r1 == F && (l1 != l2 || memcmp(v1, v2, l1) != 0)) ||
	    (r1 != F && strcmp(w1, w2) != 0)) {
		unit_failed++;
		fprintf(stderr, "json_test.c: %.*s: %d (%s) against %d (%s)\n",
		    (int)n, doc, r1, w1 ? w1 : "", r2, w2 ? w2 : "");
	}
}

/* Documents of every length up to past 128 bytes (where the scanner with
 * AVX-512 masks stops), their strings, numbers and ends at every byte
 * across the 64-byte seams: found, and with every prefix, every odd byte
 * (an escape, a control character, non-ASCII) in the padding, the same
 * answer as without the masks. */
static void
seams(void)
{
	static const char *odd[] = { "", "\\\"", "\\t", "\303\251", "\\u0041" };
	char doc[400], want[32], pad[200];

	memset(pad, 'x', sizeof pad);
	for (size_t o = 0; o < sizeof odd / sizeof *odd; o++)
		for (int np = 0; np < 150; np++) {
			int n = snprintf(doc, sizeof doc, "{\"a\":\"%.*s%s\","
			    "\"k\":\"v%d\",\"n\":12345678901,\"x\":[-0.5e+7,"
			    "true]}", np, pad, odd[o], np);
			int wn = snprintf(want, sizeof want, "v%d", np);

			found_n(doc, (size_t)n, "k", want, (size_t)wn,
			    __LINE__);
			for (int m = 0; m <= n; m++)
				same(doc, (size_t)m);
			n = snprintf(doc, sizeof doc, "{\"a\":\"%.*s%s\","
			    "\"k\":%d}", np, pad, odd[o], 1000000 + np);
			for (int m = 0; m <= n; m++)
				same(doc, (size_t)m);
		}
}

int
main(void)
{
	seams();
	strings();
	numbers();
	members();
	literals_and_structure();
	whitespace();
	depth();
	long_values();
	not_nul_terminated();
	free(scratch.p);
	return unit_done("json_test");
}
