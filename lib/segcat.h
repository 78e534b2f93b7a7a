/*
 * segcat.h — logcat's catalogue of segments, "OFFSETFILE.seg".
 *
 * It remembers, for every segment logcat has numbered, the offset of its
 * first record, its identity (the hash of its first bytes, see seg.h) and,
 * once a newer segment follows it, how many records it holds.  That is
 * what keeps offsets stable when logrotate renames, compresses and deletes
 * files: a segment read under one name is recognised under the next, and
 * the offsets of segments that were deleted are still accounted for.  It
 * cannot be rebuilt once segments are gone, so it is state, not a cache:
 * written only by logcat, under the consumer's lock, through ex_replace,
 * and a malformed one is an error (exit 65 naming the file and line).
 *
 * Text, one segment a line after a header, oldest first:
 *     exactly-segments 1
 *     FIRST COUNT FPLEN FPHASH
 * COUNT is "-" for the newest segment, still growing.  Each FIRST is the
 * previous FIRST plus the previous COUNT.
 */
#ifndef EX_SEGCAT_H
#define EX_SEGCAT_H

#include <stddef.h>
#include <stdint.h>

#include "seg.h"

struct ex_catent {
	uint64_t first;  /* offset of its first record */
	uint64_t count;  /* records, once sealed */
	int sealed;      /* a newer segment follows: count is final */
	size_t fplen;    /* content bytes hashed into fp */
	unsigned char fp[EX_FP_HASH];
};

struct ex_cat {
	struct ex_catent *e;
	size_t n, cap;
};

/* 0 if path does not exist (an empty catalogue); 1 if loaded; dies 65 if
 * it is malformed and 74 if it cannot be read. */
int ex_cat_load(struct ex_cat *c, const char *path);

/* Durably replace path with c. */
void ex_cat_save(const struct ex_cat *c, const char *path);

/* A new zeroed entry at the end. */
struct ex_catent *ex_cat_add(struct ex_cat *c);

void ex_cat_free(struct ex_cat *c);

#endif
