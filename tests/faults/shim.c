/*
 * shim.c — an LD_PRELOAD library that makes one system call fail, for
 * tests/faults.bats.  It reaches the calls a tool makes itself (open,
 * write, fsync, rename, mmap, ...), which fiu-run's preload also does, and
 * adds what the tests need: a path filter, short writes, and a log of the
 * calls it saw, so a test can count them first and then fail each in turn.
 *
 * Environment:
 *   FAULT_OP     the call to fail: open, write, pwrite, fsync, fdatasync,
 *                rename, mkdir, mmap, msync, ftruncate, close
 *   FAULT_NTH    fail its Nth matching call (1-based); 0 or unset: none
 *   FAULT_ERRNO  EIO (default), ENOSPC, EDQUOT, EROFS, EACCES, ENOMEM,
 *                EFBIG or EINTR
 *   FAULT_PATH   count only calls whose file path contains this string
 *   FAULT_SHORT  set: every matching write or pwrite moves at most half
 *                its bytes (at least one) instead of failing
 *   FAULT_LOG    append "OP<TAB>PATH" for every matching call of FAULT_OP
 *                (of every call, if FAULT_OP is "all")
 *   FAULT_FIRED  write "OP<TAB>PATH" of the call that failed to this file
 *                (a run whose calls differ from the counted one, as
 *                timing may make them, fails another call or none)
 *
 * Calls made inside libc (stdio's own writes, malloc's mmaps) are not
 * seen: they bypass the dynamic symbols.  Each process counts its own
 * calls; the counters are not shared with children.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static unsigned long seen;

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int
fault_errno(void)
{
	static const struct { const char *name; int e; } tab[] = {
		{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EDQUOT", EDQUOT },
		{ "EROFS", EROFS }, { "EACCES", EACCES }, { "ENOMEM", ENOMEM },
		{ "EFBIG", EFBIG }, { "EINTR", EINTR },
	};
	const char *v = env("FAULT_ERRNO");

	for (size_t i = 0; v && i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(v, tab[i].name) == 0)
			return tab[i].e;
	return EIO;
}

static void
fdpath(int fd, char *buf, size_t n)
{
	char link[64];
	ssize_t r;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((r = readlink(link, buf, n - 1)) < 0)
		r = 0;
	buf[r] = '\0';
}

/* A relative path made absolute, so that FAULT_PATH can name a directory. */
static const char *
absolute(const char *path, char *buf, size_t n)
{
	char cwd[4096];

	if (path[0] == '/' || path[0] == '\0' || !getcwd(cwd, sizeof cwd))
		return path;
	snprintf(buf, n, "%s/%s", cwd, path);
	return buf;
}

/* Log the call (on path, or path2 for a rename; isfd: path was read from
 * /proc, "pipe:[N]" for a pipe), then say whether this one is to fail (1), or to be short
 * (2, writes only). */
static int
hit(const char *op, const char *path, const char *path2, int isfd)
{
	const char *want = env("FAULT_OP"), *filter = env("FAULT_PATH");
	const char *log = env("FAULT_LOG"), *nth = env("FAULT_NTH");

	char abs1[8200], abs2[8200];

	if (!want || (strcmp(want, op) != 0 && strcmp(want, "all") != 0))
		return 0;
	if (!isfd) {
		path = absolute(path, abs1, sizeof abs1);
		if (path2)
			path2 = absolute(path2, abs2, sizeof abs2);
	}
	if (filter && !strstr(path, filter) &&
	    !(path2 && strstr(path2, filter)))
		return 0;
	if (log) {
		char line[4200];
		int n = snprintf(line, sizeof line, "%s\t%s%s%s\n", op, path,
		    path2 ? " -> " : "", path2 ? path2 : "");
		int fd = (int)syscall(SYS_open, log,
		    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);

		if (fd >= 0) {
			if (n > (int)sizeof line - 1)
				n = (int)sizeof line - 1;
			(void)!syscall(SYS_write, fd, line, (size_t)n);
			syscall(SYS_close, fd);
		}
	}
	if (strcmp(want, op) != 0)
		return 0;
	if (env("FAULT_SHORT") && (!strcmp(op, "write") || !strcmp(op, "pwrite")))
		return 2;
	seen++;
	if (nth && strtoul(nth, NULL, 10) == seen) {
		const char *fired = env("FAULT_FIRED");

		if (fired) {
			char line[8300];
			int fd = (int)syscall(SYS_open, fired,
			    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
			int k = snprintf(line, sizeof line, "%s\t%s%s%s\n", op,
			    path, path2 ? " -> " : "", path2 ? path2 : "");

			if (fd >= 0) {
				if (k > (int)sizeof line - 1)
					k = (int)sizeof line - 1;
				(void)!syscall(SYS_write, fd, line, (size_t)k);
				syscall(SYS_close, fd);
			}
		}
		return 1;
	}
	return 0;
}

/* The file mapped at addr, from /proc/self/maps. */
static void
mappath(const void *addr, char *buf, size_t n)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4200];
	unsigned long lo, hi, a = (unsigned long)addr;

	buf[0] = '\0';
	while (f && fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo &&
		    a < hi) {
			if (p) {
				p[strcspn(p, "\n")] = '\0';
				snprintf(buf, n, "%s", p);
			}
			break;
		}
	}
	if (f)
		fclose(f);
}

