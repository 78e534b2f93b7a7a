/*
 * seen.h — the seen-set: an exact on-disk set of 128-bit keyed
 * fingerprints, for dedup (DESIGN.md section 3).
 *
 * A key's fingerprint is crypto_shorthash_siphashx24 of its bytes under a
 * random 16-byte secret drawn when the set is created and kept in its
 * header, so keys cannot be chosen to collide; two distinct keys share a
 * fingerprint with odds about n^2 / 2^129, below 1e-20 at 1e9 keys.  An
 * all-zero fingerprint marks an empty slot, so a key that hashes to zero is
 * stored with its first byte set to 1 (odds of that 2^-128).
 *
 * Layout.  The set SEEN is a directory, locked through the sibling
 * SEEN.lock (lock.h):
 *   SEEN/table    4096-byte header block, then 2^k slots of 16 bytes: an
 *                 open-addressing table with linear probing, slot chosen by
 *                 the fingerprint's first 8 bytes (little-endian) mod 2^k,
 *                 memory-mapped, so opening it reads one header and not the
 *                 set.  The header block holds two copies of the header (at
 *                 0 and 512, different sectors): magic, version, log2 of the
 *                 capacity, the secret, the set's id, the key count, a
 *                 checkpoint generation and a BLAKE2b checksum.  The valid
 *                 copy with the higher generation is current; a checkpoint
 *                 overwrites the other one, so a torn header write leaves the
 *                 previous one.
 *   SEEN/journal  a 64-byte header (magic, version, the set's id, the
 *                 generation of the checkpoint it follows, checksum), then
 *                 the 16-byte fingerprints committed since that checkpoint,
 *                 in commit order.
 * The table doubles when it would pass 80 % full, so it is 40 % to 80 %
 * full: 20 to 40 bytes of disk per key, plus a journal of at most
 * SEEN_JOURNAL_MAX keys and the 4 KiB header.
 *
 * Durability — which file holds what at each instant.  Keys added since the
 * last group commit are pending, in memory only, and never written to the
 * mapped table: the kernel may write a mapped page back at any moment, and
 * a key on disk whose group commit did not return would be a record lost.
 * ex_seen_commit makes the pending keys durable in one of two ways:
 *   - Journal: append them to SEEN/journal and fsync it; only then insert
 *     them into the mapped table.  So at every instant the table on disk
 *     holds the keys of the last checkpoint plus some subset of the keys in
 *     the journal (inserts only fill empty slots, so no checkpointed key's
 *     probe chain is ever broken), and the journal holds every key committed
 *     since.  Opening replays the journal into the table (idempotent:
 *     present keys are skipped), so every committed key is found again.
 *     A journal append torn by a crash leaves at most a partial last record
 *     (ignored) or a fingerprint of zeros (skipped); either way only keys
 *     whose commit had not returned.
 *   - Growth: when the table would pass 80 % full, a table of the needed
 *     power-of-two size is built in SEEN/table.tmp from the table and the
 *     pending keys, fsynced, renamed over SEEN/table and the directory
 *     fsynced: the rename is the commit.  Until the rename the old table and
 *     journal are the set; after it the new table holds everything, and the
 *     journal's keys, replayed, are found present.  The journal is then
 *     emptied.  Growth costs time proportional to the set once per
 *     doubling, never at every run.
 * A checkpoint (at close, and when the journal passes SEEN_JOURNAL_MAX
 * keys) writes the other header copy with the new count and generation
 * into the mapped table and fsyncs it, then replaces the journal with an
 * empty one of the new generation (ex_replace).  A crash between the two
 * leaves a journal one generation behind the table: its keys are durable
 * and counted, so it is replayed (harmlessly) and emptied at open.  The
 * count is the header's plus the journal's records.  A power loss may
 * leave a key in two slots (its slot written back, an earlier slot of its
 * probe chain not); lookups are unaffected.
 *
 * Creation builds both files in SEEN.tmp/, fsyncs them and renames the
 * directory into place, so a set exists whole or not at all; a missing
 * SEEN is a new, empty set (a symbolic link to nothing is not missing:
 * exit 65).  A SEEN that is not a directory, lacks either file, has a bad
 * magic, version, checksum or size, or a journal of another set, is fatal:
 * exit 65 naming the file.  It is never recreated: that
 * would deliver every key again.  Every write failure is fatal (exit 74).
 */
#ifndef EX_SEEN_H
#define EX_SEEN_H

#include <stddef.h>
#include <stdint.h>

#define EX_FP_LEN 16
#define SEEN_JOURNAL_MAX 65536 /* keys replayed at most at open */

/* An in-memory set of fingerprints (open addressing, grows by doubling):
 * the seen-set's pending keys, and dedup's keys in flight. */
struct ex_fpset {
	uint64_t *slot; /* 2 words a fingerprint; all zero is empty */
	size_t cap, n;  /* cap a power of two */
};

void ex_fpset_init(struct ex_fpset *s);
void ex_fpset_free(struct ex_fpset *s);
int ex_fpset_has(const struct ex_fpset *s, const unsigned char *fp);
/* 1 if added, 0 if it was there. */
int ex_fpset_add(struct ex_fpset *s, const unsigned char *fp);
/* 1 if removed, 0 if it was not there. */
int ex_fpset_del(struct ex_fpset *s, const unsigned char *fp);
void ex_fpset_clear(struct ex_fpset *s);

struct ex_seen;

/* Open (creating if missing) and lock the set at path.  lockflags go to
 * ex_lock: 0 exits 75 if another process holds it, EX_LOCK_WAIT waits. */
struct ex_seen *ex_seen_open(const char *path, int lockflags);

/* The fingerprint of a key under the set's secret. */
void ex_seen_fp(const struct ex_seen *s, const void *key, size_t n,
    unsigned char *fp);

/* Start loading the memory a lookup of fp will touch: a caller that
 * fingerprints several keys ahead overlaps their cache misses. */
void ex_seen_prefetch(const struct ex_seen *s, const unsigned char *fp);

/* Whether fp is committed or pending. */
int ex_seen_has(const struct ex_seen *s, const unsigned char *fp);

/* Add fp to the pending keys: 1 if added, 0 if already committed or
 * pending. */
int ex_seen_add(struct ex_seen *s, const unsigned char *fp);

/* Make the pending keys durable (a group commit); dies 74 on failure. */
void ex_seen_commit(struct ex_seen *s);

/* Keys committed, keys pending. */
uint64_t ex_seen_count(const struct ex_seen *s);
size_t ex_seen_pending(const struct ex_seen *s);

/* Checkpoint, unmap and unlock.  Pending keys are dropped: commit first. */
void ex_seen_close(struct ex_seen *s);

#endif
