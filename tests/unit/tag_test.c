/*
 * tag_test — lib/tag.c: offsets, record tags and progress marks at every
 * edge, with the exact value or the exact reason.
 */
#include <stdint.h>
#include <string.h>

#include "tag.h"
#include "unit.h"

/* off(s, value): s parses to value.  offbad(s, reason): it does not. */
#define off(s, value) off_n(s, sizeof s - 1, value, NULL, __LINE__)
#define offbad(s, reason) off_n(s, sizeof s - 1, 0, reason, __LINE__)

static void
off_n(const char *s, size_t n, uint64_t want, const char *wantwhy, int line)
{
	uint64_t v = 12345;
	const char *why = ex_off_parse(s, n, &v);

	unit_checks++;
	if ((why == NULL) != (wantwhy == NULL) ||
	    (why && strcmp(why, wantwhy) != 0) || (!why && v != want) ||
	    (why && v != 12345)) {
		unit_failed++;
		fprintf(stderr, "tag_test.c:%d: \"%.*s\": got %s, %" PRIu64
		    "; want %s, %" PRIu64 "\n", line, (int)n, s,
		    why ? why : "ok", v, wantwhy ? wantwhy : "ok", want);
	}
}

static void
offsets(void)
{
	off("0", 0);
	off("1", 1);
	off("9", 9);
	off("10", 10);
	off("1000", 1000);
	off("4294967296", 4294967296u);
	off("9223372036854775806", INT64_MAX - 1);
	off("9223372036854775807", INT64_MAX);

	offbad("", "empty offset");
	offbad("9223372036854775808", "offset is larger than 2^63-1");
	offbad("9223372036854775810", "offset is larger than 2^63-1");
	offbad("9999999999999999999", "offset is larger than 2^63-1");
	offbad("18446744073709551615", "offset is larger than 2^63-1");
	offbad("18446744073709551616", "offset is larger than 2^63-1");
	offbad("99999999999999999999999999", "offset is larger than 2^63-1");
	offbad("00", "offset has leading zeros");
	offbad("01", "offset has leading zeros");
	offbad("007", "offset has leading zeros");
	offbad("09223372036854775807", "offset has leading zeros");
	offbad("+1", "offset has a sign");
	offbad("-1", "offset has a sign");
	offbad("-0", "offset has a sign");
	offbad("+0", "offset has a sign");
	offbad(" 1", "offset is not a decimal number");
	offbad("1 ", "offset is not a decimal number");
	offbad("1a", "offset is not a decimal number");
	offbad("0x10", "offset is not a decimal number");
	offbad("1e3", "offset is not a decimal number");
	offbad("1.0", "offset is not a decimal number");
	offbad("\xd9\xa1", "offset is not a decimal number"); /* Arabic 1 */
	offbad("1\r", "offset is not a decimal number");
	off_n("1\0", 2, 0, "offset is not a decimal number", __LINE__);
	off_n("\0", 1, 0, "offset is not a decimal number", __LINE__);
	/* n bounds the parse: the bytes after it are never looked at */
	off_n("12x", 2, 12, NULL, __LINE__);
	off_n("0123", 1, 0, NULL, __LINE__);
}

/* split(line, offset, payload) and splitbad(line, reason). */
#define split(l, o, p) split_n(l, sizeof l - 1, o, p, sizeof p - 1, NULL, \
	__LINE__)
#define splitbad(l, reason) split_n(l, sizeof l - 1, 0, "", 0, reason, \
	__LINE__)

static void
split_n(const char *line, size_t len, uint64_t wantoff, const char *wantp,
    size_t wantplen, const char *wantwhy, int ln)
{
	uint64_t o = 12345;
	const char *p = NULL;
	size_t plen = 99;
	const char *why = ex_tag_split(line, len, &o, &p, &plen);

	unit_checks++;
	if ((why == NULL) != (wantwhy == NULL) ||
	    (why && strcmp(why, wantwhy) != 0) ||
	    (!why && (o != wantoff || plen != wantplen ||
	    p != line + (len - plen) || memcmp(p, wantp, plen) != 0))) {
		unit_failed++;
		fprintf(stderr, "tag_test.c:%d: \"%.*s\": got %s, %" PRIu64
		    " \"%.*s\"; want %s, %" PRIu64 " \"%.*s\"\n", ln,
		    (int)len, line, why ? why : "ok", o,
		    why ? 0 : (int)plen, p ? p : "",
		    wantwhy ? wantwhy : "ok", wantoff, (int)wantplen, wantp);
	}
}

