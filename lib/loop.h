/*
 * loop.h — the consumer loop of commit and dedup, and of crashat's
 * lockstep form: records read in batches, one run of the command per
 * batch, the feed window of -e, and the warning of a silent command.
 *
 * Batches.  A batch is up to count records, cut ms milliseconds after its
 * first record if the input has nothing more to read by then (ms 0: never
 * cut), so that a live stream is handed on at least that often.  Before
 * waiting for input the batch reader flushes the stream named idle, so
 * nothing sits in a buffer while the input is quiet, and it watches the
 * stream named watch (our standard output): a reader of it that went away
 * while we wait ("| head" on an idle log) ends the wait at once, as
 * EX_BATCH_GONE, rather than when the next record comes, which may be
 * never.  A progress mark (tag.h) is a line of the batch but not one of
 * its count records: the caller that finds one says so (ex_batch_mark),
 * and the batch takes one line more.  It starts the clock of ms as any
 * line does, so that a stream of marks alone is still handed on in time.
 *
 * One run per batch (ex_feed).  The command is started for a batch and fed
 * it; its end is the batch's end.  A command that exits without reading
 * all of its batch is told from one that read it all, whatever the size of
 * the batch: a copy of its pipe's read end is kept, so what it left in the
 * pipe can be counted, and its exit (a pidfd) is watched while the pipe is
 * full, so writing to it never waits for ever.  (On a kernel without
 * pidfds only what did not fit in the pipe is seen.)
 *
 * The feed window (ex_echo, -e).  The command is started once; records
 * are fed to it beyond the last ones made durable (done) only up to
 * window, so a crash repeats at most window records however far ahead the
 * command could run.  With verbose, a command silent for 1, 2, 4, ...
 * seconds with records in flight is reported on stderr: one that keeps its
 * acknowledgements in a buffer cannot be told from a slow one.
 *
 * A tool that uses ex_feed or ex_echo calls ex_child_guard (child.h)
 * first, so that dying never leaves its command running without it.
 */
#ifndef EX_LOOP_H
#define EX_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ack.h"
#include "out.h"
#include "rd.h"

/* ex_batch_next's results. */
enum {
	EX_BATCH_REC = 1, /* a line of the batch */
	EX_BATCH_END,     /* the batch is complete: count records, or cut */
	EX_BATCH_EOF,     /* the input ended */
	EX_BATCH_TORN,    /* the input ended inside a line: *line is its tail */
	EX_BATCH_GONE,    /* watch's reader went away */
};

struct ex_batch {
	struct ex_rd *in;
	uint64_t count;        /* records a batch; EX_COUNT_NONE: no limit */
	int ms;                /* cut a batch this long after its first record */
	struct ex_out *idle;   /* flushed before waiting for input, or NULL */
	struct ex_out *watch;  /* its reader's leaving ends a wait, or NULL */
	uint64_t n;            /* lines of the batch so far, marks included */
	uint64_t max;          /* lines it may hold: count plus its marks */
	int64_t deadline;      /* ex_now_ms when it is cut */
};

void ex_batch_init(struct ex_batch *b, struct ex_rd *in, uint64_t count,
    int ms);

/* A new batch. */
void ex_batch_start(struct ex_batch *b);

/* The next line of the batch, waiting for it as the batch allows. */
int ex_batch_next(struct ex_batch *b, char **line, size_t *len);

/* For a caller that takes several lines of the batch straight from the
 * reader's buffer (ex_rd_pending, ex_rd_consume) instead of one
 * ex_batch_next each: how many it may take, and, once taken, their
 * count, which ex_batch_next would have kept (the first starts the -t
 * clock).  Only lines already buffered: nothing waits. */
uint64_t ex_batch_room(const struct ex_batch *b);
void ex_batch_took(struct ex_batch *b, uint64_t k);

/* The line just read was a progress mark: not one of the batch's count
 * records. */
void ex_batch_mark(struct ex_batch *b);

/* Wait for input until deadline (ex_now_ms; -1: for ever), flushing idle
 * first.  1 when it is ready, 0 at the deadline, -1 if watch's reader
 * went away. */
int ex_batch_wait(struct ex_batch *b, int64_t deadline);

/* Whether the reader of o's descriptor went away, without waiting. */
int ex_out_gone(const struct ex_out *o);

/* One run of the command, fed one batch. */
struct ex_feed {
	pid_t pid;        /* 0: not running */
	int peek;         /* the kept read end of its stdin, or -1 */
	int wstatus;      /* its wait status, after ex_feed_end */
	struct ex_out to; /* write the batch here */
};

void ex_feed_start(struct ex_feed *f, char *const argv[]);

/* End the batch: hand the command end of input and wait for it.  Returns
 * its status (as ex_child_wait); *whole is 1 if it read all it was given,
 * 0 if it exited leaving some of it unread. */
int ex_feed_end(struct ex_feed *f, int *whole);

/* The command of -e and its feed window. */
struct ex_echo {
	struct ex_ack a;
	const char *name;  /* argv[0], for messages */
	uint64_t window;   /* records fed beyond done, at most */
	uint64_t done;     /* records whose outcome is durable */
	int verbose;
	int64_t quiet;     /* silent with records in flight since then, or 0 */
	int64_t warn;      /* seconds of silence to report next */
};

void ex_echo_start(struct ex_echo *e, char *const argv[], int tagged,
    uint64_t window, int verbose);

/* Whether one more record may be fed now. */
int ex_echo_may_feed(const struct ex_echo *e);

/* ex_ack_poll, and the warning of a silent command. */
int ex_echo_poll(struct ex_echo *e, int in_fd, int ms);

#endif
