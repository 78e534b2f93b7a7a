#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "err.h"
#include "linefile.h"

const char ex_linefile_empty[] = "empty";
const char ex_linefile_foreign[] = "foreign";

static int
version(const char *const magic[], const char *line)
{
	for (int i = 0; magic[i]; i++)
		if (strcmp(line, magic[i]) == 0)
			return i;
	return -1;
}

const char *
ex_linefile_parse(char *text, size_t n, const char *const magic[],
    int *which, ex_line_fn *parse, void *ctx, unsigned long *lineno)
{
	char *p = text, *end = text + n, *lf;
	const char *why;

	*lineno = 0;
	if (n == 0)
		return ex_linefile_empty;
	for (; p < end; p = lf + 1) {
		++*lineno;
		if (!(lf = memchr(p, '\n', (size_t)(end - p))))
			return "no newline at its end";
		*lf = '\0';
		if (*lineno == 1) {
			/* a NUL inside the line makes it foreign too */
			if (strlen(p) != (size_t)(lf - p) ||
			    (*which = version(magic, p)) < 0)
				return ex_linefile_foreign;
		} else if ((why = parse(ctx, p, (size_t)(lf - p))))
			return why;
	}
	return NULL;
}

/* The whole of path in a new buffer; NULL if it does not exist. */
static char *
slurp(const char *what, const char *path, size_t *n)
{
	int fd = ex_state_open(what, path, O_RDONLY, 0);
	size_t cap = 4096;
	char *buf;
	ssize_t r;

	if (fd < 0) {
		if (errno == ENOENT)
			return NULL;
		ex_die(EXIT_IO, "open: %s", path);
	}
	buf = ex_malloc(cap);
	*n = 0;
	for (;;) {
		if (*n == cap)
			buf = ex_realloc(buf, cap *= 2);
		r = read(fd, buf + *n, cap - *n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ex_die(EXIT_IO, "read: %s", path);
		if (r == 0)
			break;
		*n += (size_t)r;
	}
	close(fd);
	return buf;
}

int
ex_linefile_load(const char *path, const char *const magic[], int *which,
    const char *what, const char *hint, ex_line_fn *parse, void *ctx)
{
	unsigned long lineno;
	const char *why;
	size_t n;
	char *text = slurp(what, path, &n);

	if (!text)
		return 0;
	why = ex_linefile_parse(text, n, magic, which, parse, ctx, &lineno);
	if (why == ex_linefile_empty)
		ex_diex(EXIT_DATA, "%s: empty %s%s", path, what, hint);
	if (why == ex_linefile_foreign)
		ex_diex(EXIT_DATA, "%s: line 1: not a %s, expected \"%s\"%s",
		    path, what, magic[0], hint);
	if (why)
		ex_diex(EXIT_DATA, "%s: line %lu: %s%s", path, lineno, why, hint);
	free(text);
	return 1;
}
