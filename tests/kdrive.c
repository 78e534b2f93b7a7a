/*
 * kdrive — what no tool does, for tests/kafka.bats, tests/kafka-chaos.bats
 * and make demo: read a consumer group's committed offset back.
 *
 *   kdrive [-v] committed store     the group's offset, or "none"
 *
 * The store is opened as logcat -L opens it (store.h, EX_STORE_PEEK): no
 * lock, no check, nothing written, so a test may look while a pipeline
 * runs.  Reading and committing are done by the tools themselves.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "kafka.h"
#include "store.h"

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: kdrive [-v] committed store\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct ex_store *s;
	uint64_t off;
	int c;

	ex_setprog(argv[0]);
	while ((c = getopt(argc, argv, "v")) != -1) {
		if (c != 'v')
			usage();
		ex_kafka_verbose(1);
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || strcmp(argv[0], "committed") != 0)
		usage();
	s = ex_store_open(argv[1], EX_STORE_PEEK);
	if (ex_store_read(s, &off))
		printf("%" PRIu64 "\n", off);
	else
		printf("none\n");
	ex_store_close(s);
	if (fflush(stdout) == EOF || close(STDOUT_FILENO) < 0)
		ex_die(EXIT_IO, "write: stdout");
	return 0;
}
