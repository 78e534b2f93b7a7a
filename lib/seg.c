#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "gz.h"
#include "seg.h"

static ssize_t
rawread(struct ex_seg *s, char *buf, size_t n)
{
	ssize_t r;

	do
		r = s->gz ? ex_gz_read(s->gz, buf, n) : read(s->fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/* The file's identity; the birth time only where the file system has it. */
static void
fid(struct ex_seg *s)
{
	struct statx x;

	s->fid.dev = (uint64_t)s->st.st_dev;
	s->fid.ino = (uint64_t)s->st.st_ino;
	if (statx(s->fd, "", AT_EMPTY_PATH, STATX_BTIME, &x) == 0 &&
	    (x.stx_mask & STATX_BTIME)) {
		s->fid.bsec = x.stx_btime.tv_sec;
		s->fid.bnsec = x.stx_btime.tv_nsec;
		s->fid.hasbirth = 1;
	}
}

int
ex_seg_open(struct ex_seg *s, const char *path, int missingok)
{
	ssize_t n;
	char magic[2];
	size_t nmagic = 0;

	memset(s, 0, sizeof *s);
	s->path = path;
	if ((s->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (missingok && errno == ENOENT)
			return -1;
		ex_die(EXIT_IO, "open: %s", path);
	}
	if (fstat(s->fd, &s->st) < 0)
		ex_die(EXIT_IO, "stat: %s", path);
	if (S_ISDIR(s->st.st_mode)) {
		errno = EISDIR;
		ex_die(EXIT_IO, "read: %s", path);
	}
	fid(s);
	while (nmagic < sizeof magic) {
		n = read(s->fd, magic + nmagic, sizeof magic - nmagic);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ex_die(EXIT_IO, "read: %s", path);
		if (n == 0)
			break;
		nmagic += (size_t)n;
	}
	if (ex_gz_magic(magic, nmagic)) {
		s->gz = ex_gz_open(s->fd, magic, nmagic);
		s->isgz = 1;
	} else {
		memcpy(s->head, magic, nmagic);
		s->nhead = nmagic;
	}
	while (s->nhead < sizeof s->head) {
		n = rawread(s, s->head + s->nhead, sizeof s->head - s->nhead);
		if (n < 0)
			ex_die(EXIT_IO, "read: %s", path);
		if (n == 0) {
			s->eof = 1;
			break;
		}
		s->nhead += (size_t)n;
	}
	return 0;
}

ssize_t
ex_seg_read(void *ctx, char *buf, size_t n)
{
	struct ex_seg *s = ctx;
	size_t k;

	if (s->hpos < s->nhead) {
		k = s->nhead - s->hpos;
		if (k > n)
			k = n;
		memcpy(buf, s->head + s->hpos, k);
		s->hpos += k;
		return (ssize_t)k;
	}
	/* a plain file that ended within the head may have grown since */
	if (s->eof && s->gz)
		return 0;
	return rawread(s, buf, n);
}

void
ex_seg_hash(const void *p, size_t n, unsigned char out[EX_FP_HASH])
{
	crypto_generichash(out, EX_FP_HASH, p, n, NULL, 0);
}

int
ex_seg_match(const struct ex_seg *s, size_t n,
    const unsigned char h[EX_FP_HASH])
{
	unsigned char mine[EX_FP_HASH];

	if (n > s->nhead)
		return 0;
	ex_seg_hash(s->head, n, mine);
	return memcmp(mine, h, EX_FP_HASH) == 0;
}

int
ex_seg_length(const struct ex_seg *s, uint64_t *len)
{
	if (!s->isgz && S_ISREG(s->st.st_mode)) {
		*len = (uint64_t)s->st.st_size;
		return 1;
	}
	if (s->eof && !s->bad && !(s->gz && ex_gz_bad(s->gz))) {
		*len = s->nhead;
		return 1;
	}
	return 0;
}

int
ex_seg_check(struct ex_seg *s, uint64_t pos, unsigned char out[EX_FP_HASH])
{
	char buf[EX_SEG_BACK];
	size_t n = pos < EX_SEG_BACK ? (size_t)pos : EX_SEG_BACK;
	ssize_t r;

	if (pos <= s->nhead) {
		ex_seg_hash(s->head + (pos - n), n, out);
		return 0;
	}
	if (s->fd < 0 || s->isgz || !S_ISREG(s->st.st_mode))
		return -1;
	if ((r = ex_seg_pread(s, buf, n, pos - n)) < 0)
		ex_die(EXIT_IO, "read: %s", s->path);
	if ((size_t)r != n)
		return -1;
	ex_seg_hash(buf, n, out);
	return 0;
}

int
ex_seg_seek(struct ex_seg *s, uint64_t pos)
{
	if (s->gz || !S_ISREG(s->st.st_mode))
		return -1;
	if (pos <= s->nhead) {
		if (pos < s->hpos)
			return -1;
		s->hpos = (size_t)pos;
		/* the file position is already at nhead */
		return 0;
	}
	if (lseek(s->fd, (off_t)pos, SEEK_SET) < 0)
		return -1;
	s->hpos = s->nhead;
	return 0;
}

ssize_t
ex_seg_pread(struct ex_seg *s, void *buf, size_t n, uint64_t pos)
{
	ssize_t r;

	if (s->gz || s->isgz || !S_ISREG(s->st.st_mode))
		return -1;
	do
		r = pread(s->fd, buf, n, (off_t)pos);
	while (r < 0 && errno == EINTR);
	return r;
}

const char *
ex_seg_bad(const struct ex_seg *s)
{
	return s->gz ? ex_gz_bad(s->gz) : s->bad;
}

int
ex_fid_same(const struct ex_fid *a, const struct ex_fid *b)
{
	if (a->dev != b->dev || a->ino != b->ino)
		return 0;
	return !a->hasbirth || !b->hasbirth ||
	    (a->bsec == b->bsec && a->bnsec == b->bnsec);
}

void
ex_seg_close(struct ex_seg *s)
{
	if (s->gz)
		s->bad = ex_gz_bad(s->gz);
	ex_gz_close(s->gz);
	s->gz = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
