/*
 * seg.h — a log segment: one file of a log, plain or gzip, read as bytes.
 *
 * logcat's log is a sequence of segments.  A segment is opened once and
 * read from its start through ex_seg_read, an ex_fill_fn for ex_rd; gzip is
 * recognised by its magic bytes, never by the name, and inflated on the
 * way (see gz.h).  Any readable file works, a pipe included, since the
 * magic is taken from the first bytes read rather than by seeking.
 * Failing to open or read the file is fatal (exit 74 naming it); bad gzip
 * data ends the segment early and ex_seg_bad says why, so the caller can
 * deliver what came before it.
 */
#ifndef EX_SEG_H
#define EX_SEG_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct ex_gz;

struct ex_seg {
	const char *path;
	int fd;
	struct stat st;     /* of the open file */
	struct ex_gz *gz;   /* NULL for a plain file */
	char head[2];       /* the bytes read to look for the magic */
	size_t nhead, hpos; /* head[hpos..nhead) not yet handed out */
};

/* Open path; dies 74 if it cannot be opened or is a directory. */
void ex_seg_open(struct ex_seg *s, const char *path);

/* ex_fill_fn: ctx is the struct ex_seg. */
ssize_t ex_seg_read(void *ctx, char *buf, size_t n);

/* NULL, or why the segment's data went bad (after a read returned 0). */
const char *ex_seg_bad(const struct ex_seg *s);

void ex_seg_close(struct ex_seg *s);

#endif
