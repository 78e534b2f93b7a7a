/*
 * log.h's Kafka kind: one partition read through the partition reader
 * (kread.c), or with EX_LOG_LIST a topic's partitions (klist.c).
 *
 * Opening checks only the name (and that a Kafka store names the same
 * partition, for -L too: with -o, -L lists that partition and the
 * store's offset, as it does for a file log); the cluster is first asked at ex_log_seek, which knows
 * where to start, or at the first ex_log_stand.
 */
#ifdef EX_KAFKA /* else lib/knone.c: a build without librdkafka */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kafka.h"
#include "log.h"
#include "store.h"

struct klog {
	struct ex_log base;        /* first: what log.h sees */
	const char *name;
	int flags;
	struct ex_klog *k;         /* once sought */
	struct ex_store *store;    /* -L -o: the consumer's offset, or NULL */
	struct ex_log_stand *st;   /* -L, once asked */
	size_t nst;
};

static int
reset_of(int policy)
{
	switch (policy) {
	case EX_LOG_EARLIEST:
		return EX_KRESET_EARLIEST;
	case EX_LOG_LATEST:
		return EX_KRESET_LATEST;
	}
	return EX_KRESET_ERROR;
}

static void
kl_seek(struct ex_log *l, int have, uint64_t off, int policy,
    const char *from)
{
	struct klog *g = (struct klog *)l;
	int flags = (g->flags & EX_LOG_FOLLOW ? EX_KLOG_FOLLOW : 0) |
	    (have ? 0 : EX_KLOG_FIRST);

	g->k = ex_klog_open(g->name, off, reset_of(policy), flags, from);
}

static int
kl_next(struct ex_log *l, struct ex_log_rec *r)
{
	struct klog *g = (struct klog *)l;
	int got = ex_klog_next(g->k, &r->off, &r->data, &r->len);

	if (got < 0) {
		ex_log_fatal(l); /* what was handed out goes out first */
		ex_klog_die(g->k);
	}
	return got;
}

static void
kl_wait(struct ex_log *l, struct ex_log_wait *w)
{
	struct klog *g = (struct klog *)l;

	w->fd = g->k ? ex_klog_fd(g->k) : -1;
	w->paths = NULL;
	w->npaths = 0;
	w->ms = -1;
}

static int
kl_stand(struct ex_log *l, size_t i, struct ex_log_stand *st)
{
	struct klog *g = (struct klog *)l;

	if (!g->st)
		g->st = ex_kafka_stands(g->name, &g->nst);
	if (i >= g->nst)
		return 0;
	*st = g->st[i];
	/* -L -o STORE: the consumer is the store's, a group or a file */
	if (g->store)
		st->hascommitted = ex_store_read(g->store, &st->committed);
	return 1;
}

static void
kl_close(struct ex_log *l)
{
	struct klog *g = (struct klog *)l;

	ex_klog_close(g->k);
	if (g->st)
		ex_kafka_stands_free(g->st, g->nst);
	free(g);
}

static const struct ex_log_ops ops = {
	kl_seek, kl_next, kl_wait, kl_stand, kl_close, NULL /* copy: one a call */
};

/* A Kafka store must be the group's offset for this very partition. */
static void
same(const char *log, const struct ex_store *store)
{
	const char *sname = ex_store_name(store);
	char *its;

	if (!ex_kafka_name(sname))
		return; /* an offset file may keep a partition's offset */
	its = ex_kafka_logof(sname);
	if (strcmp(its, log) != 0)
		ex_diex(EXIT_USAGE, "%s is the offset of another partition "
		    "than %s", sname, log);
	free(its);
}

struct ex_log *
ex_kafkalog_open(char *const *names, int n, struct ex_store *store, int flags)
{
	struct klog *g;
	struct ex_kurl u;
	char why[512];

	if (n != 1)
		ex_diex(EXIT_USAGE, "%s: a Kafka partition is a log of its "
		    "own: give it alone", names[0]);
	if (ex_kurl_parse(names[0], flags & EX_LOG_LIST ? EX_KURL_LIST :
	    EX_KURL_LOG, &u, why, sizeof why) < 0)
		ex_diex(EXIT_USAGE, "%s", why);
	/* -L -o STORE lists the one partition the store is the offset of */
	if (store && (flags & EX_LOG_LIST) && (u.partition < 0 || u.group))
		ex_diex(EXIT_USAGE, "%s: -L with -o lists the partition the "
		    "store keeps the offset of: give it without a group, "
		    "kafka://BROKERS/TOPIC/PARTITION", names[0]);
	ex_kurl_free(&u);
	if (store)
		same(names[0], store);
	g = ex_malloc(sizeof *g);
	memset(g, 0, sizeof *g);
	g->base.ops = &ops;
	g->name = names[0];
	g->flags = flags;
	g->store = flags & EX_LOG_LIST ? store : NULL;
	return &g->base;
}
#endif /* EX_KAFKA */
