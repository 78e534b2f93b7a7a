/*
 * seen_test — lib/seen.c and lib/fpset.c through their interfaces: keys
 * pending until committed, committed keys found again after a reopen,
 * group commits overlapped with the next group's adds,
 * growth inside a batch and across runs, an uncommitted batch leaving
 * nothing behind, the window's slices on a clock set by EXACTLY_NOW, and
 * the in-memory set against a plain reference under random adds and
 * deletes.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fpset.h"
#include "seen.h"
#include "unit.h"

static char dir[64], set[96];

/* The fingerprint of key number i under s. */
static void
fp_of(const struct ex_seen *s, unsigned i, unsigned char *fp)
{
	char k[32];
	int n = snprintf(k, sizeof k, "key-%u", i);

	ex_seen_fp(s, k, (size_t)n, fp);
}

/* How many of keys lo..hi-1 s holds. */
static unsigned
held(const struct ex_seen *s, unsigned lo, unsigned hi)
{
	unsigned char fp[EX_KEY_FP];
	unsigned n = 0;

	for (unsigned i = lo; i < hi; i++) {
		fp_of(s, i, fp);
		n += (unsigned)ex_seen_has(s, fp);
	}
	return n;
}

static void
add_range(struct ex_seen *s, unsigned lo, unsigned hi)
{
	unsigned char fp[EX_KEY_FP];

	for (unsigned i = lo; i < hi; i++) {
		fp_of(s, i, fp);
		CHECK(ex_seen_add(s, fp) == 1);
		CHECK(ex_seen_add(s, fp) == 0);
	}
}

/* Files in the set's directory whose name holds ".tmp.". */
static int
tmpfiles(void)
{
	DIR *d = opendir(set);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void
rmset(void)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.lock'", set, set);
	if (system(cmd) != 0)
		abort();
}

static void
pending_then_committed(void)
{
	struct ex_seen *s = ex_seen_open(set, 0);

	CHECK_U64(ex_seen_count(s), 0);
	add_range(s, 0, 100);
	CHECK_U64(ex_seen_pending(s), 100);
	CHECK_U64(held(s, 0, 100), 100);
	ex_seen_commit(s);
	CHECK_U64(ex_seen_pending(s), 0);
	CHECK_U64(ex_seen_count(s), 100);
	/* pending keys not committed are dropped at close */
	add_range(s, 100, 150);
	ex_seen_close(s);
	s = ex_seen_open(set, 0);
	CHECK_U64(ex_seen_count(s), 100);
	CHECK_U64(held(s, 0, 100), 100);
	CHECK_U64(held(s, 100, 150), 0);
	ex_seen_close(s);
	rmset();
}

/* Group commits overlapped with more adds (ex_seen_commit_start): the
 * keys of the group under way are found and not added again, but are not
 * committed until it is done; the next group's keys are pending; a
 * growth while a group is under way, checkpoints after many groups
 * (past EX_SEEN_JOURNAL_MAX keys), and a reopen find every key once. */
