#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "durable.h"
#include "err.h"
#include "fptab.h"
#include "lock.h"
#include "seen.h"
#include "sip.h"
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
#define LOG2_MIN   10    /* a new slice: 1024 slots, 16 KiB */
#define LOG2_MAX   40
#define MAXLOAD(cap) ((cap) / 5 * 4) /* 80 %: doubling leaves 40 % */
#define SLICES     4     /* a window is this many slices wide */
#define ZERO_CHUNK (1u << 20)
/* A table being built up to this size is built in memory and written
 * once when committed; a bigger one is built in its file, so that growing
 * a big set never needs the new table in memory.  EXACTLY_BUILD_MEM
 * (bytes) sets another limit, so tests can take the path of big sets. */
#define MEM_BUILD_MAX ((size_t)256 << 20)

static const unsigned char tmagic[8] = { 0x89, 'S', 'E', 'E', 'N', '\r', '\n', 0x1a };
static const unsigned char jmagic[8] = { 0x89, 'S', 'E', 'E', 'N', 'J', '\n', 0x1a };

/* One slice's table, or a table being built (tmp set). */
struct tab {
	char *path;              /* SEEN/table or SEEN/slice.N */
	char *tmp;               /* being built: its temporary file */
	int fd;
	unsigned char *map;
	size_t maplen;
	uint64_t *slots, mask;
	unsigned log2;
	uint64_t id, count, gen;
	uint64_t oldest;         /* the oldest slice held, as of this one */
	int64_t tfirst, tlast;   /* ms since the epoch; 0: not known */
};

/* Where a lookup looks, newest first. */
struct view {
	const uint64_t *slots;
	uint64_t mask;
};

struct ex_seen {
	char *path, *jpath;
	int lockfd, dirfd, jfd;  /* PATH.lock, PATH itself, the journal */
	unsigned char secret[16], setid[16];
	struct tab **tab;        /* by slice number; the last is current */
	size_t ntab;
	struct tab *shadow;      /* growth under way: current + pending */
	struct ex_fpset pend;    /* pending keys, when no shadow */
	struct ex_fpset fly;     /* a group commit under way: its keys */
	unsigned char *flybuf;   /* ... as appended to the journal, or NULL */
	size_t flyn;             /* ... how many */
	uint64_t flynew;         /* ... how many the worker stored as new */
	struct ex_bg *bg;        /* the worker that appends and fsyncs them */
	uint64_t jrecs;          /* records in the journal */
	uint64_t jmax;           /* more, and a checkpoint empties it (or a
	                          * quarter of the table's slots, if more) */
	int64_t window;          /* ms; 0: forget nothing */
	int64_t fixednow;        /* EXACTLY_NOW in ms; 0: the clock */
	size_t buildmem;         /* the largest table built in memory */
	uint64_t expect;         /* ex_seen_expect's hint, for the next growth */
	int guessed;             /* the current table was sized for it */
	int hdirty;              /* current's times are newer than its header */
	struct view *view;
	size_t nview;
};

/* What a table header says. */
struct hdr {
	unsigned log2;
	unsigned char secret[16], setid[16];
	uint64_t count, gen, id, oldest;
	int64_t tfirst, tlast;
};

static struct tab *
cur(const struct ex_seen *s)
{
	return s->tab[s->ntab - 1];
}

/* ---- time ------------------------------------------------------------------ */

