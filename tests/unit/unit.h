/*
 * unit.h — the few macros the C unit tests share.
 *
 * Each *_test.c is one program: every failed check prints file, line and
 * both values and the program exits 1 at the end, so one run lists every
 * failure rather than the first.
 */
#ifndef EX_UNIT_H
#define EX_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_failed, unit_checks;

#define CHECK(cond) do { \
	unit_checks++; \
	if (!(cond)) { \
		unit_failed++; \
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, \
		    #cond); \
	} \
} while (0)

#define CHECK_U64(got, want) do { \
	uint64_t g_ = (got), w_ = (want); \
	unit_checks++; \
	if (g_ != w_) { \
		unit_failed++; \
		fprintf(stderr, "%s:%d: %s is %" PRIu64 ", want %" PRIu64 "\n", \
		    __FILE__, __LINE__, #got, g_, w_); \
	} \
} while (0)

/* Compare a possibly NULL C string with the expected one (NULL for none). */
#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	unit_checks++; \
	if ((g_ == NULL) != (w_ == NULL) || (g_ && strcmp(g_, w_) != 0)) { \
		unit_failed++; \
		fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", \
		    __FILE__, __LINE__, #got, g_ ? g_ : "(null)", \
		    w_ ? w_ : "(null)"); \
	} \
} while (0)

/* Compare n bytes at got with the n bytes at want. */
#define CHECK_MEM(got, gn, want, wn) do { \
	const char *g_ = (got), *w_ = (want); \
	size_t gn_ = (gn), wn_ = (wn); \
	unit_checks++; \
	if (gn_ != wn_ || (gn_ && memcmp(g_, w_, gn_) != 0)) { \
		unit_failed++; \
		fprintf(stderr, "%s:%d: %s is \"%.*s\" (%zu bytes), " \
		    "want \"%.*s\" (%zu bytes)\n", __FILE__, __LINE__, #got, \
		    (int)gn_, g_ ? g_ : "", gn_, (int)wn_, w_, wn_); \
	} \
} while (0)

/* The next of a xorshift64 sequence: reproducible spreads of numbers. */
static inline uint64_t
unit_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int
unit_done(const char *name)
{
	if (unit_failed) {
		fprintf(stderr, "%s: %d of %d checks failed\n", name,
		    unit_failed, unit_checks);
		return 1;
	}
	printf("%s: %d checks passed\n", name, unit_checks);
	return 0;
}

#endif