static void
overlapped(void)
{
	struct ex_seen *s = ex_seen_open(set, 0);
	unsigned char fp[EX_KEY_FP];
	unsigned lo = 0;

	add_range(s, 0, 100);
	ex_seen_commit_start(s);
	CHECK_U64(ex_seen_count(s), 0);
	CHECK_U64(ex_seen_pending(s), 100);
	CHECK_U64(held(s, 0, 100), 100);
	for (unsigned i = 0; i < 100; i++) {
		fp_of(s, i, fp);
		CHECK(ex_seen_add(s, fp) == 0);
		CHECK(ex_seen_unadd(s, fp) == 0); /* not pending: under way */
	}
	add_range(s, 100, 150);
	CHECK(ex_seen_commit_done(s, 1) == 1);
	CHECK(ex_seen_commit_fd(s) >= 0);
	CHECK_U64(ex_seen_count(s), 100);
	CHECK_U64(ex_seen_pending(s), 50);
	/* more groups than a journal holds, each started behind the last,
	 * and growths (from 1024 slots) while one is under way */
	for (lo = 150; lo < 150 + 70000; lo += 700) {
		ex_seen_commit_start(s);
		add_range(s, lo, lo + 700);
		if (lo % 1400 == 150)
			CHECK(ex_seen_commit_done(s, 1) == 1);
	}
	CHECK_U64(held(s, 0, lo), lo);
	ex_seen_commit(s);
	CHECK_U64(ex_seen_pending(s), 0);
	CHECK_U64(ex_seen_count(s), lo);
	CHECK_U64(held(s, lo, lo + 100), 0);
	/* a group under way at close is made durable; pending keys are not */
	ex_seen_commit_start(s);
	CHECK(ex_seen_commit_done(s, 1) == 1);
	add_range(s, lo, lo + 10);
	ex_seen_commit_start(s);
	add_range(s, lo + 10, lo + 20);
	ex_seen_close(s);
	s = ex_seen_open(set, 0);
	CHECK_U64(ex_seen_count(s), lo + 10);
	CHECK_U64(held(s, 0, lo + 10), lo + 10);
	CHECK_U64(held(s, lo + 10, lo + 20), 0);
	ex_seen_close(s);
	rmset();
}

/* Growth, its tables built in memory (the default for small ones) or in
 * temporary files (as for big sets, EXACTLY_BUILD_MEM=0). */
static void
growth(int infile)
{
	struct ex_seen *s;
	struct stat st;
	char t[128];

	if (infile)
		setenv("EXACTLY_BUILD_MEM", "0", 1);
	s = ex_seen_open(set, 0);
	/* one batch through several doublings */
	add_range(s, 0, 20000);
	CHECK(tmpfiles() == infile);
	CHECK_U64(ex_seen_pending(s), 20000);
	CHECK_U64(held(s, 0, 20000), 20000);
	ex_seen_commit(s);
	CHECK(tmpfiles() == 0);
	CHECK_U64(ex_seen_count(s), 20000);
	snprintf(t, sizeof t, "%s/table", set);
	CHECK(stat(t, &st) == 0 && st.st_size == 4096 + 16 * 32768);
	/* a batch that must grow and is never committed leaves nothing */
	add_range(s, 20000, 40000);
	CHECK(tmpfiles() == infile);
	ex_seen_close(s);
	s = ex_seen_open(set, 0);
	CHECK(tmpfiles() == 0);
	CHECK_U64(ex_seen_count(s), 20000);
	CHECK_U64(held(s, 20000, 40000), 0);
	CHECK_U64(held(s, 0, 20000), 20000);
	/* small commits go through the journal, many checkpoints on */
	ex_seen_close(s);
	setenv("EXACTLY_JOURNAL_MAX", "20000", 1);
	s = ex_seen_open(set, 0);
	for (unsigned i = 20000; i < 120000; i += 1000) {
		add_range(s, i, i + 1000);
		ex_seen_commit(s);
	}
	ex_seen_close(s);
	unsetenv("EXACTLY_JOURNAL_MAX");
	s = ex_seen_open(set, 0);
	CHECK_U64(ex_seen_count(s), 120000);
	CHECK_U64(held(s, 0, 120000), 120000);
	CHECK(stat(t, &st) == 0 && st.st_size == 4096 + 16 * 262144);
	ex_seen_close(s);
	unsetenv("EXACTLY_BUILD_MEM");
	rmset();
}

/* The journal of a big table holds a quarter of its slots in keys before
 * a checkpoint writes the table back, however low EXACTLY_JOURNAL_MAX. */
