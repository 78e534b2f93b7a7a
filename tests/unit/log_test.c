/*
 * log_test — lib/filelog.c through the log interface (log.h): numbering
 * durable before records, identity decided by what was recorded beyond
 * the hash, the gone-segment rule in every variant, -r, and the line
 * that copytruncate cuts in two.
 *
 * Each case works in a fresh directory; a case that must end the process
 * (exit 65) runs in a child, whose status and stderr are checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "store.h"
#include "unit.h"

/* -Wwrite-strings: the log takes names as main's argv holds them */
#define S(x) ((char *)(x))

static char top[] = "/tmp/log_test.XXXXXX";
static int ncase;

/* A fresh directory for the next case. */
static void
fresh(void)
{
	char d[64];

	snprintf(d, sizeof d, "%s/%d", top, ++ncase);
	if (mkdir(d, 0700) < 0 || chdir(d) < 0 || mkdir("st", 0700) < 0) {
		perror(d);
		exit(1);
	}
}

static void
put(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	if (!f || fputs(text, f) == EOF || fclose(f) == EOF) {
		perror(path);
		exit(1);
	}
}

static void
slurp(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t k = f ? fread(buf, 1, n - 1, f) : 0;

	buf[k] = '\0';
	if (f)
		fclose(f);
}

/* A run: the log of names with state beside st/off (if store), from the
 * offset committed there (or start), records into out as "OFF PAYLOAD\n"
 * lines, at most max of them. */
struct run {
	struct ex_store *store;
	struct ex_log *log;
};

static void
open_run(struct run *r, char **names, int n, int store, int flags)
{
	r->store = store ? ex_store_open("st/off", 0) : NULL;
	r->log = ex_log_open(names, n, r->store, flags);
}

static void
seek_run(struct run *r, int policy)
{
	uint64_t off = 0;
	int have = r->store && ex_store_read(r->store, &off);

	ex_log_seek(r->log, have, off, policy, "st/off: committed offset");
}

/* Up to max records into out; returns how many. */
static int
take(struct run *r, char *out, size_t n, int max)
{
	struct ex_log_rec rec;
	size_t k = strlen(out);
	int got = 0;

	while (got < max && ex_log_next(r->log, &rec)) {
		/* a log too long for out is only counted */
		if (k + rec.len + 32 < n)
			k += (size_t)snprintf(out + k, n - k, "%llu %.*s\n",
			    (unsigned long long)rec.off, (int)rec.len, rec.data);
		got++;
	}
	return got;
}

static void
close_run(struct run *r)
{
	ex_log_close(r->log);
	ex_store_close(r->store);
}

static void
commit(uint64_t off)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)off);
	put("st/off", "w", buf);
}

/* One whole run, as logcat -o st/off NAMES: everything into out. */
static void
once(char **names, int n, int policy, char *out, size_t len)
{
	struct run r;

	out[0] = '\0';
	open_run(&r, names, n, 1, 0);
	seek_run(&r, policy);
	take(&r, out, len, 1 << 30);
	close_run(&r);
}

/* Run fn in a child with stderr into a buffer: its exit status. */
static int
child(void (*fn)(void *), void *ctx, char *err, size_t n)
{
	int p[2], status;
	pid_t pid;
	ssize_t k;
	size_t got = 0;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		exit(1);
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		fn(ctx);
		exit(0);
	}
	close(p[1]);
	while ((k = read(p[0], err + got, n - 1 - got)) > 0)
		got += (size_t)k;
	err[got] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* With stderr into err, the warnings of what fn does in this process. */
static void
warned(void (*fn)(void *), void *ctx, char *err, size_t n)
{
	int saved = dup(2), fd = open("warn.txt", O_RDWR | O_CREAT | O_TRUNC,
	    0600);

	dup2(fd, 2);
	fn(ctx);
	dup2(saved, 2);
	close(saved);
	close(fd);
	slurp("warn.txt", err, n);
}

