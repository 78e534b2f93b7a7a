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
#include <string.h>
#include <sys/types.h>

#include "tag.h"

/* A tag is copied as this many bytes, whatever its length: a copy of a
 * fixed size is a few stores, where one of the tag's own length is a call. */
#define EX_OUT_TAGCOPY 24

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
	char tag[EX_OUT_TAGCOPY];
	size_t taglen; /* 0: none yet */
};

void ex_out_init(struct ex_out *o, int fd, const char *name);
void ex_out_free(struct ex_out *o);

/* Make fd non-blocking and break the stream once waitfd is readable. */
void ex_out_watch(struct ex_out *o, int waitfd);

void ex_out_write(struct ex_out *o, const void *p, size_t n);

/* ex_out_rec's own part for a record that does not fit in the buffer, or
 * whose tag is not the last one's digit plus one. */
void ex_out_rec_more(struct ex_out *o, uint64_t off, const char *payload,
    size_t n, int tagged);

/* o->tag becomes the tag of off. */
void ex_out_tag(struct ex_out *o, uint64_t off);

/* "OFFSET<TAB>PAYLOAD<LF>" when tagged, else "PAYLOAD<LF>".  Inline: a
 * record that fits in the buffer and whose offset follows the last one
 * written (the tag's last digit goes up by one) is three copies and no
 * call, and every tool writes through it. */
static inline void
ex_out_rec(struct ex_out *o, uint64_t off, const char *payload, size_t n,
    int tagged)
{
	char *d;

	if (o->cap - o->len <= n + EX_OUT_TAGCOPY) {
		ex_out_rec_more(o, off, payload, n, tagged);
		return;
	}
	d = o->buf + o->len;
	if (tagged) {
		if (o->taglen > 0 && off == o->tagoff + 1 &&
		    o->tag[o->taglen - 2] != '9') {
			o->tag[o->taglen - 2]++;
			o->tagoff = off;
		} else
			ex_out_tag(o, off);
		memcpy(d, o->tag, EX_OUT_TAGCOPY);
		d += o->taglen;
	}
	memcpy(d, payload, n);
	d[n] = '\n';
	o->len = (size_t)(d - o->buf) + n + 1;
}

/*
 * Whole lines, each written as ex_out_rec writes a record, tagged with
 * offsets from off on: at most *count of those in p[0..n), where the
 * first line begins.  Returns the bytes they take in p, LFs included, and
 * sets *count to how many there were (fewer where p holds no more whole
 * lines).  A stream that breaks on the way drops the rest, as ex_out_rec
 * would.  For a caller whose records are lines in a buffer (the reader's:
 * ex_rd_pending, ex_rd_consume): one call a buffer, not one a record.
 */
size_t ex_out_lines(struct ex_out *o, const char *p, size_t n, uint64_t off,
    uint64_t *count, int tagged);

/* Write out what is buffered.  0, or -1 if the stream is broken. */
int ex_out_flush(struct ex_out *o);

#endif