static void
journal_quarter(void)
{
	struct ex_seen *s;
	struct stat st;
	char j[128];

	snprintf(j, sizeof j, "%s/journal", set);
	setenv("EXACTLY_JOURNAL_MAX", "100", 1);
	s = ex_seen_open(set, 0);
	add_range(s, 0, 30000); /* a table of 65536 slots */
	ex_seen_commit(s);
	for (unsigned i = 30000; i < 46000; i += 1000) {
		add_range(s, i, i + 1000);
		ex_seen_commit(s);
	}
	CHECK(stat(j, &st) == 0 && st.st_size == 64 + 16 * 16000);
	add_range(s, 46000, 47000);
	ex_seen_commit(s); /* past 16384: a checkpoint */
	CHECK(stat(j, &st) == 0 && st.st_size == 64);
	ex_seen_close(s);
	unsetenv("EXACTLY_JOURNAL_MAX");
	s = ex_seen_open(set, 0);
	CHECK_U64(held(s, 0, 47000), 47000);
	ex_seen_close(s);
	rmset();
}

/* Keys taken back before the commit (records not delivered after all)
 * are not recorded, the others are; through the journal and through
 * growth, its table in memory or in its file. */
static void
unadd(int infile)
{
	unsigned char fp[EX_KEY_FP];
	struct ex_seen *s;

	if (infile)
		setenv("EXACTLY_BUILD_MEM", "0", 1);
	s = ex_seen_open(set, 0);
	add_range(s, 0, 100);
	ex_seen_commit(s);
	for (unsigned n = 10; n <= 30000; n *= 3000) { /* journal, growth */
		unsigned lo = n == 10 ? 100 : 1000;

		add_range(s, lo, lo + n);
		for (unsigned i = lo; i < lo + n; i += 2) {
			fp_of(s, i, fp);
			CHECK(ex_seen_unadd(s, fp) == 1);
			CHECK(ex_seen_unadd(s, fp) == 0);
			CHECK(ex_seen_has(s, fp) == 0);
		}
		/* a committed key is not pending: never taken back */
		fp_of(s, 5, fp);
		CHECK(ex_seen_unadd(s, fp) == 0);
		CHECK_U64(ex_seen_pending(s), n / 2);
		CHECK_U64(held(s, lo, lo + n), n / 2);
		ex_seen_commit(s);
		ex_seen_close(s);
		s = ex_seen_open(set, 0);
		for (unsigned i = lo; i < lo + n; i++) {
			fp_of(s, i, fp);
			CHECK(ex_seen_has(s, fp) == (int)(i % 2));
		}
		CHECK_U64(held(s, 0, 100), 100);
		CHECK_U64(ex_seen_count(s), 100 + (n == 10 ? 5 : 5 + n / 2));
	}
	ex_seen_close(s);
	unsetenv("EXACTLY_BUILD_MEM");
	rmset();
}

/* ex_seen_expect is a hint: right, far too big or far too small, the
 * same keys are recorded, in a table of the same size as without it once
 * none are expected before the last commit; while a hint stands the
 * table keeps the size it asks for, so that its keys need no growth. */
static void
expect(void)
{
	static const uint64_t hint[] = { 20000, 1000000000, 10, 0 };
	struct stat st;
	char t[128];

	snprintf(t, sizeof t, "%s/table", set);
	for (size_t h = 0; h < sizeof hint / sizeof hint[0]; h++) {
		struct ex_seen *s = ex_seen_open(set, 0);

		ex_seen_expect(s, hint[h]);
		add_range(s, 0, 20000);
		CHECK_U64(held(s, 0, 20000), 20000);
		ex_seen_commit(s);
		/* more keys, a bigger hint: while it stands, a table sized
		 * for a hint far too big is not cut */
		ex_seen_expect(s, hint[h] * 10);
		add_range(s, 20000, 27000);
		ex_seen_commit(s);
		CHECK(stat(t, &st) == 0 && (st.st_size > 4096 + 16 * 65536) ==
		    (hint[h] > 1000000));
		/* the last commit, none expected: cut to size */
		ex_seen_expect(s, 0);
		ex_seen_commit(s);
		ex_seen_close(s);
		s = ex_seen_open(set, 0);
		CHECK_U64(ex_seen_count(s), 27000);
		CHECK_U64(held(s, 0, 27000), 27000);
		CHECK_U64(held(s, 27000, 28000), 0);
		CHECK(stat(t, &st) == 0 && st.st_size == 4096 + 16 * 65536);
		ex_seen_close(s);
		rmset();
	}
}

