#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "err.h"

pid_t
ex_child_start(char *const argv[], int *to, int *from)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	pid_t pid;

	if ((to && pipe2(in, O_CLOEXEC) < 0) ||
	    (from && pipe2(out, O_CLOEXEC) < 0))
		ex_die(EXIT_FAILURE, "pipe");
	fflush(stderr);
	if ((pid = fork()) < 0)
		ex_die(EXIT_FAILURE, "fork");
	if (pid == 0) {
		if ((to && dup2(in[0], 0) < 0) || (from && dup2(out[1], 1) < 0))
			_exit(EXIT_NOEXEC);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s: %s\n", ex_prog, argv[0],
		    strerror(errno));
		_exit(errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
	}
	if (to) {
		close(in[0]);
		*to = in[1];
	}
	if (from) {
		close(out[1]);
		*from = out[0];
	}
	return pid;
}

int
ex_child_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			ex_die(EXIT_FAILURE, "waitpid");
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
