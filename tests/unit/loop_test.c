/*
 * loop_test — lib/loop.c: batches cut at -n and at -t, the end of the
 * input inside a line, a reader that leaves while we wait, one run of a
 * command per batch told from one that left part of it unread, and the
 * feed window of -e.  Progress marks: lines of a batch that are not among
 * its -n records, and start its -t clock as records do.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "err.h"
#include "loop.h"
#include "opt.h"
#include "unit.h"

/* A reader of a pipe into which text was written, the writer closed. */
static void
reader_of(struct ex_rd *rd, int *fds, const char *text, int close_it)
{
	if (pipe(fds) < 0)
		ex_die(1, "pipe");
	if (write(fds[1], text, strlen(text)) != (ssize_t)strlen(text))
		ex_die(1, "write");
	if (close_it) {
		close(fds[1]);
		fds[1] = -1;
	}
	ex_rd_init(rd, fds[0], "test input");
}

/* A child that writes text to fd 300 ms from now, then exits; fd is
 * closed here, so the reader sees its end after that. */
static pid_t
write_later(int fd, const char *text)
{
	struct timespec pause = { 0, 300 * 1000 * 1000 };
	pid_t pid;

	if ((pid = fork()) == 0) {
		nanosleep(&pause, NULL);
		_exit(write(fd, text, strlen(text)) == (ssize_t)strlen(text) ?
		    0 : 1);
	}
	close(fd);
	return pid;
}

static int
next(struct ex_batch *b, const char *want)
{
	char *line;
	size_t len;
	int r = ex_batch_next(b, &line, &len);

	if (want && r == EX_BATCH_REC)
		CHECK_MEM(line, len, want, strlen(want));
	return r;
}

static void
batches_by_count(void)
{
	struct ex_batch b;
	struct ex_rd rd;
	int fds[2];

	reader_of(&rd, fds, "a\nb\nc\nd\ne\nf\ng\n", 1);
	ex_batch_init(&b, &rd, 3, 1000);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "a"), EX_BATCH_REC);
	CHECK_U64(next(&b, "b"), EX_BATCH_REC);
	CHECK_U64(next(&b, "c"), EX_BATCH_REC);
	CHECK_U64(next(&b, NULL), EX_BATCH_END);
	CHECK_U64(b.n, 3);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "d"), EX_BATCH_REC);
	CHECK_U64(next(&b, "e"), EX_BATCH_REC);
	CHECK_U64(next(&b, "f"), EX_BATCH_REC);
	CHECK_U64(next(&b, NULL), EX_BATCH_END);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "g"), EX_BATCH_REC);
	CHECK_U64(next(&b, NULL), EX_BATCH_EOF);
	CHECK_U64(b.n, 1);
	ex_rd_free(&rd);
	close(fds[0]);
}

static void
torn(void)
{
	struct ex_batch b;
	struct ex_rd rd;
	char *line;
	size_t len;
	int fds[2];

	reader_of(&rd, fds, "a\nb", 1);
	ex_batch_init(&b, &rd, EX_COUNT_NONE, 0);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "a"), EX_BATCH_REC);
	CHECK_U64(ex_batch_next(&b, &line, &len), EX_BATCH_TORN);
	CHECK_MEM(line, len, "b", 1);
	ex_rd_free(&rd);
	close(fds[0]);
}

/* -t: a batch is cut ms after its first record once the input pauses. */
static void
batches_by_time(void)
{
	struct ex_batch b;
	struct ex_rd rd;
	int fds[2];
	pid_t pid;

	reader_of(&rd, fds, "a\nb\n", 0);
	pid = write_later(fds[1], "c\n");
	ex_batch_init(&b, &rd, EX_COUNT_NONE, 100);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "a"), EX_BATCH_REC);
	CHECK_U64(next(&b, "b"), EX_BATCH_REC);
	CHECK_U64(next(&b, NULL), EX_BATCH_END);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "c"), EX_BATCH_REC);
	CHECK_U64(next(&b, NULL), EX_BATCH_EOF);
	waitpid(pid, NULL, 0);
	ex_rd_free(&rd);
	close(fds[0]);
}

/* Marks (the lines told so with ex_batch_mark) do not count towards -n. */
static void
batches_with_marks(void)
{
	struct ex_batch b;
	struct ex_rd rd;
	int fds[2];

	reader_of(&rd, fds, "a\n1\nb\n2\nc\nd\n3\n", 1);
	ex_batch_init(&b, &rd, 2, 0);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "a"), EX_BATCH_REC);
	CHECK_U64(next(&b, "1"), EX_BATCH_REC);
	ex_batch_mark(&b);
	CHECK_U64(next(&b, "b"), EX_BATCH_REC);
	CHECK_U64(next(&b, NULL), EX_BATCH_END);
	CHECK_U64(b.n, 3);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "2"), EX_BATCH_REC);
	ex_batch_mark(&b);
	CHECK_U64(next(&b, "c"), EX_BATCH_REC);
	CHECK_U64(next(&b, "d"), EX_BATCH_REC);
	CHECK_U64(next(&b, NULL), EX_BATCH_END);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "3"), EX_BATCH_REC);
	ex_batch_mark(&b);
	CHECK_U64(next(&b, NULL), EX_BATCH_EOF);
	CHECK_U64(b.n, 1);
	ex_rd_free(&rd);
	close(fds[0]);
}

