/*
 * seen.h — the seen-set: an exact on-disk set of 128-bit keyed
 * fingerprints, for dedup (DESIGN.md section 3), optionally forgetting
 * keys older than a window.
 *
 * A key's fingerprint is crypto_shorthash_siphashx24 of its bytes under a
 * random 16-byte secret drawn when the set is created and kept in its
 * headers, so keys cannot be chosen to collide; two distinct keys share a
 * fingerprint with odds about n^2 / 2^129, below 1e-20 at 1e9 keys.  An
 * all-zero fingerprint marks an empty slot, so a key that hashes to zero is
 * stored with its first byte set to 1 (odds of that 2^-128).
 *
 * Layout.  The set SEEN is a directory, locked through the sibling
 * SEEN.lock (lock.h).  It holds one or more slices and one journal:
 *   SEEN/table, SEEN/slice.N   a slice each: a 4096-byte header block,
 *                 then 2^k slots of 16 bytes, an open-addressing table
 *                 (fptab.h), memory-mapped, so opening it reads one header
 *                 and not the set.  The header block holds two copies of
 *                 the header (at 0 and 512, different sectors): magic,
 *                 version, log2 of the capacity, the secret, the set's id,
 *                 the key count, a checkpoint generation, the slice's
 *                 number (0 for SEEN/table), the times of the first and
 *                 the last group commit into it, the number of the oldest
 *                 slice held when it was written, and a BLAKE2b checksum.
 *                 The valid copy with the higher generation is current; a
 *                 checkpoint overwrites the other one, so a torn header
 *                 write leaves the previous one.  The slice with the
 *                 highest number is the current one: only it takes keys.
 *   SEEN/journal  a 64-byte header (magic, version, the number of the slice
 *                 it belongs to, the set's id, the generation of that
 *                 slice's checkpoint it follows, a time no earlier than
 *                 the last commit before it was written, checksum), then
 *                 the 16-byte fingerprints committed since that
 *                 checkpoint, in commit order.
 * A set that never had a window is exactly the layout of version 1 (one
 * slice, SEEN/table): older versions of dedup read it.  Files that name a
 * slice other than 0 say version 2, which older versions refuse (65)
 * rather than misread.  A table doubles when it would pass 80 % full, so
 * it is 40 % to 80 % full: 20 to 40 bytes of disk per key, plus a journal
 * of at most EX_SEEN_JOURNAL_MAX keys and 20 KiB at least per slice.
 * Every table file's blocks are allocated (fallocate, then zeros written)
 * before anything is written through its mapping: a full disk is exit 74
 * at that point, never a SIGBUS later.
 *
 * Durability — which file holds what at each instant.  Keys added since the
 * last group commit are pending, and never written to a mapped table that
 * is part of the set: the kernel may write a mapped page back at any
 * moment, and a key on disk whose group commit did not return would be a
 * record lost.  ex_seen_commit makes the pending keys durable in one of
 * two ways:
 *   - Journal: append them to SEEN/journal and fsync it; only then insert
 *     them into the current slice's mapped table (for a commit started
 *     with ex_seen_commit_start, both in a thread of their own while the
 *     caller looks keys up in that table: each slot word is stored whole,
 *     and a lookup that meets a slot being filled sees it empty or holding
 *     another key, both right, since the key going in is still looked up
 *     in memory until the commit is done).  So at every instant the
 *     table on disk holds the keys of its last checkpoint plus some subset
 *     of the keys in the journal (inserts only fill empty slots, so no
 *     checkpointed key's probe chain is ever broken), and the journal holds
 *     every key committed since.  Opening replays the journal into the
 *     slice it names (idempotent: present keys are skipped), so every
 *     committed key is found again.  A journal append torn by a crash
 *     leaves at most a partial last record (ignored) or a fingerprint of
 *     zeros (skipped); either way only keys whose commit had not returned.
 *   - Growth: when the current slice would pass 80 % full, a table of the
 *     needed power-of-two size is built from the slice and the pending keys,
 *     and every later key of the batch goes straight into it; it doubles
 *     again if it must (at half full while in memory; with the keys
 *     ex_seen_expect foresees, in one step), and the
 *     commit cuts it, in one copy, to the size that leaves it 40 % to
 *     80 % full, counting the keys still expected.  Up to 256
 *     MiB it is built in memory and written to a new temporary file in
 *     SEEN/ (unique name, O_EXCL, blocks reserved first) at the commit;
 *     a bigger one is built in such a file from the start (it is not part
 *     of the set, so its pages may reach the disk at any time).  The commit fsyncs it, renames it over the slice and
 *     fsyncs the directory: the rename is the commit.  Until the rename the
 *     old table and journal are the set; after it the new table holds
 *     everything, and the journal's keys, replayed, are found present.  The
 *     journal is then emptied.  Growth costs time proportional to the slice
 *     once per doubling, never at every run, and a big table being built
 *     is file pages the kernel can write back, not memory.
 * A checkpoint (at close, and when the journal passes EX_SEEN_JOURNAL_MAX
 * keys) writes the other header copy with the new count, generation and
 * times into the mapped table and fsyncs it, then replaces the journal with
 * an empty one of the new generation (ex_replace).  A crash between the two
 * leaves a journal one generation behind its slice: its keys are durable
 * and counted, so it is replayed (harmlessly) and emptied at open.  The
 * count is the header's plus the journal's records.  A power loss may
 * leave a key in two slots (its slot written back, an earlier slot of its
 * probe chain not); lookups are unaffected.
 *
 * The window (ex_seen_window).  Keys are recorded into the current slice;
 * once its first commit is a quarter of the window old, the next commit
 * closes it (checkpoint) and starts a new empty slice (built in a
 * temporary file and renamed into place; then the journal is reset to it).
 * A slice whose last commit is a whole window old is dropped: its file is
 * unlinked, never read key by key.  Slices take keys in turn, so the
 * ones dropped are always the oldest; the current slice's header names
 * the oldest slice held, and a drop records the new one there (a
 * checkpoint) before it unlinks.  At open, a slice below it is one whose
 * drop a crash interrupted (removed), and one missing between it and the
 * current slice is damage (exit 65).  So a key is remembered for at least
 * the window after its group commit, and forgotten within a window and a
 * quarter of it (or at the first run after that).  Time is the wall
 * clock, but never earlier than the last commit the set records: a clock
 * set back forgets nothing early.  A run without a window drops and starts
 * nothing: every slice is kept.  Lookups look in every slice.
 *
 * Creation builds both files in a new directory beside SEEN (unique name),
 * fsyncs them and renames it into place, so a set exists whole or not at
 * all; a missing SEEN is a new, empty set (a symbolic link to nothing is
 * not missing: exit 65).  A SEEN that is not a directory, holds no slice or
 * lacks one it should hold, a slice or journal with a bad magic, version,
 * checksum or size, a slice or journal of another set, or a journal of a
 * slice it lacks, is fatal: exit 65 naming the file.  It is never recreated: that would deliver every key
 * again.  Temporary files a crash left in SEEN/ are removed at open.  Every
 * write failure is fatal (exit 74).
 *
 * Testing aids (dedup.1, ENVIRONMENT): EXACTLY_NOW, when set, is the wall
 * clock for the window, in seconds since the epoch; EXACTLY_BUILD_MEM is
 * the largest table a growth builds in memory (256 MiB; 0: every one in
 * its file, as for a big set); EXACTLY_JOURNAL_MAX is the keys the journal
 * holds before a checkpoint (EX_SEEN_JOURNAL_MAX).
 */
