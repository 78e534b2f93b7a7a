/*
 * The Kafka offset store of kafka.h: a consumer group's committed offset
 * for one partition, read and committed by a plain consumer (assigned,
 * never subscribed).
 *
 * Invariants:
 *   - A commit is made only when the group's offset and its metadata are
 *     still what this store last read or wrote; every commit writes
 *     metadata no other commit has ("exactly HOST PID RUN N"), so another
 *     consumer's commit is seen even if it wrote the same offset.
 *   - A commit is synchronous and bounded: success is claimed only on the
 *     broker's acknowledgement for the partition.
 *   - The one-host lock is lock.h's, on a file in a directory only our
 *     user can write, named by the cluster's id (not the spelling of the
 *     brokers), the topic, the partition and the group.
 */
#ifdef EX_KAFKA /* else lib/knone.c: a build without librdkafka */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "kclient.h"
#include "lock.h"

#define NAME_MAX_LEN 200 /* longer lock names are hashed */

struct ex_kstore {
	struct ex_kclient *c;
	struct ex_kurl u;
	rd_kafka_queue_t *q;  /* results of commits and admin calls */
	int lockfd;           /* -1: EX_KSTORE_PEEK */
	int have;             /* the group has an offset for the partition */
	int64_t off;          /* ... this one, as last read or written */
	char *meta;           /* ... with this metadata */
	size_t metalen;
	char run[128];        /* "exactly HOST PID RUN" of our commits */
	uint64_t n;           /* commits made */
};

/* ---- The lock */

/* Whether path is a directory of ours that no one else can write. */
static const char *
unsafe(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return strerror(errno);
	if (!S_ISDIR(st.st_mode))
		return "not a directory";
	if (st.st_uid != geteuid())
		return "owned by another user";
	if (st.st_mode & 022)
		return "writable by others";
	return NULL;
}

/* $XDG_RUNTIME_DIR/exactly if that is safe, else /tmp/exactly-UID. */
static char *
lockdir(void)
{
	const char *x = getenv("XDG_RUNTIME_DIR"), *why;
	char *dir;

	if (x && x[0] == '/' && !unsafe(x))
		dir = ex_strjoin(x, "/exactly");
	else {
		char tmp[64];

		snprintf(tmp, sizeof tmp, "/tmp/exactly-%lu",
		    (unsigned long)geteuid());
		dir = ex_strjoin(tmp, "");
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		ex_die(EXIT_IO, "mkdir: %s", dir);
	if ((why = unsafe(dir)))
		ex_diex(EXIT_IO, "%s: %s: refusing to keep a lock there (a "
		    "lock needs a directory only its user can write)", dir,
		    why);
	return dir;
}

/* s's bytes, those outside [A-Za-z0-9._] as %XX: '-' separates. */
static void
enc(char *out, size_t *n, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
		    || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_';

		if (*n + 4 >= cap)
			return;
		if (plain)
			out[(*n)++] = (char)ch;
		else {
			out[(*n)++] = '%';
			out[(*n)++] = hex[ch >> 4];
			out[(*n)++] = hex[ch & 15];
		}
	}
}

static char *
lockpath(struct ex_kstore *s)
{
	char *cluster = rd_kafka_clusterid(s->c->rk, s->c->timeout);
	char *dir = lockdir(), *path;
	char name[NAME_MAX_LEN + 64 + 16], part[16];
	size_t n = 0;

	snprintf(part, sizeof part, "%" PRId32, s->u.partition);
	memcpy(name, "kafka-", 6);
	n = 6;
	/* a cluster without an id is known by its brokers */
	enc(name, &n, sizeof name, cluster ? cluster : s->u.brokers);
	name[n++] = '-';
	enc(name, &n, sizeof name, s->u.topic);
	name[n++] = '-';
	enc(name, &n, sizeof name, part);
	name[n++] = '-';
	enc(name, &n, sizeof name, s->u.group);
	name[n] = '\0';
	if (n > NAME_MAX_LEN) {
		unsigned char h[16];

		crypto_generichash(h, sizeof h, (unsigned char *)name, n,
		    NULL, 0);
		n = 6;
		for (size_t i = 0; i < sizeof h; i++)
			n += (size_t)snprintf(name + n, 3, "%02x", h[i]);
	}
	path = ex_malloc(strlen(dir) + 1 + n + 1);
	sprintf(path, "%s/%s", dir, name);
	free(dir);
	if (cluster)
		rd_kafka_mem_free(s->c->rk, cluster);
	return path;
}

