/*
 * segid.h — which of the files given holds which segment of the
 * catalogue: identity by content, decided with what logcat recorded
 * beyond the hash, never by a guess.
 *
 * A file may hold a known segment when its first FPLEN bytes hash to the
 * segment's; it is only a candidate if it also agrees with what logcat
 * recorded of the segment: at least as long as where reading it stopped,
 * the same bytes before that point, and, once the segment is sealed,
 * exactly its length (a file that grew past it must be the very file,
 * written to late).  Among the candidates of a segment, the file logcat
 * last saw holding it (device, inode, birth time: seg.h) is it, even when
 * another file begins with the same bytes (a CSV header: the segment and
 * the new file that rotation started).  Without that file, one candidate,
 * or several that are one content under several names (a hard link, a
 * plain file and its gzip copy), is it; candidates of different contents
 * are undecidable, and that is exit 65 naming them, never a pick.
 *
 * Files that hold no known segment are new, unless they are another name
 * of a file kept: the same file (a link, a file given twice), the same
 * first EX_FP_LEN bytes, a gzip copy of a plain file of the same whole
 * content, or a gzip cut short that begins like another file (the instant
 * logrotate compresses).
 *
 * The work is O(files x distinct FPLENs) hashes and O(log n) look-ups, so
 * a catalogue of thousands of segments costs what a few do.
 */
#ifndef EX_SEGID_H
#define EX_SEGID_H

#include <stddef.h>

#include "seg.h"
#include "segcat.h"

#define EX_SEGID_NEW (-1) /* a segment not in the catalogue */
#define EX_SEGID_DUP (-2) /* another name of a file that is kept */

struct ex_segid;

/* An index of c's segments; c must not change while it is used. */
struct ex_segid *ex_segid_new(const struct ex_cat *c);

/* Note which segments file number fi, f, may hold; f must be open (its
 * bytes before a recorded stop may have to be read). */
void ex_segid_scan(struct ex_segid *x, size_t fi, struct ex_seg *f);

/* Nonzero if f begins like some segment of the catalogue. */
int ex_segid_known(const struct ex_segid *x, const struct ex_seg *f);

/* Decide, for the nf files scanned (f[i] being file i, closed or open):
 * of[i] is the segment (catalogue index) file i holds, EX_SEGID_NEW or
 * EX_SEGID_DUP; holder[e] the file that holds segment e, or -1.  Dies 65
 * when what is known cannot tell which file holds a segment. */
void ex_segid_decide(struct ex_segid *x, struct ex_seg *const *f, size_t nf,
    int *of, long *holder);

void ex_segid_free(struct ex_segid *x);

#endif