#ifndef EX_SEEN_H
#define EX_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "fpset.h"

#define EX_KEY_FP 16                /* bytes of a key's fingerprint */
/* Keys replayed at most at open after a crash (4 MiB of journal, about
 * 40 ms here), or a quarter of the current table's slots if that is more.
 * A checkpoint writes back every page of the table written since the
 * last, which for keys spread by their hash is all of it: a fixed bound
 * wrote a 64 MiB table back for every 4 MiB of journal.  A quarter of the
 * slots is 64 bytes of table written back a key at most.  At 65536 for
 * every table, the pipeline dedup -e -n 1000 of bench/30-dedup.sh took
 * 2.71-3.00 s, at 262144 2.10-2.35 s. */
#define EX_SEEN_JOURNAL_MAX 262144

struct ex_seen;

/* Open (creating if missing) and lock the set at path.  lockflags go to
 * ex_lock: 0 exits 75 if another process holds it, EX_LOCK_WAIT waits. */
struct ex_seen *ex_seen_open(const char *path, int lockflags);

/* Forget, from now on, keys recorded more than ms milliseconds ago: drop
 * the slices already that old, now and after every commit, and start a
 * new slice every quarter of ms.  Without it nothing is forgotten. */
void ex_seen_window(struct ex_seen *s, int64_t ms);