struct job {
	char **names;
	int n, policy;
	char out[4096];
};

static void
job_once(void *ctx)
{
	struct job *j = ctx;

	once(j->names, j->n, j->policy, j->out, sizeof j->out);
}

/* ---- durability: a segment's first offset before its records ---------- */

static void
first_is_durable(void)
{
	char *names[] = { S("log"), S("log.1") };
	char out[512] = "", cat[2048];
	struct run r;

	fresh();
	put("log", "w", "a\nb\n");
	once(names, 1, EX_LOG_ERROR, out, sizeof out);
	commit(2);
	rename("log", "log.1");
	put("log", "w", "c\n");
	open_run(&r, names, 2, 1, 0);
	seek_run(&r, EX_LOG_ERROR);
	/* before the first record of the new segment is handed out, the
	 * catalogue on disk gives it its first offset, and seals the one
	 * before */
	slurp("st/off.seg", cat, sizeof cat);
	CHECK(strstr(cat, "\n0 2 0 ") != NULL);
	CHECK(strstr(cat, "\n2 - 0 ") != NULL);
	out[0] = '\0';
	CHECK(take(&r, out, sizeof out, 1) == 1);
	CHECK_STR(out, "2 c\n");
	close_run(&r);

	/* under -F, a rotation seen while following: the same */
	fresh();
	put("log", "w", "a\n");
	open_run(&r, names, 2, 1, EX_LOG_FOLLOW);
	seek_run(&r, EX_LOG_ERROR);
	out[0] = '\0';
	CHECK(take(&r, out, sizeof out, 10) == 1);
	rename("log", "log.1");
	put("log", "w", "b\n");
	CHECK(take(&r, out, sizeof out, 1) == 1);
	CHECK_STR(out, "0 a\n1 b\n");
	slurp("st/off.seg", cat, sizeof cat);
	CHECK(strstr(cat, "\n0 1 0 ") != NULL);
	CHECK(strstr(cat, "\n1 - 0 ") != NULL);
	close_run(&r);
}

/* Where reading the newest segment stopped is recorded exactly: the
 * records read and the byte they end at, whichever way they were read. */
static void
stop_recorded(void)
{
	char *names[] = { S("log") };
	char out[512], cat[2048];
	struct run r;

	fresh();
	put("log", "w", "a\nbb\nccc\ndddd\n");
	open_run(&r, names, 1, 1, 0);
	seek_run(&r, EX_LOG_ERROR);
	out[0] = '\0';
	CHECK(take(&r, out, sizeof out, 2) == 2);
	close_run(&r);
	slurp("st/off.seg", cat, sizeof cat);
	CHECK(strstr(cat, " 2 5 ") != NULL);
	commit(1);
	open_run(&r, names, 1, 1, 0);
	seek_run(&r, EX_LOG_ERROR);
	out[0] = '\0';
	CHECK(take(&r, out, sizeof out, 2) == 2);
	CHECK_STR(out, "1 bb\n2 ccc\n");
	close_run(&r);
	slurp("st/off.seg", cat, sizeof cat);
	CHECK(strstr(cat, " 3 9 ") != NULL);
	/* resumed from there, sealed from there: the counts agree */
	commit(3);
	rename("log", "log.1");
	put("log", "w", "e\n");
	{
		char *both[] = { S("log"), S("log.1") };

		once(both, 2, EX_LOG_ERROR, out, sizeof out);
	}
	CHECK_STR(out, "3 dddd\n4 e\n");
}

/* ---- identity ----------------------------------------------------------- */

