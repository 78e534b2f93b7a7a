/*
 * linefile.h — logcat's small line-oriented state files (the segment
 * catalogue, the resume index): a first line naming the format and its
 * version, then one entry a line, every line ended by LF.
 *
 * A missing file is "none yet".  Anything else that is not such a file —
 * empty, a line without its LF, a foreign first line, an entry the
 * caller's parser refuses — is exit 65, naming the file, the line and the
 * fault, followed by the caller's hint; it is never taken for an empty
 * state.  A read error is exit 74.
 */
#ifndef EX_LINEFILE_H
#define EX_LINEFILE_H

#include <stddef.h>

/* Parse one entry line (its LF replaced by a NUL): NULL, or why not. */
typedef const char *ex_line_fn(void *ctx, char *line, size_t len);

/* Reasons ex_linefile_parse gives that the loader words itself. */
extern const char ex_linefile_empty[], ex_linefile_foreign[];

/* Parse text[0..n) (changed in place), whose first line must be one of
 * magic[] (NULL-terminated, the current version first); *which is set to
 * the index of the one found before the first entry is parsed.  NULL, or
 * why not (ex_linefile_empty, ex_linefile_foreign, or a reason) with
 * *lineno the line at fault. */
const char *ex_linefile_parse(char *text, size_t n, const char *const magic[],
    int *which, ex_line_fn *parse, void *ctx, unsigned long *lineno);

/* Load path as ex_linefile_parse parses text; what names the format in
 * messages ("segment catalogue"), hint ends them ("" or " (...)").
 * Returns 0 if path does not exist, 1 once every entry was parsed. */
int ex_linefile_load(const char *path, const char *const magic[], int *which,
    const char *what, const char *hint, ex_line_fn *parse, void *ctx);

#endif