/* ---- The group's offset */

static rd_kafka_topic_partition_list_t *
one(const struct ex_kstore *s)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(l, s->u.topic, s->u.partition);
	return l;
}

/* The group's offset now: whether there is one, it and its metadata
 * (bytes, NUL-terminated for messages). */
static void
fetch(struct ex_kstore *s, int *have, int64_t *off, char **meta,
    size_t *metalen)
{
	rd_kafka_topic_partition_list_t *l = one(s);
	rd_kafka_topic_partition_t *p = &l->elems[0];
	rd_kafka_resp_err_t err;

	err = rd_kafka_committed(s->c->rk, l, s->c->timeout);
	if (!err)
		err = p->err;
	if (err)
		ex_kclient_die(s->c, EXIT_IO, err, "cannot read the offset "
		    "group %s committed", s->u.group);
	*have = p->offset >= 0;
	*off = p->offset;
	*metalen = p->metadata_size;
	*meta = ex_malloc(p->metadata_size + 1);
	if (p->metadata_size)
		memcpy(*meta, p->metadata, p->metadata_size);
	(*meta)[p->metadata_size] = '\0';
	rd_kafka_topic_partition_list_destroy(l);
}

/* Commit off with meta[0..metalen) and wait for the broker's answer. */
static rd_kafka_resp_err_t
commit(struct ex_kstore *s, int64_t off, const char *meta, size_t metalen)
{
	rd_kafka_topic_partition_list_t *l = one(s);
	const rd_kafka_topic_partition_list_t *r;
	rd_kafka_resp_err_t err;
	rd_kafka_event_t *ev;

	l->elems[0].offset = off;
	/* the list frees it */
	l->elems[0].metadata = ex_malloc(metalen);
	memcpy(l->elems[0].metadata, meta, metalen);
	l->elems[0].metadata_size = metalen;
	err = rd_kafka_commit_queue(s->c->rk, l, s->q, NULL, NULL);
	rd_kafka_topic_partition_list_destroy(l);
	if (err)
		return err;
	if (!(ev = rd_kafka_queue_poll(s->q, s->c->timeout)))
		ex_kclient_die(s->c, EXIT_IO, RD_KAFKA_RESP_ERR__TIMED_OUT,
		    "commit of offset %" PRId64 " to group %s: no answer in "
		    "%d ms; nothing is claimed", off, s->u.group,
		    s->c->timeout);
	err = rd_kafka_event_error(ev);
	if (!err && (r = rd_kafka_event_topic_partition_list(ev)) &&
	    r->cnt == 1)
		err = r->elems[0].err;
	else if (!err)
		err = RD_KAFKA_RESP_ERR__BAD_MSG; /* no word on our partition */
	rd_kafka_event_destroy(ev);
	return err;
}

static _Noreturn void
refused(struct ex_kstore *s, rd_kafka_resp_err_t err, int64_t off)
{
	if (ex_kclient_member_err(err))
		ex_kclient_die(s->c, EXIT_BUSY, err, "group %s has subscribed "
		    "members, so it takes no commits from a plain consumer; "
		    "nothing committed", s->u.group);
	ex_kclient_die(s->c, EXIT_IO, err, "commit of offset %" PRId64
	    " to group %s failed; nothing is claimed", off, s->u.group);
}

/* ---- The plain-consumer rule */

/*
 * A group with subscribed members rejects a plain consumer's commits, so
 * it is refused before any record is read: the group's own offset is
 * committed again, unchanged, which such a group refuses.  (librdkafka
 * 2.0's DescribeConsumerGroups would say so without a write, but it
 * aborts the process on a cluster that lacks DescribeGroups, such as its
 * own mock.)  A group that never committed the partition has no offset to
 * commit again: it is refused at the first commit, which commits nothing
 * then.
 */
