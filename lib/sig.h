/*
 * sig.h — signal names, as kill(1) spells them: "KILL", "TERM", ...; and
 * the threads that leave every signal to the main thread.
 *
 * Parsing accepts a number (1 to NSIG-1) or a name, with or without its
 * "SIG" prefix, in any case: "TERM", "SIGTERM", "term" and "15" are one
 * signal.
 */
#ifndef EX_SIG_H
#define EX_SIG_H

#include <pthread.h>

/* The signal s names, or -1. */
int ex_sig_parse(const char *s);

/* The name of sig without its prefix ("KILL"), or NULL if it has none. */
const char *ex_sig_name(int sig);

/* Start fn(arg) in a thread that blocks every signal: the handlers that
 * stop a command (child.h) run in the main thread.  0, or the error of
 * pthread_create. */
int ex_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
