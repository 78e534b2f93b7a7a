/*
 * log.h — a log: records with offsets, read in order from a position on.
 *
 * logcat drives every kind of log through these calls and nothing else.
 * The first kind is the file log (filelog.c): the files given, plain or
 * gzip, as the segments of one log, numbered so that every record keeps
 * its offset through rotation.  A Kafka partition is the second kind.
 *
 * A log is opened, then either sought once and read (ex_log_next, and
 * ex_log_wait under EX_LOG_FOLLOW) or, opened with EX_LOG_LIST, asked
 * where it stands; then closed.  The contract, for every kind:
 *
 *  - Offsets strictly increase from one record to the next, and may have
 *    gaps (a compacted partition).  A record keeps its offset: read again
 *    from anywhere, at any later run, it has the same offset and payload.
 *    Whatever must be durable for that to hold (a file segment's first
 *    offset) is durable before the first record that depends on it is
 *    handed out.
 *
 *  - ex_log_open finds the log and what is kept about it beside the offset
 *    store (ex_store_path), and takes nothing from it yet.
 *    ex_log_seek says where to start: at the committed offset or -s (have
 *    = 1), or where nothing was ever committed (have = 0: a file log's
 *    offset 0, a partition's first offset).  Records the start asks for
 *    that are no longer in the log (deleted, rotated away, below a
 *    partition's first retained offset), and a start beyond the end, follow
 *    policy (logcat -r): EX_LOG_ERROR dies 65 with a message naming them and
 *    the remedy, having handed out no record after them;
 *    EX_LOG_EARLIEST warns and goes on at the oldest record still present
 *    after them; EX_LOG_LATEST warns and starts after the newest.  from
 *    says where the start came from, for those messages ("st/off:
 *    committed offset 42").
 *
 *  - ex_log_next hands out the next record; r->data stays valid until the
 *    next call.  It returns 0 when the log is at its end.  Without
 *    EX_LOG_FOLLOW that end is final: the end of the newest file as far as
 *    it is complete, or the end a partition had when it was opened.  With
 *    EX_LOG_FOLLOW it is the end for now: the caller waits on what
 *    ex_log_wait names (or until a timeout) and calls ex_log_next again,
 *    which looks again — for new records, and for a file log for rotation
 *    and truncation — and may return 0 again.
 *
 *  - ex_log_copy writes the next records to an output stream instead, as
 *    many as are at hand up to a count, exactly as ex_log_next and
 *    ex_out_rec would one by one, and ends where ex_log_next would.  A
 *    kind of log may do it faster (the file log writes a buffer of lines
 *    in one call); one that does not is read one record a call.
 *
 *  - ex_log_stand (logcat -L) says where the log stands without reading
 *    records: per log the arguments make (a file log is one; a topic is one
 *    per partition), its name, the first offset still present, the offset
 *    after the newest complete record, and the committed offset if a store
 *    was given.  With EX_LOG_LIST the log writes nothing and takes no lock.
 *
 *  - Bad input or state is fatal, exit 65 with a message naming the file
 *    (or partition) and what is wrong; an I/O error is fatal, 74.  Neither
 *    ever changes the committed offset.
 */
#ifndef EX_LOG_H
#define EX_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "out.h"
#include "store.h"

/* ex_log_open flags */
#define EX_LOG_FOLLOW 1 /* -F: the end is the end for now */
#define EX_LOG_LIST   2 /* -L: ex_log_stand only; no record, no write */

/* What to do about a start that is not in the log (logcat -r). */
enum ex_log_policy { EX_LOG_ERROR, EX_LOG_EARLIEST, EX_LOG_LATEST };

struct ex_log_rec {
	uint64_t off;
	const char *data; /* the payload, without its LF */
	size_t len;
};

/* What one ex_log_copy wrote. */
struct ex_log_span {
	uint64_t first, last;     /* offsets of its first and last record */
	uint64_t bytes;           /* payload bytes, and one a record for LF */
};