static void
csv_header(void)
{
	char *names[] = { S("ev.csv"), S("ev.csv.1") };
	char out[512];

	fresh();
	put("ev.csv", "w", "ts,user,amount\n");
	once(names, 1, EX_LOG_ERROR, out, sizeof out);
	CHECK_STR(out, "0 ts,user,amount\n");
	commit(1);
	put("ev.csv", "a", "T10,alice,10\nT10,bob,20\n");
	rename("ev.csv", "ev.csv.1");
	put("ev.csv", "w", "ts,user,amount\nT11,carol,30\nT11,dave,40\n");
	once(names, 2, EX_LOG_ERROR, out, sizeof out);
	CHECK_STR(out, "1 T10,alice,10\n2 T10,bob,20\n3 ts,user,amount\n"
	    "4 T11,carol,30\n5 T11,dave,40\n");
	/* read again from the start: the same numbering, either order */
	commit(0);
	once(names, 2, EX_LOG_ERROR, out, sizeof out);
	CHECK(strncmp(out, "0 ts,user,amount\n1 T10,alice,10\n", 32) == 0);
}

/* Without the very file logcat read (renamed across file systems: a
 * copy), a new file that begins with the same bytes cannot be told from
 * it: exit 65 naming both, never a pick. */
static void
csv_undecidable(void)
{
	char *names[] = { S("ev.csv"), S("ev.old") };
	struct job j = { names, 2, EX_LOG_ERROR, "" };
	char err[2048];

	fresh();
	put("ev.csv", "w", "h\n");
	once(names, 1, EX_LOG_ERROR, j.out, sizeof j.out);
	commit(1);
	put("ev.csv", "a", "x\n");
	/* a copy, not the file: another inode */
	put("ev.old", "w", "h\nx\n");
	unlink("ev.csv");
	put("ev.csv", "w", "h\ny\nz\n");
	CHECK(child(job_once, &j, err, sizeof err) == EXIT_DATA);
	CHECK(strstr(err, "ev.csv and ev.old both begin as the segment holding "
	    "offsets from 0 on") != NULL);
	/* one of them alone decides */
	once(names + 1, 1, EX_LOG_ERROR, j.out, sizeof j.out);
	CHECK_STR(j.out, "1 x\n");
	commit(2);
	once(names, 2, EX_LOG_ERROR, j.out, sizeof j.out);
	CHECK_STR(j.out, "2 h\n3 y\n4 z\n");
}

/* A sealed segment has a length: a newer file longer than it, that begins
 * with all of it, is not it (unless it is the very file). */
static void
sealed_length(void)
{
	char *names[] = { S("a"), S("b"), S("c") };
	char out[512];

	fresh();
	put("a", "w", "h\n");
	once(names, 1, EX_LOG_ERROR, out, sizeof out);
	put("b", "w", "h\n1\n");
	once(names, 2, EX_LOG_ERROR, out, sizeof out);
	CHECK_STR(out, "0 h\n1 h\n2 1\n");
	/* a copied to c, a deleted: c is a (its length), b is b */
	put("c", "w", "h\n");
	unlink("a");
	commit(0);
	once(names + 1, 2, EX_LOG_ERROR, out, sizeof out);
	CHECK_STR(out, "0 h\n1 h\n2 1\n");
}

/* ---- the gone-segment rule ---------------------------------------------- */

static void
gone_between_runs(void)
{
	char *names[] = { S("log") };
	struct job j = { names, 1, EX_LOG_ERROR, "" };
	char err[2048], out[512];

	for (int content = 0; content < 2; content++) {
		fresh();
		put("log", "w", "1\n2\n3\n");
		once(names, 1, EX_LOG_ERROR, out, sizeof out);
		commit(3);
		put("log", "w", content ? "4\n" : "");
		CHECK(child(job_once, &j, err, sizeof err) == EXIT_DATA);
		CHECK(strstr(err, "the segment holding offsets from 0 on is gone "
		    "(deleted, truncated or replaced) before it was read to its "
		    "end, and the last offset read from it is 2") != NULL);
		CHECK(strstr(err, "-r earliest to accept the loss and number "
		    "what follows from offset 3") != NULL);
		j.policy = EX_LOG_EARLIEST;
		warned(job_once, &j, err, sizeof err);
		CHECK_STR(j.out, content ? "3 4\n" : "");
		CHECK(strstr(err, "-r earliest: numbering what follows from "
		    "offset 3") != NULL);
		j.policy = EX_LOG_ERROR;
		/* accepted once: the next run is quiet */
		put("log", "a", "5\n");
		warned(job_once, &j, err, sizeof err);
		CHECK_STR(j.out, content ? "3 4\n4 5\n" : "3 5\n");
		CHECK_STR(err, "");
	}
}

