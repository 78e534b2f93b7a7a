/*
 * tag.h — the record tag of DESIGN.md section 1: "OFFSET<TAB>PAYLOAD".
 *
 * An offset is decimal, no sign, no leading zeros ("0" itself is fine), at
 * most 2^63-1.  Parsing is strict and never reads past the bytes it is
 * given; formatting does not use printf.
 */
#ifndef EX_TAG_H
#define EX_TAG_H

#include <stddef.h>
#include <stdint.h>

#define EX_OFF_MAX ((uint64_t)INT64_MAX)
#define EX_TAG_MAX 21 /* 19 digits, TAB, and room for a NUL */

/* Parse s[0..n) as a whole offset.  NULL on success, else why not. */
const char *ex_off_parse(const char *s, size_t n, uint64_t *off);

/* Split a record line (without its LF) into offset and payload.  NULL on
 * success, else a short reason fit for "line N: <reason>". */
const char *ex_tag_split(const char *line, size_t len, uint64_t *off,
    const char **payload, size_t *plen);

/* Write off in decimal followed by a TAB into buf; return bytes written. */
size_t ex_tag_fmt(char *buf, uint64_t off);

#endif
