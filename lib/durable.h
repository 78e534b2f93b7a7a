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

#endif
