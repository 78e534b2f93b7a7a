/*
 * The file store: an offset file, locked through its sibling PATH.lock
 * (lock.h: held by the pipeline's process group, so the stages of one
 * pipeline are one consumer and a second pipeline is refused while any
 * process of the first lives).  Other kinds of store plug in behind the
 * same calls through ops: a kafka:// name is a consumer group's offset
 * (kafka.h).
 */
#include <stdlib.h>
#include <unistd.h>

#include "durable.h"
#include "err.h"
#include "kafka.h"
#include "lock.h"
#include "offfile.h"
#include "store.h"

struct ex_store_ops {
	int (*read)(struct ex_store *, uint64_t *);
	void (*write)(struct ex_store *, uint64_t);
	void (*close)(struct ex_store *);
};

struct ex_store {
	const struct ex_store_ops *ops;
	const char *name;
	int lockfd; /* -1 with EX_STORE_PEEK */
	int swept;  /* the temporaries a crash left were removed */
	struct ex_kstore *k; /* a Kafka store */
};

static int
file_read(struct ex_store *s, uint64_t *off)
{
	return ex_offfile_read(s->name, off);
}

static void
file_write(struct ex_store *s, uint64_t off)
{
	/* The writer of the file, holding its lock, is the one that may
	 * remove what an earlier writer's crash left. */
	if (!s->swept) {
		ex_sweep_tmp(s->name);
		s->swept = 1;
	}
	ex_offfile_write(s->name, off);
}

static void
file_close(struct ex_store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);
}

static const struct ex_store_ops file_ops = {
	file_read, file_write, file_close
};

static int
kafka_read(struct ex_store *s, uint64_t *off)
{
	return ex_kstore_read(s->k, off);
}

static void
kafka_write(struct ex_store *s, uint64_t off)
{
	ex_kstore_write(s->k, off);
}

static void
kafka_close(struct ex_store *s)
{
	ex_kstore_close(s->k);
}

static const struct ex_store_ops kafka_ops = {
	kafka_read, kafka_write, kafka_close
};

struct ex_store *
ex_store_open(const char *name, int flags)
{
	struct ex_store *s;

	if (*name == '\0')
		ex_diex(EXIT_USAGE, "-o: an empty name is no offset store");
	s = ex_malloc(sizeof *s);
	s->ops = &file_ops;
	s->name = name;
	s->lockfd = -1;
	s->swept = 0;
	if (ex_kafka_name(name)) {
		s->ops = &kafka_ops;
		s->k = ex_kstore_open(name,
		    (flags & EX_STORE_WAIT ? EX_KSTORE_WAIT : 0) |
		    (flags & EX_STORE_PEEK ? EX_KSTORE_PEEK : 0));
		return s;
	}
	if (!(flags & EX_STORE_PEEK))
		s->lockfd = ex_lock(name, EX_LOCK_GROUP |
		    (flags & EX_STORE_WAIT ? EX_LOCK_WAIT : 0));
	return s;
}

int
ex_store_read(struct ex_store *s, uint64_t *off)
{
	return s->ops->read(s, off);
}

void
ex_store_write(struct ex_store *s, uint64_t off)
{
	s->ops->write(s, off);
}

const char *
ex_store_name(const struct ex_store *s)
{
	return s->name;
}

const char *
ex_store_path(const struct ex_store *s)
{
	return s->ops == &file_ops ? s->name : NULL;
}

void
ex_store_close(struct ex_store *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s);
}
