/*
 * rd.h — reading newline-delimited lines from a descriptor or any source.
 *
 * The buffer grows to hold the longest line, so line length is limited
 * only by memory; bytes are passed through untouched (NUL, CR, TAB and
 * invalid UTF-8 included).  A line handed out stays valid until the next
 * call on the same reader.  Read errors are fatal: exit 74 naming r->name.
 */
#ifndef EX_RD_H
#define EX_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* A byte source with read(2)'s contract: >0 bytes, 0 at EOF, -1 and errno
 * on error.  A source may instead die itself with a better message. */
typedef ssize_t ex_fill_fn(void *ctx, char *buf, size_t n);

struct ex_rd {
	char *buf;
	size_t cap, pos, end; /* unread bytes are buf[pos..end) */
	size_t scan;          /* buf[pos..scan) is known to hold no LF */
	int fd;               /* what ex_rd_wait polls; -1 for none */
	ex_fill_fn *fill;
	void *ctx;
	int eof;
	const char *name;  /* for messages */
	uint64_t lineno;   /* lines handed out so far */
	uint64_t consumed; /* bytes handed out so far, LFs included */
	size_t tail;       /* length of the EX_RD_PARTIAL tail just handed out */
};

enum { EX_RD_EOF = 0, EX_RD_LINE = 1, EX_RD_PARTIAL = 2 };

void ex_rd_init(struct ex_rd *r, int fd, const char *name);
void ex_rd_init_fill(struct ex_rd *r, ex_fill_fn *fill, void *ctx,
    const char *name);
void ex_rd_free(struct ex_rd *r);

/* ex_rd_line's own part for when no whole line is buffered. */
int ex_rd_line_more(struct ex_rd *r, char **line, size_t *len);

/* Next line, without its LF, reading (and blocking) as needed.  Returns
 * EX_RD_LINE, the LF still in the buffer at (*line)[*len] for a caller
 * that copies the line with it; EX_RD_PARTIAL with the unterminated tail
 * at end of input (consumed: the next call returns EX_RD_EOF); or
 * EX_RD_EOF.  Inline: a line already buffered, which is nearly every
 * line, costs a memchr and no call, and every tool reads through it. */
static inline int
ex_rd_line(struct ex_rd *r, char **line, size_t *len)
{
	size_t from = r->scan > r->pos ? r->scan : r->pos;
	/* the LF ex_rd_ready found is where it stopped: no second search */
	char *lf = from < r->end && r->buf[from] == '\n' ? r->buf + from :
	    memchr(r->buf + from, '\n', r->end - from);

	if (!lf) {
		r->scan = r->end; /* none in what is buffered */
		return ex_rd_line_more(r, line, len);
	}
	*line = r->buf + r->pos;
	*len = (size_t)(lf - *line);
	r->tail = 0;
	r->pos = (size_t)(lf - r->buf) + 1;
	r->lineno++;
	r->consumed += *len + 1;
	return EX_RD_LINE;
}

/* Skip up to n complete lines without handing them out: LFs are counted
 * with memchr over whole buffers, no per-line work, and the buffer does
 * not grow beyond the longest line.  Returns how many were skipped, fewer
 * than n only at end of input, where an unterminated tail is left for
 * ex_rd_line.  lineno and consumed count the skipped lines. */
uint64_t ex_rd_skip(struct ex_rd *r, uint64_t n);

/* After EX_RD_EOF or EX_RD_PARTIAL: the input may have grown (a file
 * being appended to), so read again.  A partial tail just handed out is
 * taken back, to come again whole once its LF arrives. */
void ex_rd_resume(struct ex_rd *r);

/* The bytes read from the source but not handed out yet (after
 * ex_rd_resume, an unterminated tail among them): *p points into the
 * buffer, valid until the next call on r. */
size_t ex_rd_pending(const struct ex_rd *r, const char **p);

/* Hand out, as ex_rd_line would one by one, the first nlines whole lines
 * of what ex_rd_pending shows, n bytes with their LFs: for a caller that
 * takes lines straight from the buffer (ex_out_lines) rather than one
 * call a line.  lineno and consumed count them. */
void ex_rd_consume(struct ex_rd *r, uint64_t nlines, size_t n);

/* Nonzero when ex_rd_line would return without a system call. */
int ex_rd_ready(struct ex_rd *r);

/* Nonzero when ex_rd_line would return without waiting: r is ready, or
 * its descriptor was readable and the one read that took made it so.  A
 * reader that takes what is at hand then goes on past the end of its
 * buffer (a regular file has it all at hand) but never waits. */
int ex_rd_at_hand(struct ex_rd *r);

/* Wait up to ms milliseconds (-1: for ever) for r to become ready or its
 * descriptor readable.  Returns 1 if so, 0 on timeout. */
int ex_rd_wait(struct ex_rd *r, int ms);

#endif
