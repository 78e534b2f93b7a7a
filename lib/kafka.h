/*
 * kafka.h — a Kafka topic partition as a log, a consumer group as an
 * offset store, and where both stand (DESIGN.md section 8).
 *
 * Names:
 *   kafka://BROKERS/TOPIC/PARTITION         a log: one partition
 *   kafka://BROKERS/TOPIC/PARTITION@GROUP   a store: GROUP's offset for it
 *   kafka://BROKERS/TOPIC[/PARTITION][@GROUP]   what -L lists
 * BROKERS is host:port[,host:port...].  A name that is wrong is a usage
 * error (exit 2) naming the part; so is a bad property in the file named
 * by EXACTLY_KAFKA_CONFIG (librdkafka's key=value lines), and any kafka://
 * name in a build made with KAFKA=no.
 *
 * Every wait on the cluster is bounded by librdkafka's socket.timeout.ms
 * (10 s unless the configuration says otherwise): an unreachable cluster,
 * topic or coordinator is exit 74 with librdkafka's reason, never a hang.
 * Only a reader that follows (-F) waits for ever, for new records; a
 * cluster that goes away under it is waited out, as tail -F waits out a
 * file that is gone.
 *
 * Reading is read_committed and never resets an offset by itself: an
 * offset no longer retained or past the end follows the -r policy.  A
 * record is a message's offset and value; keys, headers and timestamps
 * are not part of it, and a value holding an LF byte cannot be one
 * (exit 65 naming its offset).
 */
#ifndef EX_KAFKA_H
#define EX_KAFKA_H

#include <stddef.h>
#include <stdint.h>

/* Whether name is a kafka:// name (a log, a store or a topic). */
int ex_kafka_name(const char *name);

/* Route librdkafka's own log lines to stderr (-v) or nowhere.  Set once,
 * after the options are parsed. */
void ex_kafka_verbose(int on);

/* ---- Names */

enum { EX_KURL_LOG, EX_KURL_STORE, EX_KURL_LIST };

struct ex_kurl {
	char *brokers;     /* "host:port[,host:port...]" */
	char *topic;
	int32_t partition; /* -1: none given (EX_KURL_LIST only) */
	char *group;       /* NULL: none given */
};

/* Parse name as the form wanted: 0, or -1 with what is wrong, naming the
 * part, in why[0..n) and u left empty. */
int ex_kurl_parse(const char *name, int form, struct ex_kurl *u, char *why,
    size_t n);
void ex_kurl_free(struct ex_kurl *u);

/* The log a store names (kafka://BROKERS/TOPIC/PARTITION@GROUP without
 * "@GROUP"), allocated; a name that is no store dies 2. */
char *ex_kafka_logof(const char *store);

/* ---- The partition reader, under log.h's Kafka kind (below) */

enum { EX_KRESET_ERROR, EX_KRESET_EARLIEST, EX_KRESET_LATEST }; /* -r */

#define EX_KLOG_FOLLOW 1 /* -F: no end; ex_klog_wait for more */
#define EX_KLOG_FIRST  2 /* start at the first retained offset (a group
			  * that never committed); start is ignored */

struct ex_klog;

/* Open the partition named (EX_KURL_LOG) at start.  An offset below the
 * first retained or past the end follows reset: exit 65 naming the gone
 * range or the end, or a warning and the first or the end; from (or
 * NULL) says in those messages where start came from, "-s 42: offset". */
struct ex_klog *ex_klog_open(const char *name, uint64_t start, int reset,
    int flags, const char *from);

/* The next record: 1 with its offset and value (valid until the next
 * call); 0 when there is none now: without EX_KLOG_FOLLOW, the end the
 * partition had at open was reached, for good.  -1: the reader stopped
 * (a value holding an LF, offsets gone under it, the cluster failed);
 * the caller writes out the records it has, then calls ex_klog_die. */
int ex_klog_next(struct ex_klog *k, uint64_t *off, const char **val,
    size_t *len);

/* Say why the reader stopped and exit with its status (65 or 74). */
_Noreturn void ex_klog_die(struct ex_klog *k);

/* Whether everything up to the newest end seen was read. */
int ex_klog_atend(const struct ex_klog *k);

/* Readable when ex_klog_next may have a record again (for a poll loop of
 * the caller's own); ex_klog_wait waits on it, up to ms (-1: for ever).
 * 1 if so, 0 on timeout or a signal. */
int ex_klog_fd(const struct ex_klog *k);
int ex_klog_wait(struct ex_klog *k, int ms);

/* Where reading started (after -r), the first offset retained at open,
 * and the end: the offset after the newest committed message at open, or
 * under EX_KLOG_FOLLOW the newest seen since. */
uint64_t ex_klog_start(const struct ex_klog *k);
uint64_t ex_klog_first(const struct ex_klog *k);
uint64_t ex_klog_end(const struct ex_klog *k);

void ex_klog_close(struct ex_klog *k);

/* ---- The offset store: store.h's Kafka kind */

#define EX_KSTORE_WAIT 1 /* wait for another consumer on this host */
#define EX_KSTORE_PEEK 2 /* read only: no lock, no checks */

struct ex_kstore;

/*
 * Open GROUP's offset for the partition (EX_KURL_STORE).  Unless PEEK:
 * take this host's lock on it (exit 75 if another consumer holds it; the
 * stages of one pipeline share it) and refuse a group with subscribed
 * members (exit 75), since it would reject our commits.
 */
struct ex_kstore *ex_kstore_open(const char *name, int flags);

/* 0 if the group never committed the partition; 1 with *off. */
int ex_kstore_read(struct ex_kstore *s, uint64_t *off);

/* Commit off, synchronously.  First the group's offset must still be the
 * one we last saw: if another consumer moved it, exit 75 and nothing is
 * committed.  A failed or timed-out commit is exit 74 with the broker's
 * reason, and nothing is claimed. */
void ex_kstore_write(struct ex_kstore *s, uint64_t off);

void ex_kstore_close(struct ex_kstore *s);

/* ---- -L */

struct ex_log_stand;

/* Where each partition of the topic (or the one named, EX_KURL_LIST)
 * stands, and the group's offset for it if the name has a group and the
 * group committed one: an array of *n, freed by ex_kafka_stands_free. */
struct ex_log_stand *ex_kafka_stands(const char *name, size_t *n);
void ex_kafka_stands_free(struct ex_log_stand *st, size_t n);

/* ---- log.h */

struct ex_log;
struct ex_store;

/*
 * log.h's Kafka kind, for ex_log_open: names[0] (n == 1) is a partition,
 * or with EX_LOG_LIST a topic (or partition) with an optional @GROUP.
 * store, if a Kafka store, must name that partition (else exit 2).
 * ex_log_seek opens the reader: have = 0 starts at the first retained
 * offset.  A reader stopped by an error calls the onfatal hook, then
 * dies.  ex_log_wait names the reader's wake-up descriptor.
 */
struct ex_log *ex_kafkalog_open(char *const *names, int n,
    struct ex_store *store, int flags);

#endif