static void
tags(void)
{
	split("0\tx", 0, "x");
	split("0\t", 0, "");
	split("42\t{\"a\":1}", 42, "{\"a\":1}");
	split("9223372036854775807\tlast", INT64_MAX, "last");
	/* TAB, CR and the rest belong to the payload */
	split("7\ta\tb\t", 7, "a\tb\t");
	split("7\t\t", 7, "\t");
	split("7\tpayload\r", 7, "payload\r");
	split_n("7\ta\0b", 5, 7, "a\0b", 3, NULL, __LINE__);
	split_n("7\t\xff\xfe", 4, 7, "\xff\xfe", 2, NULL, __LINE__);

	splitbad("", "empty line, expected OFFSET<TAB>PAYLOAD");
	splitbad("42", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	splitbad("42 x", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	splitbad("{\"a\":1}",
	    "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	splitbad("\tx", "empty offset");
	splitbad("\t", "empty offset");
	splitbad("01\tx", "offset has leading zeros");
	splitbad("-1\tx", "offset has a sign");
	splitbad("+1\tx", "offset has a sign");
	splitbad(" 1\tx", "offset is not a decimal number");
	splitbad("1 \tx", "offset is not a decimal number");
	splitbad("abc\tx", "offset is not a decimal number");
	splitbad("9223372036854775808\tx", "offset is larger than 2^63-1");
	splitbad("18446744073709551616\tx", "offset is larger than 2^63-1");
	/* an offset too long for any tag still gets its own reason */
	splitbad("123456789012345678901\tx", "offset is larger than 2^63-1");
	splitbad("99999999999999999999999999999999\tx",
	    "offset is larger than 2^63-1");
	splitbad("000000000000000000000000000007\tx",
	    "offset has leading zeros");
	splitbad("2026-11-27T12:00:00Z\thello",
	    "offset is not a decimal number");
	splitbad("a long line of text without any tab at all",
	    "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
}

/* line(l, offset, payload): a record; mark(l, offset): a progress mark;
 * linebad(l, reason): neither, and nothing written. */
#define line(l, o, p) line_n(l, sizeof l - 1, o, p, sizeof p - 1, 0, NULL, \
	__LINE__)
#define mark(l, o) line_n(l, sizeof l - 1, o, "", 0, 1, NULL, __LINE__)
#define linebad(l, reason) line_n(l, sizeof l - 1, 0, "", 0, 0, reason, \
	__LINE__)

static void
line_n(const char *l, size_t len, uint64_t wantoff, const char *wantp,
    size_t wantplen, int wantmark, const char *wantwhy, int ln)
{
	uint64_t o = 12345;
	const char *p = NULL;
	size_t plen = 99;
	int m = 7;
	const char *why = ex_tag_line(l, len, &o, &p, &plen, &m);

	unit_checks++;
	if ((why == NULL) != (wantwhy == NULL) ||
	    (why && strcmp(why, wantwhy) != 0) ||
	    (why && (o != 12345 || p != NULL || plen != 99 || m != 7)) ||
	    (!why && (o != wantoff || m != wantmark || plen != wantplen ||
	    p != l + (len - plen) || memcmp(p, wantp, plen) != 0))) {
		unit_failed++;
		fprintf(stderr, "tag_test.c:%d: \"%.*s\": got %s, %s %" PRIu64
		    " \"%.*s\"; want %s, %s %" PRIu64 " \"%.*s\"\n", ln,
		    (int)len, l, why ? why : "ok", m == 1 ? "mark" : "record",
		    o, why ? 0 : (int)plen, p ? p : "",
		    wantwhy ? wantwhy : "ok", wantmark ? "mark" : "record",
		    wantoff, (int)wantplen, wantp);
	}
}

static void
lines(void)
{
	/* records, as ex_tag_split reads them */
	line("0\tx", 0, "x");
	line("0\t", 0, "");
	line("42\t{\"a\":1}", 42, "{\"a\":1}");
	line("7\ta\tb\t", 7, "a\tb\t");
	line("9223372036854775807\tlast", INT64_MAX, "last");
	/* 18 digits are read in one pass, 19 the long way: both alike */
	line("999999999999999999\tx", 999999999999999999, "x");
	line("1000000000000000000\tx", 1000000000000000000, "x");
	/* a digit string alone after the TAB is a payload, not a mark */
	line("5\t6", 5, "6");
	line_n("7\ta\0b", 5, 7, "a\0b", 3, 0, NULL, __LINE__);

	/* marks: an offset alone, canonical as any other */
	mark("0", 0);
	mark("7", 7);
	mark("42", 42);
	mark("1000", 1000);
	mark("9223372036854775806", INT64_MAX - 1);
	mark("9223372036854775807", INT64_MAX);

	/* marks that are not: the reason, said of a mark */
	linebad("00", "progress mark: offset has leading zeros");
	linebad("07", "progress mark: offset has leading zeros");
	linebad("0000000000000000000000000000007",
	    "progress mark: offset has leading zeros");
	linebad("-1", "progress mark: offset has a sign");
	linebad("+1", "progress mark: offset has a sign");
	linebad("-0", "progress mark: offset has a sign");
	linebad("+0", "progress mark: offset has a sign");
	linebad("9223372036854775808", "progress mark: offset is larger than 2^63-1");
	linebad("18446744073709551616",
	    "progress mark: offset is larger than 2^63-1");
	linebad("99999999999999999999999999999999",
	    "progress mark: offset is larger than 2^63-1");

	/* anything else without a TAB is a record that lacks it */
	linebad("", "empty line, expected OFFSET<TAB>PAYLOAD");
	linebad("-", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("+", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("--1", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("+-1", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("1-", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("7 ", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad(" 7", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("7\r", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("7 x", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("0x7", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("1e3", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("hello", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	linebad("\xd9\xa1", "no TAB after the offset, expected OFFSET<TAB>PAYLOAD");
	line_n("7\0", 2, 0, "", 0, 0,
	    "no TAB after the offset, expected OFFSET<TAB>PAYLOAD", __LINE__);
	/* a bad offset before a TAB is a bad record, as before */
	linebad("07\tx", "offset has leading zeros");
	linebad("-7\tx", "offset has a sign");
	linebad("\tx", "empty offset");
	linebad("123456789012345678901\tx", "offset is larger than 2^63-1");
	linebad("9223372036854775808\tx", "offset is larger than 2^63-1");
	linebad("000000000000000001\tx", "offset has leading zeros");
	linebad("2026-11-27T12:00:00Z\thello", "offset is not a decimal number");
	/* len bounds the line: the bytes after it are never looked at */
	line_n("12\tx", 2, 12, "", 0, 1, NULL, __LINE__);
	line_n("7\n8", 1, 7, "", 0, 1, NULL, __LINE__);
	line_n("12x", 2, 12, "", 0, 1, NULL, __LINE__);
}

static void
marks_fmt(void)
{
	char buf[EX_TAG_MAX];
	uint64_t x = 88172645463325252u, v, got;
	size_t n, plen;
	int m;

	n = ex_mark_fmt(buf, 0);
	CHECK_MEM(buf, n, "0\n", 2);
	n = ex_mark_fmt(buf, 1000);
	CHECK_MEM(buf, n, "1000\n", 5);
	n = ex_mark_fmt(buf, INT64_MAX);
	CHECK_MEM(buf, n, "9223372036854775807\n", 20);
	CHECK(n <= EX_TAG_MAX);
	/* every mark written, of every length of digits, reads back as it */
	for (int i = 0; i < 10000; i++) {
		const char *why, *p;

		unit_rand(&x);
		v = (x & INT64_MAX) >> (i % 63);
		n = ex_mark_fmt(buf, v);
		got = 0;
		m = 0;
		why = ex_tag_line(buf, n - 1, &got, &p, &plen, &m);
		if (why || got != v || m != 1 || plen != 0 || buf[n - 1] != '\n') {
			CHECK_STR(why, NULL);
			CHECK_U64(got, v);
			break;
		}
	}
}

static void
formats(void)
{
	static const uint64_t vals[] = {
		0, 1, 9, 10, 99, 100, 12345, 4294967295u, 4294967296u,
		999999999999999999u, 1000000000000000000u, INT64_MAX - 1,
		INT64_MAX,
	};
	char buf[EX_TAG_MAX];
	uint64_t x = 88172645463325252u, v;
	size_t n;

	n = ex_tag_fmt(buf, 0);
	CHECK_MEM(buf, n, "0\t", 2);
	n = ex_tag_fmt(buf, 1000);
	CHECK_MEM(buf, n, "1000\t", 5);
	n = ex_tag_fmt(buf, INT64_MAX);
	CHECK_MEM(buf, n, "9223372036854775807\t", 20);
	CHECK(n + 1 <= EX_TAG_MAX);
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		n = ex_tag_fmt(buf, vals[i]);
		CHECK(buf[n - 1] == '\t');
		CHECK(ex_off_parse(buf, n - 1, &v) == NULL);
		CHECK_U64(v, vals[i]);
	}
	/* and a spread of values with every length of digits */
	for (int i = 0; i < 10000; i++) {
		const char *p, *why;
		size_t plen;
		char line[EX_TAG_MAX + 1];
		uint64_t o = 0;

		unit_rand(&x);
		v = (x & INT64_MAX) >> (i % 63);
		n = ex_tag_fmt(line, v);
		line[n] = 'p';
		why = ex_tag_split(line, n + 1, &o, &p, &plen);
		if (why || o != v || plen != 1 || *p != 'p') {
			CHECK_STR(why, NULL);
			CHECK_U64(o, v);
			break;
		}
	}
}

/* ex_tag_rec: a record's line, its tag copied from before the payload
 * when said to be there, else formatted; the same bytes either way. */
static void
recs(void)
{
	static const char line[] = "1234\tpay\tload";
	char buf[EX_TAG_MAX + 16];
	size_t n;

	memset(buf, '#', sizeof buf);
	n = ex_tag_rec(buf, 1234, line + 5, 8, 5); /* copied */
	CHECK_U64(n, 5);
	CHECK_MEM(buf, n + 8, "1234\tpay\tload", 13);
	CHECK(buf[13] == '#');
	memset(buf, '#', sizeof buf);
	n = ex_tag_rec(buf, 1234, line + 5, 8, 0); /* formatted */
	CHECK_U64(n, 5);
	CHECK_MEM(buf, n + 8, "1234\tpay\tload", 13);
	CHECK(buf[13] == '#');
	n = ex_tag_rec(buf, INT64_MAX, "", 0, 0);
	CHECK_MEM(buf, n, "9223372036854775807\t", 20);
}

/* run(p, from, max, bytes, lines, last): ex_tag_run's run in p. */
#define run(p, from, max, bytes, lines, last) \
	run_n(p, sizeof p - 1, from, max, bytes, lines, last, __LINE__)

static void
run_n(const char *p, size_t n, uint64_t from, uint64_t max, size_t wbytes,
    uint64_t wlines, uint64_t wlast, int line)
{
	uint64_t k = max, last = 777;
	size_t got = ex_tag_run(p, n, from, &k, &last);

	unit_checks++;
	if (got != wbytes || k != wlines || last != wlast) {
		unit_failed++;
		fprintf(stderr, "tag_test.c:%d: got %zu bytes, %" PRIu64
		    " lines, last %" PRIu64 "; want %zu, %" PRIu64 ", %" PRIu64
		    "\n", line, got, k, last, wbytes, wlines, wlast);
	}
}

static void
runs(void)
{
	run("", 0, 10, 0, 0, 777);
	run("0\ta\n1\tb\n", 0, 10, 8, 2, 1);
	run("0\ta\n1\tb\n", 0, 1, 4, 1, 0);
	run("0\ta\n1\tb\n", 0, 0, 0, 0, 777);
	/* an unterminated tail is not part of it */
	run("0\ta\n1\tb", 0, 10, 4, 1, 0);
	run("5\t\n", 0, 10, 3, 1, 5);
	/* gaps are fine; from, order and the largest offset are kept */
	run("3\tx\n9\ty\n", 3, 10, 8, 2, 9);
	run("3\tx\n9\ty\n", 4, 10, 0, 0, 777);
	run("3\tx\n3\ty\n", 0, 10, 4, 1, 3);
	run("3\tx\n2\ty\n", 0, 10, 4, 1, 3);
	/* what the caller must look at line by line */
	run("1\tx\n7\n8\ty\n", 0, 10, 4, 1, 1);    /* a progress mark */
	run("1\tx\n\n", 0, 10, 4, 1, 1);             /* an empty line */
	run("1\tx\n01\ty\n", 0, 10, 4, 1, 1);       /* a leading zero */
	run("00\tx\n", 0, 10, 0, 0, 777);
	run("1\tx\n-2\ty\n", 0, 10, 4, 1, 1);
	run("1\tx\n2 \ty\n", 0, 10, 4, 1, 1);
	run("\tx\n", 0, 10, 0, 0, 777);
	run("12", 0, 10, 0, 0, 777);
	run("12\t", 0, 10, 0, 0, 777);
	/* 18 digits are taken; 19, up to 2^63-1, are left to ex_tag_split */
	run("999999999999999999\tx\n", 0, 10, 21, 1, 999999999999999999u);
	run("1000000000000000000\tx\n", 0, 10, 0, 0, 777);
	run("9223372036854775807\tx\n", 0, 10, 0, 0, 777);
	/* TAB, CR and NUL in the payload are payload */
	run("4\ta\tb\r\0c\n", 0, 10, 9, 1, 4);
}

int
main(void)
{
	offsets();
	tags();
	lines();
	marks_fmt();
	formats();
	recs();
	runs();
	return unit_done("tag_test");
}
