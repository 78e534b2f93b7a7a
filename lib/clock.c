#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"
#include "err.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t
ex_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
ex_elapsed(void)
{
	static double t0; /* set once, at the first call */

	if (t0 == 0)
		t0 = now();
	return now() - t0;
}

void
ex_summary(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s, %.3f s\n", ex_prog, buf, ex_elapsed());
}
