/*
 * opt_test — lib/opt.c: the values every tool's options take, the same
 * limits everywhere, and one style of usage error (the message, the usage
 * lines, exit 2).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "opt.h"
#include "unit.h"

#define USAGE "usage: tool [-n count]\n"

enum { COUNT, MS, OFFSET, PATH };

/* Parse arg as kind in a child, whose stderr and status are returned. */
/* ex_opt_path cuts its argument: it is given a copy. */
static char buf[64];

/* Names, and what ex_opt_path makes of each. */
static const char *paths[] = {
	"st/seen", "st/seen", "st/seen/", "st/seen", "st/seen///", "st/seen",
	"seen", "seen", "/abs/seen/", "/abs/seen", "kafka://b:9092/t/0@g",
	"kafka://b:9092/t/0@g", "./.seen", "./.seen", "..x", "..x",
};

static int
refused(int kind, const char *opt, const char *arg, char *err, size_t n)
{
	int p[2], st;
	ssize_t k, got = 0;
	pid_t pid;

	if (pipe(p) < 0)
		ex_die(1, "pipe");
	if ((pid = fork()) == 0) {
		dup2(p[1], 2);
		switch (kind) {
		case COUNT:
			ex_opt_count(opt, arg);
			break;
		case MS:
			ex_opt_ms(opt, arg);
			break;
		case OFFSET:
			ex_opt_offset(opt, arg);
			break;
		default:
			ex_opt_path(opt, strcpy(buf, arg));
		}
		_exit(0);
	}
	close(p[1]);
	while ((k = read(p[0], err + got, n - 1 - (size_t)got)) > 0)
		got += k;
	err[got] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void
check_refused(int kind, const char *opt, const char *arg, const char *msg)
{
	char err[512], want[512];

	snprintf(want, sizeof want, "tool: %s\n%s", msg, USAGE);
	CHECK_U64(refused(kind, opt, arg, err, sizeof err), 2);
	CHECK_STR(err, want);
}

int
main(void)
{
	ex_opt_init("/some/where/tool", USAGE);
	CHECK_STR(ex_prog, "tool");

	CHECK_U64(ex_opt_count("-n", "1"), 1);
	CHECK_U64(ex_opt_count("-n", "9223372036854775807"), EX_COUNT_MAX);
	check_refused(COUNT, "-n", "0", "-n 0: expected a count from 1 to 2^63-1");
	check_refused(COUNT, "-n", "9223372036854775808",
	    "-n 9223372036854775808: expected a count from 1 to 2^63-1");
	check_refused(COUNT, "-n", "-1", "-n -1: expected a count from 1 to 2^63-1");
	check_refused(COUNT, "-n", "+1", "-n +1: expected a count from 1 to 2^63-1");
	check_refused(COUNT, "-n", "01", "-n 01: expected a count from 1 to 2^63-1");
	check_refused(COUNT, "-n", " 1", "-n  1: expected a count from 1 to 2^63-1");
	check_refused(COUNT, "-n", "1k", "-n 1k: expected a count from 1 to 2^63-1");
	check_refused(COUNT, "-n", "", "-n '': expected a count from 1 to 2^63-1");

	CHECK_U64(ex_opt_ms("-t", "0"), 0);
	CHECK_U64(ex_opt_ms("-t", "86400000"), EX_MS_MAX);
	check_refused(MS, "-t", "86400001",
	    "-t 86400001: expected milliseconds from 0 to 86400000");
	check_refused(MS, "-t", "1.5",
	    "-t 1.5: expected milliseconds from 0 to 86400000");

	CHECK_U64(ex_opt_offset("-R", "0"), 0);
	CHECK_U64(ex_opt_offset("-R", "9223372036854775807"), EX_OFF_MAX);
	check_refused(OFFSET, "offset", "007",
	    "offset 007: expected an offset from 0 to 2^63-1");

	/* a name's trailing slashes go: st/seen/ is locked as st/seen */
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i += 2)
		CHECK_STR(ex_opt_path("-s", strcpy(buf, paths[i])),
		    paths[i + 1]);
	check_refused(PATH, "-s", "", "-s '': expected a file name");
	check_refused(PATH, "-s", "/", "-s /: expected a file name, not /, . or ..");
	check_refused(PATH, "-s", "///", "-s /: expected a file name, not /, . or ..");
	check_refused(PATH, "-o", "st/.", "-o st/.: expected a file name, not /, . or ..");
	check_refused(PATH, "-o", "../", "-o ..: expected a file name, not /, . or ..");
	return unit_done("opt_test");
}
