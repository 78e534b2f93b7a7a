/*
 * segcat.h — logcat's catalogue of segments, "OFFSETFILE.seg".
 *
 * It remembers, for every segment logcat has numbered, the offset of its
 * first record, its identity and, once a newer segment follows it, how
 * many records it holds.  That is what keeps offsets stable when logrotate
 * renames, compresses and deletes files: a segment read under one name is
 * recognised under the next, and the offsets of segments that were
 * deleted are still accounted for.  It cannot be rebuilt once segments are
 * gone, so it is state, not a cache: written only by logcat, under the
 * consumer's lock, through ex_replace, and a malformed one is an error
 * (exit 65 naming the file and line).
 *
 * A segment's identity is the hash of its first FPLEN content bytes (see
 * seg.h) and what logcat recorded beyond it, for when that hash fits more
 * than one file (a short segment and a new file that begin with the same
 * header): the file last seen holding it (device, inode, birth time), and
 * where reading it stopped — READ records, ending at content byte STOP,
 * the up to 64 bytes before which hash to STOPHASH.  Of a sealed segment
 * READ is its COUNT and STOP its whole length.
 *
 * Text, one segment a line after a header, oldest first:
 *     exactly-segments 2
 *     FIRST COUNT JOIN FPLEN FPHASH DEV INO BIRTH READ STOP STOPHASH
 * COUNT is "-" for the newest segment, still growing; JOIN is 1 when the
 * segment is sealed and ends without a newline, so that its last record
 * goes on in the next segment (copytruncate cut a line in two), else 0.
 * DEV, INO and BIRTH (SECONDS.NANOSECONDS) are "-" when not known, and so
 * is STOPHASH.  Each FIRST is the previous FIRST plus the previous COUNT.
 * Version 1 catalogues ("FIRST COUNT FPLEN FPHASH") are read as segments
 * of which nothing more is known, whose last record never goes on.
 */
#ifndef EX_SEGCAT_H
#define EX_SEGCAT_H

#include <stddef.h>
#include <stdint.h>

#include "seg.h"

struct ex_catent {
	uint64_t first;   /* offset of its first record */
	uint64_t count;   /* records that begin in it, once sealed */
	int sealed;       /* a newer segment follows: count is final */
	int join;         /* sealed, and its last record ends in the next one */
	size_t fplen;     /* content bytes hashed into fp */
	unsigned char fp[EX_FP_HASH];
	int hasfid;       /* fid is known */
	struct ex_fid fid;
	uint64_t read;    /* records of it read, as far as logcat knows */
	uint64_t stop;    /* the content byte where they end */
	int hasstop;      /* stophash is known */
	unsigned char stophash[EX_FP_HASH];
};

struct ex_cat {
	struct ex_catent *e;
	size_t n, cap;
	int loaded;       /* read from a file (not "none yet") */
};

/* 0 if path does not exist (an empty catalogue); 1 if loaded; dies 65 if
 * it is malformed and 74 if it cannot be read. */
int ex_cat_load(struct ex_cat *c, const char *path);

/* Parse a catalogue's text, as ex_cat_load does a file's: NULL, or why
 * not, with *lineno the line at fault. */
const char *ex_cat_parse(struct ex_cat *c, const char *text, size_t n,
    unsigned long *lineno);

/* The text of c, in a new buffer of *n bytes. */
char *ex_cat_text(const struct ex_cat *c, size_t *n);

/* Durably replace path with c. */
void ex_cat_save(const struct ex_cat *c, const char *path);

/* A new zeroed entry at the end (which may move the others). */
struct ex_catent *ex_cat_add(struct ex_cat *c);

void ex_cat_free(struct ex_cat *c);

#endif