static struct ex_seen *
open_at(long long t, int64_t window)
{
	char v[32];
	struct ex_seen *s;

	snprintf(v, sizeof v, "%lld", t);
	setenv("EXACTLY_NOW", v, 1);
	s = ex_seen_open(set, 0);
	if (window)
		ex_seen_window(s, window);
	return s;
}

static void
window(void)
{
	struct ex_seen *s;

	/* window 100 s: a slice every 25 s */
	s = open_at(1000, 100000);
	add_range(s, 0, 10);
	ex_seen_commit(s);
	CHECK_U64(ex_seen_slices(s), 1);
	ex_seen_close(s);
	s = open_at(1024, 100000);
	CHECK_U64(ex_seen_slices(s), 1);
	add_range(s, 10, 20);
	ex_seen_commit(s);
	ex_seen_close(s);
	s = open_at(1025, 100000);
	CHECK_U64(ex_seen_slices(s), 2);
	add_range(s, 20, 30);
	ex_seen_commit(s);
	CHECK_U64(ex_seen_count(s), 30);
	ex_seen_close(s);
	/* the first slice's last commit was at 1024 */
	s = open_at(1123, 100000);
	CHECK_U64(held(s, 0, 30), 30);
	ex_seen_close(s);
	s = open_at(1124, 100000);
	CHECK_U64(held(s, 0, 20), 0);
	CHECK_U64(held(s, 20, 30), 10);
	CHECK_U64(ex_seen_count(s), 10);
	ex_seen_close(s);
	/* a clock set back: now is the latest commit, nothing forgotten */
	s = open_at(500, 100000);
	CHECK_U64(held(s, 20, 30), 10);
	add_range(s, 30, 40);
	ex_seen_commit(s);
	ex_seen_close(s);
	s = open_at(1124, 100000);
	CHECK_U64(held(s, 30, 40), 10);
	ex_seen_close(s);
	/* a key found in no slice is added without looking again */
	{
		unsigned char fp[EX_KEY_FP];

		s = open_at(1124, 100000);
		fp_of(s, 1000, fp);
		CHECK(!ex_seen_has(s, fp));
		CHECK(ex_seen_add_absent(s, fp) == 1);
		CHECK(ex_seen_has(s, fp));
		CHECK(ex_seen_add(s, fp) == 0);
		ex_seen_commit(s);
		ex_seen_close(s);
		s = open_at(1124, 100000);
		CHECK(ex_seen_has(s, fp));
		ex_seen_close(s);
	}
	/* one known to be nowhere is added without any lookup; one that was
	 * there after all is still stored once */
	{
		unsigned char fp[EX_KEY_FP], old_fp[EX_KEY_FP];
		uint64_t n;

		s = open_at(1124, 100000);
		n = ex_seen_count(s);
		fp_of(s, 1001, fp);
		fp_of(s, 1000, old_fp);
		CHECK(!ex_seen_has(s, fp));
		CHECK(ex_seen_add_new(s, fp) == 1);
		CHECK(ex_seen_has(s, fp));
		CHECK(ex_seen_add_new(s, old_fp) == 1);
		ex_seen_commit(s);
		CHECK_U64(ex_seen_count(s), n + 1);
		ex_seen_close(s);
		s = open_at(1124, 100000);
		CHECK(ex_seen_has(s, fp) && ex_seen_has(s, old_fp));
		CHECK_U64(ex_seen_count(s), n + 1);
		ex_seen_close(s);
	}
	/* without a window nothing goes, however late */
	s = open_at(99999999, 0);
	CHECK_U64(held(s, 20, 40), 20);
	ex_seen_close(s);
	/* and with one, everything */
	s = open_at(99999999, 100000);
	CHECK_U64(held(s, 0, 40), 0);
	CHECK_U64(ex_seen_count(s), 0);
	CHECK_U64(ex_seen_slices(s), 1);
	ex_seen_close(s);
	unsetenv("EXACTLY_NOW");
	rmset();
}

