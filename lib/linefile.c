#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "err.h"
#include "linefile.h"

int
ex_linefile_load(const char *path, const char *magic, const char *what,
    const char *hint, ex_line_fn *parse, void *ctx)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	const char *why;

	if (!(f = fopen(path, "re"))) {
		if (errno == ENOENT)
			return 0;
		ex_die(EXIT_IO, "open: %s", path);
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n == 0 || line[n - 1] != '\n')
			why = "no newline at its end";
		else {
			line[--n] = '\0';
			if (lineno > 1)
				why = parse(ctx, line, (size_t)n);
			else if (strcmp(line, magic) != 0)
				ex_diex(EXIT_DATA, "%s: line 1: not a %s, expected "
				    "\"%s\"%s", path, what, magic, hint);
			else
				why = NULL;
		}
		if (why)
			ex_diex(EXIT_DATA, "%s: line %lu: %s%s", path, lineno, why,
			    hint);
	}
	if (ferror(f))
		ex_die(EXIT_IO, "read: %s", path);
	if (lineno == 0)
		ex_diex(EXIT_DATA, "%s: empty %s%s", path, what, hint);
	free(line);
	fclose(f);
	return 1;
}
