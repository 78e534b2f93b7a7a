/*
 * The partition reader of kafka.h: one partition as a log.
 *
 * Messages come through librdkafka's queue for the partition, taken in
 * batches without blocking; when it is empty the reader waits on the
 * queue's wake-up pipe, so a caller's poll loop can wait on it too.
 * Without -F the end is the one the partition had at open: a message at
 * or past it is not handed out, and reaching it (a record just below it,
 * or librdkafka's end-of-partition event after a gap) is the end for
 * good.  Control messages (transaction markers) never reach us; their
 * offsets are the gaps a reader sees, as are those compaction leaves.
 *
 * Errors at open die at once.  Errors while reading stop the reader
 * instead: ex_klog_next returns -1 from then on, so the caller can write
 * out the records it has before ex_klog_die.
 */
#ifdef EX_KAFKA /* else lib/knone.c: a build without librdkafka */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "kclient.h"

#define BATCH 1024

struct ex_klog {
	struct ex_kclient *c;
	struct ex_kurl u;
	rd_kafka_topic_t *rkt;
	rd_kafka_queue_t *q;
	int wake[2];                   /* the queue's wake-up pipe */
	int follow, reset, started, done;
	uint64_t start, first, end;    /* end: at open, or the newest seen */
	uint64_t pos;                  /* the next offset to hand out */
	rd_kafka_message_t *m[BATCH];  /* taken, not yet handed out */
	size_t nm, at;
	rd_kafka_message_t *cur;       /* handed out, freed at the next call */
	int status;                    /* stopped: the exit status, else 0 */
	char why[2048];                /* ... and the message */
	char from[512];                /* where the start came from, or "" */
};

/* Stop reading: from now on ex_klog_next says -1. */
static int
stop(struct ex_klog *k, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
stop(struct ex_klog *k, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->why, sizeof k->why, fmt, ap);
	va_end(ap);
	k->status = status;
	return -1;
}

/* The same, with librdkafka's reason. */
static int
failed(struct ex_klog *k, rd_kafka_resp_err_t err, const char *what)
{
	ex_kclient_why(k->c, err, k->why, sizeof k->why, "%s", what);
	k->status = EXIT_IO;
	return -1;
}

_Noreturn void
ex_klog_die(struct ex_klog *k)
{
	ex_diex(k->status ? k->status : EXIT_FAILURE, "%s",
	    k->status ? k->why : "the reader stopped");
}

/* An offset outside [first, end]: -r says where to go on from, into
 * *to; -1 (stopped) if -r error.  The messages say where the start came
 * from, as the file log's do. */
static int
outside(struct ex_klog *k, uint64_t off, uint64_t *to)
{
	const char *name = k->c->name, *how = k->reset == EX_KRESET_LATEST ?
	    "latest" : "earliest", *sep = *k->from ? "; " : "";
	uint64_t go = k->reset == EX_KRESET_LATEST ? k->end : k->first;
	char what[600];

	if (off > k->end) {
		if (*k->from)
			snprintf(what, sizeof what, "%s", k->from);
		else
			snprintf(what, sizeof what, "offset %" PRIu64, off);
		if (k->reset == EX_KRESET_ERROR)
			return stop(k, EXIT_DATA, "%s: %s is beyond the end of "
			    "the partition, which ends at offset %" PRIu64
			    " (-r earliest or latest to go on)", name, what,
			    k->end);
		ex_warnx("%s: %s is beyond the end of the partition, which "
		    "ends at offset %" PRIu64 "; -r %s: starting at offset %"
		    PRIu64, name, what, k->end, how, go);
	} else {
		if (k->reset == EX_KRESET_ERROR)
			return stop(k, EXIT_DATA, "%s: offsets %" PRIu64 "-%"
			    PRIu64 " (%" PRIu64 " offsets) are gone: the "
			    "partition now begins at offset %" PRIu64 " (%s%s-r "
			    "earliest or latest to go on)", name, off,
			    k->first - 1, k->first - off, k->first, k->from,
			    sep);
		ex_warnx("%s: offsets %" PRIu64 "-%" PRIu64 " (%" PRIu64
		    " offsets) are gone: the partition now begins at offset %"
		    PRIu64 "; -r %s: starting at offset %" PRIu64, name, off,
		    k->first - 1, k->first - off, k->first, how, go);
	}
	*to = go;
	return 0;
}

