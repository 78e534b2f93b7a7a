/*
 * child.h — running the user's command.
 *
 * The command is run with execvp(3), PATH searched, SIGPIPE back at its
 * default (tools that feed a child ignore it themselves).  A command that
 * cannot be found exits 127 and one that cannot be run 126, after saying
 * why on stderr, as a shell does.  ex_child_wait maps the outcome to the
 * statuses of DESIGN.md section 5: the command's own exit status, or 128+N
 * when it was killed by signal N.
 *
 * Every command started is remembered, with the pipes to and from it,
 * until it is waited for, so that a tool never dies leaving one running
 * on without it (ex_child_guard):
 *   - a signal that would end the tool and that it can catch (HUP, INT,
 *     QUIT, ALRM, TERM, USR1, USR2; one that was ignored when the tool
 *     started stays ignored) closes the pipes, is sent on to the commands,
 *     and the tool waits for them before it dies of that signal itself;
 *   - ex_die and ex_diex (err.h), and ex_child_stop, give the commands end
 *     of input and read their output away until they exit, as at the end
 *     of the tool's input, then the tool exits.
 * SIGKILL cannot be caught: the command of a tool killed by it runs on, in
 * the tool's process group, which the lock of lock.h still counts as the
 * holder's while the command lives.
 */
#ifndef EX_CHILD_H
#define EX_CHILD_H

#include <stddef.h>
#include <sys/types.h>

/* Start argv.  If to is not NULL, *to is a pipe to the command's stdin,
 * and if peek is also not NULL, *peek a copy of that pipe's read end,
 * kept here to see what the command left unread; if from is not NULL,
 * *from is a pipe from its stdout (all close-on-exec in this process).
 * NULL leaves that descriptor inherited. */
pid_t ex_child_start(char *const argv[], int *to, int *peek, int *from);

/* A pidfd of a started command (readable once it has exited), or -1 on a
 * kernel without them. */
int ex_child_pidfd(pid_t pid);

/* Close a pipe to or from a command, and forget it. */
void ex_child_close(int fd);

/* Wait for pid and return its status as above; *wstatus, if not NULL,
 * gets the wait status itself. */
int ex_child_wait(pid_t pid, int *wstatus);

/* Install the signal handlers and the die hook described above. */
void ex_child_guard(void);

/* Give every running command end of input, read its output away, and
 * wait for it to exit. */
void ex_child_stop(void);

/* Our reader went away ("| head"): stop the commands as ex_child_stop
 * does, then end as a filter that SIGPIPE killed (status 141), whatever
 * SIGPIPE's disposition was. */
_Noreturn void ex_child_gone(void);

/* What a wait status says, for messages: "exited 3", "killed by SIGKILL". */
const char *ex_child_how(int wstatus, char *buf, size_t n);

/* "tool: NAME: exited 3" on stderr for a command that failed: not for
 * status 0, nor for 126 and 127, whose cause the command (or the shell
 * running it, or ex_child_start) has already said, nor for SIGPIPE, a
 * reader that went away, which a shell does not report either. */
void ex_child_report(const char *name, int wstatus);

#endif
