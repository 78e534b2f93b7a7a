#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "durable.h"
#include "err.h"
#include "lock.h"
#include "seen.h"
#include "writeall.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the seen-set's on-disk words are little-endian"
#endif

#define HDR_BLOCK  4096  /* slots start here, page-aligned */
#define HDR_LEN    128   /* one copy of the table header */
#define HDR_COPY   512   /* copy 1 sits in the next sector */
#define HDR_SUM    112   /* checksum over bytes [0, HDR_SUM) */
#define JHDR_LEN   64
#define JHDR_SUM   48
#define VERSION    1
#define LOG2_MIN   10    /* a new set: 1024 slots, 16 KiB */
#define LOG2_MAX   40
#define MAXLOAD(cap) ((cap) / 5 * 4) /* 80 %: doubling leaves 40 % */
#define FPSET_MIN  64

static const unsigned char tmagic[8] = { 0x89, 'S', 'E', 'E', 'N', '\r', '\n', 0x1a };
static const unsigned char jmagic[8] = { 0x89, 'S', 'E', 'E', 'N', 'J', '\n', 0x1a };

struct ex_seen {
	char *path, *tpath, *jpath, *tmppath;
	int lockfd, tfd, jfd;
	unsigned char secret[16], setid[16];
	unsigned char *map;
	size_t maplen;
	uint64_t *slots;
	uint64_t cap, count, gen, jrecs;
	unsigned log2cap;
	struct ex_fpset pend;
};

/* ---- fingerprints as two words ------------------------------------------ */

static void
words(const unsigned char *fp, uint64_t *a, uint64_t *b)
{
	memcpy(a, fp, 8);
	memcpy(b, fp + 8, 8);
}

/* Find (a, b) in a table of cap slots: 1 with *pos its slot, or 0 with
 * *pos the empty slot where it goes.  Counts keep every table below 80 %
 * full; a full one can only be a damaged file, refused rather than
 * searched for ever. */
static int
probe(const uint64_t *t, uint64_t mask, uint64_t a, uint64_t b, uint64_t *pos)
{
	uint64_t i = a & mask;

	for (uint64_t k = 0; k <= mask; k++) {
		uint64_t x = t[2 * i], y = t[2 * i + 1];

		if (x == a && y == b) {
			*pos = i;
			return 1;
		}
		if ((x | y) == 0) {
			*pos = i;
			return 0;
		}
		i = (i + 1) & mask;
	}
	ex_diex(EXIT_DATA, "seen-set table full: its header's count is wrong");
}

/* Insert into a table known not to hold (a, b). */
static void
put(uint64_t *t, uint64_t mask, uint64_t a, uint64_t b)
{
	uint64_t i = a & mask;

	while (t[2 * i] | t[2 * i + 1])
		i = (i + 1) & mask;
	t[2 * i] = a;
	t[2 * i + 1] = b;
}

/* ---- the in-memory set --------------------------------------------------- */

#define BIG (2u << 20)

/* Zeroed slots; big tables get huge pages, since every access is random
 * and would otherwise miss the TLB as well as the cache. */
static uint64_t *
zalloc(size_t cap)
{
	size_t n = 2 * cap * sizeof(uint64_t);
	void *p;

	if (n < BIG) {
		if (!(p = calloc(1, n)))
			ex_die(EXIT_FAILURE, "calloc");
		return p;
	}
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		ex_die(EXIT_FAILURE, "mmap %zu bytes", n);
	madvise(p, n, MADV_HUGEPAGE);
	return p;
}

static void
zfree(uint64_t *p, size_t cap)
{
	size_t n = 2 * cap * sizeof(uint64_t);

	if (n < BIG)
		free(p);
	else if (p)
		munmap(p, n);
}

void
ex_fpset_init(struct ex_fpset *s)
{
	s->cap = FPSET_MIN;
	s->n = 0;
	s->slot = zalloc(s->cap);
}

void
ex_fpset_free(struct ex_fpset *s)
{
	zfree(s->slot, s->cap);
	s->slot = NULL;
}

int
ex_fpset_has(const struct ex_fpset *s, const unsigned char *fp)
{
	uint64_t a, b, pos;

	if (s->n == 0)
		return 0;
	words(fp, &a, &b);
	return probe(s->slot, s->cap - 1, a, b, &pos);
}