static int
marks(struct ex_klog *k)
{
	rd_kafka_resp_err_t err;
	int64_t lo, hi;

	if ((err = ex_kclient_marks(k->c, k->u.topic, k->u.partition, &lo,
	    &hi)))
		return failed(k, err, "cannot read where the partition begins "
		    "and ends");
	k->first = (uint64_t)lo;
	k->end = (uint64_t)hi;
	return 0;
}

/* Start librdkafka's fetching at pos. */
static int
fetch(struct ex_klog *k)
{
	if (rd_kafka_consume_start_queue(k->rkt, k->u.partition,
	    (int64_t)k->pos, k->q) < 0)
		return failed(k, rd_kafka_last_error(), "cannot start reading");
	k->started = 1;
	return 0;
}

struct ex_klog *
ex_klog_open(const char *name, uint64_t start, int reset, int flags,
    const char *from)
{
	struct ex_klog *k = ex_malloc(sizeof *k);
	char why[512];

	memset(k, 0, sizeof *k);
	snprintf(k->from, sizeof k->from, "%s", from ? from : "");
	if (ex_kurl_parse(name, EX_KURL_LOG, &k->u, why, sizeof why) < 0)
		ex_diex(EXIT_USAGE, "%s", why);
	k->c = ex_kclient_new(name, &k->u, 0);
	k->follow = !!(flags & EX_KLOG_FOLLOW);
	k->reset = reset;
	ex_kclient_partitions(k->c, k->u.topic, k->u.partition);
	if (marks(k) < 0)
		ex_klog_die(k);
	if (flags & EX_KLOG_FIRST)
		start = k->first;
	if ((start < k->first || start > k->end) &&
	    outside(k, start, &start) < 0)
		ex_klog_die(k);
	k->start = k->pos = start;
	k->rkt = rd_kafka_topic_new(k->c->rk, k->u.topic, NULL);
	k->q = rd_kafka_queue_new(k->c->rk);
	if (pipe2(k->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		ex_die(EXIT_IO, "pipe");
	rd_kafka_queue_io_event_enable(k->q, k->wake[1], "w", 1);
	/* Without -F an empty rest needs no fetching at all. */
	if (!k->follow && k->pos >= k->end)
		k->done = 1;
	else if (fetch(k) < 0)
		ex_klog_die(k);
	return k;
}

static void
discard(struct ex_klog *k)
{
	for (; k->at < k->nm; k->at++)
		rd_kafka_message_destroy(k->m[k->at]);
}

/* Fetching fell out of the partition's range (retention went past a slow
 * reader): -r decides, as at open. */
static int
overtaken(struct ex_klog *k)
{
	uint64_t to;

	if (marks(k) < 0)
		return -1;
	if (k->pos >= k->first && k->pos <= k->end)
		return stop(k, EXIT_IO, "%s: offset %" PRIu64 " is out of "
		    "range, yet the partition spans %" PRIu64 "-%" PRIu64,
		    k->c->name, k->pos, k->first, k->end);
	if (outside(k, k->pos, &to) < 0)
		return -1;
	rd_kafka_consume_stop(k->rkt, k->u.partition);
	k->started = 0;
	discard(k);
	k->pos = to;
	if (!k->follow && k->pos >= k->end) {
		k->done = 1;
		return 0;
	}
	return fetch(k);
}

/* A message that is an event rather than a record. */
static int
event(struct ex_klog *k, rd_kafka_message_t *m)
{
	rd_kafka_resp_err_t err = m->err;
	char what[1024];
	int64_t at = m->offset;

	snprintf(what, sizeof what, "reading at offset %" PRIu64 ": %s",
	    k->pos, rd_kafka_message_errstr(m));
	rd_kafka_message_destroy(m);
	if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (at > 0 && (uint64_t)at > k->end)
			k->end = (uint64_t)at; /* it grew (-F) */
		if (!k->follow && at >= 0 && (uint64_t)at >= k->end)
			k->done = 1;
		return 0;
	}
	if (err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
	    err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
		return overtaken(k);
	return failed(k, err, what);
}

/* Take what the queue holds, without waiting: 1 if anything, 0 if not. */
static int
take(struct ex_klog *k)
{
	ssize_t n = rd_kafka_consume_batch_queue(k->q, 0, k->m, BATCH);

	if (n < 0)
		return failed(k, rd_kafka_last_error(), "reading");
	k->nm = (size_t)n;
	k->at = 0;
	return n > 0;
}

static void
drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* Refill k->m: 1 if there is something, 0 if the queue is empty now. */
static int
refill(struct ex_klog *k)
{
	int r = take(k);

	if (r != 0)
		return r;
	/* Empty: clear the wake-up before looking again, so a message
	 * queued after this look writes a wake-up we do not eat. */
	drain(k->wake[0]);
	return take(k);
}

/* Without -F: wait for the rest up to the end, bounded. */
static int
await(struct ex_klog *k)
{
	int64_t deadline = ex_now_ms() + k->c->timeout, left;
	int r;

	while ((r = refill(k)) == 0) {
		if ((left = deadline - ex_now_ms()) <= 0) {
			ex_kclient_why(k->c, RD_KAFKA_RESP_ERR__TIMED_OUT,
			    k->why, sizeof k->why, "no messages for %d ms at "
			    "offset %" PRIu64 ", below the end %" PRIu64,
			    k->c->timeout, k->pos, k->end);
			k->status = EXIT_IO;
			return -1;
		}
		ex_klog_wait(k, (int)left);
	}
	return r;
}

static void
release(struct ex_klog *k)
{
	if (k->cur)
		rd_kafka_message_destroy(k->cur);
	k->cur = NULL;
}

/* The next message that is a record, or 0 (none now) or -1. */
static int
next_msg(struct ex_klog *k, rd_kafka_message_t **mp)
{
	rd_kafka_message_t *m;

	for (;;) {
		if (k->status)
			return -1;
		if (k->done)
			return 0;
		if (k->at == k->nm) {
			int r = k->follow ? refill(k) : await(k);

			if (r <= 0)
				return r;
			continue;
		}
		m = k->m[k->at++];
		if (m->err) {
			if (event(k, m) < 0)
				return -1;
		} else if (m->offset < 0 || (uint64_t)m->offset < k->pos) {
			rd_kafka_message_destroy(m); /* handed out already */
		} else if (!k->follow && (uint64_t)m->offset >= k->end) {
			rd_kafka_message_destroy(m); /* newer than our end */
			k->done = 1;
		} else {
			*mp = m;
			return 1;
		}
	}
}

int
ex_klog_next(struct ex_klog *k, uint64_t *off, const char **val, size_t *len)
{
	rd_kafka_message_t *m;
	int r;

	release(k);
	if ((r = next_msg(k, &m)) <= 0)
		return r;
	if (m->len && memchr(m->payload, '\n', m->len)) {
		stop(k, EXIT_DATA, "%s: the message at offset %" PRId64 " holds "
		    "an LF byte, so it cannot be one record (commit -R %" PRId64
		    " skips it)", k->c->name, m->offset, m->offset + 1);
		rd_kafka_message_destroy(m);
		return -1;
	}
	k->cur = m;
	k->pos = (uint64_t)m->offset + 1;
	if (k->pos > k->end)
		k->end = k->pos;
	/* The last offset below the end was a record: no need to wait for
	 * librdkafka's end event, which comes only with the next fetch, one
	 * that the broker holds for fetch.wait.max.ms. */
	if (!k->follow && k->pos == k->end)
		k->done = 1;
	*off = (uint64_t)m->offset;
	*val = m->payload ? m->payload : "";
	*len = m->len;
	return 1;
}

int
ex_klog_atend(const struct ex_klog *k)
{
	return k->done || (k->at == k->nm && k->pos >= k->end);
}

int
ex_klog_fd(const struct ex_klog *k)
{
	return k->wake[0];
}

int
ex_klog_wait(struct ex_klog *k, int ms)
{
	struct pollfd p = { .fd = k->wake[0], .events = POLLIN };
	int r;

	if (k->done || k->status || k->at < k->nm)
		return 1;
	r = poll(&p, 1, ms);
	if (r < 0 && errno != EINTR)
		ex_die(EXIT_IO, "poll");
	return r > 0;
}

uint64_t
ex_klog_start(const struct ex_klog *k)
{
	return k->start;
}

uint64_t
ex_klog_first(const struct ex_klog *k)
{
	return k->first;
}

uint64_t
ex_klog_end(const struct ex_klog *k)
{
	return k->end;
}

void
ex_klog_close(struct ex_klog *k)
{
	if (!k)
		return;
	release(k);
	discard(k);
	if (k->started)
		rd_kafka_consume_stop(k->rkt, k->u.partition);
	rd_kafka_queue_destroy(k->q);
	rd_kafka_topic_destroy(k->rkt);
	ex_kclient_free(k->c);
	close(k->wake[0]);
	close(k->wake[1]);
	ex_kurl_free(&k->u);
	free(k);
}
#endif /* EX_KAFKA */
