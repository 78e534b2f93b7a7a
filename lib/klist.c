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
#include "log.h"

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
stand(struct ex_kclient *c, const struct ex_kurl *u,
    const rd_kafka_topic_partition_t *p, struct ex_log_stand *st)
{
	rd_kafka_resp_err_t err;
	int64_t first, end;
	char name[1024];

	if ((err = ex_kclient_marks(c, u->topic, p->partition, &first, &end)))
		ex_kclient_die(c, EXIT_IO, err, "cannot read where partition %"
		    PRId32 " begins and ends", p->partition);
	if ((size_t)snprintf(name, sizeof name, "kafka://%s/%s/%" PRId32,
	    u->brokers, u->topic, p->partition) >= sizeof name)
		ex_diex(EXIT_USAGE, "kafka://%s/%s: name too long to list",
		    u->brokers, u->topic);
	st->name = ex_strjoin(name, "");
	st->first = (uint64_t)first;
	st->end = (uint64_t)end;
	st->hascommitted = p->offset >= 0;
	st->committed = p->offset >= 0 ? (uint64_t)p->offset : 0;
}

struct ex_log_stand *
ex_kafka_stands(const char *name, size_t *n)
{
	rd_kafka_topic_partition_list_t *l;
	struct ex_log_stand *st;
	struct ex_kclient *c;
	struct ex_kurl u;
	int32_t lo, hi;
	char why[512];

	if (ex_kurl_parse(name, EX_KURL_LIST, &u, why, sizeof why) < 0)
		ex_diex(EXIT_USAGE, "%s", why);
	c = ex_kclient_new(name, &u, 1);
	hi = ex_kclient_partitions(c, u.topic, u.partition);
	lo = u.partition >= 0 ? u.partition : 0;
	if (u.partition >= 0)
		hi = u.partition + 1;
	l = committed(c, &u, lo, hi);
	st = ex_malloc((size_t)l->cnt * sizeof *st);
	for (int i = 0; i < l->cnt; i++)
		stand(c, &u, &l->elems[i], &st[i]);
	*n = (size_t)l->cnt;
	rd_kafka_topic_partition_list_destroy(l);
	ex_kclient_free(c);
	ex_kurl_free(&u);
	return st;
}

void
ex_kafka_stands_free(struct ex_log_stand *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)st[i].name);
	free(st);
}
#endif /* EX_KAFKA */
