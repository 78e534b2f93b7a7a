/*
 * writeall.h — write(2) without short writes.
 *
 * For descriptors written directly rather than through an ex_out (out.h):
 * state files, lock records.  Retries short writes and EINTR; any other
 * error is returned for the caller to report, never hidden.
 */
#ifndef EX_WRITEALL_H
#define EX_WRITEALL_H

#include <stddef.h>

/* Write all of p to fd.  0, or -1 with errno. */
int ex_writeall(int fd, const void *p, size_t n);

#endif
