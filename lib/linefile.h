/*
 * linefile.h — loading logcat's small line-oriented state files (the
 * segment catalogue, the resume index): a first line naming the format,
 * then one entry a line, every line ended by LF.
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

/* Load path, whose first line must be magic; what names the format in
 * messages ("segment catalogue"), hint ends them ("" or " (...)").
 * Returns 0 if path does not exist, 1 once every entry was parsed. */
int ex_linefile_load(const char *path, const char *magic, const char *what,
    const char *hint, ex_line_fn *parse, void *ctx);

#endif
