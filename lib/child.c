#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "err.h"
#include "sig.h"

/*
 * The running commands, for the signal handler: written only with the
 * guarded signals blocked or by the handler itself, so it never sees one
 * half-registered.  A tool runs one command at a time; a few slots spare.
 */
#define KIDS 4

static struct kid {
	volatile pid_t pid;   /* 0: a free slot */
	volatile int pidfd, to, peek, from;
} kids[KIDS];

/* The signals that end a process by default and that it can catch. */
static const int guarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2,
};

static void
guardset(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof guarded / sizeof guarded[0]; i++)
		sigaddset(set, guarded[i]);
}

static void on_signal(int);

/* In a new child, before it execs: a signal is its own business now. */
static void
unguard(void)
{
	struct sigaction old;

	for (size_t i = 0; i < sizeof guarded / sizeof guarded[0]; i++)
		if (sigaction(guarded[i], NULL, &old) == 0 &&
		    old.sa_handler == on_signal)
			signal(guarded[i], SIG_DFL);
}

static int
pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * The child's part, between vfork and exec.  It runs on our memory and our
 * stack while we wait, so it only makes system calls (no stdio, no
 * malloc) and writes nothing of ours but *err: why exec failed, for the
 * parent to report once it runs again.
 */
static _Noreturn void
child(char *const argv[], const int *in, const int *out,
    const sigset_t *old, volatile int *err)
{
	if ((in && dup2(in[0], 0) < 0) || (out && dup2(out[1], 1) < 0)) {
		*err = errno;
		_exit(EXIT_NOEXEC);
	}
	signal(SIGPIPE, SIG_DFL);
	unguard();
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	*err = errno;
	_exit(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

pid_t
ex_child_start(char *const argv[], int *to, int *peek, int *from)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	volatile int err = 0;
	sigset_t set, old;
	struct kid *k = NULL;
	pid_t pid;

	for (size_t i = 0; i < KIDS && !k; i++)
		if (kids[i].pid == 0)
			k = &kids[i];
	if (!k)
		ex_diex(EXIT_FAILURE, "too many commands at once");
	if ((to && pipe2(in, O_CLOEXEC) < 0) ||
	    (from && pipe2(out, O_CLOEXEC) < 0))
		ex_die(EXIT_FAILURE, "pipe");
	fflush(stderr);
	/*
	 * Not a moment with a command running that the handler cannot see;
	 * and no handler of ours may run in the child, which shares our
	 * memory until it execs.  vfork, not fork: a fork copies the page
	 * tables of every mapping and makes each page we write afterwards a
	 * copy-on-write fault, which for a tool that runs its command once
	 * per batch costs more than the rest of the batch's work.
	 */
	guardset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	if ((pid = vfork()) < 0)
		ex_die(EXIT_FAILURE, "fork");
	if (pid == 0)
		child(argv, to ? in : NULL, from ? out : NULL, &old, &err);
	if (err)
		fprintf(stderr, "%s: %s: %s\n", ex_prog, argv[0],
		    strerror(err));
	k->to = k->peek = k->from = -1;
	k->pidfd = pidfd_open_(pid);
	if (to) {
		if (peek)
			*peek = k->peek = in[0];
		else
			close(in[0]);
		*to = k->to = in[1];
	}
	if (from) {
		close(out[1]);
		*from = k->from = out[0];
	}
	k->pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

static struct kid *
find(pid_t pid)
{
	for (size_t i = 0; i < KIDS; i++)
		if (kids[i].pid == pid && pid > 0)
			return &kids[i];
	return NULL;
}

int
ex_child_pidfd(pid_t pid)
{
	struct kid *k = find(pid);

	return k ? k->pidfd : -1;
}

void
ex_child_close(int fd)
{
	sigset_t set, old;

	if (fd < 0)
		return;
	guardset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (size_t i = 0; i < KIDS; i++) {
		if (kids[i].to == fd)
			kids[i].to = -1;
		if (kids[i].from == fd)
			kids[i].from = -1;
	}
	close(fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void
forget(struct kid *k)
{
	sigset_t set, old;

	guardset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (k->pidfd >= 0)
		close(k->pidfd);
	k->pidfd = -1;
	k->pid = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int
ex_child_wait(pid_t pid, int *wstatus)
{
	struct kid *k = find(pid);
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			ex_die(EXIT_FAILURE, "waitpid");
	if (k)
		forget(k);
	if (wstatus)
		*wstatus = st;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* End as a process killed by sig: its default action, unblocked. */
static _Noreturn void
die_of(int sig)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

/* Async-signal-safe throughout: close, pidfd_send_signal, kill, waitpid,
 * sigaction, sigprocmask, raise, _exit. */
static void
on_signal(int sig)
{
	for (size_t i = 0; i < KIDS; i++) {
		struct kid *k = &kids[i];

		if (k->pid <= 0)
			continue;
		if (k->to >= 0)
			close(k->to);
		if (k->from >= 0)
			close(k->from);
		k->to = k->from = -1;
#ifdef SYS_pidfd_send_signal
		if (k->pidfd >= 0)
			syscall(SYS_pidfd_send_signal, k->pidfd, sig, NULL, 0);
		else
#endif
			kill(k->pid, sig);
	}
	for (size_t i = 0; i < KIDS; i++)
		if (kids[i].pid > 0)
			while (waitpid(kids[i].pid, NULL, 0) < 0 && errno == EINTR)
				;
	die_of(sig);
}

void
ex_child_stop(void)
{
	char buf[4096];

	for (size_t i = 0; i < KIDS; i++) {
		struct kid *k = &kids[i];
		int fd;

		if (k->pid <= 0)
			continue;
		ex_child_close(k->to);
		if ((fd = k->from) >= 0) {
			/* its stdout may be full of acknowledgements: read them
			 * away, or it would wait for us as we wait for it */
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t n;

			for (;;) {
				n = read(fd, buf, sizeof buf);
				if (n > 0 || (n < 0 && errno == EINTR))
					continue;
				if (n < 0 && errno == EAGAIN &&
				    poll(&p, 1, -1) >= 0)
					continue;
				break;
			}
			ex_child_close(fd);
		}
		ex_child_close(k->peek);
		k->peek = -1;
		ex_child_wait(k->pid, NULL);
	}
}

void
ex_child_gone(void)
{
	ex_child_stop();
	die_of(SIGPIPE);
}

void
ex_child_guard(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	guardset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof guarded / sizeof guarded[0]; i++) {
		if (sigaction(guarded[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue; /* nohup, or "cmd &" in a script: keep it so */
		sigaction(guarded[i], &sa, NULL);
	}
	ex_atdie(ex_child_stop);
}

const char *
ex_child_how(int wstatus, char *buf, size_t n)
{
	const char *name;

	if (WIFSIGNALED(wstatus)) {
		name = ex_sig_name(WTERMSIG(wstatus));
		if (name)
			snprintf(buf, n, "killed by SIG%s%s", name,
			    WCOREDUMP(wstatus) ? " (core dumped)" : "");
		else
			snprintf(buf, n, "killed by signal %d%s",
			    WTERMSIG(wstatus),
			    WCOREDUMP(wstatus) ? " (core dumped)" : "");
	} else
		snprintf(buf, n, "exited %d", WEXITSTATUS(wstatus));
	return buf;
}

void
ex_child_report(const char *name, int wstatus)
{
	char how[64];

	if (WIFEXITED(wstatus) && (WEXITSTATUS(wstatus) == 0 ||
	    WEXITSTATUS(wstatus) == EXIT_NOEXEC ||
	    WEXITSTATUS(wstatus) == EXIT_NOTFOUND))
		return;
	/* its reader went away ("| head"): a quiet stop, as in a shell */
	if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGPIPE)
		return;
	ex_warnx("%s: %s", name, ex_child_how(wstatus, how, sizeof how));
}
