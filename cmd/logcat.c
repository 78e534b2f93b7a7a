/*
 * logcat — read a log from a committed offset and write tagged records,
 * "OFFSET<TAB>PAYLOAD<LF>" (DESIGN.md sections 1 and 3).
 *
 * The files given are read as one log, in the order given; each is a
 * segment, plain or gzip (known by its magic bytes).  A record's offset is
 * the number of records before it in the log, so it is the same at every
 * run over the same files.  logcat never writes state: with -o it only
 * reads the committed offset, under the consumer's lock, which the commit
 * of the same pipeline shares (lock.h).
 *
 * Invariants:
 *  - A record is written whole or not at all.  The unterminated last line
 *    of the last file is still being written and is held back; the last
 *    line of an earlier file is complete whether or not it ends in LF.
 *  - Bad gzip data is an error after everything before it was delivered:
 *    nothing past the last good record is written.
 *  - A start offset that is not in the log is never quietly replaced:
 *    -r says what to do, and by default it is an error.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "clock.h"
#include "err.h"
#include "lock.h"
#include "offfile.h"
#include "out.h"
#include "rd.h"
#include "seg.h"
#include "tag.h"

enum { R_ERROR, R_EARLIEST, R_LATEST };

struct opts {
	const char *ofile;  /* -o */
	const char *soff;   /* -s, as given */
	uint64_t limit;     /* -n, or UINT64_MAX */
	int tagged;         /* not -p */
	int recover;        /* -r */
	int verbose;        /* -v */
};

struct run {
	uint64_t start;     /* first offset to write */
	uint64_t left;      /* records still to write */
	uint64_t off;       /* offset of the next record of the log */
	uint64_t nrec, bytes, first, last;
	int tagged;
	struct ex_out out;
};

enum { GO_ON, STOP };

static void
usage(const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", ex_prog, why);
	fprintf(stderr, "usage: %s [-pv] [-n count] [-o offsetfile | -s offset] "
	    "[-r earliest|latest|error] file ...\n", ex_prog);
	exit(EXIT_USAGE);
}

/*
 * A reader of a 64 KiB pipe is woken every 64 KiB; with a 1 MiB pipe
 * logcat and its reader each run for longer stretches, which matters as
 * much as anything logcat does per record.  Best effort: a pipe that may
 * not grow (pipe-max-size, the user's pipe quota) stays as it is.
 */
static void
bigpipe(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1024 * 1024);
}

/* Read one segment from its start.  Returns STOP when -n is used up or the
 * reader of stdout went away. */
static int
segment(struct run *u, struct ex_seg *s, int last)
{
	const char *path = s->path;
	struct ex_rd r;
	char *line;
	size_t len;
	const char *bad;
	int rc, ret = GO_ON;

	ex_rd_init_fill(&r, ex_seg_read, s, path);
	if (u->off < u->start)
		u->off += ex_rd_skip(&r, u->start - u->off);
	while ((rc = ex_rd_line(&r, &line, &len)) != EX_RD_EOF) {
		/* still being written, or cut short by bad data */
		if (rc == EX_RD_PARTIAL && (last || ex_seg_bad(s)))
			break;
		if (u->off >= u->start) {
			if (u->left == 0) {
				ret = STOP;
				break;
			}
			ex_out_rec(&u->out, u->off, line, len, u->tagged);
			if (u->nrec++ == 0)
				u->first = u->off;
			u->last = u->off;
			u->bytes += len + (rc == EX_RD_LINE);
			if (--u->left == 0 || u->out.broken) {
				ret = STOP;
				u->off++;
				break;
			}
		}
		u->off++;
	}
	if (ret == GO_ON && (bad = ex_seg_bad(s))) {
		ex_out_flush(&u->out);
		ex_diex(EXIT_DATA, "%s: bad gzip data after %llu records of the "
		    "file (log offset %llu): %s", path,
		    (unsigned long long)r.lineno, (unsigned long long)u->off,
		    bad);
	}
	ex_rd_free(&r);
	ex_seg_close(s);
	return ret;
}

/* Read the log from u->start.  Every file is opened first, so a missing
 * or unreadable one fails before anything is written.  Returns STOP, or
 * GO_ON at the end of the log. */
