/*
 * durable.h — the one path by which state reaches disk, and the one way a
 * state file is opened.
 *
 * ex_replace writes a small file atomically and durably: the data goes to a
 * temporary sibling created under a name of its own ("PATH.tmp.XXXXXXXX",
 * eight random hex digits, O_EXCL, never through a symbolic link), which is
 * fsynced, renamed over PATH, and then the directory is fsynced.  A crash
 * at any instant leaves the old file or the new one, never a torn one, and
 * at most a stale temporary, which ex_sweep_tmp removes.  Two writers never
 * share a temporary, and nothing another user planted under such a name is
 * ever written through.  Every failure is fatal (exit 74, the message names
 * the operation and the file) and nothing is retried: after a failed fsync
 * the kernel may have dropped the dirty pages, so a second fsync that
 * succeeds proves nothing.
 *
 * ex_state_open opens a state file (an offset file, a lock file) without
 * following a symbolic link and without blocking: a FIFO, a device or a
 * directory planted in its place is refused (exit 65, naming it) rather
 * than read, written or waited on for ever.
 */
#ifndef EX_DURABLE_H
#define EX_DURABLE_H

#include <stddef.h>
#include <sys/types.h>

void ex_replace(const char *path, const void *data, size_t n);

/* fsync(fd), or die 74 naming name. */
void ex_fsync(int fd, const char *name);

/* fsync the directory that holds path, or die 74. */
void ex_fsync_dir(const char *path);

/* open(2) path with flags and mode as a state file: a regular file or
 * nothing.  Returns the descriptor, or -1 with errno if open failed (as
 * ENOENT for a missing file); a symbolic link, or something that is not a
 * regular file, dies 65 as "WHAT PATH: why". */
int ex_state_open(const char *what, const char *path, int flags, mode_t mode);

/* Remove the temporaries of path that a crash left behind: those of our
 * own user, under the names ex_replace gives them.  Only the one process
 * that writes path may call it (its writer holds the lock), or it could
 * remove a temporary that is about to be renamed. */
void ex_sweep_tmp(const char *path);

/*
 * Files too big to build in memory (the seen-set's tables) are built in
 * place, then committed like ex_replace's temporary file.  ex_tmpfile
 * creates a new file beside path under a unique name (PATH.tmp.XXXXXXXX,
 * O_CREAT | O_EXCL: never a file or link that was there before), open
 * read-write; *tmp is its name, to free.  ex_install fsyncs fd, renames
 * tmp over path and fsyncs the directory: the commit.  ex_remove unlinks
 * path and fsyncs its directory.  All die 74 on failure.
 */
int ex_tmpfile(const char *path, char **tmp);
void ex_install(int fd, const char *tmp, const char *path);
void ex_remove(const char *path);

/*
 * A durable append that runs while the caller goes on: the group commit of
 * a journal, overlapped with the work of the next group.  ex_bg_start
 * hands buf[0..n) to a worker thread (made at the first start), which
 * appends it to fd and fsyncs fd, and then, only if both succeeded, calls
 * after(arg) (if not NULL), which must not exit; buf must stay untouched
 * until the job is done.  At most one is under way: a start waits for the
 * one before.  ex_bg_done returns 1 once the job under way (if any) is
 * over, waiting for it if wait is set, else 0 while it is not; a failed
 * write or fsync dies 74 there, in the caller's thread, naming the
 * operation and name, as ex_fsync would: nothing is retried.  ex_bg_fd
 * is readable while a finished job waits for ex_bg_done to see it, for a
 * caller that polls.  ex_bg_free waits for the job under way and ends the
 * worker.  The worker blocks every signal: they stay the caller's.
 */
struct ex_bg;

struct ex_bg *ex_bg_new(void);
void ex_bg_start(struct ex_bg *b, int fd, const void *buf, size_t n,
    const char *name, void (*after)(void *), void *arg);
int ex_bg_done(struct ex_bg *b, int wait);
int ex_bg_fd(const struct ex_bg *b);
void ex_bg_free(struct ex_bg *b);

#endif
