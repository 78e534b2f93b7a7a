/*
 * store.h — an offset store: where a consumer's committed offset lives
 * (DESIGN.md section 2), named by what the user gives -o.
 *
 * A store is opened once per run.  Opening takes the consumer's lock
 * (lock.h; shared with the stages of our own pipeline), so reading and
 * writing need no further care; EX_STORE_PEEK opens without it, to read
 * only (logcat -L).  The file store, an offset file (offfile.h), is the
 * first implementation; another kind of store (a Kafka consumer group,
 * DESIGN.md section 8) implements the same four calls.
 *
 * Every write is durable before it returns: a failure is fatal (exit 74)
 * and claims nothing.  A store that cannot be read is fatal (exit 65 or
 * 74, naming it); one never committed reads as "none", never as 0.
 */
#ifndef EX_STORE_H
#define EX_STORE_H

#include <stdint.h>

#define EX_STORE_WAIT 1 /* wait for another consumer instead of exit 75 */
#define EX_STORE_PEEK 2 /* no lock: read only */

struct ex_store;

/* Open (and lock) the store named name; dies 2 on an empty name. */
struct ex_store *ex_store_open(const char *name, int flags);

/* 0 if nothing was ever committed; 1 with *off the committed offset. */
int ex_store_read(struct ex_store *s, uint64_t *off);

/* Make off the committed offset, durably. */
void ex_store_write(struct ex_store *s, uint64_t off);

/* The name it was opened by, for messages. */
const char *ex_store_name(const struct ex_store *s);

/* The path beside which a log keeps what it must remember about the
 * store's consumer (logcat's catalogue, PATH.seg), or NULL for a store
 * that keeps none. */
const char *ex_store_path(const struct ex_store *s);

/* Unlock and free. */
void ex_store_close(struct ex_store *s);

#endif
