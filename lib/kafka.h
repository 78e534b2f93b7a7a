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

#endif