/* -t: a batch of a mark alone is cut ms after it, as one of a record. */
static void
marks_by_time(void)
{
	struct ex_batch b;
	struct ex_rd rd;
	int fds[2];
	pid_t pid;

	reader_of(&rd, fds, "5\n", 0);
	pid = write_later(fds[1], "6\tc\n");
	ex_batch_init(&b, &rd, EX_COUNT_NONE, 100);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "5"), EX_BATCH_REC);
	ex_batch_mark(&b);
	CHECK_U64(next(&b, NULL), EX_BATCH_END);
	CHECK_U64(b.n, 1);
	ex_batch_start(&b);
	CHECK_U64(next(&b, "6\tc"), EX_BATCH_REC);
	CHECK_U64(next(&b, NULL), EX_BATCH_EOF);
	waitpid(pid, NULL, 0);
	ex_rd_free(&rd);
	close(fds[0]);
}

/* A reader of "stdout" that leaves while the input is idle. */
static void
reader_leaves(void)
{
	struct ex_batch b;
	struct ex_rd rd;
	struct ex_out o;
	int fds[2], outp[2];

	reader_of(&rd, fds, "a\n", 0);
	if (pipe(outp) < 0)
		ex_die(1, "pipe");
	ex_out_init(&o, outp[1], "test output");
	ex_batch_init(&b, &rd, EX_COUNT_NONE, 0);
	b.idle = b.watch = &o;
	ex_batch_start(&b);
	CHECK_U64(next(&b, "a"), EX_BATCH_REC);
	ex_out_write(&o, "a\n", 2);
	close(outp[0]); /* the reader goes, the input stays open and idle */
	CHECK_U64(next(&b, NULL), EX_BATCH_GONE);
	CHECK(ex_out_gone(&o));
	ex_out_free(&o);
	close(outp[1]);
	close(fds[1]);
	ex_rd_free(&rd);
	close(fds[0]);
}

/* One run of sh -c SCRIPT fed n lines of len bytes: its status, and
 * whether it read them all. */
static int
run_fed(const char *script, size_t n, size_t len, int *whole)
{
	char w_sh[] = "sh", w_c[] = "-c", *s = strdup(script);
	char *argv[] = { w_sh, w_c, s, NULL };
	char *line = ex_malloc(len + 1);
	struct ex_feed f;
	int st;

	memset(line, 'x', len);
	line[len] = '\n';
	ex_feed_start(&f, argv);
	for (size_t i = 0; i < n; i++)
		ex_out_write(&f.to, line, len + 1);
	st = ex_feed_end(&f, whole);
	free(line);
	free(s);
	return st;
}

static void
feed_runs(void)
{
	int whole;

	/* a batch that fits in the pipe, read in part, is seen */
	CHECK_U64(run_fed("read l", 10, 10, &whole), 0);
	CHECK_U64(whole, 0);
	CHECK_U64(run_fed("true", 1, 10, &whole), 0);
	CHECK_U64(whole, 0);
	/* all of it read, however it is read */
	CHECK_U64(run_fed("cat >/dev/null", 10, 10, &whole), 0);
	CHECK_U64(whole, 1);
	CHECK_U64(run_fed("while read -r l; do :; done", 100, 10, &whole), 0);
	CHECK_U64(whole, 1);
	/* a batch larger than the pipe, the command gone: no wait for ever */
	CHECK_U64(run_fed("exit 0", 1000, 1000, &whole), 0);
	CHECK_U64(whole, 0);
	CHECK_U64(run_fed("head -c 1 >/dev/null; exit 3", 1000, 1000, &whole), 3);
	CHECK_U64(run_fed("cat >/dev/null", 1000, 1000, &whole), 0);
	CHECK_U64(whole, 1);
}

static void
window(void)
{
	char w_cat[] = "cat", *argv[] = { w_cat, NULL };
	struct ex_echo e;

	ex_echo_start(&e, argv, 1, 2, 0);
	CHECK(ex_echo_may_feed(&e));
	ex_ack_send(&e.a, 0, "a", 1, 0);
	CHECK(ex_echo_may_feed(&e));
	ex_ack_send(&e.a, 1, "b", 1, 0);
	CHECK(!ex_echo_may_feed(&e));
	e.done = 1; /* one made durable: one more may go */
	CHECK(ex_echo_may_feed(&e));
	ex_ack_eof(&e.a);
	CHECK_U64(ex_ack_wait(&e.a), 0);
	CHECK_U64(e.a.acked, 2);
	ex_ack_free(&e.a);
}

int
main(int argc, char *argv[])
{
	(void)argc;
	ex_setprog(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	batches_by_count();
	torn();
	batches_by_time();
	batches_with_marks();
	marks_by_time();
	reader_leaves();
	feed_runs();
	window();
	return unit_done("loop_test");
}