static void
fpset_grow(struct ex_fpset *s)
{
	uint64_t *old = s->slot;
	size_t ocap = s->cap;

	s->cap *= 2;
	s->slot = zalloc(s->cap);
	for (size_t i = 0; i < ocap; i++)
		if (old[2 * i] | old[2 * i + 1])
			put(s->slot, s->cap - 1, old[2 * i], old[2 * i + 1]);
	zfree(old, ocap);
}

int
ex_fpset_add(struct ex_fpset *s, const unsigned char *fp)
{
	uint64_t a, b, pos;

	words(fp, &a, &b);
	if (probe(s->slot, s->cap - 1, a, b, &pos))
		return 0;
	if (2 * (s->n + 1) > s->cap) {
		fpset_grow(s);
		put(s->slot, s->cap - 1, a, b);
	} else {
		s->slot[2 * pos] = a;
		s->slot[2 * pos + 1] = b;
	}
	s->n++;
	return 1;
}

int
ex_fpset_del(struct ex_fpset *s, const unsigned char *fp)
{
	uint64_t a, b, i, mask = s->cap - 1;

	words(fp, &a, &b);
	if (s->n == 0 || !probe(s->slot, mask, a, b, &i))
		return 0;
	/* Backward-shift deletion: pull later members of the cluster into
	 * the hole when their home slot allows it, so no tombstones. */
	for (uint64_t j = i;;) {
		uint64_t home;

		j = (j + 1) & mask;
		if ((s->slot[2 * j] | s->slot[2 * j + 1]) == 0)
			break;
		home = s->slot[2 * j] & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->slot[2 * i] = s->slot[2 * j];
			s->slot[2 * i + 1] = s->slot[2 * j + 1];
			i = j;
		}
	}
	s->slot[2 * i] = s->slot[2 * i + 1] = 0;
	s->n--;
	return 1;
}

void
ex_fpset_clear(struct ex_fpset *s)
{
	if (s->cap > 4096) { /* a big batch is over: give the memory back */
		ex_fpset_free(s);
		ex_fpset_init(s);
		return;
	}
	memset(s->slot, 0, 2 * s->cap * sizeof *s->slot);
	s->n = 0;
}

/* ---- headers ------------------------------------------------------------- */

static void
le64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void
checksum(unsigned char *sum, const unsigned char *p, size_t n)
{
	crypto_generichash(sum, 16, p, n, NULL, 0);
}

static void
thdr_fmt(const struct ex_seen *s, unsigned char *h)
{
	uint32_t v = VERSION, l = s->log2cap;

	memset(h, 0, HDR_LEN);
	memcpy(h, tmagic, 8);
	memcpy(h + 8, &v, 4);
	memcpy(h + 12, &l, 4);
	memcpy(h + 16, s->secret, 16);
	memcpy(h + 32, s->setid, 16);
	le64(h + 48, s->count);
	le64(h + 56, s->gen);
	checksum(h + HDR_SUM, h, HDR_SUM);
}

/* NULL if h is a valid header (fields copied to s), else why not. */
static const char *
thdr_parse(struct ex_seen *s, const unsigned char *h)
{
	unsigned char sum[16];
	uint32_t v, l;

	if (memcmp(h, tmagic, 8) != 0)
		return "not a seen-set table (bad magic)";
	memcpy(&v, h + 8, 4);
	if (v != VERSION)
		return "unknown seen-set version";
	checksum(sum, h, HDR_SUM);
	if (memcmp(sum, h + HDR_SUM, 16) != 0)
		return "corrupt header (bad checksum)";
	memcpy(&l, h + 12, 4);
	if (l < LOG2_MIN || l > LOG2_MAX)
		return "corrupt header (bad capacity)";
	s->log2cap = l;
	memcpy(s->secret, h + 16, 16);
	memcpy(s->setid, h + 32, 16);
	s->count = get64(h + 48);
	s->gen = get64(h + 56);
	if (s->count >= (uint64_t)1 << l)
		return "corrupt header (count exceeds capacity)";
	return NULL;
}

static void
jhdr_fmt(const struct ex_seen *s, unsigned char *h)
{
	uint32_t v = VERSION;

	memset(h, 0, JHDR_LEN);
	memcpy(h, jmagic, 8);
	memcpy(h + 8, &v, 4);
	memcpy(h + 16, s->setid, 16);
	le64(h + 32, s->gen);
	checksum(h + JHDR_SUM, h, JHDR_SUM);
}

