/*
 * gz.h — a gzip byte source for ex_rd (ex_fill_fn), logcat's reader of
 * compressed log segments.
 *
 * The data is inflated with zlib's raw inflate() straight into the
 * caller's buffer (no second copy), member after member: a file made of
 * several gzip members (gzip's "cat a.gz b.gz") reads as their
 * concatenation.  Bad data — a broken header, a corrupt deflate stream, a
 * wrong CRC or length, a stream cut short, bytes after the last member
 * that are not another member — ends the source early: the read returns 0
 * as at end of file and ex_gz_bad says what was wrong, so the caller can
 * deliver everything before the fault, drop the unterminated tail, and
 * then fail.  A failed read(2) of the file is returned as -1 with errno.
 */
#ifndef EX_GZ_H
#define EX_GZ_H

#include <stddef.h>
#include <sys/types.h>

struct ex_gz;

/* Nonzero if the n bytes at p start like a gzip file (need n >= 2). */
int ex_gz_magic(const void *p, size_t n);

/* Read gzip data from fd; the first npre bytes of the file were already
 * read into pre (to look for the magic) and are used first. */
struct ex_gz *ex_gz_open(int fd, const void *pre, size_t npre);

/* ex_fill_fn: ctx is the struct ex_gz. */
ssize_t ex_gz_read(void *ctx, char *buf, size_t n);

/* NULL, or why the data stopped being gzip (after a read returned 0). */
const char *ex_gz_bad(const struct ex_gz *g);

/* Decompressed bytes handed out so far. */
unsigned long long ex_gz_total(const struct ex_gz *g);

void ex_gz_close(struct ex_gz *g);

#endif