static int
hit_fd(const char *op, int fd)
{
	char path[4096];

	if (!env("FAULT_OP"))
		return 0;
	fdpath(fd, path, sizeof path);
	return hit(op, path, NULL, 1);
}

#define REAL(name) \
	static __typeof__(name) *real_; \
	if (!real_) \
		real_ = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static int
open_mode(int flags, va_list ap)
{
	if (flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE)
		return va_arg(ap, int);
	return 0;
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;
	REAL(open);

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (hit("open", path, NULL, 0) == 1) {
		errno = fault_errno();
		return -1;
	}
	return real_(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	int mode;
	REAL(open64);

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (hit("open", path, NULL, 0) == 1) {
		errno = fault_errno();
		return -1;
	}
	return real_(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	int mode;
	REAL(openat);

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (hit("open", path, NULL, 0) == 1) {
		errno = fault_errno();
		return -1;
	}
	return real_(dirfd, path, flags, mode);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	REAL(write);

	switch (hit_fd("write", fd)) {
	case 1:
		errno = fault_errno();
		return -1;
	case 2:
		if (n > 1)
			n /= 2;
		break;
	}
	return real_(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite);

	switch (hit_fd("pwrite", fd)) {
	case 1:
		errno = fault_errno();
		return -1;
	case 2:
		if (n > 1)
			n /= 2;
		break;
	}
	return real_(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}

int
fsync(int fd)
{
	REAL(fsync);

	if (hit_fd("fsync", fd) == 1) {
		errno = fault_errno();
		return -1;
	}
	return real_(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);

	if (hit_fd("fdatasync", fd) == 1) {
		errno = fault_errno();
		return -1;
	}
	return real_(fd);
}

int
ftruncate(int fd, off_t len)
{
	REAL(ftruncate);

	if (hit_fd("ftruncate", fd) == 1) {
		errno = fault_errno();
		return -1;
	}
	return real_(fd, len);
}

int
ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}

int
close(int fd)
{
	REAL(close);

	/* the descriptor is released even when the close "fails", as Linux
	 * does */
	if (hit_fd("close", fd) == 1) {
		real_(fd);
		errno = fault_errno();
		return -1;
	}
	return real_(fd);
}

int
rename(const char *from, const char *to)
{
	REAL(rename);

	if (hit("rename", from, to, 0) == 1) {
		errno = fault_errno();
		return -1;
	}
	return real_(from, to);
}

int
mkdir(const char *path, mode_t mode)
{
	REAL(mkdir);

	if (hit("mkdir", path, NULL, 0) == 1) {
		errno = fault_errno();
		return -1;
	}
	return real_(path, mode);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap);

	if (fd >= 0 && hit_fd("mmap", fd) == 1) {
		errno = fault_errno();
		return MAP_FAILED;
	}
	return real_(addr, len, prot, flags, fd, off);
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

int
msync(void *addr, size_t len, int flags)
{
	char path[4096];

	REAL(msync);

	path[0] = '\0';
	if (env("FAULT_OP"))
		mappath(addr, path, sizeof path);
	if (hit("msync", path, NULL, 1) == 1) {
		errno = fault_errno();
		return -1;
	}
	return real_(addr, len, flags);
}
