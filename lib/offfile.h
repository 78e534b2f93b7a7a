/*
 * offfile.h — a consumer's offset file (DESIGN.md section 2).
 *
 * Its first line is the committed offset: the offset of the next record to
 * read.  Further "key value" lines may follow and are ignored here.  A
 * missing file means "never committed"; an empty, unreadable or malformed
 * one is fatal (exit 65 naming the file; 74 if the disk failed to read
 * it), so no tool ever silently starts again from 0.  So is one whose
 * first line lacks its LF (a prefix of the digits would read as a smaller
 * offset), a symbolic link (a rename would replace the link, not its
 * target; a dangling one would read as missing) and anything but a
 * regular file.  Writes go through ex_replace.
 */
#ifndef EX_OFFFILE_H
#define EX_OFFFILE_H

#include <stddef.h>
#include <stdint.h>

/* 0 if path does not exist; 1 with *off set; dies otherwise. */
int ex_offfile_read(const char *path, uint64_t *off);

/* Parse the text of an offset file.  NULL on success, else why not. */
const char *ex_offfile_parse(const char *text, size_t n, uint64_t *off);

/* Durably replace path with off. */
void ex_offfile_write(const char *path, uint64_t off);

#endif
