/*
 * json.h — the value of one top-level member of a JSON object, for
 * dedup -k.
 *
 * The scanner is strict (RFC 8259) and validates the whole text, so a torn
 * or foreign record is bad input rather than a key.  The first member
 * named NAME wins; members of nested objects and arrays never match.  A
 * string value is returned unescaped (\" \\ \/ \b \f \n \r \t and \uXXXX,
 * surrogate pairs joined, as UTF-8; a lone surrogate is bad JSON); a
 * number is returned as its raw text, so 1 and 1.0 are different keys.
 * NAME is compared with the member name after unescaping.  Strings must
 * be well-formed UTF-8 (RFC 8259 section 8.1): anything else is bad JSON.
 * The reason for EX_JSON_BAD reads "invalid JSON at byte N: what", N
 * counted from 1 in doc, and lives in the scratch buffer until the next
 * call; other reasons are constant strings.
 */
#ifndef EX_JSON_H
#define EX_JSON_H

#include <stddef.h>

enum {
	EX_JSON_FOUND,   /* *val, *vlen hold the key */
	EX_JSON_MISSING, /* valid object, no such member or not a string or
	                    number: *why says which */
	EX_JSON_BAD      /* not a valid JSON object: *why says what is wrong */
};

/* Scratch space for unescaped strings; zero it before first use. */
struct ex_json_buf {
	char *p;
	size_t cap;
};

int ex_json_get(const char *doc, size_t n, const char *name, size_t namelen,
    struct ex_json_buf *scratch, const char **val, size_t *vlen,
    const char **why);

/* ex_json_get without its AVX-512 scanner, for fuzz/json.c and
 * tests/unit/json_test.c, which hold both to the same answers. */
int ex_json_get_narrow(const char *doc, size_t n, const char *name,
    size_t namelen, struct ex_json_buf *scratch, const char **val,
    size_t *vlen, const char **why);

#endif