/* The in-memory set against an array of flags, keys 0..N-1. */
static void
fpset(void)
{
	enum { N = 5000 };
	static unsigned char in[N];
	unsigned char fp[EX_KEY_FP];
	struct ex_fpset f;
	size_t n = 0;
	uint64_t x = 88172645463325252u;

	ex_fpset_init(&f);
	for (int r = 0; r < 200000; r++) {
		unsigned k;

		unit_rand(&x);
		k = (unsigned)(x % N);
		/* fingerprints that share home slots: only the low bits of
		 * the first word differ much, so clusters form */
		memset(fp, 0, sizeof fp);
		fp[0] = (unsigned char)(k & 0x3f);
		fp[8] = (unsigned char)(k >> 6);
		fp[9] = (unsigned char)(k >> 14);
		fp[15] = 1;
		if (x >> 63) {
			CHECK(ex_fpset_add(&f, fp) == !in[k]);
			n += !in[k];
			in[k] = 1;
		} else {
			CHECK(ex_fpset_del(&f, fp) == in[k]);
			n -= in[k];
			in[k] = 0;
		}
		if (r % 1000 == 0)
			for (unsigned j = 0; j < N; j++) {
				memset(fp, 0, sizeof fp);
				fp[0] = (unsigned char)(j & 0x3f);
				fp[8] = (unsigned char)(j >> 6);
				fp[9] = (unsigned char)(j >> 14);
				fp[15] = 1;
				CHECK(ex_fpset_has(&f, fp) == in[j]);
			}
	}
	CHECK_U64(f.n, n);
	ex_fpset_clear(&f);
	CHECK_U64(f.n, 0);
	ex_fpset_free(&f);
}

/* The log of a set that keeps one: what was added, in order, through
 * growth and repeats; none once a key was removed, until it is empty. */
static void
fpset_log(void)
{
	enum { N = 10000 };
	static unsigned char want[16 * N];
	unsigned char fp[EX_KEY_FP];
	struct ex_fpset f;
	const unsigned char *log;

	ex_fpset_init(&f);
	CHECK(ex_fpset_logged(&f) == NULL); /* not asked for */
	ex_fpset_log(&f);
	for (int round = 0; round < 2; round++) {
		/* N keys, each added twice: the repeat is not logged; N
		 * takes the set past 4096 slots, which a clear gives back */
		for (unsigned k = 0; k < N; k++) {
			memset(fp, 0, sizeof fp);
			memcpy(fp, &k, sizeof k);
			fp[8] = (unsigned char)round;
			fp[15] = 1;
			memcpy(want + 16 * k, fp, 16);
			CHECK(ex_fpset_add(&f, fp) == 1);
			CHECK(ex_fpset_add(&f, fp) == 0);
		}
		CHECK_U64(f.n, N);
		CHECK((log = ex_fpset_logged(&f)) != NULL);
		CHECK(log && memcmp(log, want, sizeof want) == 0);
		CHECK(ex_fpset_del(&f, want + 16 * 7) == 1);
		CHECK(ex_fpset_logged(&f) == NULL);
		ex_fpset_clear(&f);
		CHECK_U64(f.n, 0);
	}
	/* a small set, cleared without giving its memory back */
	for (unsigned k = 0; k < 10; k++)
		CHECK(ex_fpset_add(&f, want + 16 * k) == 1);
	ex_fpset_clear(&f);
	CHECK(ex_fpset_add(&f, want + 16 * 3) == 1);
	CHECK((log = ex_fpset_logged(&f)) != NULL);
	CHECK(log && memcmp(log, want + 16 * 3, 16) == 0);
	ex_fpset_free(&f);
}

int
main(void)
{
	ex_setprog("seen_test");
	snprintf(dir, sizeof dir, "/tmp/seen_test.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(set, sizeof set, "%s/set", dir);
	pending_then_committed();
	overlapped();
	growth(0);
	growth(1);
	unadd(0);
	unadd(1);
	expect();
	journal_quarter();
	window();
	fpset();
	fpset_log();
	rmdir(dir);
	return unit_done("seen_test");
}
