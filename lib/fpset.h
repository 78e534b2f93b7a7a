/*
 * fpset.h — an in-memory set of 16-byte fingerprints (fptab.h probing,
 * doubling at half full): the seen-set's pending keys, and dedup's keys in
 * flight.  Memory only; nothing here reaches the disk.  Allocation
 * failures are fatal (exit 1).
 */
#ifndef EX_FPSET_H
#define EX_FPSET_H

#include <stddef.h>
#include <stdint.h>

struct ex_fpset {
	uint64_t *slot; /* 2 words a fingerprint; all zero is empty */
	size_t cap, n;  /* cap a power of two */
	/* ex_fpset_log: the fingerprints added, in order, while none was
	 * removed (whole: n of them), so that they are listed without a
	 * pass over every slot */
	unsigned char *log;
	size_t logcap;
	int logging, whole;
};

void ex_fpset_init(struct ex_fpset *s);
void ex_fpset_free(struct ex_fpset *s);
int ex_fpset_has(const struct ex_fpset *s, const unsigned char *fp);
/* 1 if added, 0 if it was there. */
int ex_fpset_add(struct ex_fpset *s, const unsigned char *fp);
/* 1 if removed, 0 if it was not there. */
int ex_fpset_del(struct ex_fpset *s, const unsigned char *fp);
/* Keep the log of what is added, from now on. */
void ex_fpset_log(struct ex_fpset *s);
/* Its n fingerprints, 16 bytes each, in order of adding, in memory of
 * the set's (valid until it changes); NULL unless it logs and nothing
 * was removed since it was last empty. */
const unsigned char *ex_fpset_logged(const struct ex_fpset *s);
/* Empty it (a big one gives its memory back). */
void ex_fpset_clear(struct ex_fpset *s);
/* Start loading the slot a lookup of fp will touch. */
void ex_fpset_prefetch(const struct ex_fpset *s, const unsigned char *fp);

#endif
