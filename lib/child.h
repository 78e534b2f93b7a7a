/*
 * child.h — running the user's command.
 *
 * The command is run with execvp(3), PATH searched, SIGPIPE back at its
 * default (tools that feed a child ignore it themselves).  A command that
 * cannot be found exits 127 and one that cannot be run 126, after saying
 * why on stderr, as a shell does.  ex_child_wait maps the outcome to the
 * statuses of DESIGN.md section 5: the command's own exit status, or 128+N
 * when it was killed by signal N.
 */
#ifndef EX_CHILD_H
#define EX_CHILD_H

#include <sys/types.h>

/* Start argv.  If to is not NULL, *to is a pipe to the command's stdin; if
 * from is not NULL, *from is a pipe from its stdout (both close-on-exec in
 * this process).  NULL leaves that descriptor inherited. */
pid_t ex_child_start(char *const argv[], int *to, int *from);

/* Wait for pid and return its status as above. */
int ex_child_wait(pid_t pid);

#endif