/* The fingerprint of a key under the set's secret. */
void ex_seen_fp(const struct ex_seen *s, const void *key, size_t n,
    unsigned char *fp);

/* fp[i] = ex_seen_fp of key[i] (len[i] bytes), for i < n: the same
 * fingerprints, sixteen at a time where sip.h can (keys of a length, in
 * words, alike). */
void ex_seen_fps(const struct ex_seen *s, size_t n,
    const unsigned char *const *key, const size_t *len,
    unsigned char *const *fp);

/* Start loading the memory a lookup of fp will touch: a caller that
 * fingerprints several keys ahead overlaps their cache misses. */
void ex_seen_prefetch(const struct ex_seen *s, const unsigned char *fp);

/* Whether fp is committed or pending. */
int ex_seen_has(const struct ex_seen *s, const unsigned char *fp);

/* Add fp to the pending keys: 1 if added, 0 if already committed or
 * pending. */
int ex_seen_add(struct ex_seen *s, const unsigned char *fp);

/* The same for an fp that ex_seen_has found in no slice since the last
 * commit, and that was not added since: it is not looked for again in
 * the older slices (with a window, one lookup instead of one a slice). */
int ex_seen_add_absent(struct ex_seen *s, const unsigned char *fp);

/* The same for an fp known to be nowhere in the set: ex_seen_has said so,
 * and nothing added it since (dedup -e holds a key's twins back while it
 * is in flight).  It is not looked up again, a cache miss in a big table
 * saved.  Were it in the set after all, it would still be stored once:
 * only the journal would hold it twice, which a replay takes as once. */
int ex_seen_add_new(struct ex_seen *s, const unsigned char *fp);

/* About n more keys are coming (a hint the caller keeps up to date): a
 * growth then takes one step to them, within the in-memory limit,
 * instead of doubling its way there and copying every key at each step,
 * and its commit keeps the size they need, so that a run of many small
 * group commits grows its table once.  Only a hint: a table so sized
 * stays within the in-memory limit, and the caller says 0 before its
 * last commit, which cuts a table a guess made too big to size (one
 * copy).  A wrong guess costs time, memory and, until that commit, disk;
 * never a key. */
void ex_seen_expect(struct ex_seen *s, uint64_t n);

/* Take back a key ex_seen_add or ex_seen_add_absent added since the last
 * commit (its record was not delivered after all): 1 if it was pending,
 * 0 (and nothing changes) if it was not, a committed key included. */
int ex_seen_unadd(struct ex_seen *s, const unsigned char *fp);

/* Make the pending keys durable (a group commit); dies 74 on failure. */
void ex_seen_commit(struct ex_seen *s);

/*
 * The same, overlapped with the caller's work: the pending keys become a
 * group whose journal append and fsync run in a thread (durable.h, ex_bg)
 * while the caller goes on looking keys up and adding them, which are the
 * next group's.  Once the fsync returned, the same thread inserts the
 * group's keys into the current slice's mapped table (see Durability);
 * until ex_seen_commit_done returns 1 they are found (ex_seen_has,
 * ex_seen_add) as pending ones are, but are not committed.  One group at
 * a time: a start, ex_seen_commit, a growth and ex_seen_close first wait
 * for the one under way.  A commit that grows a table (a rename of the
 * whole slice), a checkpoint, and every commit of a set with a window
 * (ex_seen_window: it may start and drop slices) are made at once, in the
 * caller's thread, as ex_seen_commit makes them.
 */
void ex_seen_commit_start(struct ex_seen *s);

/* 1 once no group commit is under way (every key of the last start is
 * durable), waiting for it if wait; 0 while it runs.  Dies 74 if its write
 * or fsync failed. */
int ex_seen_commit_done(struct ex_seen *s, int wait);

/* A descriptor readable once the group under way is done (until
 * ex_seen_commit_done sees it), for a caller that polls; -1 before the
 * first ex_seen_commit_start. */
int ex_seen_commit_fd(const struct ex_seen *s);

/* Keys committed (in every slice held), keys pending, slices held. */
uint64_t ex_seen_count(const struct ex_seen *s);
size_t ex_seen_pending(const struct ex_seen *s);
size_t ex_seen_slices(const struct ex_seen *s);

/* Checkpoint, unmap and unlock.  Pending keys are dropped: commit first. */
void ex_seen_close(struct ex_seen *s);

#endif
