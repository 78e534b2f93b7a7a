#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

const char *ex_prog = "exactly";

/* Set once by a tool that runs a command (child.c), cleared when it runs. */
static void (*die_hook)(void);

void
ex_setprog(const char *argv0)
{
	const char *s = strrchr(argv0, '/');

	ex_prog = s ? s + 1 : argv0;
}

void
ex_atdie(void (*fn)(void))
{
	die_hook = fn;
}

static _Noreturn void
die(int status)
{
	void (*fn)(void) = die_hook;

	die_hook = NULL; /* a failure inside the hook must not loop */
	if (fn)
		fn();
	exit(status);
}

static void
vmsg(int errnum, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);

	if (n < 0)
		buf[0] = '\0';
	if (errnum)
		fprintf(stderr, "%s: %s: %s\n", ex_prog, buf, strerror(errnum));
	else
		fprintf(stderr, "%s: %s\n", ex_prog, buf);
}

void
ex_die(int status, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(e, fmt, ap);
	va_end(ap);
	die(status);
}

void
ex_diex(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
	die(status);
}

void
ex_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(e, fmt, ap);
	va_end(ap);
}

void
ex_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
}

void *
ex_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		ex_die(EXIT_FAILURE, "malloc %zu bytes", n);
	return p;
}

void *
ex_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		ex_die(EXIT_FAILURE, "realloc %zu bytes", n);
	return q;
}

char *
ex_strjoin(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *p = ex_malloc(na + nb + 1);

	memcpy(p, a, na);
	memcpy(p + na, b, nb + 1);
	return p;
}
