/*
 * seg.h — a log segment: one file of a log, plain or gzip, read as bytes
 * and known by its content.
 *
 * logcat's log is a sequence of segments.  A segment is opened once and
 * read from its start (or, for a plain regular file, from a byte position)
 * through ex_seg_read, an ex_fill_fn for ex_rd; gzip is recognised by its
 * magic bytes, never by the name, and inflated on the way (see gz.h).
 *
 * Opening reads the first EX_FP_LEN bytes of the content (decompressed for
 * gzip) into a head, handed out again by ex_seg_read, so any readable file
 * works, a pipe included.  The head is the segment's identity: a BLAKE2b
 * hash of its first n bytes names the same content under any file name,
 * compressed or not.  A file shorter than EX_FP_LEN is identified by what
 * it has so far, and as it grows by the same first bytes.  Where the
 * content alone cannot tell two files apart, the file's own identity
 * (struct ex_fid: device, inode and, where the file system keeps one,
 * birth time) is what logcat recorded beyond the hash.
 *
 * Closing keeps what was learnt at opening (path, stat, identity, head),
 * so a caller may hold many closed segments and few open descriptors.
 *
 * Failing to open or read the file is fatal (exit 74 naming it); bad gzip
 * data ends the segment early and ex_seg_bad says why, so the caller can
 * deliver what came before it.
 */
#ifndef EX_SEG_H
#define EX_SEG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define EX_FP_LEN  1024 /* content bytes that identify a segment */
#define EX_FP_HASH 16   /* bytes of BLAKE2b output kept */
#define EX_SEG_BACK 64  /* bytes before a position that its check hashes */

/* Which file, as opposed to which content.  An inode number is reused
 * once its file is deleted; the birth time tells the new file from the
 * old one where the file system keeps it (hasbirth). */
struct ex_fid {
	uint64_t dev, ino;
	int64_t bsec;
	uint32_t bnsec;
	int hasbirth;
};

struct ex_gz;

struct ex_seg {
	const char *path;
	int fd;             /* -1 once closed */
	struct stat st;     /* of the file when opened */
	struct ex_fid fid;
	struct ex_gz *gz;   /* NULL for a plain file, and once closed */
	int isgz;           /* stays set once closed */
	const char *bad;    /* why its gzip data went bad, kept at closing */
	char head[EX_FP_LEN];
	size_t nhead, hpos; /* head[hpos..nhead) not yet handed out */
	int eof;            /* the content ended within the head */
};

/* Open path and read its head; dies 74 if it cannot be opened or read or
 * is a directory.  With missingok, a path that does not exist returns -1
 * instead (a file that rotation will create); else 0. */
int ex_seg_open(struct ex_seg *s, const char *path, int missingok);

/* ex_fill_fn: ctx is the struct ex_seg. */
ssize_t ex_seg_read(void *ctx, char *buf, size_t n);

/* Hash n bytes as a segment identity is hashed. */
void ex_seg_hash(const void *p, size_t n, unsigned char out[EX_FP_HASH]);

/* Nonzero if the first n bytes of s's content hash to h (n <= nhead). */
int ex_seg_match(const struct ex_seg *s, size_t n,
    const unsigned char h[EX_FP_HASH]);

/* The length of s's whole content, when it is known without reading it:
 * a plain regular file's size, or a content that ended within the head.
 * 1 with *len, else 0. */
int ex_seg_length(const struct ex_seg *s, uint64_t *len);

/* The hash of the up to EX_SEG_BACK content bytes before pos, taken from
 * the head or, for an open plain regular file, read from it.  0, or -1 if
 * those bytes cannot be had (pos beyond the content, or inside a gzip
 * beyond its head).  Dies 74 on a read error. */
int ex_seg_check(struct ex_seg *s, uint64_t pos, unsigned char out[EX_FP_HASH]);

/* Plain regular files: continue reading at content byte pos (which must
 * not be before what was already handed out of the head).  0, or -1 if the
 * segment cannot seek. */
int ex_seg_seek(struct ex_seg *s, uint64_t pos);

/* pread n content bytes at pos of a plain regular file; bytes read, or -1. */
ssize_t ex_seg_pread(struct ex_seg *s, void *buf, size_t n, uint64_t pos);

/* NULL, or why the segment's data went bad (after a read returned 0). */
const char *ex_seg_bad(const struct ex_seg *s);

/* Nonzero if a and b are the same file (device and inode, and birth time
 * when both have one). */
int ex_fid_same(const struct ex_fid *a, const struct ex_fid *b);

/* Close the descriptor; what opening learnt stays.  ex_seg_bad still
 * answers for a gzip closed after its data went bad. */
void ex_seg_close(struct ex_seg *s);

#endif