struct follow {
	struct run r;
	char out[8192];
	int truncate_to;  /* the live file's new content: 0 empty, 1 "x\n" */
	int behind;
};

/* -F: read, truncate the live file, read on. */
static void
follow_truncated(void *ctx)
{
	struct follow *fl = ctx;
	char *names[] = { S("log") };
	char big[64];

	open_run(&fl->r, names, 1, 1, EX_LOG_FOLLOW);
	seek_run(&fl->r, EX_LOG_ERROR);
	fl->out[0] = '\0';
	/* behind: one record of many taken; caught up: all of them */
	take(&fl->r, fl->out, sizeof fl->out, fl->behind ? 1 : 1 << 30);
	truncate("log", 0);
	if (fl->truncate_to) {
		snprintf(big, sizeof big, "x\n");
		put("log", "a", big);
	}
	while (take(&fl->r, fl->out + strlen(fl->out), sizeof fl->out -
	    strlen(fl->out), 1 << 30) > 0)
		;
	/* the look after the wait */
	take(&fl->r, fl->out, sizeof fl->out, 1 << 30);
	put("log", "a", "y\n");
	take(&fl->r, fl->out, sizeof fl->out, 1 << 30);
	close_run(&fl->r);
}

static void
gone_following(void)
{
	struct follow fl;
	char err[2048];
	const char *tail;

	/* caught up, emptied or already written again: a word, and on */
	for (int content = 0; content < 2; content++) {
		fresh();
		put("log", "w", "1\n2\n3\n");
		memset(&fl, 0, sizeof fl);
		fl.truncate_to = content;
		warned(follow_truncated, &fl, err, sizeof err);
		CHECK_STR(fl.out, content ? "0 1\n1 2\n2 3\n3 x\n4 y\n" :
		    "0 1\n1 2\n2 3\n3 y\n");
		CHECK_STR(err, "exactly: log: truncated, and the last offset "
		    "read from it is 2: what was written to it in the instant "
		    "before is unknown; going on from offset 3\n");
	}
	/* behind: what was not read is lost for certain, -r decides */
	fresh();
	{
		FILE *f = fopen("log", "w");

		for (int i = 0; i < 100000; i++)
			fprintf(f, "line %d\n", i);
		fclose(f);
	}
	memset(&fl, 0, sizeof fl);
	fl.behind = 1;
	CHECK(child(follow_truncated, &fl, err, sizeof err) == EXIT_DATA);
	CHECK(strstr(err, "exactly: log: truncated before it was read to its "
	    "end, and the last offset read from it is ") != NULL);
	tail = strstr(err, "-r earliest to go on from offset ");
	/* the first read was of the head alone, 1024 bytes */
	CHECK(tail && strtoull(tail + 33, NULL, 10) == 126);
}

/* ---- -r: offsets gone, and beyond the end -------------------------------- */

