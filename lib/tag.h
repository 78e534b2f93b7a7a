/*
 * tag.h — the lines of a tagged stream (DESIGN.md section 1): a record,
 * "OFFSET<TAB>PAYLOAD", or a progress mark, "OFFSET" alone ("every record
 * up to and including OFFSET is done; there is nothing to deliver").
 *
 * An offset is decimal, no sign, no leading zeros ("0" itself is fine), at
 * most 2^63-1.  Parsing is strict and never reads past the bytes it is
 * given; formatting does not use printf.  Telling a mark from a record
 * costs a record next to nothing: a line is a mark only when no TAB
 * follows its digits, which is looked for anyway.
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
 * success, else a short reason fit for "line N: <reason>".  A mark is not
 * a record: it is refused as a line without a TAB. */
const char *ex_tag_split(const char *line, size_t len, uint64_t *off,
    const char **payload, size_t *plen);

/*
 * A run of well-formed records that begins p[0..n): whole lines, at most
 * *count of them, each "OFFSET<TAB>PAYLOAD" whose offset is at least from,
 * above the one before it and below EX_OFF_MAX (so that its successor can
 * be committed).  The run stops before the first line that is not such a
 * record (bad input, a progress mark, an offset out of order), which the
 * caller takes one by one with ex_tag_split and its own checks, and before
 * an unterminated tail.  Returns the bytes of the run, LFs included; sets
 * *count to its lines and, if there were any, *last to the offset of the
 * last.  For a reader that passes records on as they are: one pass over
 * the digits and one memchr a line, no call a line.
 */
size_t ex_tag_run(const char *p, size_t n, uint64_t from, uint64_t *count,
    uint64_t *last);

/* Read a line (without its LF) of a stream that may hold marks: a record
 * as ex_tag_split, *mark 0; or a mark, *mark 1, its offset in *off and
 * *payload the empty string at line + len.  NULL on success, else why
 * not, nothing written through the pointers: a line without a TAB that is
 * a sign and digits only was meant as a mark and is told so ("progress
 * mark: offset has leading zeros"); any other is a record without its
 * TAB. */
const char *ex_tag_line(const char *line, size_t len, uint64_t *off,
    const char **payload, size_t *plen, int *mark);

/* Write off in decimal followed by a TAB into buf; return bytes written. */
size_t ex_tag_fmt(char *buf, uint64_t off);

/* Write the record "OFFSET<TAB>PAYLOAD" of off and payload[0..len) into
 * buf (at least EX_TAG_MAX + len bytes), without its LF.  If tag is not 0,
 * the tag bytes before payload are off's own (a tagged line's, as
 * ex_tag_fmt writes them) and are copied with it, in one copy; else the
 * tag is formatted.  Returns the tag's length: the payload is at buf + it. */
size_t ex_tag_rec(char *buf, uint64_t off, const char *payload, size_t len,
    size_t tag);

/* Write the mark of off, in decimal followed by an LF, into buf (at least
 * EX_TAG_MAX bytes); return bytes written. */
size_t ex_mark_fmt(char *buf, uint64_t off);

#endif
