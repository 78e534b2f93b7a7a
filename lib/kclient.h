/*
 * kclient.h — one librdkafka client as the Kafka files of lib/ use it
 * (kafka.h is the tools' view; this one is theirs alone).
 *
 * A client is configured from our defaults, then the file named by
 * EXACTLY_KAFKA_CONFIG, then what the tools fix (the brokers and group of
 * the name, no automatic commits or resets, read_committed): a file that
 * sets one of those, an unknown key or a bad value is exit 2 naming the
 * file, line and key.  librdkafka's log lines go to stderr only under
 * ex_kafka_verbose; the last error among them is kept for messages.
 *
 * Every call that waits on the cluster is bounded by c->timeout, read
 * back from socket.timeout.ms; failures die 74 naming the client's URL and
 * librdkafka's reason.
 */
#ifndef EX_KCLIENT_H
#define EX_KCLIENT_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "kafka.h"

struct ex_kclient {
	rd_kafka_t *rk;
	const char *name;    /* the kafka:// name, for messages */
	int timeout;         /* ms: the bound of every wait */
	pthread_mutex_t mu;  /* guards last: librdkafka's threads log */
	char last[512];      /* the last error librdkafka logged, or "" */
};

/* A consumer of the brokers in u; a member of u->group if set (NULL-safe:
 * no group for a reader).  Does not yet contact the cluster. */
struct ex_kclient *ex_kclient_new(const char *name, const struct ex_kurl *u,
    int with_group);
void ex_kclient_free(struct ex_kclient *c);

/* "NAME: what: librdkafka's reason (what it logged last)" into buf. */
void ex_kclient_why(struct ex_kclient *c, rd_kafka_resp_err_t err, char *buf,
    size_t n, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Die with status and that message. */
_Noreturn void ex_kclient_die(struct ex_kclient *c, int status,
    rd_kafka_resp_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The number of partitions of topic, checking that part (if >= 0) is one
 * of them; dies 74 if the cluster cannot say or the topic or partition
 * does not exist. */
int32_t ex_kclient_partitions(struct ex_kclient *c, const char *topic,
    int32_t part);

/* The first offset retained and the end (read_committed) of a partition;
 * an error if the cluster did not say in time. */
rd_kafka_resp_err_t ex_kclient_marks(struct ex_kclient *c, const char *topic,
    int32_t part, int64_t *first, int64_t *end);

/* Whether err says the group has members of its own, so it refuses a
 * plain consumer's commits. */
int ex_kclient_member_err(rd_kafka_resp_err_t err);

#endif
