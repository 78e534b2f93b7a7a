/*
 * kdrive — lib/kafka and the Kafka offset store, driven directly, for
 * tests/kafka.bats and bench/50-kafka.sh.  It does what logcat and commit
 * do with a kafka:// name, through the same calls:
 *
 *   kdrive [-v] read [-Fp] [-n count] [-r policy] [-s offset | -o store] [log]
 *       the partition as tagged records, as logcat writes them; with -o
 *       and no log, the store's partition, from the group's offset (or
 *       the first offset when it never committed)
 *   kdrive [-v] commit [-w] store [offset ...]
 *       each offset committed in turn, through store.h; with none given,
 *       one offset per line of stdin, each answered "committed N"
 *   kdrive [-v] reset [-w] store offset      what commit -R does
 *   kdrive [-v] committed store              the group's offset, or "none"
 *   kdrive [-v] list name                    what logcat -L writes
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

static int
cmd_read(int argc, char **argv)
{
	const char *ofile = NULL;
	char *log, *its;
	struct ex_store *store = NULL;
	struct ex_klog *k;
	struct ex_out out;
	uint64_t start = 0, limit = UINT64_MAX, off;
	int c, flags = 0, tagged = 1, reset = EX_KRESET_ERROR, sflag = 0;
	const char *val;
	size_t len;

	while ((c = getopt(argc, argv, "+Fn:o:pr:s:")) != -1) {
		switch (c) {
		case 'F':
			flags |= EX_KLOG_FOLLOW;
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
				reset = EX_KRESET_ERROR;
			else if (strcmp(optarg, "earliest") == 0)
				reset = EX_KRESET_EARLIEST;
			else if (strcmp(optarg, "latest") == 0)
				reset = EX_KRESET_LATEST;
			else
				usage();
			break;
		case 's':
			start = offset(optarg);
			sflag = 1;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 < argc || (ofile && sflag) ||
	    (!ofile && optind == argc))
		usage();
	its = ofile ? ex_kafka_logof(ofile) : NULL;
	log = ex_strjoin(optind < argc ? argv[optind] : its, "");
	if (its && strcmp(log, its) != 0)
		ex_diex(EXIT_USAGE, "%s names another partition than %s",
		    ofile, log);
	free(its);
	if (ofile) {
		store = ex_store_open(ofile, 0);
		if (!ex_store_read(store, &start))
			flags |= EX_KLOG_FIRST;
	}
	if (flags & EX_KLOG_FOLLOW)
		follow_signals();
	k = ex_klog_open(log, start, reset, flags);
	ex_out_init(&out, STDOUT_FILENO, "stdout");
	while (limit > 0 && !stop && !out.broken) {
		int r = ex_klog_next(k, &off, &val, &len);

		if (r > 0) {
			ex_out_rec(&out, off, val, len, tagged);
			limit--;
			continue;
		}
		if (r < 0) {
			ex_out_flush(&out);
			ex_klog_die(k);
		}
		if (!(flags & EX_KLOG_FOLLOW))
			break;
		ex_out_flush(&out);
		ex_klog_wait(k, -1);
	}
	ex_out_flush(&out);
	ex_out_free(&out);
	ex_klog_close(k);
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

static int
cmd_list(int argc, char **argv)
{
	struct ex_out out;

	if (argc != 2)
		usage();
	ex_out_init(&out, STDOUT_FILENO, "stdout");
	ex_kafka_list(argv[1], &out);
	ex_out_flush(&out);
	ex_out_free(&out);
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
