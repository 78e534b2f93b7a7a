/*
 * -L on Kafka: where each partition of a topic and a group stand.  Reads
 * no records, commits nothing, takes no lock.
 */
#ifdef EX_KAFKA /* else lib/knone.c: a build without librdkafka */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kclient.h"

/* The group's offsets for partitions [lo, hi) of the topic, in l. */
static rd_kafka_topic_partition_list_t *
committed(struct ex_kclient *c, const struct ex_kurl *u, int32_t lo,
    int32_t hi)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;

	l = rd_kafka_topic_partition_list_new(hi - lo);
	for (int32_t p = lo; p < hi; p++)
		rd_kafka_topic_partition_list_add(l, u->topic, p);
	if (!u->group)
		return l; /* offsets stay RD_KAFKA_OFFSET_INVALID */
	if ((err = rd_kafka_committed(c->rk, l, c->timeout)))
		ex_kclient_die(c, EXIT_IO, err, "cannot read the offsets "
		    "group %s committed", u->group);
	for (int i = 0; i < l->cnt; i++)
		if (l->elems[i].err)
			ex_kclient_die(c, EXIT_IO, l->elems[i].err, "cannot "
			    "read the offset group %s committed for partition "
			    "%" PRId32, u->group, l->elems[i].partition);
	return l;
}

static void
line(struct ex_out *out, const struct ex_kurl *u, int32_t part, int64_t first,
    int64_t end, int64_t comm)
{
	char buf[1024];
	int n;

	if (!u->group)
		n = snprintf(buf, sizeof buf, "kafka://%s/%s/%" PRId32 "\t%"
		    PRId64 "\t%" PRId64 "\t-\t-\n", u->brokers, u->topic, part,
		    first, end);
	else if (comm < 0)
		n = snprintf(buf, sizeof buf, "kafka://%s/%s/%" PRId32 "\t%"
		    PRId64 "\t%" PRId64 "\t-\t%" PRId64 "\n", u->brokers,
		    u->topic, part, first, end, end - first);
	else
		n = snprintf(buf, sizeof buf, "kafka://%s/%s/%" PRId32 "\t%"
		    PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\n",
		    u->brokers, u->topic, part, first, end, comm, end - comm);
	if (n < 0 || (size_t)n >= sizeof buf)
		ex_diex(EXIT_FAILURE, "kafka://%s/%s: name too long to list",
		    u->brokers, u->topic);
	ex_out_write(out, buf, (size_t)n);
}

void
ex_kafka_list(const char *name, struct ex_out *out)
{
	rd_kafka_topic_partition_list_t *l;
	struct ex_kclient *c;
	struct ex_kurl u;
	int32_t lo, hi;
	int64_t first, end;
	char why[512];

	if (ex_kurl_parse(name, EX_KURL_LIST, &u, why, sizeof why) < 0)
		ex_diex(EXIT_USAGE, "%s", why);
	c = ex_kclient_new(name, &u, 1);
	hi = ex_kclient_partitions(c, u.topic, u.partition);
	lo = u.partition >= 0 ? u.partition : 0;
	if (u.partition >= 0)
		hi = u.partition + 1;
	l = committed(c, &u, lo, hi);
	for (int i = 0; i < l->cnt; i++) {
		rd_kafka_resp_err_t err = ex_kclient_marks(c, u.topic,
		    l->elems[i].partition, &first, &end);

		if (err)
			ex_kclient_die(c, EXIT_IO, err, "cannot read where "
			    "partition %" PRId32 " begins and ends",
			    l->elems[i].partition);
		line(out, &u, l->elems[i].partition, first, end,
		    l->elems[i].offset);
	}
	rd_kafka_topic_partition_list_destroy(l);
	ex_kclient_free(c);
	ex_kurl_free(&u);
}
#endif /* EX_KAFKA */
