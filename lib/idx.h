/*
 * idx.h — logcat's resume index, "OFFSETFILE.idx": a sparse map from
 * record to byte position inside plain segments, so that a run resuming
 * near the end of a large log seeks there instead of counting every line
 * before it.
 *
 * It is a disposable cache.  Each checkpoint says: in the segment whose
 * first record is FIRST, its record number REC (0 for its first record)
 * starts at content byte POS, and the (up to) EX_SEG_BACK bytes before
 * POS hash to CHECK.  The caller checks that hash against the file before
 * it trusts a checkpoint, so a checkpoint that is stale (the file was
 * truncated, replaced, or belongs to another log) is detected and
 * dropped, and the position found again by reading.  A missing index is
 * an empty one.  One that is not an index at all was not written by
 * logcat: exit 65 naming it (deleting it is always safe).
 *
 *     exactly-index 1
 *     FIRST REC POS CHECK
 *
 * Checkpoints are kept in order of FIRST and REC, so that finding one
 * costs O(log n) and a run over many segments stays O(segments).
 */
#ifndef EX_IDX_H
#define EX_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "seg.h"

#define EX_IDX_GAP  (4 * 1024 * 1024) /* least bytes between checkpoints */
#define EX_IDX_MIN  (1024 * 1024)     /* nearer the start, reading is as quick */

struct ex_idxent {
	uint64_t first, rec, pos;
	unsigned char check[EX_FP_HASH];
};

struct ex_idx {
	struct ex_idxent *e;
	size_t n, cap;
	int dirty; /* changed since loaded */
};

/* 0 if path does not exist, 1 if loaded; dies 65 if malformed. */
int ex_idx_load(struct ex_idx *x, const char *path);

/* Durably replace path with x, if it changed. */
void ex_idx_save(struct ex_idx *x, const char *path);

/* The checkpoint of segment first with the highest rec <= rec, or NULL. */
const struct ex_idxent *ex_idx_find(const struct ex_idx *x, uint64_t first,
    uint64_t rec);

/* Add a checkpoint unless segment first already has one within
 * EX_IDX_GAP bytes of pos. */
void ex_idx_put(struct ex_idx *x, uint64_t first, uint64_t rec, uint64_t pos,
    const unsigned char check[EX_FP_HASH]);

/* Forget segment first's checkpoints (they did not match the file). */
void ex_idx_drop(struct ex_idx *x, uint64_t first);

/* Keep only the checkpoints of the segments whose first offsets are
 * firsts[0..n), in increasing order: the others are no longer given. */
void ex_idx_keep(struct ex_idx *x, const uint64_t *firsts, size_t n);

void ex_idx_free(struct ex_idx *x);

#endif