static void
policies(void)
{
	char *names[] = { S("b"), S("c") };
	struct job j = { names, 2, EX_LOG_ERROR, "" };
	char err[2048], out[512];

	fresh();
	put("a", "w", "0\n1\n");
	{
		char *na[] = { S("a") };

		once(na, 1, EX_LOG_ERROR, out, sizeof out);
	}
	put("b", "w", "2\n3\n");
	{
		char *nab[] = { S("a"), S("b") };

		once(nab, 2, EX_LOG_ERROR, out, sizeof out);
	}
	put("c", "w", "4\n");
	/* a is gone, 0-1 with it */
	commit(1);
	CHECK(child(job_once, &j, err, sizeof err) == EXIT_DATA);
	CHECK(strstr(err, "offsets 1-1 (1 records) are gone") != NULL);
	j.policy = EX_LOG_EARLIEST;
	warned(job_once, &j, err, sizeof err);
	CHECK_STR(j.out, "2 2\n3 3\n4 4\n");
	CHECK(strstr(err, "-r earliest: skipping them") != NULL);
	j.policy = EX_LOG_LATEST;
	warned(job_once, &j, err, sizeof err);
	CHECK_STR(j.out, "");
	CHECK(strstr(err, "-r latest: starting after the newest record") != NULL);
	/* beyond the end */
	commit(9);
	j.policy = EX_LOG_ERROR;
	CHECK(child(job_once, &j, err, sizeof err) == EXIT_DATA);
	CHECK(strstr(err, "is beyond the end of the log, which ends at "
	    "offset 5") != NULL);
	j.policy = EX_LOG_EARLIEST;
	warned(job_once, &j, err, sizeof err);
	CHECK_STR(j.out, "2 2\n3 3\n4 4\n");
	j.policy = EX_LOG_LATEST;
	warned(job_once, &j, err, sizeof err);
	CHECK_STR(j.out, "");
}

/* ---- a line copytruncate cut in two -------------------------------------- */

static void
joined(void)
{
	char *names[] = { S("log"), S("log.1") };
	char out[512];

	fresh();
	put("log", "w", "a\nhel");
	once(names, 1, EX_LOG_ERROR, out, sizeof out);
	CHECK_STR(out, "0 a\n");
	commit(1);
	/* copytruncate: the copy holds the start of the line */
	put("log.1", "w", "a\nhel");
	put("log", "w", "");
	once(names, 2, EX_LOG_ERROR, out, sizeof out);
	CHECK_STR(out, "");
	put("log", "a", "lo\nb\n");
	once(names, 2, EX_LOG_ERROR, out, sizeof out);
	CHECK_STR(out, "1 hello\n2 b\n");
	commit(2);
	once(names, 2, EX_LOG_ERROR, out, sizeof out);
	CHECK_STR(out, "2 b\n");
	commit(1);
	once(names, 2, EX_LOG_ERROR, out, sizeof out);
	CHECK_STR(out, "1 hello\n2 b\n");
}

/* ---- -L ------------------------------------------------------------------ */

static void
stand(void)
{
	char *names[] = { S("log"), S("log.1") };
	struct ex_log_stand st;
	struct ex_store *s;
	struct ex_log *l;
	char out[512], cat[2048], cat2[2048];

	fresh();
	put("log", "w", "a\nb\n");
	once(names, 1, EX_LOG_ERROR, out, sizeof out);
	commit(2);
	rename("log", "log.1");
	put("log", "w", "c\nd\ne");
	slurp("st/off.seg", cat, sizeof cat);
	s = ex_store_open("st/off", EX_STORE_PEEK);
	l = ex_log_open(names, 2, s, EX_LOG_LIST);
	CHECK(ex_log_stand(l, 0, &st) == 1);
	CHECK_STR(st.name, "log");
	CHECK_U64(st.first, 0);
	CHECK_U64(st.end, 4);
	CHECK(st.hascommitted);
	CHECK_U64(st.committed, 2);
	CHECK(ex_log_stand(l, 1, &st) == 0);
	ex_log_close(l);
	ex_store_close(s);
	/* and nothing written */
	slurp("st/off.seg", cat2, sizeof cat2);
	CHECK_STR(cat2, cat);
}

int
main(void)
{
	ex_setprog("exactly");
	if (!mkdtemp(top)) {
		perror(top);
		return 1;
	}
	first_is_durable();
	stop_recorded();
	csv_header();
	csv_undecidable();
	sealed_length();
	gone_between_runs();
	gone_following();
	policies();
	joined();
	stand();
	if (!unit_failed) {
		char cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf %s", top);
		if (system(cmd) != 0)
			fprintf(stderr, "log_test: could not remove %s\n", top);
	}
	return unit_done("log_test");
}
