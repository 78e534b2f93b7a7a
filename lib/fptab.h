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
		/* loaded whole: a table may take inserts from another thread
		 * meanwhile (seen.c, store), each word stored whole */
		uint64_t x = __atomic_load_n(&t[2 * i], __ATOMIC_RELAXED),
		    y = __atomic_load_n(&t[2 * i + 1], __ATOMIC_RELAXED);

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

/*
 * Remove (a, b) from a table of mask + 1 slots: 1 if it was there.
 * Backward-shift deletion: later members of its cluster move into the
 * hole when their home slot allows, so no tombstones and every other
 * key's probe chain stays whole.  Only for tables no reader on disk
 * depends on (in memory, or a table being built): the moves are not
 * atomic.
 */
static inline int
ex_fptab_del(uint64_t *t, uint64_t mask, uint64_t a, uint64_t b)
{
	uint64_t i;

	if (!ex_fptab_find(t, mask, a, b, &i))
		return 0;
	for (uint64_t j = i;;) {
		uint64_t home;

		j = (j + 1) & mask;
		if ((t[2 * j] | t[2 * j + 1]) == 0)
			break;
		home = t[2 * j] & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t[2 * i] = t[2 * j];
			t[2 * i + 1] = t[2 * j + 1];
			i = j;
		}
	}
	t[2 * i] = t[2 * i + 1] = 0;
	return 1;
}

/* Start loading the home slot of a fingerprint whose first word is a. */
static inline void
ex_fptab_prefetch(const uint64_t *t, uint64_t mask, uint64_t a)
{
	__builtin_prefetch(&t[2 * (a & mask)]);
}

#endif