static int64_t
clock_ms(const struct ex_seen *s)
{
	struct timespec ts;

	if (s->fixednow)
		return s->fixednow;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wall clock, but never before a commit the set has recorded: a clock
 * set back must not make old keys look young, nor young ones old. */
static int64_t
now_ms(const struct ex_seen *s)
{
	int64_t t = clock_ms(s);

	for (size_t i = 0; i < s->ntab; i++)
		if (s->tab[i]->tlast > t)
			t = s->tab[i]->tlast;
	return t;
}

/* The number in environment variable name, or def if it is unset. */
static unsigned long long
env_number(const char *name, unsigned long long def, const char *what)
{
	const char *m = getenv(name);
	unsigned long long v;
	char *end;

	if (!m || !*m)
		return def;
	errno = 0;
	v = strtoull(m, &end, 10);
	if (*end || errno || m[0] == '-')
		ex_diex(EXIT_USAGE, "%s: not a number of %s: %s", name, what, m);
	return v;
}

/* The testing aids of seen.h but the clock: EXACTLY_BUILD_MEM and
 * EXACTLY_JOURNAL_MAX. */
static void
testing_aids(struct ex_seen *s)
{
	s->buildmem = (size_t)env_number("EXACTLY_BUILD_MEM", MEM_BUILD_MAX,
	    "bytes");
	s->jmax = env_number("EXACTLY_JOURNAL_MAX", EX_SEEN_JOURNAL_MAX,
	    "keys");
}

/* The last testing aid of seen.h: EXACTLY_NOW. */
static void
fixed_clock(struct ex_seen *s)
{
	const char *e = getenv("EXACTLY_NOW");
	char *end;
	long long v;

	if (!e || !*e)
		return;
	errno = 0;
	v = strtoll(e, &end, 10);
	if (*end || errno || v <= 0 || v > INT64_MAX / 1000)
		ex_diex(EXIT_USAGE, "EXACTLY_NOW: not a positive number of "
		    "seconds: %s", e);
	s->fixednow = (int64_t)v * 1000;
}

/* ---- headers --------------------------------------------------------------- */

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

/* Slice 0 is the layout of version 1; the others say 2. */
static uint32_t
version(uint64_t id)
{
	return id ? 2 : 1;
}

static void
thdr_fmt(const struct ex_seen *s, const struct tab *t, unsigned char *h)
{
	uint32_t v = version(t->id), l = t->log2;

	memset(h, 0, HDR_LEN);
	memcpy(h, tmagic, 8);
	memcpy(h + 8, &v, 4);
	memcpy(h + 12, &l, 4);
	memcpy(h + 16, s->secret, 16);
	memcpy(h + 32, s->setid, 16);
	le64(h + 48, t->count);
	le64(h + 56, t->gen);
	le64(h + 64, t->id);
	le64(h + 72, (uint64_t)t->tfirst);
	le64(h + 80, (uint64_t)t->tlast);
	le64(h + 88, t->oldest);
	checksum(h + HDR_SUM, h, HDR_SUM);
}

/* NULL if h is a valid header (fields in *o), else why not. */
static const char *
thdr_parse(struct hdr *o, const unsigned char *h)
{
	unsigned char sum[16];
	uint32_t v, l;

	if (memcmp(h, tmagic, 8) != 0)
		return "not a seen-set table (bad magic)";
	memcpy(&v, h + 8, 4);
	if (v != 1 && v != 2)
		return "unknown seen-set version";
	checksum(sum, h, HDR_SUM);
	if (memcmp(sum, h + HDR_SUM, 16) != 0)
		return "corrupt header (bad checksum)";
	memcpy(&l, h + 12, 4);
	if (l < LOG2_MIN || l > LOG2_MAX)
		return "corrupt header (bad capacity)";
	o->log2 = l;
	memcpy(o->secret, h + 16, 16);
	memcpy(o->setid, h + 32, 16);
	o->count = get64(h + 48);
	o->gen = get64(h + 56);
	o->id = get64(h + 64);
	o->tfirst = (int64_t)get64(h + 72);
	o->tlast = (int64_t)get64(h + 80);
	o->oldest = get64(h + 88);
	if (o->count >= (uint64_t)1 << l)
		return "corrupt header (count exceeds capacity)";
	if (version(o->id) != v || o->id > UINT32_MAX || o->oldest > o->id)
		return "corrupt header (bad slice number)";
	if (o->tfirst < 0 || o->tlast < 0)
		return "corrupt header (bad time)";
	return NULL;
}

/* The header of an empty journal of slice id at generation gen. */
static void
jhdr_fmt(const struct ex_seen *s, uint64_t id, uint64_t gen, unsigned char *h)
{
	uint32_t v = version(id), id32 = (uint32_t)id;

	memset(h, 0, JHDR_LEN);
	memcpy(h, jmagic, 8);
	memcpy(h + 8, &v, 4);
	memcpy(h + 12, &id32, 4);
	memcpy(h + 16, s->setid, 16);
	le64(h + 32, gen);
	/* no earlier than any commit before this reset: after a growth the
	 * new table's header was written before its fsync */
	le64(h + 40, (uint64_t)now_ms(s));
	checksum(h + JHDR_SUM, h, JHDR_SUM);
}

/* ---- files ------------------------------------------------------------------ */

static off_t
tsize(unsigned log2)
{
	return (off_t)HDR_BLOCK + ((off_t)16 << log2);
}

/* Die 74 naming what failed, having removed the file being built (and
 * dir, the new set's directory, if not NULL), so a full disk is not left
 * fuller. */
static _Noreturn void
die_building(const char *what, const char *tmp, const char *dir)
{
	int e = errno;

	unlink(tmp);
	if (dir)
		rmdir(dir);
	errno = e;
	ex_die(EXIT_IO, "%s: %s", what, tmp);
}

/* Allocate every block of a new, empty file of size bytes, so that
 * nothing written through a mapping of it can meet a full disk (a SIGBUS):
 * fallocate, or where the file system has none, zeros written through
 * write(2).  Either reports a full disk as ENOSPC.  Returns whether the
 * pages are still to be made (fallocate: see prefault). */
static int
reserve(int fd, off_t size, const char *tmp, const char *dir)
{
	static char zero[ZERO_CHUNK];

	if (fallocate(fd, 0, 0, size) == 0)
		return 1;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		die_building("allocate", tmp, dir);
	for (off_t off = 0; off < size;) {
		size_t n = size - off < (off_t)sizeof zero ?
		    (size_t)(size - off) : sizeof zero;
		ssize_t w = pwrite(fd, zero, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die_building("write", tmp, dir);
		off += w;
	}
	return 0;
}

static void
map_tab(struct tab *t)
{
	const char *name = t->tmp ? t->tmp : t->path;

	t->maplen = (size_t)tsize(t->log2);
	t->map = mmap(NULL, t->maplen, PROT_READ | PROT_WRITE, MAP_SHARED,
	    t->fd, 0);
	if (t->map == MAP_FAILED)
		ex_die(EXIT_IO, "mmap: %s", name);
	/* Lookups are random: read-ahead would only fetch pages not needed. */
	madvise(t->map + HDR_BLOCK, t->maplen - HDR_BLOCK, MADV_RANDOM);
	t->slots = (uint64_t *)(void *)(t->map + HDR_BLOCK);
	t->mask = ((uint64_t)1 << t->log2) - 1;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Map every page of a table being built writable before it is read.  A
 * first load would map it read-only and the store after it fault again,
 * into page_mkwrite, which on a file of large folios walks the whole
 * folio for each page: building a table would cost ten times over.  (The
 * fault path, the mapping being MADV_RANDOM, makes small folios, as
 * later inserts into the table want: see will_store.) */
static void
prefault(struct tab *t)
{
	if (madvise(t->map, t->maplen, MADV_POPULATE_WRITE) == 0)
		return;
	for (size_t i = 0; i < t->maplen; i += 4096)
		((volatile unsigned char *)t->map)[i] = 0;
}

/* Before an insert into a table of the set: make the first touch of the
 * home slot's page a store (a locked or of 0, which changes nothing).  A
 * load first would map it read-only and the store after it fault again,
 * into page_mkwrite, which on a file of large folios walks the whole
 * folio each time: inserts cost ten times over. */
static inline void
will_store(struct tab *t, uint64_t a)
{
	__atomic_fetch_or(&t->slots[2 * (a & t->mask)], 0, __ATOMIC_RELAXED);
}

static void
tab_free(struct tab *t)
{
	if (t->map)
		munmap(t->map, t->maplen);
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	free(t->tmp);
	free(t);
}

/* A new empty table of 2^log2 slots, with no header yet, to be committed
 * as path: in memory (fd -1, huge pages, since every access is random)
 * if it takes at most mem bytes, else in a temporary file beside path, its
 * blocks reserved, mapped.  A failure removes dir too (a new set's
 * directory), if not NULL. */
static struct tab *
tab_build(const char *path, uint64_t id, unsigned log2, const char *dir,
    size_t mem)
{
	struct tab *t = ex_malloc(sizeof *t);

	memset(t, 0, sizeof *t);
	t->path = ex_strjoin(path, "");
	t->id = id;
	t->log2 = log2;
	if ((size_t)tsize(log2) <= mem) {
		t->fd = -1;
		t->maplen = (size_t)tsize(log2);
		t->map = mmap(NULL, t->maplen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (t->map == MAP_FAILED)
			ex_die(EXIT_FAILURE, "mmap %zu bytes", t->maplen);
		madvise(t->map, t->maplen, MADV_HUGEPAGE);
		t->slots = (uint64_t *)(void *)(t->map + HDR_BLOCK);
		t->mask = ((uint64_t)1 << log2) - 1;
		return t;
	}
	t->fd = ex_tmpfile(path, &t->tmp);
	reserve(t->fd, tsize(log2), t->tmp, dir);
	map_tab(t);
	prefault(t);
	return t;
}

/* Write a table built in memory to a new temporary file beside its path,
 * its blocks reserved first: then it is one built in its file.  Written
 * in big pieces, each sent on to the disk (not waited for) once in the
 * page cache, so that the fsync of the commit finds most of it written
 * already.  Big pieces, because the size of a write decides the folios
 * the page cache holds the table in, and small ones make later inserts
 * dear: written in 1 MiB pieces, every later insert into a page written
 * back cost 40 us; 8 MiB pieces measured as cheap as one write.  Each
 * piece of memory written is given back at once, so the table is never
 * held twice (in memory and in the page cache), and the page cache takes
 * the pages just freed: on a virtual machine whose free memory goes back
 * to the host, fresh pages cost a host fault each, and a new 64 MiB
 * table took 50-88 ms to write that way, against 31-44 ms. */
#define TAB_PIECE (8 << 20)

static void
tab_to_file(struct tab *t)
{
	int fd = ex_tmpfile(t->path, &t->tmp);

	if (fallocate(fd, 0, 0, (off_t)t->maplen) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS)
		die_building("allocate", t->tmp, NULL);
	for (size_t at = 0; at < t->maplen; at += TAB_PIECE) {
		size_t n = t->maplen - at < TAB_PIECE ? t->maplen - at :
		    TAB_PIECE;

		if (ex_writeall(fd, t->map + at, n) < 0)
			die_building("write", t->tmp, NULL);
		/* a hint: what fails here fails again at the fsync */
		(void)sync_file_range(fd, (off_t)at, (off_t)n,
		    SYNC_FILE_RANGE_WRITE);
		(void)madvise(t->map + at, n, MADV_DONTNEED);
	}
	munmap(t->map, t->maplen);
	t->fd = fd;
	map_tab(t);
}

/* The path of slice id in the set. */
static char *
slice_path(const struct ex_seen *s, uint64_t id)
{
	char name[32];

	if (id == 0)
		return ex_strjoin(s->path, "/table");
	snprintf(name, sizeof name, "/slice.%llu", (unsigned long long)id);
	return ex_strjoin(s->path, name);
}

/* Write the header of t into its other copy with the next generation and
 * fsync: a checkpoint of the table alone. */
static void
hdr_write(struct ex_seen *s, struct tab *t)
{
	t->gen++;
	thdr_fmt(s, t, t->map + (t->gen % 2) * HDR_COPY);
	ex_fsync(t->fd, t->path);
	if (t == cur(s))
		s->hdirty = 0;
}

/* A new slice of the set, empty, committed under its name: the table of a
 * new set (in the set's directory being built), or the next slice. */
static void
new_slice(const struct ex_seen *s, const char *path, uint64_t id,
    uint64_t oldest, const char *dir)
{
	struct tab *t = tab_build(path, id, LOG2_MIN, dir, 0);
	unsigned char h[HDR_LEN];

	t->oldest = oldest;
	thdr_fmt(s, t, h);
	memcpy(t->map, h, sizeof h);
	ex_install(t->fd, t->tmp, path);
	tab_free(t);
}

static void
open_fail(const char *path)
{
	if (errno == ENOENT)
		ex_diex(EXIT_DATA, "%s: missing from the seen-set", path);
	if (errno == EIO) /* the disk, not the state */
		ex_die(EXIT_IO, "open: %s", path);
	if (errno == ELOOP)
		ex_diex(EXIT_DATA, "%s: not a regular file", path);
	ex_die(EXIT_DATA, "%s", path);
}

/* Open, check and map the table of slice id.  The first table opened
 * gives the set its secret and id; every other must have the same. */
static struct tab *
tab_open(struct ex_seen *s, uint64_t id, int first)
{
	unsigned char h[HDR_BLOCK];
	const char *why0, *why1;
	struct hdr c0, c1;
	struct tab *t = ex_malloc(sizeof *t);
	struct stat st;
	ssize_t n;

	memset(t, 0, sizeof *t);
	t->path = slice_path(s, id);
	if ((t->fd = open(t->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0)
		open_fail(t->path);
	if (fstat(t->fd, &st) < 0)
		ex_die(EXIT_IO, "stat: %s", t->path);
	if (!S_ISREG(st.st_mode))
		ex_diex(EXIT_DATA, "%s: not a regular file", t->path);
	if (st.st_size < HDR_BLOCK)
		ex_diex(EXIT_DATA, "%s: truncated (%lld bytes)", t->path,
		    (long long)st.st_size);
	while ((n = pread(t->fd, h, sizeof h, 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof h)
		ex_die(EXIT_IO, "read: %s", t->path);
	why0 = thdr_parse(&c0, h);
	why1 = thdr_parse(&c1, h + HDR_COPY);
	if (why0 && why1)
		ex_diex(EXIT_DATA, "%s: %s", t->path, why0);
	if (why0 || (!why1 && c1.gen > c0.gen))
		c0 = c1;
	if (c0.id != id)
		ex_diex(EXIT_DATA, "%s: its header says slice %llu", t->path,
		    (unsigned long long)c0.id);
	if (first) {
		memcpy(s->secret, c0.secret, 16);
		memcpy(s->setid, c0.setid, 16);
	} else if (memcmp(s->setid, c0.setid, 16) != 0 ||
	    memcmp(s->secret, c0.secret, 16) != 0)
		ex_diex(EXIT_DATA, "%s: slice of another seen-set", t->path);
	t->log2 = c0.log2;
	t->count = c0.count;
	t->gen = c0.gen;
	t->id = id;
	t->tfirst = c0.tfirst;
	t->tlast = c0.tlast;
	t->oldest = c0.oldest;
	if (st.st_size != tsize(t->log2))
		ex_diex(EXIT_DATA, "%s: %s: %lld bytes, its header says %lld",
		    t->path, st.st_size < tsize(t->log2) ? "truncated" :
		    "wrong size", (long long)st.st_size,
		    (long long)tsize(t->log2));
	/* Versions before 1.2 made a new table sparse, and a store into
	 * a hole on a full disk is a SIGBUS: allocate the holes once. */
	if ((off_t)st.st_blocks * 512 < st.st_size &&
	    fallocate(t->fd, 0, 0, st.st_size) < 0 && errno != EOPNOTSUPP &&
	    errno != ENOSYS)
		ex_die(EXIT_IO, "allocate: %s", t->path);
	map_tab(t);
	return t;
}

/* ---- the set's directory ------------------------------------------------------ */

/* Build a whole empty set in a new directory beside PATH and rename it
 * into place. */
static void
create(struct ex_seen *s)
{
	size_t n = strlen(s->path) + sizeof ".tmp.XXXXXXXX";
	char *dir = ex_malloc(n), *t, *j;
	unsigned char jh[JHDR_LEN];
	uint32_t r;
	int fd, dfd;

	/* mkdir never reuses what is there, a link included */
	for (int i = 0;; i++) {
		if (getrandom(&r, sizeof r, 0) != sizeof r)
			r = (uint32_t)getpid() * 2654435761u + (uint32_t)i;
		snprintf(dir, n, "%s.tmp.%08x", s->path, (unsigned)r);
		if (mkdir(dir, 0777) == 0)
			break;
		if (errno != EEXIST || i == 100)
			ex_die(EXIT_IO, "mkdir %s", dir);
	}
	t = ex_strjoin(dir, "/table");
	j = ex_strjoin(dir, "/journal");
	randombytes_buf(s->secret, sizeof s->secret);
	randombytes_buf(s->setid, sizeof s->setid);
	new_slice(s, t, 0, 0, dir);
	jhdr_fmt(s, 0, 0, jh);
	if ((fd = open(j, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0666)) < 0)
		ex_die(EXIT_IO, "open: %s", j);
	if (ex_writeall(fd, jh, sizeof jh) < 0)
		ex_die(EXIT_IO, "write: %s", j);
	ex_fsync(fd, j);
	close(fd);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		ex_die(EXIT_IO, "open: %s", dir);
	ex_install(dfd, dir, s->path);
	close(dfd);
	free(t);
	free(j);
	free(dir);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* A slice's number from its file name, or -1 if the name is not one. */
static int
slice_id(const char *name, uint64_t *id)
{
	const char *p;
	uint64_t v = 0;

	if (strcmp(name, "table") == 0) {
		*id = 0;
		return 0;
	}
	if (strncmp(name, "slice.", 6) != 0)
		return -1;
	p = name + 6;
	if (*p < '1' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	if (*p)
		return -1;
	*id = v;
	return 0;
}

/* The slices in the set's directory, by number, and the temporary files
 * a crash left there removed: they were never part of the set. */
static uint64_t *
scan(struct ex_seen *s, size_t *nids)
{
	DIR *d = opendir(s->path);
	struct dirent *e;
	uint64_t *ids = NULL, id;
	size_t n = 0, cap = 0;

	if (!d) {
		if (errno == EIO)
			ex_die(EXIT_IO, "open: %s", s->path);
		ex_die(EXIT_DATA, "%s", s->path);
	}
	errno = 0;
	while ((e = readdir(d))) {
		if (strstr(e->d_name, ".tmp.") ||
		    strcmp(e->d_name, "table.tmp") == 0) {
			if (unlinkat(dirfd(d), e->d_name, 0) < 0 &&
			    errno != ENOENT)
				ex_die(EXIT_IO, "unlink: %s/%s", s->path,
				    e->d_name);
		} else if (slice_id(e->d_name, &id) == 0) {
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				ids = ex_realloc(ids, cap * sizeof *ids);
			}
			ids[n++] = id;
		}
		errno = 0;
	}
	if (errno)
		ex_die(EXIT_IO, "read directory: %s", s->path);
	closedir(d);
	if (n) /* qsort takes no NULL, even for nothing */
		qsort(ids, n, sizeof *ids, cmp_u64);
	*nids = n;
	return ids;
}

static void
set_view(struct ex_seen *s)
{
	size_t k = 0;

	s->view = ex_realloc(s->view, s->ntab * sizeof *s->view);
	for (size_t i = s->ntab; i-- > 0;) {
		const struct tab *t = i == s->ntab - 1 && s->shadow ?
		    s->shadow : s->tab[i];

		if (k > 0 && t->count == 0)
			continue;
		s->view[k].slots = t->slots;
		s->view[k].mask = t->mask;
		k++;
	}
	s->nview = k;
}

/* ---- the journal --------------------------------------------------------------- */

static void
journal_reset(struct ex_seen *s)
{
	unsigned char h[JHDR_LEN];

	jhdr_fmt(s, cur(s)->id, cur(s)->gen, h);
	ex_replace(s->jpath, h, sizeof h);
	if (s->jfd >= 0)
		close(s->jfd);
	if ((s->jfd = open(s->jpath, O_RDWR | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		ex_die(EXIT_IO, "open: %s", s->jpath);
	s->jrecs = 0;
}

static void
checkpoint(struct ex_seen *s)
{
	hdr_write(s, cur(s));
	journal_reset(s);
}

/* Record that keys reached t at time now (or before it). */
static void
stamp(struct ex_seen *s, struct tab *t, int64_t now)
{
	if (t->tlast < now)
		t->tlast = now;
	if (!t->tfirst)
		t->tfirst = t->tlast;
	if (t == cur(s))
		s->hdirty = 1;
}

/* Replay fingerprints from the journal into t; how many were records. */
static uint64_t
replay(struct ex_seen *s, struct tab *t, off_t end)
{
	unsigned char buf[16 * 4096];
	uint64_t nrec = 0, pos;
	off_t off;
	ssize_t n;

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

			ex_fp_words(buf + i, &a, &b);
			if ((a | b) == 0)
				continue;
			will_store(t, a);
			/* Present already if the kernel wrote its page of
			 * the table back before the crash. */
			if (!ex_fptab_find(t->slots, t->mask, a, b, &pos)) {
				if (t->count + nrec + 1 >= t->mask + 1)
					ex_diex(EXIT_DATA, "%s: table full",
					    t->path);
				t->slots[2 * pos] = a;
				t->slots[2 * pos + 1] = b;
			}
			nrec++;
		}
	}
	return nrec;
}

static void
open_journal(struct ex_seen *s)
{
	unsigned char h[JHDR_LEN], sum[16];
	struct tab *t = NULL;
	struct stat st;
	uint64_t jgen, nrec;
	uint32_t v, jslice;
	int64_t jtime;
	off_t end;

	if ((s->jfd = open(s->jpath, O_RDWR | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		open_fail(s->jpath);
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
	memcpy(&v, h + 8, 4);
	memcpy(&jslice, h + 12, 4);
	if (v != version(jslice))
		ex_diex(EXIT_DATA, "%s: unknown seen-set version", s->jpath);
	if (memcmp(h + 16, s->setid, 16) != 0)
		ex_diex(EXIT_DATA, "%s: journal of another seen-set", s->jpath);
	jgen = get64(h + 32);
	jtime = (int64_t)get64(h + 40);
	for (size_t i = 0; i < s->ntab; i++)
		if (s->tab[i]->id == jslice)
			t = s->tab[i];
	if (!t)
		ex_diex(EXIT_DATA, "%s: journal of slice %u, which the set "
		    "lacks", s->jpath, (unsigned)jslice);
	/* The journal follows the checkpoint of its generation; one behind
	 * means a checkpoint or growth made its keys durable in the table
	 * (and counted them) but died before emptying it. */
	if (jgen != t->gen && jgen + 1 != t->gen)
		ex_diex(EXIT_DATA, "%s: generation %llu, the table's is %llu",
		    s->jpath, (unsigned long long)jgen,
		    (unsigned long long)t->gen);

	end = JHDR_LEN + (st.st_size - JHDR_LEN) / 16 * 16;
	nrec = replay(s, t, end);
	s->jrecs = (uint64_t)(end - JHDR_LEN) / 16;
	if (t == cur(s) && jtime > t->tlast)
		t->tlast = jtime;
	if (jgen == t->gen) /* every journal key was new when committed */
		t->count += nrec;
	if (t == cur(s)) {
		/* After a crash the keys' times are not known: they were
		 * committed before now, so now keeps them at least as long. */
		if (nrec || jgen != t->gen)
			stamp(s, t, now_ms(s));
		if (jgen == t->gen) {
			/* A torn last record (its commit never returned)
			 * must not shift the records appended after it. */
			if (end != st.st_size && ftruncate(s->jfd, end) < 0)
				ex_die(EXIT_IO, "truncate: %s", s->jpath);
			return;
		}
	} else if (jgen == t->gen && nrec) {
		/* A slice closed when the next one started, the journal not
		 * yet moved on: its keys are in its table, now under its
		 * header. */
		stamp(s, t, now_ms(s));
		hdr_write(s, t);
	}
	journal_reset(s);
}

/* Open the slices ids[0..n) (ascending, n > 0).  The newest says which
 * is the oldest held: one below it is a slice whose drop a crash
 * interrupted, removed now; one missing from it to the newest is damage. */
static void
open_slices(struct ex_seen *s, const uint64_t *ids, size_t n)
{
	struct tab *newest = tab_open(s, ids[n - 1], 1);
	uint64_t want = newest->oldest;
	size_t i = 0;

	s->tab = ex_malloc(n * sizeof *s->tab);
	for (; i + 1 < n && ids[i] < want; i++)
		ex_remove(slice_path(s, ids[i]));
	for (; want < newest->id; want++, i++) {
		if (i + 1 >= n || ids[i] != want)
			ex_diex(EXIT_DATA, "%s: missing from the seen-set",
			    slice_path(s, want));
		s->tab[s->ntab++] = tab_open(s, want, 0);
	}
	s->tab[s->ntab++] = newest;
}

struct ex_seen *
ex_seen_open(const char *path, int lockflags)
{
	struct ex_seen *s = ex_malloc(sizeof *s);
	struct stat st;
	uint64_t *ids;
	size_t n;

	if (sodium_init() < 0)
		ex_diex(EXIT_FAILURE, "libsodium failed to initialise");
	memset(s, 0, sizeof *s);
	s->jfd = -1;
	fixed_clock(s);
	testing_aids(s);
	s->path = ex_strjoin(path, "");
	s->jpath = ex_strjoin(path, "/journal");
	s->lockfd = ex_lock(path, lockflags);
	if (stat(path, &st) < 0) {
		if (errno == EIO)
			ex_die(EXIT_IO, "stat: %s", path);
		if (errno != ENOENT)
			ex_die(EXIT_DATA, "%s", path);
		/* A link to nothing is a set that is not there (a disk not
		 * mounted), not a new one: creating it failed only late, at
		 * the rename over the link. */
		if (lstat(path, &st) == 0)
			ex_diex(EXIT_DATA, "%s: a symbolic link to nothing", path);
		create(s);
	} else if (!S_ISDIR(st.st_mode)) {
		ex_diex(EXIT_DATA, "%s: not a seen-set (not a directory)", path);
	}
	s->dirfd = ex_lock_dir(path, lockflags);
	ids = scan(s, &n);
	if (n == 0) {
		char *t = slice_path(s, 0);

		ex_diex(EXIT_DATA, "%s: missing from the seen-set", t);
	}
	open_slices(s, ids, n);
	free(ids);
	open_journal(s);
	ex_fpset_init(&s->pend);
	ex_fpset_init(&s->fly);
	/* the journal's records are the pending keys listed: the two sets
	 * trade places at every group commit that overlaps (fly) */
	ex_fpset_log(&s->pend);
	ex_fpset_log(&s->fly);
	set_view(s);
	return s;
}

/* ---- the window ------------------------------------------------------------------ */

/* Close the current slice and start the next: its header gets the times
 * it will be judged by, the new slice is committed under its name, and
 * then the journal moves on to it. */
static void
roll(struct ex_seen *s)
{
	uint64_t id = cur(s)->id + 1;
	char *path;

	if (id > UINT32_MAX)
		ex_diex(EXIT_DATA, "%s: too many slices", s->path);
	if (s->jrecs || s->hdirty)
		hdr_write(s, cur(s));
	path = slice_path(s, id);
	new_slice(s, path, id, s->tab[0]->id, NULL);
	free(path);
	s->tab = ex_realloc(s->tab, (s->ntab + 1) * sizeof *s->tab);
	s->tab[s->ntab] = tab_open(s, id, 0);
	s->ntab++;
	s->hdirty = 0;
	journal_reset(s);
	set_view(s);
}

/* Drop the slices other than the current one whose last commit is a
 * window old: always the oldest ones, since slices take keys in turn.
 * The current slice's header records the new oldest first (a
 * checkpoint), so a slice below it is one a crash left, and one missing
 * above it is damage; then the files go, unlinked whole, never read. */
static void
drop_expired(struct ex_seen *s, int64_t now)
{
	size_t k = 0;

	while (k + 1 < s->ntab && s->tab[k]->tlast &&
	    now - s->tab[k]->tlast >= s->window)
		k++;
	if (k == 0)
		return;
	cur(s)->oldest = s->tab[k]->id;
	checkpoint(s);
	for (size_t i = 0; i < k; i++) {
		munmap(s->tab[i]->map, s->tab[i]->maplen);
		s->tab[i]->map = NULL;
		ex_remove(s->tab[i]->path);
		tab_free(s->tab[i]);
	}
	memmove(s->tab, s->tab + k, (s->ntab - k) * sizeof *s->tab);
	s->ntab -= k;
}

/* Between batches: drop the slices a window old, and start a slice every
 * quarter window.  Drops come first: on a full disk they make the room a
 * new slice needs. */
static void
maintain(struct ex_seen *s)
{
	int64_t now, width;
	struct tab *c;

	if (!s->window || s->shadow || s->pend.n)
		return;
	now = now_ms(s);
	width = s->window / SLICES ? s->window / SLICES : 1;
	c = cur(s);
	if (c->count && !c->tfirst) {
		/* keys recorded before times were kept: they are taken to
		 * be as young as now, and that is made durable at once */
		stamp(s, c, now);
		checkpoint(s);
	}
	drop_expired(s, now);
	if (c->count && now - c->tfirst >= width) {
		roll(s);
		drop_expired(s, now);
	}
	set_view(s);
}

void
ex_seen_window(struct ex_seen *s, int64_t ms)
{
	s->window = ms;
	maintain(s);
}

/* ---- keys ------------------------------------------------------------------------ */

/* A fingerprint is never all zeros: that is an empty slot. */
static void
nonzero(unsigned char *fp)
{
	static const unsigned char zero[EX_KEY_FP];

	if (memcmp(fp, zero, EX_KEY_FP) == 0)
		fp[0] = 1;
}

void
ex_seen_fp(const struct ex_seen *s, const void *key, size_t n,
    unsigned char *fp)
{
	crypto_shorthash_siphashx24(fp, key, n, s->secret);
	nonzero(fp);
}

void
ex_seen_fps(const struct ex_seen *s, size_t n,
    const unsigned char *const *key, const size_t *len,
    unsigned char *const *fp)
{
	size_t i = 0;

	for (; ex_sip16_ok() && i + EX_SIP_LANES <= n; i += EX_SIP_LANES) {
		int same = 1, j;

		for (j = 1; j < EX_SIP_LANES; j++)
			same &= len[i + j] / 8 == len[i] / 8;
		if (same) {
			ex_sip16(s->secret, key + i, len + i, fp + i);
			for (j = 0; j < EX_SIP_LANES; j++)
				nonzero(fp[i + j]);
		} else
			for (j = 0; j < EX_SIP_LANES; j++)
				ex_seen_fp(s, key[i + j], len[i + j],
				    fp[i + j]);
	}
	for (; i < n; i++)
		ex_seen_fp(s, key[i], len[i], fp[i]);
}

void
ex_seen_prefetch(const struct ex_seen *s, const unsigned char *fp)
{
	uint64_t a;

	memcpy(&a, fp, 8);
	for (size_t i = 0; i < s->nview; i++)
		ex_fptab_prefetch(s->view[i].slots, s->view[i].mask, a);
	ex_fpset_prefetch(&s->pend, fp);
}

/* In an older slice than the newest view. */
static int
in_older(const struct ex_seen *s, uint64_t a, uint64_t b)
{
	uint64_t pos;

	for (size_t i = 1; i < s->nview; i++)
		if (ex_fptab_find(s->view[i].slots, s->view[i].mask, a, b, &pos))
			return 1;
	return 0;
}

int
ex_seen_has(const struct ex_seen *s, const unsigned char *fp)
{
	uint64_t a, b, pos;

	ex_fp_words(fp, &a, &b);
	return ex_fptab_find(s->view[0].slots, s->view[0].mask, a, b, &pos) ||
	    in_older(s, a, b) || ex_fpset_has(&s->pend, fp) ||
	    ex_fpset_has(&s->fly, fp);
}

/* The shadow of the current slice, or a bigger one of the shadow: a new
 * table of 2^log2 slots with every key of from and, the first time, the
 * pending keys; it takes the batch's later keys directly. */
static void
shadow(struct ex_seen *s, const struct tab *from, unsigned log2)
{
	struct tab *c = cur(s), *t;

	if (log2 > LOG2_MAX)
		ex_diex(EXIT_DATA, "%s: more keys than a seen-set holds",
		    s->path);
	t = tab_build(c->path, c->id, log2, NULL, s->buildmem);
	/* Doubling only adds bits to the slot index (halving drops one),
	 * so this writes the new table almost in order, in two streams. */
	for (uint64_t i = 0; i <= from->mask; i++)
		if (from->slots[2 * i] | from->slots[2 * i + 1])
			ex_fptab_put(t->slots, t->mask, from->slots[2 * i],
			    from->slots[2 * i + 1]);
	t->count = from->count;
	if (from == c) {
		for (size_t i = 0; i < s->pend.cap; i++)
			if (s->pend.slot[2 * i] | s->pend.slot[2 * i + 1])
				ex_fptab_put(t->slots, t->mask,
				    s->pend.slot[2 * i],
				    s->pend.slot[2 * i + 1]);
		t->count += s->pend.n;
		ex_fpset_clear(&s->pend);
	} else {
		/* the old shadow was never part of the set */
		if (s->shadow->tmp)
			unlink(s->shadow->tmp);
		tab_free(s->shadow);
	}
	t->gen = c->gen;
	t->tfirst = c->tfirst;
	t->tlast = c->tlast;
	t->oldest = c->oldest;
	s->shadow = t;
	set_view(s);
}

/* The size at or below 2^log2 slots that leaves n keys 40 % to 80 % of
 * it, as every table of the set (none below 2^LOG2_MIN). */
static unsigned
fit(unsigned log2, uint64_t n)
{
	while (log2 > LOG2_MIN && n <= MAXLOAD((uint64_t)1 << log2) / 2)
		log2--;
	return log2;
}

/* The size of a growth to log2 with n keys, made bigger towards the keys
 * ex_seen_expect foresees, half full at them as a table in memory is
 * kept, if it stays in memory: one step instead of a doubling at every
 * power of two, each copying every key; a guess that is wrong costs at
 * most the in-memory limit (pages zeroed and one copy at the commit),
 * for one run. */
static unsigned
bigger(const struct ex_seen *s, unsigned log2, uint64_t n)
{
	uint64_t want = n + s->expect;

	if (!s->expect)
		return log2;
	while (log2 < LOG2_MAX && ((uint64_t)1 << log2) / 2 < want &&
	    (size_t)tsize(log2 + 1) <= s->buildmem)
		log2++;
	return log2;
}

static int fly_finish(struct ex_seen *s, int wait);

/* How far add looks for a key before it adds it: in every slice, in the
 * newest only, or nowhere it need not (a growth under way still finds
 * the key's slot in its table). */
enum look { LOOK_ALL, LOOK_NEWEST, LOOK_NONE };

static int
add(struct ex_seen *s, const unsigned char *fp, enum look look)
{
	struct tab *c = cur(s), *t = s->shadow;
	uint64_t a, b, pos;

	ex_fp_words(fp, &a, &b);
	if ((t || look != LOOK_NONE) &&
	    (ex_fptab_find(s->view[0].slots, s->view[0].mask, a, b, &pos) ||
	    (look == LOOK_ALL && in_older(s, a, b))))
		return 0;
	if (t) {
		t->slots[2 * pos] = a;
		t->slots[2 * pos + 1] = b;
		/* In memory, where it is only a step on the way, it doubles
		 * at half full, which keeps its probes short; the commit
		 * gives the set the size it needs. */
		if (++t->count > (t->fd < 0 ? (t->mask + 1) / 2 :
		    MAXLOAD(t->mask + 1)))
			shadow(s, t, bigger(s, t->log2 + 1, t->count));
		return 1;
	}
	if ((look != LOOK_NONE && ex_fpset_has(&s->fly, fp)) ||
	    !ex_fpset_add(&s->pend, fp))
		return 0;
	if (c->count + s->fly.n + s->pend.n > MAXLOAD(c->mask + 1)) {
		unsigned log2 = c->log2;

		/* the group under way first: its keys are in c from now */
		fly_finish(s, 1);

		while (c->count + s->pend.n > MAXLOAD((uint64_t)1 << log2))
			log2++;
		shadow(s, c, bigger(s, log2, c->count + s->pend.n));
	}
	return 1;
}

int
ex_seen_add(struct ex_seen *s, const unsigned char *fp)
{
	return add(s, fp, LOOK_ALL);
}

int
ex_seen_add_absent(struct ex_seen *s, const unsigned char *fp)
{
	return add(s, fp, LOOK_NEWEST);
}

int
ex_seen_add_new(struct ex_seen *s, const unsigned char *fp)
{
	return add(s, fp, LOOK_NONE);
}

void
ex_seen_expect(struct ex_seen *s, uint64_t n)
{
	struct tab *c = cur(s);
	unsigned log2;

	s->expect = n;
	if (n || !s->guessed)
		return;
	/* none expected now: a table sized for a guess that overshot is
	 * cut to size at the next commit, its keys all in it first */
	s->guessed = 0;
	fly_finish(s, 1);
	if (!s->shadow && (log2 = fit(c->log2, c->count + s->pend.n)) <
	    c->log2)
		shadow(s, c, log2);
}

int
ex_seen_unadd(struct ex_seen *s, const unsigned char *fp)
{
	struct tab *c = cur(s), *t = s->shadow;
	uint64_t a, b, pos;

	if (!t)
		return ex_fpset_del(&s->pend, fp);
	/* The shadow is not part of the set until its commit; it holds the
	 * current slice's committed keys too, and those stay. */
	ex_fp_words(fp, &a, &b);
	if (ex_fptab_find(c->slots, c->mask, a, b, &pos) ||
	    !ex_fptab_del(t->slots, t->mask, a, b))
		return 0;
	t->count--;
	return 1;
}

uint64_t
ex_seen_count(const struct ex_seen *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->ntab; i++)
		n += s->tab[i]->count;
	return n;
}

size_t
ex_seen_pending(const struct ex_seen *s)
{
	return s->pend.n + s->fly.n +
	    (s->shadow ? s->shadow->count - cur(s)->count : 0);
}

size_t
ex_seen_slices(const struct ex_seen *s)
{
	return s->ntab;
}

/* The commit by growth: the shadow, under a header of the next
 * generation, renamed over the current slice. */
static void
commit_shadow(struct ex_seen *s)
{
	struct tab *c = cur(s), *t;
	unsigned log2;

	/* 40 % to 80 % full, as every table of the set, at the keys it holds
	 * and those still expected: cut to size in one copy, however far it
	 * is (ex_seen_expect may have overshot) */
	log2 = fit(s->shadow->log2, s->shadow->count + s->expect);
	s->guessed = s->expect != 0;
	if (log2 != s->shadow->log2)
		shadow(s, s->shadow, log2);
	t = s->shadow;

	t->gen = c->gen + 1;
	stamp(s, t, now_ms(s));
	thdr_fmt(s, t, t->map + (t->gen % 2) * HDR_COPY);
	if (t->fd < 0)
		tab_to_file(t);
	ex_install(t->fd, t->tmp, c->path);
	free(t->tmp);
	t->tmp = NULL;
	tab_free(c);
	s->tab[s->ntab - 1] = t;
	s->shadow = NULL;
	journal_reset(s);
	s->hdirty = 0; /* the journal's header says when */
	set_view(s);
}

/* The pending keys as the journal records them, n of them. */
static unsigned char *
journal_recs(const struct ex_seen *s, size_t *n)
{
	unsigned char *buf = ex_malloc(s->pend.n * 16 + 1);
	const unsigned char *log = ex_fpset_logged(&s->pend);
	size_t k = 0;

	if (log) { /* in the order added, no pass over the slots */
		memcpy(buf, log, s->pend.n * 16);
		*n = s->pend.n;
		return buf;
	}
	for (size_t i = 0; i < s->pend.cap; i++)
		if (s->pend.slot[2 * i] | s->pend.slot[2 * i + 1]) {
			memcpy(buf + 16 * k, &s->pend.slot[2 * i], 16);
			k++;
		}
	*n = k;
	return buf;
}

/* Before n keys go into the current slice: a table its header says is
 * emptier than it is (a damaged set) must not fill up under them. */
static void
room(const struct ex_seen *s, size_t n)
{
	const struct tab *c = cur(s);

	if (c->count + n >= c->mask)
		ex_diex(EXIT_DATA, "%s: table full", c->path);
}

/*
 * Insert the n keys of buf, durable in the journal, into t's mapped
 * table; how many were not there.  Run by the worker of a group commit
 * under way (ex_seen_commit_start) while the caller looks keys up in the
 * same table: each word is stored whole (an atomic store), and a lookup
 * that meets a slot being filled sees it empty or holding another key,
 * both right, since the key going into it is in fly until the commit is
 * done, and every key already in the table sits in a probe chain with no
 * empty slot before it (inserts only fill empty slots).
 */
#define STORE_AHEAD 8

static uint64_t
store(struct tab *t, const unsigned char *buf, size_t n)
{
	uint64_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t a, b, pos;

		/* each key a cache miss: overlap them */
		if (i + STORE_AHEAD < n) {
			memcpy(&a, buf + 16 * (i + STORE_AHEAD), 8);
			__builtin_prefetch(&t->slots[2 * (a & t->mask)], 1);
		}
		ex_fp_words(buf + 16 * i, &a, &b);
		will_store(t, a);
		if (ex_fptab_find(t->slots, t->mask, a, b, &pos))
			continue;
		__atomic_store_n(&t->slots[2 * pos + 1], b, __ATOMIC_RELAXED);
		__atomic_store_n(&t->slots[2 * pos], a, __ATOMIC_RELAXED);
		k++;
	}
	return k;
}

/* The n keys, k of them new, reached the journal's disk and the table. */
static void
durable(struct ex_seen *s, size_t n, uint64_t k)
{
	struct tab *c = cur(s);

	stamp(s, c, now_ms(s));
	c->count += k;
	s->jrecs += n;
	if (s->jrecs > s->jmax && s->jrecs > (c->mask + 1) / 4)
		checkpoint(s);
}

static void
commit_journal(struct ex_seen *s)
{
	size_t n;
	unsigned char *buf = journal_recs(s, &n);

	room(s, n);
	if (ex_writeall(s->jfd, buf, n * 16) < 0)
		ex_die(EXIT_IO, "write: %s", s->jpath);
	ex_fsync(s->jfd, s->jpath);
	ex_fpset_clear(&s->pend);
	/* Durable: only now may the mapped table hold them. */
	durable(s, n, store(cur(s), buf, n));
	free(buf);
}

/* The worker's part of a group commit, once its keys are durable. */
static void
fly_store(void *arg)
{
	struct ex_seen *s = arg;

	s->flynew = store(cur(s), s->flybuf, s->flyn);
}

/*
 * The group commit under way, if any: 1 once it is done (its keys
 * durable and in the current slice), waiting for its fsync if wait, or 0
 * while the fsync runs.  Until it is done its keys are looked up in fly,
 * and nothing else touches the journal: the worker appends to it.
 */
static int
fly_finish(struct ex_seen *s, int wait)
{
	if (!s->flybuf)
		return 1;
	if (!ex_bg_done(s->bg, wait))
		return 0;
	ex_fpset_clear(&s->fly);
	durable(s, s->flyn, s->flynew);
	free(s->flybuf);
	s->flybuf = NULL;
	return 1;
}

void
ex_seen_commit_start(struct ex_seen *s)
{
	struct ex_fpset t;

	fly_finish(s, 1);
	/* a growth's commit renames a whole table, and a window's commit
	 * may start or drop slices after it: both made at once */
	if (s->shadow || s->window || s->pend.n == 0) {
		ex_seen_commit(s);
		return;
	}
	s->flybuf = journal_recs(s, &s->flyn);
	room(s, s->flyn);
	t = s->fly; /* empty */
	s->fly = s->pend;
	s->pend = t;
	s->flynew = 0;
	if (!s->bg)
		s->bg = ex_bg_new();
	ex_bg_start(s->bg, s->jfd, s->flybuf, s->flyn * 16, s->jpath,
	    fly_store, s);
}

int
ex_seen_commit_done(struct ex_seen *s, int wait)
{
	return fly_finish(s, wait);
}

int
ex_seen_commit_fd(const struct ex_seen *s)
{
	return s->bg ? ex_bg_fd(s->bg) : -1;
}

void
ex_seen_commit(struct ex_seen *s)
{
	fly_finish(s, 1);
	if (s->shadow)
		commit_shadow(s);
	else if (s->pend.n)
		commit_journal(s);
	else
		return;
	maintain(s);
}

void
ex_seen_close(struct ex_seen *s)
{
	/* a group commit under way was asked for: it ends */
	fly_finish(s, 1);
	ex_bg_free(s->bg);
	if (s->shadow) { /* uncommitted: never part of the set */
		if (s->shadow->tmp)
			unlink(s->shadow->tmp);
		tab_free(s->shadow);
		s->shadow = NULL;
	}
	if (s->jrecs)
		checkpoint(s);
	for (size_t i = 0; i < s->ntab; i++)
		tab_free(s->tab[i]);
	close(s->jfd);
	close(s->dirfd);
	close(s->lockfd);
	ex_fpset_free(&s->pend);
	ex_fpset_free(&s->fly);
	free(s->tab);
	free(s->view);
	free(s->path);
	free(s->jpath);
	free(s);
}
