/*
 * hex.h — lower-case hexadecimal for the hashes kept in logcat's state
 * files (the segment catalogue, the resume index).
 *
 * Only lower-case digits are read back, so each byte string has exactly
 * one text and a hash that was edited by hand is refused, not misread.
 */
#ifndef EX_HEX_H
#define EX_HEX_H

#include <stddef.h>

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void ex_hex(const unsigned char *p, size_t n, char *out);

/* The n bytes whose hex is s[0..len): 0, or -1 if len is not 2n or a
 * character is not a lower-case hex digit. */
int ex_unhex(const char *s, size_t len, unsigned char *p, size_t n);

#endif
