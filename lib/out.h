/*
 * out.h — buffered output of records.
 *
 * One large buffer per stream; writes loop over short writes and EINTR.
 * EPIPE (a reader that went away, "| head") is not an error: the stream is
 * marked broken, later writes are dropped, and the caller decides how to
 * stop.  With SIGPIPE at its default the process simply dies of it, which a
 * shell treats as a quiet stop.  Any other write error is fatal: exit 74
 * naming o->name.
 *
 * written counts the bytes the reader was given: a caller that must know
 * which records reached it (dedup records a key only for a record it
 * wrote) compares where each record ends with it.
 *
 * A stream to a command (ex_out_watch) is written without blocking for
 * ever: while the pipe is full we also wait on a descriptor that becomes
 * readable when the command has exited (a pidfd), and its exit breaks the
 * stream as EPIPE would, though a copy of the pipe's read end is kept.
 */
#ifndef EX_OUT_H
#define EX_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tag.h"

struct ex_out {
	int fd;
	char *buf;
	size_t len, cap;
	const char *name;
	int broken;       /* the reader went away (EPIPE, or it exited) */
	uint64_t written; /* bytes written to fd so far */
	int waitfd;       /* ex_out_watch's descriptor, or -1 */
	/* the last tag written: the next offset is formatted by incrementing
	 * its digits, which costs a fraction of a division per digit */
	uint64_t tagoff;
	char tag[EX_TAG_MAX];
	size_t taglen; /* 0: none yet */
};

void ex_out_init(struct ex_out *o, int fd, const char *name);
void ex_out_free(struct ex_out *o);

/* Make fd non-blocking and break the stream once waitfd is readable. */
void ex_out_watch(struct ex_out *o, int waitfd);

void ex_out_write(struct ex_out *o, const void *p, size_t n);

/* "OFFSET<TAB>PAYLOAD<LF>" when tagged, else "PAYLOAD<LF>". */
void ex_out_rec(struct ex_out *o, uint64_t off, const char *payload,
    size_t n, int tagged);

/* Write out what is buffered.  0, or -1 if the stream is broken. */
int ex_out_flush(struct ex_out *o);

#endif