/* What EX_LOG_FOLLOW waits on at the end: any of these may mean more. */
struct ex_log_wait {
	int fd;                   /* readable when there may be more; -1: none */
	char *const *paths;       /* files whose directories may change; */
	int npaths;               /* inotify watches those directories */
	int ms;                   /* look again after this long at the latest;
	                           * -1: whenever the caller likes */
};

struct ex_log_stand {
	const char *name;         /* the log, or partition, for -L's NAME */
	uint64_t first;           /* first offset present (= end when empty) */
	uint64_t end;             /* the offset after the newest record */
	int hascommitted;         /* a store was given and holds an offset */
	uint64_t committed;
};

struct ex_log;

/* The operations a kind of log implements; its struct begins with a
 * struct ex_log whose ops point to them. */
struct ex_log_ops {
	void (*seek)(struct ex_log *, int have, uint64_t off, int policy,
	    const char *from);
	int (*next)(struct ex_log *, struct ex_log_rec *);
	void (*wait)(struct ex_log *, struct ex_log_wait *);
	int (*stand)(struct ex_log *, size_t i, struct ex_log_stand *);
	void (*close)(struct ex_log *);
	/* may be NULL: ex_log_copy then calls next */
	uint64_t (*copy)(struct ex_log *, struct ex_out *, uint64_t max,
	    int tagged, struct ex_log_span *);
};

struct ex_log {
	const struct ex_log_ops *ops;
	void (*onfatal)(void *); /* see ex_log_onfatal */
	void *onfatalctx;
};

/* Open the log the names make (files; or one Kafka partition or topic).
 * store, or NULL, is the consumer's offset store, opened by the caller
 * (EX_STORE_PEEK with EX_LOG_LIST); it stays the caller's to close, after
 * ex_log_close.  Dies 74 if a file cannot be opened (under EX_LOG_FOLLOW a
 * missing file is one that rotation will create), 65 on bad state. */
struct ex_log *ex_log_open(char *const *names, int n, struct ex_store *store,
    int flags);

void ex_log_seek(struct ex_log *l, int have, uint64_t off, int policy,
    const char *from);

/* 1 with the next record in *r; 0 at the end (see above).  Inline: it is
 * called once a record. */
static inline int
ex_log_next(struct ex_log *l, struct ex_log_rec *r)
{
	return l->ops->next(l, r);
}

/* Write up to max records (max > 0) to o, tagged or not, as ex_out_rec
 * writes them: those at hand, and at least one unless the log is at its
 * end (see ex_log_next).  Returns how many, and *sp says which. */
uint64_t ex_log_copy(struct ex_log *l, struct ex_out *o, uint64_t max,
    int tagged, struct ex_log_span *sp);

void ex_log_wait(struct ex_log *l, struct ex_log_wait *w);

/* The stand of the i-th log the names make: 1, or 0 when there is none. */
int ex_log_stand(struct ex_log *l, size_t i, struct ex_log_stand *st);

/* Before the log dies of an error found after it handed out records
 * (bad gzip data, a segment gone under -r error), it calls fn(ctx), so
 * that the records already handed out reach their reader first. */
void ex_log_onfatal(struct ex_log *l, void (*fn)(void *), void *ctx);

/* For implementations: one record, by ex_log_next, written and told as
 * ex_log_copy writes and tells it; 0 at the end. */
uint64_t ex_log_copy1(struct ex_log *l, struct ex_out *o, int tagged,
    struct ex_log_span *sp);

/* For implementations: call the hook of ex_log_onfatal, if any. */
void ex_log_fatal(struct ex_log *l);

/* Make what was learnt durable (a file log's state), release, free. */
void ex_log_close(struct ex_log *l);

/* The file log itself, for ex_log_open. */
struct ex_log *ex_filelog_open(char *const *names, int n,
    struct ex_store *store, int flags);

#endif
