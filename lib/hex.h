/*
 * hex.h — lower-case hexadecimal, for the hashes logcat keeps in its state
 * files (the segment catalogue, the resume index).
 */
#ifndef EX_HEX_H
#define EX_HEX_H

#include <stddef.h>

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void ex_hex(const unsigned char *p, size_t n, char *out);

/* s[0..len) as exactly n bytes of lower-case hex into p: 0, or -1 if it
 * is not that. */
int ex_unhex(const char *s, size_t len, unsigned char *p, size_t n);

#endif
