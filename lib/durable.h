/*
 * durable.h — the one path by which state reaches disk.
 *
 * ex_replace writes a small file atomically and durably: the data goes to a
 * temporary sibling ("PATH.tmp"), which is fsynced, renamed over PATH, and
 * then the directory is fsynced.  A crash at any instant leaves the old file
 * or the new one, never a torn one.  Every failure is fatal (exit 74, the
 * message names the operation and the file) and nothing is retried: after a
 * failed fsync the kernel may have dropped the dirty pages, so a second
 * fsync that succeeds proves nothing.  Callers hold the state's lock, so
 * one temporary name per file is enough.
 */
#ifndef EX_DURABLE_H
#define EX_DURABLE_H

#include <stddef.h>

void ex_replace(const char *path, const void *data, size_t n);

/* fsync(fd), or die 74 naming name. */
void ex_fsync(int fd, const char *name);

/* fsync the directory that holds path, or die 74. */
void ex_fsync_dir(const char *path);

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

#endif
