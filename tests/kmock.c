/*
 * kmock — a Kafka cluster for the tests: librdkafka's mock cluster in a
 * process of its own, which kcat and the tools reach over loopback.
 *
 *     kmock [-b brokers] [-c fifo] [-t seconds] [topic:partitions ...]
 *
 * It creates the topics given, writes its bootstrap servers as the first
 * line of stdout, then obeys commands, one a line, read from the FIFO
 * named by -c (created if missing; opened read-write, so writers may come
 * and go) or else from stdin.  Each command is answered by one line on
 * stdout, "ok" or "error: why", written only once the command has taken
 * effect, so a test that waits for the answer never races the mock.  It
 * lives until SIGTERM, SIGINT, end of its input, or -t seconds.
 *
 * Commands (APIKEY a name such as OffsetCommit or a number; ERROR a name
 * such as REBALANCE_IN_PROGRESS, _TRANSPORT for a disconnect, or a number;
 * BROKER a broker id, -1 for all):
 *   topic NAME PARTITIONS          create a topic
 *   err APIKEY ERROR...            the next requests of that kind fail so
 *   clear APIKEY                   forget the errors pushed for it
 *   topicerr TOPIC ERROR           Metadata answers so for the topic (the
 *                                  mock creates a topic it does not know)
 *   down BROKER | up BROKER        refuse connections / accept them again
 *   rtt BROKER MS                  delay every response
 *   leader TOPIC PARTITION BROKER  move a partition's leadership
 *   coord group|transaction KEY BROKER   set a coordinator
 *   marker TOPIC PARTITION commit|abort  append a transaction marker
 *   batch TOPIC PARTITION COUNT DELTA[:VALUE]...
 *       append one batch that spans COUNT offsets but holds records only
 *       at the deltas listed, as log compaction leaves a batch (a DELTA
 *       without a VALUE holds a null value, a tombstone)
 *   ping                           answers ok
 *
 * The mock writes no transaction markers of its own (its EndTxn takes no
 * offset) and keeps no compacted topics, so marker and batch speak the
 * Produce protocol to it directly: they are how a test puts the offset
 * gaps of a real cluster into a partition.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void
onsig(int sig)
{
	(void)sig;
	stop = 1;
}

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "kmock: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void
quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

/* A whole number in [lo, hi], or -1 on anything else. */
static long
num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

static const struct {
	const char *name;
	int key;
} apis[] = {
	{ "Produce", 0 }, { "Fetch", 1 }, { "ListOffsets", 2 },
	{ "Metadata", 3 }, { "OffsetCommit", 8 }, { "OffsetFetch", 9 },
	{ "FindCoordinator", 10 }, { "JoinGroup", 11 }, { "Heartbeat", 12 },
	{ "LeaveGroup", 13 }, { "SyncGroup", 14 }, { "ApiVersions", 18 },
	{ "InitProducerId", 22 }, { "AddPartitionsToTxn", 24 },
	{ "AddOffsetsToTxn", 25 }, { "EndTxn", 26 }, { "TxnOffsetCommit", 28 },
};

static int
apikey(const char *s)
{
	for (size_t i = 0; i < sizeof apis / sizeof apis[0]; i++)
		if (strcmp(s, apis[i].name) == 0)
			return apis[i].key;
	return (int)num(s, 0, 32767);
}

static int
errcode(const char *s, rd_kafka_resp_err_t *err)
{
	const struct rd_kafka_err_desc *d;
	size_t n;
	long v;

	rd_kafka_get_err_descs(&d, &n);
	for (size_t i = 0; i < n; i++)
		if (d[i].name && strcmp(s, d[i].name) == 0) {
			*err = d[i].code;
			return 0;
		}
	if ((v = num(s, -200, 32767)) == -1 && strcmp(s, "-1") != 0)
		return -1;
	*err = (rd_kafka_resp_err_t)v;
	return 0;
}

/* ---- A record batch (magic 2) for the Produce requests of marker and
 * batch: the few bytes a real broker's log holds. */

struct buf {
	unsigned char b[65536];
	size_t n;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > sizeof b->b)
		die("%s", "request too large");
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void
put8(struct buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	put(b, &c, 1);
}

