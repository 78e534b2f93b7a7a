/*
 * libFuzzer harness for lib/seen.c: opening a seen-set whose files are
 * damaged.  Input: the first TABLE_LEN bytes are SEEN/table (a set of the
 * smallest size; fewer bytes give a truncated table), the rest is
 * SEEN/journal; an input of two tables or more makes a set of two slices,
 * the next TABLE_LEN bytes being SEEN/slice.1.  Opening must either fail with exit 65 (bad state: never
 * 74, 1 or 75 on a healthy tmpfs, never a hang or a crash) or give a set
 * in which every key of the journal is found, to which a key can be added
 * and committed, and which, closed and opened again, still has it.  A
 * damage found only at the first commit (a table fuller than its header
 * says) is exit 65 too.
 *
 * ex_die ends in exit(): this file defines exit() so that, while a set is
 * in use, it jumps back here instead; the descriptors and mappings
 * the failed open left behind are then released by hand.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "seen.h"

#define TABLE_LEN (4096 + 16 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static char dir[64], set[80], table[96], slice1[96], journal[96];
static jmp_buf back;
static volatile int armed, status;
static unsigned char preopen[1024]; /* descriptors open before any run */

void
exit(int st)
{
	if (armed) {
		armed = 0;
		status = st;
		longjmp(back, 1);
	}
	fflush(NULL);
	_exit(st);
}

static void
init(void)
{
	snprintf(dir, sizeof dir, "/dev/shm/seen-fuzz.%d", (int)getpid());
	snprintf(set, sizeof set, "%s/set", dir);
	snprintf(table, sizeof table, "%s/table", set);
	snprintf(slice1, sizeof slice1, "%s/slice.1", set);
	snprintf(journal, sizeof journal, "%s/journal", set);
	if (mkdir(dir, 0700) < 0)
		abort();
	for (int fd = 0; fd < (int)sizeof preopen; fd++)
		preopen[fd] = fcntl(fd, F_GETFD) >= 0;
	ex_setprog("seen-fuzz");
	/* the expected "bad state" messages would drown the fuzzer's own;
	 * sanitizer reports go to descriptor 2 itself and still show */
	stderr = fopen("/dev/null", "w");
}

/* What a failed open left behind: its descriptors and its mapping. */
static void
release(void)
{
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi;

	while (m && fgets(line, sizeof line, m))
		if (strstr(line, dir) &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			munmap((void *)lo, hi - lo);
	if (m)
		fclose(m);
	for (int fd = 3; fd < (int)sizeof preopen; fd++)
		if (!preopen[fd])
			close(fd);
}

static void
put(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);

	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n) || close(fd) < 0)
		abort();
}

static void
clean(void)
{
	char p[128];
	DIR *d = opendir(set);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof p, "%s/%s", set, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(set);
	snprintf(p, sizeof p, "%s.lock", set);
	unlink(p);
}

/* Open the damaged set and use it. */
static void
session(const uint8_t *data, size_t n, size_t tn)
{
	static const unsigned char zero[16];
	unsigned char fp[EX_KEY_FP];
	struct ex_seen *s = ex_seen_open(set, 0);
	uint64_t count;

	/* every key the journal holds was committed: it must be found */
	for (size_t i = tn + 64; i + 16 <= n; i += 16)
		if (memcmp(data + i, zero, 16) != 0 && !ex_seen_has(s, data + i))
			abort();
	count = ex_seen_count(s);
	ex_seen_fp(s, "a key of the harness", 20, fp);
	if (ex_seen_add(s, fp))
		count++;
	ex_seen_commit(s);
	if (!ex_seen_has(s, fp) || ex_seen_count(s) != count)
		abort();
	ex_seen_close(s);
	/* and what was committed is there when it is opened again */
	s = ex_seen_open(set, 0);
	if (!ex_seen_has(s, fp) || ex_seen_count(s) != count)
		abort();
	ex_seen_close(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	size_t tn = n < TABLE_LEN ? n : TABLE_LEN;

	if (!*dir)
		init();
	clean();
	if (mkdir(set, 0777) < 0)
		abort();
	put(table, data, tn);
	if (n >= 2 * TABLE_LEN) {
		put(slice1, data + tn, TABLE_LEN);
		tn += TABLE_LEN;
	}
	put(journal, data + tn, n - tn);
	if (setjmp(back) == 0) {
		armed = 1;
		session(data, n, tn);
		armed = 0;
	} else {
		/* a damaged set is bad state, found at open or at the first
		 * commit; never an I/O error or anything else */
		release();
		if (status != EXIT_DATA)
			abort();
	}
	clean();
	return 0;
}
