/*
 * floor — the physical floors that make bench compares the tools with
 * (DESIGN.md section 7), each timed alone over many repetitions:
 *
 *   floor fsync DIR N     one fsync group on DIR's disk, as lib/durable.c
 *                         makes one: write a small temporary file, fsync
 *                         it, rename it over the file, fsync the directory
 *   floor journal DIR N   one journal fsync: append 16 bytes to a file in
 *                         DIR and fsync it (the file grows, as a journal
 *                         does, so its size must reach the disk too)
 *   floor exec N CMD ...  one fork and exec of CMD with an empty pipe as
 *                         its stdin, waited for (cat on empty input: what
 *                         commit pays per batch besides the fsync group)
 *
 * Prints the mean seconds of one, to a microsecond's precision or better.
 * Plain system calls, none of lib/: a floor is what the kernel and the
 * disk cost, not what the tools make of them.  The files it makes in DIR
 * are removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_lines[] =
    "usage: floor fsync DIR N\n"
    "       floor journal DIR N\n"
    "       floor exec N CMD [ARG ...]\n";

static _Noreturn void
die(const char *what, const char *name)
{
	fprintf(stderr, "floor: %s: %s: %s\n", what, name, strerror(errno));
	exit(74);
}

static _Noreturn void
usage(void)
{
	fputs(usage_lines, stderr);
	exit(2);
}

static long
count(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < 1 || n > 1000000)
		usage();
	return n;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
writeall(int fd, const char *p, size_t n, const char *name)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die("write", name);
		p += w;
		n -= (size_t)w;
	}
}

/* One fsync group: the new file, fsynced, renamed into place, and the
 * directory fsynced. */
static void
group(const char *dir, const char *tmp, const char *path, long i)
{
	char buf[32];
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	int n = snprintf(buf, sizeof buf, "%ld\n", i * 10000);

	if (fd < 0)
		die("open", tmp);
	writeall(fd, buf, (size_t)n, tmp);
	if (fsync(fd) < 0)
		die("fsync", tmp);
	if (close(fd) < 0)
		die("close", tmp);
	if (rename(tmp, path) < 0)
		die("rename", tmp);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die("open", dir);
	if (fsync(fd) < 0)
		die("fsync", dir);
	close(fd);
}

static double
fsyncs(const char *dir, long n)
{
	char tmp[4096], path[4096];
	double t0;

	snprintf(path, sizeof path, "%s/floor.%ld", dir, (long)getpid());
	snprintf(tmp, sizeof tmp, "%s/floor.%ld.tmp", dir, (long)getpid());
	group(dir, tmp, path, 0); /* the file exists, as an offset file does */
	t0 = now();
	for (long i = 1; i <= n; i++)
		group(dir, tmp, path, i);
	t0 = now() - t0;
	unlink(path);
	return t0 / (double)n;
}

static double
journal(const char *dir, long n)
{
	static const char rec[16] = "0123456789abcdef";
	char path[4096];
	double t0;
	int fd;

	snprintf(path, sizeof path, "%s/floor.%ld.journal", dir, (long)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0666)) < 0)
		die("open", path);
	if (fsync(fd) < 0)
		die("fsync", path);
	t0 = now();
	for (long i = 0; i < n; i++) {
		writeall(fd, rec, sizeof rec, path);
		if (fsync(fd) < 0)
			die("fsync", path);
	}
	t0 = now() - t0;
	close(fd);
	unlink(path);
	return t0 / (double)n;
}

static void
run(char *const argv[])
{
	int p[2], st;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe", argv[0]);
	if ((pid = fork()) < 0)
		die("fork", argv[0]);
	if (pid == 0) {
		dup2(p[0], 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[0]);
	close(p[1]); /* empty input */
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid", argv[0]);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "floor: %s: failed\n", argv[0]);
		exit(1);
	}
}

static double
execs(long n, char *const argv[])
{
	double t0;

	run(argv); /* the binary and its libraries in the page cache */
	t0 = now();
	for (long i = 0; i < n; i++)
		run(argv);
	return (now() - t0) / (double)n;
}

int
main(int argc, char *argv[])
{
	double s;

	if (argc == 4 && strcmp(argv[1], "fsync") == 0)
		s = fsyncs(argv[2], count(argv[3]));
	else if (argc == 4 && strcmp(argv[1], "journal") == 0)
		s = journal(argv[2], count(argv[3]));
	else if (argc >= 4 && strcmp(argv[1], "exec") == 0)
		s = execs(count(argv[2]), argv + 3);
	else
		usage();
	printf("%.7f\n", s);
	return fflush(stdout) == 0 ? 0 : 74;
}