static int
readlog(struct run *u, char **files, int nfiles)
{
	struct ex_seg *segs = ex_malloc((size_t)nfiles * sizeof *segs);
	int i, ret = GO_ON;

	for (i = 0; i < nfiles; i++)
		ex_seg_open(&segs[i], files[i]);
	u->off = 0;
	for (i = 0; i < nfiles && ret == GO_ON; i++)
		ret = segment(u, &segs[i], i == nfiles - 1);
	for (; i < nfiles; i++)
		ex_seg_close(&segs[i]);
	free(segs);
	return ret;
}

static void
summary(const struct run *u)
{
	if (u->nrec == 0)
		ex_summary("0 records, 0 bytes, at offset %llu",
		    (unsigned long long)u->start);
	else
		ex_summary("%llu records, %llu bytes, offsets %llu-%llu",
		    (unsigned long long)u->nrec, (unsigned long long)u->bytes,
		    (unsigned long long)u->first, (unsigned long long)u->last);
}

int
main(int argc, char *argv[])
{
	struct opts o = { .limit = UINT64_MAX, .tagged = 1 };
	struct run u;
	char from[512];
	const char *why;
	int c;

	ex_setprog(argv[0]);
	ex_elapsed();
	memset(&u, 0, sizeof u);
	while ((c = getopt(argc, argv, "n:o:pr:s:v")) != -1) {
		switch (c) {
		case 'n':
			if ((why = ex_off_parse(optarg, strlen(optarg), &o.limit)))
				usage("-n: count must be a decimal number "
				    "without sign or leading zeros");
			break;
		case 'o':
			o.ofile = optarg;
			break;
		case 'p':
			o.tagged = 0;
			break;
		case 'r':
			if (strcmp(optarg, "error") == 0)
				o.recover = R_ERROR;
			else if (strcmp(optarg, "earliest") == 0)
				o.recover = R_EARLIEST;
			else if (strcmp(optarg, "latest") == 0)
				o.recover = R_LATEST;
			else
				usage("-r: expected earliest, latest or error");
			break;
		case 's':
			if ((why = ex_off_parse(optarg, strlen(optarg), &u.start))) {
				fprintf(stderr, "%s: -s %s: %s\n", ex_prog, optarg,
				    why);
				usage(NULL);
			}
			o.soff = optarg;
			break;
		case 'v':
			o.verbose = 1;
			break;
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (o.ofile && o.soff)
		usage("-o and -s both say where to start: give one");
	if (argc == 0)
		usage("no log file given");

	if (o.ofile) {
		ex_lock(o.ofile, EX_LOCK_GROUP);
		if (!ex_offfile_read(o.ofile, &u.start))
			u.start = 0;
		snprintf(from, sizeof from, "%s: committed offset %llu",
		    o.ofile, (unsigned long long)u.start);
	} else
		snprintf(from, sizeof from, "-s %llu: offset",
		    (unsigned long long)u.start);

	u.tagged = o.tagged;
	u.left = o.limit;
	ex_out_init(&u.out, STDOUT_FILENO, "stdout");
	bigpipe(STDOUT_FILENO);
	if (readlog(&u, argv, argc) == GO_ON && u.off < u.start) {
		switch (o.recover) {
		case R_ERROR:
			ex_diex(EXIT_DATA, "%s is beyond the end of the log, "
			    "which ends at offset %llu", from,
			    (unsigned long long)u.off);
		case R_LATEST:
			ex_warnx("%s is beyond the end of the log; -r latest: "
			    "starting at its end, offset %llu", from,
			    (unsigned long long)u.off);
			u.start = u.off;
			break;
		case R_EARLIEST:
			ex_warnx("%s is beyond the end of the log, which ends "
			    "at offset %llu; -r earliest: starting at offset 0",
			    from, (unsigned long long)u.off);
			u.start = 0;
			readlog(&u, argv, argc);
			break;
		}
	}
	/* a reader that went away is not an error for a filter */
	ex_out_flush(&u.out);
	if (o.verbose)
		summary(&u);
	return 0;
}
