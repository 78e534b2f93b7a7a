/*
 * kdrive — lib/kafka and the Kafka offset store, driven directly, for
 * tests/kafka.bats and bench/50-kafka.sh.  It does what logcat and commit
 * do with a kafka:// name, through the same calls:
 *
 *   kdrive [-v] read [-Fp] [-n count] [-r policy] [-s offset | -o store] [log]
 *       the partition as tagged records, as logcat writes them, through
 *       log.h's Kafka kind; with -o and no log, the store's partition,
 *       from the group's offset (or the first offset when it never
 *       committed)
 *   kdrive [-v] commit [-w] store [offset ...]
 *       each offset committed in turn, through store.h; with none given,
 *       one offset per line of stdin, each answered "committed N"
 *   kdrive [-v] reset [-w] store offset      what commit -R does
 *   kdrive [-v] committed store              the group's offset, or "none"
 *   kdrive [-v] list name                    what logcat -L writes, from the
 *                                            log's stands
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "kafka.h"
#include "log.h"
#include "out.h"
#include "store.h"
#include "tag.h"

static volatile sig_atomic_t stop;

static void
onsig(int sig)
{
	(void)sig;
	stop = 1;
}

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: kdrive [-v] read [-Fp] [-n count] [-r policy] "
	    "[-s offset | -o store] [log]\n"
	    "       kdrive [-v] commit [-w] store [offset ...]\n"
	    "       kdrive [-v] reset [-w] store offset\n"
	    "       kdrive [-v] committed store\n"
	    "       kdrive [-v] list name\n");
	exit(EXIT_USAGE);
}

static uint64_t
offset(const char *s)
{
	uint64_t v;
	const char *why = ex_off_parse(s, strlen(s), &v);

	if (why)
		ex_diex(EXIT_USAGE, "%s: %s", s, why);
	return v;
}

static void
follow_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onsig; /* no SA_RESTART: the wait returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* The log's onfatal hook: what was handed out reaches the reader first. */
static void
flushout(void *out)
{
	ex_out_flush(out);
}

/* Records until -n is used up or the end (without -F), as logcat pumps
 * them: through log.h, the Kafka kind under it. */
static void
pump(struct ex_log *log, int follow, uint64_t limit, int tagged,
    struct ex_out *out)
{
	struct ex_log_rec r;
	struct ex_log_wait w;

	while (limit > 0 && !stop && !out->broken) {
		if (ex_log_next(log, &r)) {
			ex_out_rec(out, r.off, r.data, r.len, tagged);
			limit--;
			continue;
		}
		if (!follow || ex_out_flush(out) < 0)
			break;
		ex_log_wait(log, &w);
		if (poll(&(struct pollfd){ .fd = w.fd, .events = POLLIN }, 1,
		    w.ms) < 0 && errno != EINTR)
			ex_die(EXIT_IO, "poll");
	}
}