/* ---- files --------------------------------------------------------------- */

static void
writefile(const char *path, const void *p, size_t n, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd < 0)
		ex_die(EXIT_IO, "open: %s", path);
	if (ex_writeall(fd, p, n) < 0)
		ex_die(EXIT_IO, "write: %s", path);
	if (size && ftruncate(fd, size) < 0)
		ex_die(EXIT_IO, "truncate: %s", path);
	ex_fsync(fd, path);
	if (close(fd) < 0)
		ex_die(EXIT_IO, "close: %s", path);
}

static off_t
tsize(unsigned log2cap)
{
	return (off_t)HDR_BLOCK + ((off_t)16 << log2cap);
}

/* Build a whole empty set in PATH.tmp/ and rename it into place. */
static void
create(struct ex_seen *s)
{
	char *dir = ex_strjoin(s->path, ".tmp");
	char *t = ex_strjoin(dir, "/table");
	char *j = ex_strjoin(dir, "/journal");
	unsigned char h[HDR_BLOCK], jh[JHDR_LEN];

	/* A crash while creating leaves PATH.tmp/; we hold the lock. */
	unlink(t);
	unlink(j);
	if (rmdir(dir) < 0 && errno != ENOENT)
		ex_die(EXIT_IO, "remove %s", dir);
	if (mkdir(dir, 0777) < 0)
		ex_die(EXIT_IO, "mkdir %s", dir);
	randombytes_buf(s->secret, sizeof s->secret);
	randombytes_buf(s->setid, sizeof s->setid);
	s->log2cap = LOG2_MIN;
	s->count = 0;
	s->gen = 0;
	memset(h, 0, sizeof h);
	thdr_fmt(s, h);
	writefile(t, h, sizeof h, tsize(s->log2cap));
	jhdr_fmt(s, jh);
	writefile(j, jh, sizeof jh, 0);
	ex_fsync_dir(t);
	if (rename(dir, s->path) < 0)
		ex_die(EXIT_IO, "rename: %s to %s", dir, s->path);
	ex_fsync_dir(s->path);
	free(t);
	free(j);
	free(dir);
}

static void
map_table(struct ex_seen *s)
{
	s->cap = (uint64_t)1 << s->log2cap;
	s->maplen = (size_t)tsize(s->log2cap);
	s->map = mmap(NULL, s->maplen, PROT_READ | PROT_WRITE, MAP_SHARED,
	    s->tfd, 0);
	if (s->map == MAP_FAILED)
		ex_die(EXIT_IO, "mmap: %s", s->tpath);
	/* Lookups are random: read-ahead would only fetch pages not needed. */
	madvise(s->map + HDR_BLOCK, s->maplen - HDR_BLOCK, MADV_RANDOM);
	s->slots = (uint64_t *)(void *)(s->map + HDR_BLOCK);
}

