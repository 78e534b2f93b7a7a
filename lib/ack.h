/*
 * ack.h — the acknowledgement protocol shared by commit -e, dedup -e and
 * crashat's lockstep form (DESIGN.md section 3).
 *
 * The tool starts the command once and feeds it records; every line the
 * command writes to its stdout acknowledges the oldest record not yet
 * acknowledged (the line's content is ignored).  Writing to the command and
 * reading its acknowledgements happen in one poll(2) loop, so a command
 * whose stdin and stdout pipes are both full never deadlocks with us.
 * Records fed but not acknowledged are "in flight": a copy of each is kept,
 * in order, so the tool can hand the acknowledged record on.
 *
 * Bytes reach the command only inside ex_ack_poll and ex_ack_wait, each
 * time as one writev(2) of everything queued: send all the records at hand
 * before polling, and a thousand records cost one system call, not one
 * each.  A taken flight's payload stays valid across sends and polls.
 *
 * A progress mark (tag.h) is never fed: queued behind the records sent
 * before it (ex_ack_mark), it is handed out by ex_ack_take, in its place,
 * once every one of them was acknowledged and taken, so a tool writes it
 * on exactly where it stood in its input.  A mark queued right behind
 * another replaces it (it says all the other said), so marks never grow
 * the queue beyond one per record.  fed and acked count records only.
 *
 * The caller ignores SIGPIPE: a command that stops reading makes further
 * records stay in flight, never kills the tool.  More acknowledgements than
 * records fed is bad output from the command: exit 65.
 */
#ifndef EX_ACK_H
#define EX_ACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ex_flight {
	uint64_t off;
	char *payload;
	size_t len;
	size_t tag;             /* bytes of the tag fed before the payload, in
	                         * the same buffer (0 if untagged): the line as
	                         * fed is payload - tag, tag + len bytes */
	int mark;               /* a progress mark: payload empty, never fed */
	unsigned char user[16]; /* the caller's, e.g. dedup's key hash */
};

struct ex_ack_impl;

struct ex_ack {
	pid_t pid;
	uint64_t fed, acked;     /* records sent, acknowledgements read */
	int tagged;              /* feed "OFFSET<TAB>PAYLOAD" (else payload) */
	int wstatus;             /* the command's wait status, after ex_ack_wait */
	int watch;               /* -1, or a descriptor (our stdout) whose reader
	                          * leaving ex_ack_poll reports: EX_ACK_GONE */
	int wake;                /* -1, or a descriptor whose readability ends
	                          * ex_ack_poll's wait: EX_ACK_WAKE */
	struct ex_ack_impl *p;   /* queues and buffers, private to ack.c */
};

/* Poll results, a bit mask. */
#define EX_ACK_IN    1 /* the caller's in_fd is readable */
#define EX_ACK_READY 2 /* ex_ack_take has a record to hand out */
#define EX_ACK_EOF   4 /* the command closed its stdout */
#define EX_ACK_GONE  8 /* the reader of a->watch went away */
#define EX_ACK_WAKE 32 /* a->wake is readable */

void ex_ack_start(struct ex_ack *a, char *const argv[], int tagged);

/* Queue a record for the command; the payload is copied.  If tag is not
 * 0, the tag of a tagged command is the tag bytes before payload, copied
 * with it (they must be off's tag, as ex_tag_fmt writes it: a tagged
 * line's own); else it is formatted.  Returns the flight, whose user
 * bytes the caller may fill. */
struct ex_flight *ex_ack_send(struct ex_ack *a, uint64_t off,
    const char *payload, size_t len, size_t tag);

/* Queue a progress mark behind the records sent so far. */
void ex_ack_mark(struct ex_ack *a, uint64_t off);

/* Nonzero while the bytes queued for the command exceed a bound: make
 * progress with ex_ack_poll before sending more. */
int ex_ack_full(const struct ex_ack *a);

/* Write queued bytes and read acknowledgements, waiting up to ms
 * milliseconds (-1: until something happens, 0: not at all).  If in_fd is
 * not -1, also return as soon as it is readable.  Returns EX_ACK_* bits. */
int ex_ack_poll(struct ex_ack *a, int in_fd, int ms);

/* The oldest acknowledged record not yet taken, or the mark queued after
 * the last one taken, or NULL.  It stays valid until the next call of
 * ex_ack_take. */
struct ex_flight *ex_ack_take(struct ex_ack *a);

/* No more records: close the command's stdin once all queued bytes have
 * been written (or the command stopped reading). */
void ex_ack_eof(struct ex_ack *a);

/* Reap the command after reading the rest of its acknowledgements (take
 * them afterwards).  Returns its status as ex_child_wait does; a->wstatus
 * is the wait status, for ex_child_report. */
int ex_ack_wait(struct ex_ack *a);

/* Free the queues (the records still in flight are dropped). */
void ex_ack_free(struct ex_ack *a);

#endif