static int
cmd_read(int argc, char **argv)
{
	const char *ofile = NULL;
	char *log, *its, from[512];
	struct ex_store *store = NULL;
	struct ex_log *l;
	struct ex_out out;
	uint64_t start = 0, limit = UINT64_MAX;
	int c, follow = 0, tagged = 1, policy = EX_LOG_ERROR, have = 0;

	while ((c = getopt(argc, argv, "+Fn:o:pr:s:")) != -1) {
		switch (c) {
		case 'F':
			follow = 1;
			break;
		case 'n':
			limit = offset(optarg);
			break;
		case 'o':
			ofile = optarg;
			break;
		case 'p':
			tagged = 0;
			break;
		case 'r':
			if (strcmp(optarg, "error") == 0)
				policy = EX_LOG_ERROR;
			else if (strcmp(optarg, "earliest") == 0)
				policy = EX_LOG_EARLIEST;
			else if (strcmp(optarg, "latest") == 0)
				policy = EX_LOG_LATEST;
			else
				usage();
			break;
		case 's':
			start = offset(optarg);
			have = 1;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 < argc || (ofile && have) ||
	    (!ofile && optind == argc))
		usage();
	/* logcat -o kafka://...@GROUP needs no log: the store names it */
	its = ofile && ex_kafka_name(ofile) ? ex_kafka_logof(ofile) : NULL;
	if (optind == argc && !its)
		usage();
	log = ex_strjoin(optind < argc ? argv[optind] : its, "");
	free(its);
	if (ofile) {
		store = ex_store_open(ofile, 0);
		have = ex_store_read(store, &start);
		snprintf(from, sizeof from, "%s: committed offset %llu", ofile,
		    (unsigned long long)start);
	} else
		snprintf(from, sizeof from, "-s %llu: offset",
		    (unsigned long long)start);
	if (follow)
		follow_signals();
	l = ex_kafkalog_open(&log, 1, store, follow ? EX_LOG_FOLLOW : 0);
	ex_out_init(&out, STDOUT_FILENO, "stdout");
	ex_log_onfatal(l, flushout, &out);
	ex_log_seek(l, have, start, policy, from);
	pump(l, follow, limit, tagged, &out);
	ex_out_flush(&out);
	ex_out_free(&out);
	ex_log_close(l);
	ex_store_close(store);
	free(log);
	return 0;
}

static int
cmd_commit(int argc, char **argv, int reset)
{
	struct ex_store *s;
	int c, flags = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((c = getopt(argc, argv, "+w")) != -1) {
		if (c != 'w')
			usage();
		flags |= EX_STORE_WAIT;
	}
	if (optind == argc || (reset && optind + 2 != argc))
		usage();
	for (int i = optind + 1; i < argc; i++)
		offset(argv[i]); /* every one good before the first commit */
	s = ex_store_open(argv[optind], flags);
	for (int i = optind + 1; i < argc; i++)
		ex_store_write(s, offset(argv[i]));
	if (optind + 1 == argc) {
		while ((n = getline(&line, &cap, stdin)) > 0) {
			line[strcspn(line, "\n")] = '\0';
			ex_store_write(s, offset(line));
			printf("committed %s\n", line);
			fflush(stdout);
		}
		free(line);
	}
	ex_store_close(s);
	return 0;
}

static int
cmd_committed(int argc, char **argv)
{
	struct ex_store *s;
	uint64_t off;

	if (argc != 2)
		usage();
	s = ex_store_open(argv[1], EX_STORE_PEEK);
	if (ex_store_read(s, &off))
		printf("%" PRIu64 "\n", off);
	else
		printf("none\n");
	ex_store_close(s);
	return 0;
}

/* -L as logcat writes it, from the stands of log.h's Kafka kind. */
static int
cmd_list(int argc, char **argv)
{
	struct ex_log *l;
	struct ex_log_stand st;

	if (argc != 2)
		usage();
	l = ex_kafkalog_open(&argv[1], 1, NULL, EX_LOG_LIST);
	for (size_t i = 0; ex_log_stand(l, i, &st); i++) {
		printf("%s\t%" PRIu64 "\t%" PRIu64, st.name, st.first, st.end);
		if (st.hascommitted)
			printf("\t%" PRIu64 "\t%" PRId64 "\n", st.committed,
			    (int64_t)(st.end - st.committed));
		else
			printf("\t-\t-\n");
	}
	ex_log_close(l);
	return 0;
}

int
main(int argc, char *argv[])
{
	int c, r;

	ex_setprog(argv[0]);
	while ((c = getopt(argc, argv, "+v")) != -1) {
		if (c != 'v')
			usage();
		ex_kafka_verbose(1);
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	optind = 1;
	if (strcmp(argv[0], "read") == 0)
		r = cmd_read(argc, argv);
	else if (strcmp(argv[0], "commit") == 0)
		r = cmd_commit(argc, argv, 0);
	else if (strcmp(argv[0], "reset") == 0)
		r = cmd_commit(argc, argv, 1);
	else if (strcmp(argv[0], "committed") == 0)
		r = cmd_committed(argc, argv);
	else if (strcmp(argv[0], "list") == 0)
		r = cmd_list(argc, argv);
	else
		usage();
	if (fflush(stdout) == EOF || close(STDOUT_FILENO) < 0)
		ex_die(EXIT_IO, "write: stdout");
	return r;
}