static void
put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void
put32(struct buf *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void
put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

static void
set32(struct buf *b, size_t at, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		b->b[at + (size_t)i] = (unsigned char)v;
}

/* Kafka's varint: zigzag, then 7 bits a byte. */
static void
putvar(struct buf *b, int64_t v)
{
	uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

	while (u >= 0x80) {
		put8(b, (unsigned)(u & 0x7f) | 0x80);
		u >>= 7;
	}
	put8(b, (unsigned)u);
}

static void
putstr(struct buf *b, const char *s)
{
	put16(b, (unsigned)strlen(s));
	put(b, s, strlen(s));
}

static uint32_t
crc32c(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffff;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
	}
	return ~c;
}

/* One record: key and value may be NULL (null). */
static void
record(struct buf *b, int32_t delta, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	struct buf r = { .n = 0 };

	put8(&r, 0);     /* attributes */
	putvar(&r, 0);   /* timestamp delta */
	putvar(&r, delta);
	putvar(&r, key ? (int64_t)klen : -1);
	if (key)
		put(&r, key, klen);
	putvar(&r, val ? (int64_t)vlen : -1);
	if (val)
		put(&r, val, vlen);
	putvar(&r, 0);   /* headers */
	putvar(b, (int64_t)r.n);
	put(b, r.b, r.n);
}

enum { ATTR_TXN = 0x10, ATTR_CONTROL = 0x20 };

/* The batch header around recs, spanning count offsets. */
static void
batch(struct buf *b, unsigned attr, int32_t count, const struct buf *recs)
{
	struct timeval tv;
	uint64_t ms;
	size_t lenat, crcat;

	gettimeofday(&tv, NULL);
	ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
	put64(b, 0);                 /* base offset: the broker sets it */
	lenat = b->n;
	put32(b, 0);                 /* batch length, set below */
	put32(b, 0);                 /* partition leader epoch */
	put8(b, 2);                  /* magic */
	crcat = b->n;
	put32(b, 0);                 /* crc, set below */
	put16(b, attr);
	put32(b, (uint32_t)(count - 1)); /* last offset delta */
	put64(b, ms);
	put64(b, ms);
	put64(b, attr & ATTR_TXN ? 4242 : (uint64_t)-1); /* producer id */
	put16(b, attr & ATTR_TXN ? 0 : 0xffff);          /* producer epoch */
	put32(b, attr & ATTR_TXN ? 0 : 0xffffffff);      /* base sequence */
	/* The mock takes as many offsets as the batch says it holds
	 * records; the reader finds its records by their deltas. */
	put32(b, (uint32_t)count);
	put(b, recs->b, recs->n);
	set32(b, lenat, (uint32_t)(b->n - lenat - 4));
	set32(b, crcat, crc32c(b->b + crcat + 4, b->n - crcat - 4));
}

/* A Produce request, version 3, of one batch for topic/part. */
static void
produce_req(struct buf *q, const char *topic, int32_t part,
    const struct buf *rb)
{
	put32(q, 0);                 /* size, set below */
	put16(q, 0);                 /* Produce */
	put16(q, 3);
	put32(q, 1);                 /* correlation id */
	putstr(q, "kmock");
	put16(q, 0xffff);            /* no transactional id */
	put16(q, 1);                 /* acks */
	put32(q, 10000);             /* timeout */
	put32(q, 1);
	putstr(q, topic);
	put32(q, 1);
	put32(q, (uint32_t)part);
	put32(q, (uint32_t)rb->n);
	put(q, rb->b, rb->n);
	set32(q, 0, (uint32_t)(q->n - 4));
}

