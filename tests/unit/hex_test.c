/*
 * hex_test — lib/hex.c: every byte has one lower-case text, and only that
 * text is read back.
 */
#include <string.h>

#include "hex.h"
#include "unit.h"

int
main(void)
{
	unsigned char all[256], back[256];
	char text[513];

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	ex_hex(all, 256, text);
	CHECK(strlen(text) == 512);
	CHECK(memcmp(text, "000102", 6) == 0);
	CHECK(memcmp(text + 506, "fdfeff", 6) == 0);
	CHECK(ex_unhex(text, 512, back, 256) == 0);
	CHECK(memcmp(back, all, 256) == 0);

	ex_hex(all, 0, text);
	CHECK_STR(text, "");
	CHECK(ex_unhex("", 0, back, 0) == 0);

	/* the wrong length, upper case, and anything not a digit: refused */
	CHECK(ex_unhex("abc", 3, back, 2) == -1);
	CHECK(ex_unhex("abcd", 4, back, 1) == -1);
	CHECK(ex_unhex("AB", 2, back, 1) == -1);
	CHECK(ex_unhex("0g", 2, back, 1) == -1);
	CHECK(ex_unhex("-1", 2, back, 1) == -1);
	CHECK(ex_unhex(" 1", 2, back, 1) == -1);
	return unit_done("hex_test");
}
