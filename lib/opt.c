#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "opt.h"
#include "tag.h"

/* Set once at start, like ex_prog; read by ex_usage. */
static const char *usage_lines = "";

/* A tool started with stdin, stdout or stderr closed must not open its
 * lock or state file there, and then read that file as its input or
 * write records into it.  A closed one is taken with /dev/null, opened
 * the other way round, so that using it still fails with EBADF, as it
 * would have. */
static void
stdfds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
			ex_die(EXIT_IO, "descriptor %d is closed, and /dev/null "
			    "cannot hold it", fd);
	}
}

void
ex_opt_init(const char *argv0, const char *usage)
{
	ex_setprog(argv0);
	stdfds();
	usage_lines = usage;
}

void
ex_usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", ex_prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs(usage_lines, stderr);
	exit(EXIT_USAGE);
}

uint64_t
ex_opt_number(const char *opt, const char *arg, uint64_t min, uint64_t max,
    const char *what)
{
	char hi[32];
	uint64_t v;

	/* the syntax of an offset: no sign, no leading zeros, no spaces */
	if (ex_off_parse(arg, strlen(arg), &v) == NULL && v >= min && v <= max)
		return v;
	if (max == EX_OFF_MAX)
		snprintf(hi, sizeof hi, "2^63-1");
	else
		snprintf(hi, sizeof hi, "%llu", (unsigned long long)max);
	ex_usage("%s %s: expected %s from %llu to %s", opt, *arg ? arg : "''",
	    what, (unsigned long long)min, hi);
}

uint64_t
ex_opt_count(const char *opt, const char *arg)
{
	return ex_opt_number(opt, arg, 1, EX_COUNT_MAX, "a count");
}

int
ex_opt_ms(const char *opt, const char *arg)
{
	return (int)ex_opt_number(opt, arg, 0, EX_MS_MAX, "milliseconds");
}

uint64_t
ex_opt_offset(const char *opt, const char *arg)
{
	return ex_opt_number(opt, arg, 0, EX_OFF_MAX, "an offset");
}

char *
ex_opt_path(const char *opt, char *arg)
{
	size_t n = strlen(arg);
	const char *base;

	if (n == 0)
		ex_usage("%s '': expected a file name", opt);
	/* st/seen/ is st/seen, locked by st/seen.lock, not st/seen/.lock:
	 * a second name for one file must not be a second lock on it */
	while (n > 1 && arg[n - 1] == '/')
		arg[--n] = '\0';
	base = strrchr(arg, '/');
	base = base ? base + 1 : arg;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		ex_usage("%s %s: expected a file name, not /, . or ..", opt, arg);
	return arg;
}
