/*
 * offfile_test — lib/offfile.c: the text of an offset file, parsed to the
 * exact offset or refused with the exact reason.
 */
#include <stdint.h>
#include <string.h>

#include "offfile.h"
#include "unit.h"

#define ok(t, value) parse_n(t, sizeof t - 1, value, NULL, __LINE__)
#define refused(t, reason) parse_n(t, sizeof t - 1, 0, reason, __LINE__)

static void
parse_n(const char *t, size_t n, uint64_t want, const char *wantwhy,
    int line)
{
	uint64_t v = 12345;
	const char *why = ex_offfile_parse(t, n, &v);

	unit_checks++;
	if ((why == NULL) != (wantwhy == NULL) ||
	    (why && strcmp(why, wantwhy) != 0) || (!why && v != want) ||
	    (why && v != 12345)) {
		unit_failed++;
		fprintf(stderr, "offfile_test.c:%d: \"%.*s\": got %s, %"
		    PRIu64 "; want %s, %" PRIu64 "\n", line, (int)n, t,
		    why ? why : "ok", v, wantwhy ? wantwhy : "ok", want);
	}
}

int
main(void)
{
	ok("0\n", 0);
	ok("1000\n", 1000);
	ok("9223372036854775807\n", INT64_MAX);
	/* further "key value" lines are ignored */
	ok("1000\nwriter commit\n", 1000);
	ok("1000\nanything at all \xff\0\n", 1000);
	ok("1000\n\n", 1000);
	/* further lines need not end in LF; the offset's must, or a file cut
	 * short would read as a smaller offset */
	ok("1000\nkey value", 1000);
	refused("1000", "no newline after the offset (file cut short?)");
	refused("100", "no newline after the offset (file cut short?)");
	refused("0", "no newline after the offset (file cut short?)");

	refused("", "empty offset file");
	refused("\n", "empty offset");
	refused("\n1000\n", "empty offset");
	refused("9223372036854775808\n", "offset is larger than 2^63-1");
	refused("18446744073709551616\n", "offset is larger than 2^63-1");
	refused("01000\n", "offset has leading zeros");
	refused("00\n", "offset has leading zeros");
	refused("-1\n", "offset has a sign");
	refused("+1000\n", "offset has a sign");
	refused(" 1000\n", "offset is not a decimal number");
	refused("1000 \n", "offset is not a decimal number");
	refused("1000\r\n", "offset is not a decimal number");
	refused("1000\t\n", "offset is not a decimal number");
	refused("offset 1000\n", "offset is not a decimal number");
	refused("{\"offset\":1000}\n", "offset is not a decimal number");
	refused("\x7f" "ELF\x02\x01", "offset is not a decimal number");
	parse_n("1000\0\n", 6, 0, "offset is not a decimal number", __LINE__);
	parse_n("\0\0\0\0", 4, 0, "offset is not a decimal number", __LINE__);
	/* n bounds the parse */
	parse_n("10\n00\n", 3, 10, NULL, __LINE__);
	parse_n("1000\n", 2, 0, "no newline after the offset (file cut short?)",
	    __LINE__);
	return unit_done("offfile_test");
}