static void
open_table(struct ex_seen *s)
{
	unsigned char h[HDR_BLOCK];
	const char *why0, *why1;
	struct ex_seen c0, c1;
	struct stat st;
	ssize_t n;

	if ((s->tfd = open(s->tpath, O_RDWR | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			ex_diex(EXIT_DATA, "%s: missing from the seen-set", s->tpath);
		if (errno == EIO) /* the disk, not the state */
			ex_die(EXIT_IO, "open: %s", s->tpath);
		ex_die(EXIT_DATA, "%s", s->tpath);
	}
	if (fstat(s->tfd, &st) < 0)
		ex_die(EXIT_IO, "stat: %s", s->tpath);
	if (!S_ISREG(st.st_mode))
		ex_diex(EXIT_DATA, "%s: not a regular file", s->tpath);
	if (st.st_size < HDR_BLOCK)
		ex_diex(EXIT_DATA, "%s: truncated (%lld bytes)", s->tpath,
		    (long long)st.st_size);
	while ((n = pread(s->tfd, h, sizeof h, 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof h)
		ex_die(EXIT_IO, "read: %s", s->tpath);
	why0 = thdr_parse(&c0, h);
	why1 = thdr_parse(&c1, h + HDR_COPY);
	if (why0 && why1)
		ex_diex(EXIT_DATA, "%s: %s", s->tpath, why0);
	if (why0 || (!why1 && c1.gen > c0.gen))
		c0 = c1;
	s->log2cap = c0.log2cap;
	s->count = c0.count;
	s->gen = c0.gen;
	memcpy(s->secret, c0.secret, 16);
	memcpy(s->setid, c0.setid, 16);
	if (st.st_size != tsize(s->log2cap))
		ex_diex(EXIT_DATA, "%s: %s: %lld bytes, its header says %lld",
		    s->tpath, st.st_size < tsize(s->log2cap) ? "truncated" :
		    "wrong size", (long long)st.st_size,
		    (long long)tsize(s->log2cap));
	map_table(s);
}

/* Insert a committed key into the mapped table; 1 if it was new. */
static int
tab_add(struct ex_seen *s, uint64_t a, uint64_t b)
{
	uint64_t pos;

	if (probe(s->slots, s->cap - 1, a, b, &pos))
		return 0;
	if (s->count + 1 >= s->cap)
		ex_diex(EXIT_DATA, "%s: table full", s->tpath);
	s->slots[2 * pos] = a;
	s->slots[2 * pos + 1] = b;
	s->count++;
	return 1;
}

static void journal_reset(struct ex_seen *);

static void
open_journal(struct ex_seen *s)
{
	unsigned char h[JHDR_LEN], sum[16], buf[16 * 4096];
	struct stat st;
	uint64_t jgen, nrec = 0;
	off_t off, end;
	ssize_t n;
	uint64_t pos;

	if ((s->jfd = open(s->jpath, O_RDWR | O_APPEND | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			ex_diex(EXIT_DATA, "%s: missing from the seen-set", s->jpath);
		if (errno == EIO) /* the disk, not the state */
			ex_die(EXIT_IO, "open: %s", s->jpath);
		ex_die(EXIT_DATA, "%s", s->jpath);
	}
	if (fstat(s->jfd, &st) < 0)
		ex_die(EXIT_IO, "stat: %s", s->jpath);
	if (!S_ISREG(st.st_mode))
		ex_diex(EXIT_DATA, "%s: not a regular file", s->jpath);
	if (st.st_size < JHDR_LEN)
		ex_diex(EXIT_DATA, "%s: truncated (%lld bytes)", s->jpath,
		    (long long)st.st_size);
	if (pread(s->jfd, h, sizeof h, 0) != (ssize_t)sizeof h)
		ex_die(EXIT_IO, "read: %s", s->jpath);
	if (memcmp(h, jmagic, 8) != 0)
		ex_diex(EXIT_DATA, "%s: not a seen-set journal (bad magic)",
		    s->jpath);
	checksum(sum, h, JHDR_SUM);
	if (memcmp(sum, h + JHDR_SUM, 16) != 0)
		ex_diex(EXIT_DATA, "%s: corrupt header (bad checksum)", s->jpath);
	if (memcmp(h + 16, s->setid, 16) != 0)
		ex_diex(EXIT_DATA, "%s: journal of another seen-set", s->jpath);
	/* The journal follows the checkpoint of its generation; one behind
	 * means a checkpoint or growth made its keys durable in the table
	 * (and counted them) but died before emptying it. */
	jgen = get64(h + 32);
	if (jgen != s->gen && jgen + 1 != s->gen)
		ex_diex(EXIT_DATA, "%s: generation %llu, the table's is %llu",
		    s->jpath, (unsigned long long)jgen,
		    (unsigned long long)s->gen);

	/* Replay: keys committed since the last checkpoint. */
	end = JHDR_LEN + (st.st_size - JHDR_LEN) / 16 * 16;
	for (off = JHDR_LEN; off < end; off += n) {
		size_t want = (size_t)(end - off) < sizeof buf ?
		    (size_t)(end - off) : sizeof buf;

		if ((n = pread(s->jfd, buf, want, off)) <= 0) {
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			ex_die(EXIT_IO, "read: %s", s->jpath);
		}
		n -= n % 16;
		for (ssize_t i = 0; i < n; i += 16) {
			uint64_t a, b;

			words(buf + i, &a, &b);
			if ((a | b) == 0)
				continue;
			/* Present already if the kernel wrote its page of
			 * the table back before the crash. */
			if (!probe(s->slots, s->cap - 1, a, b, &pos)) {
				if (s->count + nrec + 1 >= s->cap)
					ex_diex(EXIT_DATA, "%s: table full",
					    s->tpath);
				s->slots[2 * pos] = a;
				s->slots[2 * pos + 1] = b;
			}
			nrec++;
		}
	}
	s->jrecs = (uint64_t)(end - JHDR_LEN) / 16;
	if (jgen != s->gen) {
		journal_reset(s);
		return;
	}
	/* Every journal key was new when committed: none is in the count. */
	s->count += nrec;
	/* A torn last record (its commit never returned) must not shift the
	 * records appended after it. */
	if (end != st.st_size && ftruncate(s->jfd, end) < 0)
		ex_die(EXIT_IO, "truncate: %s", s->jpath);
}

struct ex_seen *
ex_seen_open(const char *path, int lockflags)
{
	struct ex_seen *s = ex_malloc(sizeof *s);
	struct stat st;

	if (sodium_init() < 0)
		ex_diex(EXIT_FAILURE, "libsodium failed to initialise");
	memset(s, 0, sizeof *s);
	s->path = ex_strjoin(path, "");
	s->tpath = ex_strjoin(path, "/table");
	s->jpath = ex_strjoin(path, "/journal");
	s->tmppath = ex_strjoin(path, "/table.tmp");
	s->lockfd = ex_lock(path, lockflags);
	if (stat(path, &st) < 0) {
		if (errno == EIO)
			ex_die(EXIT_IO, "stat: %s", path);
		if (errno != ENOENT)
			ex_die(EXIT_DATA, "%s", path);
		/* A link to nothing is a set that is not there (a disk not
		 * mounted), not a new one: creating it failed only late, at
		 * the rename over the link, leaving PATH.tmp behind. */
		if (lstat(path, &st) == 0)
			ex_diex(EXIT_DATA, "%s: a symbolic link to nothing", path);
		create(s);
	} else if (!S_ISDIR(st.st_mode)) {
		ex_diex(EXIT_DATA, "%s: not a seen-set (not a directory)", path);
	}
	open_table(s);
	open_journal(s);
	unlink(s->tmppath); /* a growth that a crash interrupted */
	ex_fpset_init(&s->pend);
	return s;
}

void
ex_seen_fp(const struct ex_seen *s, const void *key, size_t n,
    unsigned char *fp)
{
	static const unsigned char zero[EX_FP_LEN];

	crypto_shorthash_siphashx24(fp, key, n, s->secret);
	if (memcmp(fp, zero, EX_FP_LEN) == 0)
		fp[0] = 1;
}

void
ex_seen_prefetch(const struct ex_seen *s, const unsigned char *fp)
{
	uint64_t a;

	memcpy(&a, fp, 8);
	__builtin_prefetch(&s->slots[2 * (a & (s->cap - 1))]);
	if (s->pend.n)
		__builtin_prefetch(&s->pend.slot[2 * (a & (s->pend.cap - 1))]);
}

int
ex_seen_has(const struct ex_seen *s, const unsigned char *fp)
{
	uint64_t a, b, pos;

	words(fp, &a, &b);
	return probe(s->slots, s->cap - 1, a, b, &pos) ||
	    ex_fpset_has(&s->pend, fp);
}

int
ex_seen_add(struct ex_seen *s, const unsigned char *fp)
{
	uint64_t a, b, pos;

	words(fp, &a, &b);
	if (probe(s->slots, s->cap - 1, a, b, &pos))
		return 0;
	return ex_fpset_add(&s->pend, fp);
}

uint64_t
ex_seen_count(const struct ex_seen *s)
{
	return s->count;
}

size_t
ex_seen_pending(const struct ex_seen *s)
{
	return s->pend.n;
}

static void
journal_reset(struct ex_seen *s)
{
	unsigned char h[JHDR_LEN];

	jhdr_fmt(s, h);
	ex_replace(s->jpath, h, sizeof h);
	close(s->jfd);
	if ((s->jfd = open(s->jpath, O_RDWR | O_APPEND | O_CLOEXEC)) < 0)
		ex_die(EXIT_IO, "open: %s", s->jpath);
	s->jrecs = 0;
}

static void
checkpoint(struct ex_seen *s)
{
	s->gen++;
	thdr_fmt(s, s->map + (s->gen % 2) * HDR_COPY);
	ex_fsync(s->tfd, s->tpath);
	journal_reset(s);
}

/* The commit by growth: a table of 2^log2 slots holding the table and the
 * pending keys, built in memory, written to SEEN/table.tmp in one go and
 * renamed into place. */
static void
grow(struct ex_seen *s, unsigned log2)
{
	struct ex_seen n = *s;
	unsigned char h[HDR_BLOCK];
	uint64_t *t;
	size_t i;

	n.log2cap = log2;
	n.cap = (uint64_t)1 << log2;
	/* Doubling only adds bits to the slot index, so each pass writes the
	 * new table almost in order; the pending set, when it has the new
	 * size already, becomes the table. */
	if (s->pend.cap == n.cap) {
		t = s->pend.slot;
	} else {
		t = zalloc(n.cap);
		for (i = 0; i < s->pend.cap; i++)
			if (s->pend.slot[2 * i] | s->pend.slot[2 * i + 1])
				put(t, n.cap - 1, s->pend.slot[2 * i],
				    s->pend.slot[2 * i + 1]);
	}
	for (i = 0; i < s->cap; i++)
		if (s->slots[2 * i] | s->slots[2 * i + 1])
			put(t, n.cap - 1, s->slots[2 * i], s->slots[2 * i + 1]);
	n.count = s->count + s->pend.n;
	n.gen = s->gen + 1;
	memset(h, 0, sizeof h);
	thdr_fmt(&n, h + (n.gen % 2) * HDR_COPY);
	if ((n.tfd = open(s->tmppath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) < 0)
		ex_die(EXIT_IO, "open: %s", s->tmppath);
	if (ex_writeall(n.tfd, h, sizeof h) < 0 ||
	    ex_writeall(n.tfd, t, (size_t)n.cap * 16) < 0)
		ex_die(EXIT_IO, "write: %s", s->tmppath);
	ex_fsync(n.tfd, s->tmppath);
	if (rename(s->tmppath, s->tpath) < 0)
		ex_die(EXIT_IO, "rename: %s to %s", s->tmppath, s->tpath);
	ex_fsync_dir(s->tpath);
	if (t != s->pend.slot)
		zfree(t, n.cap);
	munmap(s->map, s->maplen);
	close(s->tfd);
	map_table(&n);
	*s = n;
	ex_fpset_clear(&s->pend);
	journal_reset(s);
}

void
ex_seen_commit(struct ex_seen *s)
{
	size_t n = s->pend.n, k = 0;
	unsigned log2 = s->log2cap;
	unsigned char *buf;

	if (n == 0)
		return;
	while (s->count + n > MAXLOAD((uint64_t)1 << log2))
		log2++;
	if (log2 != s->log2cap) {
		if (log2 > LOG2_MAX)
			ex_diex(EXIT_DATA, "%s: more keys than a seen-set holds",
			    s->path);
		grow(s, log2);
		return;
	}
	buf = ex_malloc(n * 16);
	for (size_t i = 0; i < s->pend.cap; i++)
		if (s->pend.slot[2 * i] | s->pend.slot[2 * i + 1]) {
			memcpy(buf + 16 * k, &s->pend.slot[2 * i], 16);
			k++;
		}
	if (ex_writeall(s->jfd, buf, n * 16) < 0)
		ex_die(EXIT_IO, "write: %s", s->jpath);
	ex_fsync(s->jfd, s->jpath);
	/* Durable: only now may the mapped table hold them. */
	for (size_t i = 0; i < n; i++) {
		uint64_t a, b;

		words(buf + 16 * i, &a, &b);
		tab_add(s, a, b);
	}
	free(buf);
	s->jrecs += n;
	ex_fpset_clear(&s->pend);
	if (s->jrecs > SEEN_JOURNAL_MAX)
		checkpoint(s);
}

void
ex_seen_close(struct ex_seen *s)
{
	if (s->jrecs)
		checkpoint(s);
	munmap(s->map, s->maplen);
	close(s->tfd);
	close(s->jfd);
	close(s->lockfd);
	ex_fpset_free(&s->pend);
	free(s->path);
	free(s->tpath);
	free(s->jpath);
	free(s->tmppath);
	free(s);
}