static int
readall(int fd, unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Send q to host:port; the partition's error code, or -1 if no answer. */
static int
send_req(const char *hostport, const struct buf *q, size_t topiclen)
{
	char host[256], *colon;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct timeval tv = { 10, 0 };
	unsigned char hdr[4], *resp;
	size_t n, at;
	int fd, err = -1;

	snprintf(host, sizeof host, "%s", hostport);
	if (!(colon = strrchr(host, ':')))
		return -1;
	*colon = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
	    write(fd, q->b, q->n) == (ssize_t)q->n &&
	    readall(fd, hdr, 4) == 0 && (n = get32(hdr)) < 65536 &&
	    (resp = malloc(n)) && readall(fd, resp, n) == 0) {
		/* correlation id, #topics, topic, #partitions, partition,
		 * then the error code */
		at = 4 + 4 + 2 + topiclen + 4 + 4;
		if (at + 2 <= n)
			err = resp[at] << 8 | resp[at + 1];
		free(resp);
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return err;
}

/* Produce rb to whichever broker leads topic/part. */
static const char *
produce(const char *bootstraps, const char *topic, int32_t part,
    const struct buf *rb)
{
	static char why[128];
	struct buf *q = malloc(sizeof *q);
	char *list = strdup(bootstraps), *save, *hp;
	int err = -1;

	q->n = 0;
	produce_req(q, topic, part, rb);
	for (hp = strtok_r(list, ",", &save); hp; hp = strtok_r(NULL, ",", &save))
		if ((err = send_req(hp, q, strlen(topic))) !=
		    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
			break;
	free(list);
	free(q);
	if (err == 0)
		return NULL;
	snprintf(why, sizeof why, "produce: %s",
	    err < 0 ? "no answer" : rd_kafka_err2name(err));
	return why;
}

/* ---- Commands */

#define MAXARGS 64

static const char *
cmd_marker(const char *boot, char **av, int ac)
{
	struct buf *rec = calloc(1, sizeof *rec), *rb = calloc(1, sizeof *rb);
	unsigned char key[4] = { 0, 0, 0, 0 }, val[6] = { 0 };
	const char *why;
	long part;

	if (ac != 4 || (part = num(av[2], 0, INT32_MAX)) < 0 ||
	    (strcmp(av[3], "commit") != 0 && strcmp(av[3], "abort") != 0))
		return "usage: marker TOPIC PARTITION commit|abort";
	key[3] = strcmp(av[3], "commit") == 0; /* 0 abort, 1 commit */
	record(rec, 0, key, sizeof key, val, sizeof val);
	batch(rb, ATTR_TXN | ATTR_CONTROL, 1, rec);
	why = produce(boot, av[1], (int32_t)part, rb);
	free(rec);
	free(rb);
	return why;
}

static const char *
cmd_batch(const char *boot, char **av, int ac)
{
	struct buf *rec = calloc(1, sizeof *rec), *rb = calloc(1, sizeof *rb);
	const char *why = NULL;
	long part, count, d, last = -1;
	char *colon;

	if (ac < 5 || (part = num(av[2], 0, INT32_MAX)) < 0 ||
	    (count = num(av[3], 1, 1000000)) < 0)
		why = "usage: batch TOPIC PARTITION COUNT DELTA[:VALUE]...";
	for (int i = 4; !why && i < ac; i++) {
		/* DELTA alone: a null value, as a tombstone has */
		if ((colon = strchr(av[i], ':')))
			*colon = '\0';
		if ((d = num(av[i], 0, count - 1)) <= last)
			why = "batch: deltas must increase, below COUNT";
		last = d;
		record(rec, (int32_t)d, NULL, 0, colon ? colon + 1 : NULL,
		    colon ? strlen(colon + 1) : 0);
	}
	if (!why) {
		batch(rb, 0, (int32_t)count, rec);
		why = produce(boot, av[1], (int32_t)part, rb);
	}
	free(rec);
	free(rb);
	return why;
}

static const char *
cmd_errs(rd_kafka_mock_cluster_t *mc, char **av, int ac)
{
	rd_kafka_resp_err_t errs[MAXARGS];
	int key;

	if (ac < 3 || (key = apikey(av[1])) < 0)
		return "usage: err APIKEY ERROR...";
	for (int i = 2; i < ac; i++)
		if (errcode(av[i], &errs[i - 2]) < 0)
			return "err: unknown error name";
	rd_kafka_mock_push_request_errors_array(mc, (int16_t)key,
	    (size_t)(ac - 2), errs);
	return NULL;
}

static const char *
check(rd_kafka_resp_err_t err)
{
	return err ? rd_kafka_err2str(err) : NULL;
}

/* A broker id, -1 for all brokers. */
static int
brokerid(const char *s, int32_t *id)
{
	long v;

	if (strcmp(s, "-1") == 0) {
		*id = -1;
		return 0;
	}
	if ((v = num(s, 0, 1000)) < 0)
		return -1;
	*id = (int32_t)v;
	return 0;
}

static const char *
command(rd_kafka_mock_cluster_t *mc, char *line)
{
	char *av[MAXARGS], *save;
	const char *boot = rd_kafka_mock_cluster_bootstraps(mc);
	int ac = 0;
	int32_t b;
	long v;

	for (char *t = strtok_r(line, " \t\r", &save); t && ac < MAXARGS;
	    t = strtok_r(NULL, " \t\r", &save))
		av[ac++] = t;
	if (ac == 0)
		return "empty command";
	if (strcmp(av[0], "ping") == 0 && ac == 1)
		return NULL;
	if (strcmp(av[0], "topic") == 0 && ac == 3 &&
	    (v = num(av[2], 1, 100000)) > 0)
		return check(rd_kafka_mock_topic_create(mc, av[1], (int)v, 1));
	if (strcmp(av[0], "err") == 0)
		return cmd_errs(mc, av, ac);
	if (strcmp(av[0], "topicerr") == 0 && ac == 3) {
		rd_kafka_resp_err_t err;

		if (errcode(av[2], &err) < 0)
			return "topicerr: unknown error name";
		rd_kafka_mock_topic_set_error(mc, av[1], err);
		return NULL;
	}
	if (strcmp(av[0], "clear") == 0 && ac == 2 && apikey(av[1]) >= 0) {
		rd_kafka_mock_clear_request_errors(mc, (int16_t)apikey(av[1]));
		return NULL;
	}
	if (strcmp(av[0], "down") == 0 && ac == 2 && !brokerid(av[1], &b))
		return check(rd_kafka_mock_broker_set_down(mc, b));
	if (strcmp(av[0], "up") == 0 && ac == 2 && !brokerid(av[1], &b))
		return check(rd_kafka_mock_broker_set_up(mc, b));
	if (strcmp(av[0], "rtt") == 0 && ac == 3 && !brokerid(av[1], &b) &&
	    (v = num(av[2], 0, 3600000)) >= 0)
		return check(rd_kafka_mock_broker_set_rtt(mc, b, (int)v));
	if (strcmp(av[0], "leader") == 0 && ac == 4 &&
	    (v = num(av[2], 0, INT32_MAX)) >= 0 && !brokerid(av[3], &b))
		return check(rd_kafka_mock_partition_set_leader(mc, av[1],
		    (int32_t)v, b));
	if (strcmp(av[0], "coord") == 0 && ac == 4 && !brokerid(av[3], &b))
		return check(rd_kafka_mock_coordinator_set(mc, av[1], av[2],
		    b));
	if (strcmp(av[0], "marker") == 0)
		return cmd_marker(boot, av, ac);
	if (strcmp(av[0], "batch") == 0)
		return cmd_batch(boot, av, ac);
	return "unknown command or wrong arguments";
}

static void
topics(rd_kafka_mock_cluster_t *mc, char **av, int ac)
{
	for (int i = 0; i < ac; i++) {
		char *colon = strrchr(av[i], ':');
		long n;

		if (!colon || (n = num(colon + 1, 1, 100000)) < 0)
			die("%s: expected topic:partitions", av[i]);
		*colon = '\0';
		if (rd_kafka_mock_topic_create(mc, av[i], (int)n, 1))
			die("%s: cannot create the topic", av[i]);
	}
}

static FILE *
control(const char *fifo)
{
	int fd;

	if (!fifo)
		return stdin;
	if (mkfifo(fifo, 0600) < 0 && errno != EEXIST)
		die("mkfifo %s failed", fifo);
	/* read-write: no end of file when a writer closes */
	if ((fd = open(fifo, O_RDWR)) < 0)
		die("open %s failed", fifo);
	return fdopen(fd, "r");
}

int
main(int argc, char *argv[])
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t *mc;
	struct sigaction sa;
	const char *fifo = NULL, *why;
	char errstr[256], line[4096];
	long nbrokers = 1, life = 0;
	rd_kafka_t *rk;
	FILE *in;
	int c;

	while ((c = getopt(argc, argv, "b:c:t:")) != -1) {
		switch (c) {
		case 'b':
			if ((nbrokers = num(optarg, 1, 100)) < 0)
				die("-b %s: expected 1 to 100", optarg);
			break;
		case 'c':
			fifo = optarg;
			break;
		case 't':
			if ((life = num(optarg, 1, 86400)) < 0)
				die("-t %s: expected seconds", optarg);
			break;
		default:
			fprintf(stderr, "usage: kmock [-b brokers] [-c fifo] "
			    "[-t seconds] [topic:partitions ...]\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onsig; /* no SA_RESTART: a blocked read returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (life)
		alarm((unsigned)life);

	rd_kafka_conf_set_log_cb(conf, quiet);
	if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr)))
		die("%s", errstr);
	if (!(mc = rd_kafka_mock_cluster_new(rk, (int)nbrokers)))
		die("%s", "cannot start the mock cluster");
	topics(mc, argv + optind, argc - optind);
	in = control(fifo);
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (!stop && fgets(line, sizeof line, in)) {
		line[strcspn(line, "\n")] = '\0';
		if ((why = command(mc, line)))
			printf("error: %s\n", why);
		else
			printf("ok\n");
		fflush(stdout);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
