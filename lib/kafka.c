/*
 * The librdkafka client of kclient.h: configuration, logging, and the
 * bounded metadata calls the reader, the store and -L share.
 */
#ifdef EX_KAFKA /* else lib/knone.c: a build without librdkafka */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "err.h"
#include "kclient.h"

#define CONFIG_ENV "EXACTLY_KAFKA_CONFIG"

/* Set once by the tool after its options, then only read. */
static int verbose;

void
ex_kafka_verbose(int on)
{
	verbose = on;
}

/* Defaults a configuration file may change.  socket.timeout.ms is also
 * the bound of our own waits. */
static const char *const defaults[][2] = {
	{ "socket.timeout.ms", "10000" },
	{ "socket.connection.setup.timeout.ms", "10000" },
	{ "log.connection.close", "false" },
};

/* What the guarantees rest on: set last, and refused in the file. */
static const char *const fixed[][2] = {
	{ "enable.auto.commit", "false" },      /* commit commits, alone */
	{ "enable.auto.offset.store", "false" },
	{ "auto.offset.reset", "error" },       /* -r decides, never a reset */
	{ "isolation.level", "read_committed" },
	{ "enable.partition.eof", "true" },     /* how a reader sees its end */
	{ "allow.auto.create.topics", "false" },
};
static const char *const named[] = {
	"bootstrap.servers", "metadata.broker.list", "group.id",
	"group.instance.id", /* a plain consumer is no static member */
};

static void
setprop(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[512];

	if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
		ex_diex(EXIT_FAILURE, "librdkafka refuses %s=%s: %s", k, v,
		    err);
}

/* Is key one the tools set themselves? */
static int
ours(const char *key)
{
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (strcmp(key, fixed[i][0]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strcmp(key, named[i]) == 0)
			return 1;
	return 0;
}

static char *
trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* One "key=value" line of the file; blank lines and '#' comments pass. */
static void
confline(rd_kafka_conf_t *conf, char *line, const char *path,
    unsigned long lineno)
{
	char err[512], *eq, *key, *val;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return;
	if (!(eq = strchr(line, '=')))
		ex_diex(EXIT_USAGE, "%s=%s: line %lu: expected key=value",
		    CONFIG_ENV, path, lineno);
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (*key == '\0')
		ex_diex(EXIT_USAGE, "%s=%s: line %lu: no key before '='",
		    CONFIG_ENV, path, lineno);
	if (ours(key))
		ex_diex(EXIT_USAGE, "%s=%s: line %lu: %s: set by the tools "
		    "themselves (from the kafka:// name, or because the "
		    "delivery guarantees rest on it)", CONFIG_ENV, path,
		    lineno, key);
	if (rd_kafka_conf_set(conf, key, val, err, sizeof err) !=
	    RD_KAFKA_CONF_OK)
		ex_diex(EXIT_USAGE, "%s=%s: line %lu: %s: %s", CONFIG_ENV,
		    path, lineno, key, err);
}

static void
conffile(rd_kafka_conf_t *conf)
{
	const char *path = getenv(CONFIG_ENV);
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	FILE *f;

	if (!path || !*path)
		return;
	if (!(f = fopen(path, "r")))
		ex_die(EXIT_USAGE, "%s=%s", CONFIG_ENV, path);
	while (getline(&line, &cap, f) >= 0)
		confline(conf, line, path, ++lineno);
	if (ferror(f))
		ex_die(EXIT_IO, "%s=%s: read", CONFIG_ENV, path);
	free(line);
	fclose(f);
}

/* Why the last thing failed, as librdkafka said it: a timeout's reason. */
static void
remember(struct ex_kclient *c, const char *why)
{
	pthread_mutex_lock(&c->mu);
	snprintf(c->last, sizeof c->last, "%s", why);
	pthread_mutex_unlock(&c->mu);
}

static void
logline(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct ex_kclient *c = rd_kafka_opaque(rk);

	if (verbose)
		fprintf(stderr, "%s: librdkafka: %s: %s\n", ex_prog, fac, buf);
	if (c && level <= 3)
		remember(c, buf);
}

/* librdkafka's errors, which without this callback it would log.  That
 * all brokers are down only sums up the failures before it: it never
 * replaces their reason (connection refused, a TLS or SASL failure). */
static void
errored(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct ex_kclient *c = opaque;

	(void)rk;
	if (verbose)
		fprintf(stderr, "%s: librdkafka: ERROR: %s\n", ex_prog, reason);
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && *c->last)
		return;
	remember(c, reason);
}

static int
timeout_of(rd_kafka_conf_t *conf)
{
	char v[64];
	size_t n = sizeof v;
	long ms;

	if (rd_kafka_conf_get(conf, "socket.timeout.ms", v, &n) !=
	    RD_KAFKA_CONF_OK)
		return 10000;
	ms = strtol(v, NULL, 10);
	return ms > 0 && ms <= 300000 ? (int)ms : 10000;
}

