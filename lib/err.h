/*
 * err.h — exit statuses and error reporting for every tool.
 *
 * Statuses are those of DESIGN.md section 5, named once here.  Messages go
 * to stderr as "tool: what: why"; ex_die appends strerror(errno), ex_diex
 * does not.  Nothing here flushes stdout: a tool that dies leaves its
 * committed state exactly as the last durable write left it.
 *
 * A tool that runs a command registers a die hook (ex_atdie; child.h does
 * it): ex_die and ex_diex call it once, after the message and before the
 * exit, so that a failure anywhere in lib/ never leaves the command
 * running on without the tool that fed it.
 */
#ifndef EX_ERR_H
#define EX_ERR_H

#include <stddef.h>

#define EXIT_USAGE    2   /* usage error */
#define EXIT_DATA     65  /* bad input or state */
#define EXIT_IO       74  /* I/O error, failed fsync */
#define EXIT_BUSY     75  /* state held by another consumer */
#define EXIT_NOEXEC   126 /* command could not run */
#define EXIT_NOTFOUND 127 /* command not found */

extern const char *ex_prog; /* set once by ex_setprog, then read only */

void ex_setprog(const char *argv0);
_Noreturn void ex_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
_Noreturn void ex_diex(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Call fn (once) when ex_die or ex_diex ends the process; NULL: none. */
void ex_atdie(void (*fn)(void));

void ex_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ex_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that dies (status 1) instead of returning NULL. */
void *ex_malloc(size_t n);
void *ex_realloc(void *p, size_t n);

/* A new string: a followed by b, e.g. a state file's sibling "PATH.lock". */
char *ex_strjoin(const char *a, const char *b);

#endif
