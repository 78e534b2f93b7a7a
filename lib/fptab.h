/*
 * fptab.h — open addressing over 16-byte fingerprints, the one probing
 * scheme of the seen-set's tables (mapped from disk, seen.c) and of the
 * in-memory sets (fpset.c).
 *
 * A table is 2^k slots of two 64-bit words; all zero is an empty slot, so
 * no fingerprint is all zero (ex_seen_fp sees to it).  A fingerprint's
 * home slot is its first word mod 2^k, and linear probing goes forward
 * from there, wrapping.  Inserts fill only empty slots: a present key's
 * probe chain is never broken by an insert, which is what lets a table on
 * disk take inserts while the kernel writes its pages back in any order.
 */
#ifndef EX_FPTAB_H
#define EX_FPTAB_H

#include <stdint.h>
#include <string.h>

#include "err.h"

/* The two words of a fingerprint, in the byte order of the disk. */
static inline void
ex_fp_words(const unsigned char *fp, uint64_t *a, uint64_t *b)
{
	memcpy(a, fp, 8);
	memcpy(b, fp + 8, 8);
}

/*
 * Find (a, b) in a table of mask + 1 slots: 1 with *pos its slot, or 0 with
 * *pos the empty slot where it goes.  Counts keep every table below 80 %
 * full; a full one can only be a damaged file, refused rather than
 * searched for ever.
 */
static inline int
ex_fptab_find(const uint64_t *t, uint64_t mask, uint64_t a, uint64_t b,
    uint64_t *pos)
{
	uint64_t i = a & mask;

	for (uint64_t k = 0; k <= mask; k++) {
		uint64_t x = t[2 * i], y = t[2 * i + 1];

		if (x == a && y == b) {
			*pos = i;
			return 1;
		}
		if ((x | y) == 0) {
			*pos = i;
			return 0;
		}
		i = (i + 1) & mask;
	}
	ex_diex(EXIT_DATA, "seen-set table full: its header's count is wrong");
}

/* Insert into a table known not to hold (a, b). */
static inline void
ex_fptab_put(uint64_t *t, uint64_t mask, uint64_t a, uint64_t b)
{
	uint64_t i = a & mask;

	while (t[2 * i] | t[2 * i + 1])
		i = (i + 1) & mask;
	t[2 * i] = a;
	t[2 * i + 1] = b;
}

/* Start loading the home slot of a fingerprint whose first word is a. */
static inline void
ex_fptab_prefetch(const uint64_t *t, uint64_t mask, uint64_t a)
{
	__builtin_prefetch(&t[2 * (a & mask)]);
}

#endif