struct ex_kclient *
ex_kclient_new(const char *name, const struct ex_kurl *u, int with_group)
{
	struct ex_kclient *c = ex_malloc(sizeof *c);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512], id[64];

	memset(c, 0, sizeof *c);
	c->name = name;
	pthread_mutex_init(&c->mu, NULL);
	snprintf(id, sizeof id, "exactly-%s", ex_prog);
	setprop(conf, "client.id", id);
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		setprop(conf, defaults[i][0], defaults[i][1]);
	conffile(conf);
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		setprop(conf, fixed[i][0], fixed[i][1]);
	setprop(conf, "bootstrap.servers", u->brokers);
	if (with_group && u->group)
		setprop(conf, "group.id", u->group);
	c->timeout = timeout_of(conf);
	rd_kafka_conf_set_log_cb(conf, logline);
	rd_kafka_conf_set_error_cb(conf, errored);
	rd_kafka_conf_set_opaque(conf, c);
	if (!(c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err)))
		ex_diex(EXIT_USAGE, "%s: %s", name, err); /* a bad setting */
	return c;
}

void
ex_kclient_free(struct ex_kclient *c)
{
	if (!c)
		return;
	/* never subscribed, nothing to commit on the way out: no consumer
	 * close, which waits on the group's coordinator */
	rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void
vwhy(struct ex_kclient *c, rd_kafka_resp_err_t err, char *buf, size_t n,
    const char *fmt, va_list ap)
{
	char what[1024], last[sizeof c->last];

	vsnprintf(what, sizeof what, fmt, ap);
	pthread_mutex_lock(&c->mu);
	memcpy(last, c->last, sizeof last);
	pthread_mutex_unlock(&c->mu);
	/* librdkafka's own reason for a timeout is in what it logged */
	if (*last && (err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
	    err == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN))
		snprintf(buf, n, "%s: %s: %s (%s)", c->name, what,
		    rd_kafka_err2str(err), last);
	else if (err)
		snprintf(buf, n, "%s: %s: %s", c->name, what,
		    rd_kafka_err2str(err));
	else
		snprintf(buf, n, "%s: %s", c->name, what);
}

void
ex_kclient_why(struct ex_kclient *c, rd_kafka_resp_err_t err, char *buf,
    size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwhy(c, err, buf, n, fmt, ap);
	va_end(ap);
}

void
ex_kclient_die(struct ex_kclient *c, int status, rd_kafka_resp_err_t err,
    const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vwhy(c, err, buf, sizeof buf, fmt, ap);
	va_end(ap);
	ex_diex(status, "%s", buf);
}

/* The topic's metadata; a leader being elected (a topic just created,
 * a broker restarting) is waited for, within the bound. */
static const struct rd_kafka_metadata *
metadata(struct ex_kclient *c, const char *topic)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, topic, NULL);
	int64_t deadline = ex_now_ms() + c->timeout;
	rd_kafka_resp_err_t err;
	struct timespec nap = { 0, 100 * 1000 * 1000 };

	for (;;) {
		int left = (int)(deadline - ex_now_ms());

		err = rd_kafka_metadata(c->rk, 0, rkt, &md,
		    left > 0 ? left : 1);
		if (err)
			break;
		if (md->topic_cnt != 1 || md->topics[0].err !=
		    RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE || left <= 100)
			break;
		rd_kafka_metadata_destroy(md);
		nanosleep(&nap, NULL);
	}
	rd_kafka_topic_destroy(rkt);
	if (err)
		ex_kclient_die(c, EXIT_IO, err, "cannot reach the cluster in "
		    "%d ms", c->timeout);
	return md;
}

int32_t
ex_kclient_partitions(struct ex_kclient *c, const char *topic, int32_t part)
{
	const struct rd_kafka_metadata *md = metadata(c, topic);
	rd_kafka_resp_err_t err;
	int32_t n;

	if (md->topic_cnt != 1 || md->topics[0].err) {
		err = md->topic_cnt == 1 ? md->topics[0].err :
		    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
		rd_kafka_metadata_destroy(md);
		ex_kclient_die(c, EXIT_IO, err, "topic %s", topic);
	}
	n = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	if (part >= n)
		ex_kclient_die(c, EXIT_IO, 0, "topic %s has no partition %"
		    PRId32 " (it has %" PRId32 ")", topic, part, n);
	return n;
}

rd_kafka_resp_err_t
ex_kclient_marks(struct ex_kclient *c, const char *topic, int32_t part,
    int64_t *first, int64_t *end)
{
	rd_kafka_resp_err_t err;

	err = rd_kafka_query_watermark_offsets(c->rk, topic, part, first, end,
	    c->timeout);
	if (!err && (*first < 0 || *end < *first))
		err = RD_KAFKA_RESP_ERR__BAD_MSG; /* no sense in them */
	return err;
}

int
ex_kclient_member_err(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
	    err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
	    err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
	    err == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}
#endif /* EX_KAFKA */
