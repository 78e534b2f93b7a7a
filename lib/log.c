/*
 * The log interface: which kind of log the names make, and the calls
 * passed on to it.  The file log is in filelog.c.
 */
#include "err.h"
#include "kafka.h"
#include "log.h"

/* A kafka:// name is a partition (or, for -L, a topic), a log of its
 * own; any other names are files. */
struct ex_log *
ex_log_open(char *const *names, int n, struct ex_store *store, int flags)
{
	for (int i = 0; i < n; i++)
		if (ex_kafka_name(names[i]))
			return ex_kafkalog_open(names, n, store, flags);
	return ex_filelog_open(names, n, store, flags);
}

void
ex_log_seek(struct ex_log *l, int have, uint64_t off, int policy,
    const char *from)
{
	l->ops->seek(l, have, off, policy, from);
}

uint64_t
ex_log_copy1(struct ex_log *l, struct ex_out *o, int tagged,
    struct ex_log_span *sp)
{
	struct ex_log_rec r;

	if (!ex_log_next(l, &r))
		return 0;
	ex_out_rec(o, r.off, r.data, r.len, tagged);
	sp->first = sp->last = r.off;
	sp->bytes = r.len + 1;
	return 1;
}

uint64_t
ex_log_copy(struct ex_log *l, struct ex_out *o, uint64_t max, int tagged,
    struct ex_log_span *sp)
{
	if (max == 0)
		return 0;
	if (l->ops->copy)
		return l->ops->copy(l, o, max, tagged, sp);
	return ex_log_copy1(l, o, tagged, sp);
}

void
ex_log_wait(struct ex_log *l, struct ex_log_wait *w)
{
	l->ops->wait(l, w);
}

int
ex_log_stand(struct ex_log *l, size_t i, struct ex_log_stand *st)
{
	return l->ops->stand(l, i, st);
}

void
ex_log_onfatal(struct ex_log *l, void (*fn)(void *), void *ctx)
{
	l->onfatal = fn;
	l->onfatalctx = ctx;
}

void
ex_log_fatal(struct ex_log *l)
{
	if (l->onfatal)
		l->onfatal(l->onfatalctx);
}

void
ex_log_close(struct ex_log *l)
{
	if (l)
		l->ops->close(l);
}
