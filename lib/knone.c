/*
 * kafka.h in a build without librdkafka (make KAFKA=no, or any build
 * without EX_KAFKA defined): every kafka:// name is a usage error saying
 * so.  Only the openers can be reached; the rest exist for the linker.
 */
#ifndef EX_KAFKA
#include <stdlib.h>

#include "err.h"
#include "kafka.h"

static _Noreturn void
none(const char *name)
{
	ex_diex(EXIT_USAGE, "%s: this build has no Kafka support (it was "
	    "made with KAFKA=no)", name);
}

void
ex_kafka_verbose(int on)
{
	(void)on;
}

struct ex_klog *
ex_klog_open(const char *name, uint64_t start, int reset, int flags,
    const char *from)
{
	(void)start;
	(void)reset;
	(void)flags;
	(void)from;
	none(name);
}

int
ex_klog_next(struct ex_klog *k, uint64_t *off, const char **val, size_t *len)
{
	(void)k;
	(void)off;
	(void)val;
	(void)len;
	abort();
}

void
ex_klog_die(struct ex_klog *k)
{
	(void)k;
	abort();
}

int
ex_klog_atend(const struct ex_klog *k)
{
	(void)k;
	abort();
}

int
ex_klog_fd(const struct ex_klog *k)
{
	(void)k;
	abort();
}

int
ex_klog_wait(struct ex_klog *k, int ms)
{
	(void)k;
	(void)ms;
	abort();
}

uint64_t
ex_klog_start(const struct ex_klog *k)
{
	(void)k;
	abort();
}

uint64_t
ex_klog_first(const struct ex_klog *k)
{
	(void)k;
	abort();
}

uint64_t
ex_klog_end(const struct ex_klog *k)
{
	(void)k;
	abort();
}

void
ex_klog_close(struct ex_klog *k)
{
	(void)k;
}

struct ex_kstore *
ex_kstore_open(const char *name, int flags)
{
	(void)flags;
	none(name);
}

int
ex_kstore_read(struct ex_kstore *s, uint64_t *off)
{
	(void)s;
	(void)off;
	abort();
}

void
ex_kstore_write(struct ex_kstore *s, uint64_t off)
{
	(void)s;
	(void)off;
	abort();
}

void
ex_kstore_close(struct ex_kstore *s)
{
	(void)s;
}

struct ex_log_stand *
ex_kafka_stands(const char *name, size_t *n)
{
	(void)n;
	none(name);
}

void
ex_kafka_stands_free(struct ex_log_stand *st, size_t n)
{
	(void)st;
	(void)n;
}

struct ex_log *
ex_kafkalog_open(char *const *names, int n, struct ex_store *store, int flags)
{
	(void)n;
	(void)store;
	(void)flags;
	none(names[0]);
}
#endif /* !EX_KAFKA */
