/*
 * opt.h — the command line every tool shares: its usage errors and the
 * values its options take.
 *
 * A usage error is one line, "tool: what is wrong", then the tool's usage
 * lines, on stderr, and exit 2.  An option's value is named with the
 * option and what it should have been:
 *
 *	commit: -n 0: expected a count from 1 to 2^63-1
 *
 * The limits are the same in every tool: a count (-n, records or
 * acknowledgements) is 1 to 2^63-1; milliseconds (-t) are 0 to 86400000,
 * a day, where 0 means no time limit; an offset is 0 to 2^63-1, written
 * as in a record (DESIGN.md section 1: decimal, no sign, no leading
 * zeros); a file name is not empty.
 */
#ifndef EX_OPT_H
#define EX_OPT_H

#include <stdint.h>

#include "tag.h"

#define EX_COUNT_MAX EX_OFF_MAX
#define EX_COUNT_NONE UINT64_MAX /* "no -n given": no limit */
#define EX_MS_MAX 86400000

/* ex_setprog, the usage lines (each ending in LF) ex_usage prints, and
 * closed standard descriptors taken (exactly(7)). */
void ex_opt_init(const char *argv0, const char *usage);

/* "tool: <message>" and the usage lines on stderr, exit 2; with fmt NULL
 * the usage lines alone (after getopt(3) has said what was wrong). */
_Noreturn void ex_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* opt's value arg as a decimal number from min to max; what says what it
 * is in the message ("a count", "a field number"). */
uint64_t ex_opt_number(const char *opt, const char *arg, uint64_t min,
    uint64_t max, const char *what);

uint64_t ex_opt_count(const char *opt, const char *arg);
int ex_opt_ms(const char *opt, const char *arg);
uint64_t ex_opt_offset(const char *opt, const char *arg);

/* arg, its trailing slashes cut off (in place); refused if empty or if
 * it is /, or its last part . or .. */
char *ex_opt_path(const char *opt, char *arg);

#endif