static void
plain(struct ex_kstore *s)
{
	rd_kafka_resp_err_t err;

	if (s->have && (err = commit(s, s->off, s->meta, s->metalen)))
		refused(s, err, s->off);
}

/* ---- The store */

static void
runtag(struct ex_kstore *s)
{
	char host[64] = "";
	uint64_t r;

	gethostname(host, sizeof host - 1);
	host[strcspn(host, " \t\n")] = '\0';
	if (sodium_init() < 0)
		ex_diex(EXIT_FAILURE, "libsodium cannot start");
	randombytes_buf(&r, sizeof r);
	snprintf(s->run, sizeof s->run, "exactly %s %ld %016" PRIx64, host,
	    (long)getpid(), r);
}

struct ex_kstore *
ex_kstore_open(const char *name, int flags)
{
	struct ex_kstore *s = ex_malloc(sizeof *s);
	char why[512], *path;

	memset(s, 0, sizeof *s);
	s->lockfd = -1;
	if (ex_kurl_parse(name, EX_KURL_STORE, &s->u, why, sizeof why) < 0)
		ex_diex(EXIT_USAGE, "%s", why);
	s->c = ex_kclient_new(name, &s->u, 1);
	s->q = rd_kafka_queue_new(s->c->rk);
	ex_kclient_partitions(s->c, s->u.topic, s->u.partition);
	if (!(flags & EX_KSTORE_PEEK)) {
		path = lockpath(s);
		s->lockfd = ex_lock(path, EX_LOCK_GROUP |
		    (flags & EX_KSTORE_WAIT ? EX_LOCK_WAIT : 0));
		free(path);
	}
	fetch(s, &s->have, &s->off, &s->meta, &s->metalen);
	if (!(flags & EX_KSTORE_PEEK)) {
		runtag(s);
		plain(s);
	}
	return s;
}

int
ex_kstore_read(struct ex_kstore *s, uint64_t *off)
{
	if (!s->have)
		return 0;
	*off = (uint64_t)s->off;
	return 1;
}

/* Another consumer's commit since ours: say what it wrote. */
static _Noreturn void
moved(struct ex_kstore *s, int have, int64_t off, char *meta)
{
	char was[32] = "none", now[32] = "none";

	for (char *p = meta; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';

	if (s->have)
		snprintf(was, sizeof was, "%" PRId64, s->off);
	if (have)
		snprintf(now, sizeof now, "%" PRId64, off);
	ex_kclient_die(s->c, EXIT_BUSY, 0, "group %s's offset moved from %s "
	    "to %s (committed by \"%s\") since this consumer read it: "
	    "another consumer commits to it; nothing committed", s->u.group,
	    was, now, *meta ? meta : "a client that left no metadata");
}

void
ex_kstore_write(struct ex_kstore *s, uint64_t off)
{
	char meta[sizeof s->run + 32], *nowmeta;
	rd_kafka_resp_err_t err;
	int64_t nowoff;
	size_t nowlen;
	int have;

	if (s->lockfd < 0)
		ex_diex(EXIT_FAILURE, "%s: opened to read only",
		    s->c->name);
	fetch(s, &have, &nowoff, &nowmeta, &nowlen);
	if (have != s->have || (have && (nowoff != s->off ||
	    nowlen != s->metalen || memcmp(nowmeta, s->meta, nowlen) != 0)))
		moved(s, have, nowoff, nowmeta);
	free(nowmeta);
	snprintf(meta, sizeof meta, "%s %" PRIu64, s->run, ++s->n);
	if ((err = commit(s, (int64_t)off, meta, strlen(meta))))
		refused(s, err, (int64_t)off);
	s->have = 1;
	s->off = (int64_t)off;
	free(s->meta);
	s->meta = ex_strjoin(meta, "");
	s->metalen = strlen(meta);
}

void
ex_kstore_close(struct ex_kstore *s)
{
	if (!s)
		return;
	rd_kafka_queue_destroy(s->q);
	ex_kclient_free(s->c);
	if (s->lockfd >= 0)
		close(s->lockfd);
	ex_kurl_free(&s->u);
	free(s->meta);
	free(s);
}
#endif /* EX_KAFKA */
