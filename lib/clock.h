/*
 * clock.h — monotonic time, for -t batch deadlines and -v summaries.
 */
#ifndef EX_CLOCK_H
#define EX_CLOCK_H

#include <stdint.h>

/* Milliseconds on the monotonic clock. */
int64_t ex_now_ms(void);

/* Seconds elapsed since the start of the process's first call. */
double ex_elapsed(void);

/* "tool: <message>, <seconds> s" on stderr: the -v one-line summary. */
void ex_summary(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
