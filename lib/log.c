/*
 * The log interface: which kind of log the names make, and the calls
 * passed on to it.  The file log is in filelog.c.
 */
#include "log.h"

struct ex_log *
ex_log_open(char *const *names, int n, struct ex_store *store, int flags)
{
	return ex_filelog_open(names, n, store, flags);
}

void
ex_log_seek(struct ex_log *l, int have, uint64_t off, int policy,
    const char *from)
{
	l->ops->seek(l, have, off, policy, from);
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
