/*
 * logcat — read a log from a committed offset and write tagged records,
 * "OFFSET<TAB>PAYLOAD<LF>" (DESIGN.md sections 1 and 3); with -L, say
 * where the log and its consumer stand.
 *
 * What a log is, how its records are numbered and kept stable through
 * rotation, and what is gone, is the log's business (log.h; the files
 * given are a file log, filelog.c).  logcat chooses where to start (-o,
 * -s), what to do when that is not in the log (-r), how many records to
 * write (-n), waits for more under -F, and writes.
 *
 * Invariants:
 *  - logcat never writes the offset file: it reads it under the
 *    consumer's lock, which the commit of its own pipeline shares (-L
 *    takes no lock, reads no record and writes nothing).
 *  - A record is written whole or not at all, and no record is written
 *    twice in a run.  Records the log handed out reach stdout before logcat
 *    dies of an error found after them (the log's onfatal hook).
 *  - -n COUNT reads no further than the COUNT-th record.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"
#include "err.h"
#include "kafka.h"
#include "log.h"
#include "opt.h"
#include "out.h"
#include "store.h"
#include "tag.h"

struct opts {
	const char *ofile;  /* -o */
	const char *soff;   /* -s, as given */
	uint64_t start;     /* -s */
	uint64_t limit;     /* -n, or EX_COUNT_NONE */
	int tagged;         /* not -p */
	int policy;         /* -r */
	int verbose;        /* -v */
	int follow;         /* -F */
	int list;           /* -L */
	int others;         /* an option other than -o was given */
	int pollms;         /* -F: poll this often instead of inotify */
	char *klog;         /* the partition a Kafka -o names, if no log given */
};

/* What was written, for -v. */
struct tally {
	uint64_t nrec, bytes, first, last, start;
};

/* Set by SIGTERM and SIGINT under -F: finish what was read, then exit 0.
 * A signal handler can only tell the loop through a global. */
static volatile sig_atomic_t stopsig;

static const char usage_lines[] =
    "usage: logcat [-Fpv] [-n count] [-o offsetfile | -s offset] "
    "[-r earliest|latest|error] file ...\n"
    "       logcat -L [-o offsetfile] file ...\n";

static int
policy(const char *arg)
{
	if (strcmp(arg, "error") == 0)
		return EX_LOG_ERROR;
	if (strcmp(arg, "earliest") == 0)
		return EX_LOG_EARLIEST;
	if (strcmp(arg, "latest") == 0)
		return EX_LOG_LATEST;
	ex_usage("-r %s: expected earliest, latest or error", arg);
}

static void
options(int argc, char *argv[], struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "FLn:o:pr:s:v")) != -1) {
		o->others |= c != 'o' && c != 'L';
		switch (c) {
		case 'F':
			o->follow = 1;
			break;
		case 'L':
			o->list = 1;
			break;
		case 'n':
			o->limit = ex_opt_count("-n", optarg);
			break;
		case 'o':
			o->ofile = ex_opt_path("-o", optarg);
			break;
		case 'p':
			o->tagged = 0;
			break;
		case 'r':
			o->policy = policy(optarg);
			break;
		case 's':
			o->start = ex_opt_offset("-s", optarg);
			o->soff = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			ex_usage(NULL);
		}
	}
	if (o->list && o->others)
		ex_usage("-L takes no option but -o");
	if (o->ofile && o->soff)
		ex_usage("-o and -s both say where to start: give one");
	/* a Kafka store names its partition: that is the log */
	if (optind == argc && o->ofile && ex_kafka_name(o->ofile))
		o->klog = ex_kafka_logof(o->ofile);
	else if (optind == argc)
		ex_usage("no log file given");
}

/* LOGCAT_POLL: inotify does not see changes made on another machine (NFS). */
static void
pollenv(struct opts *o)
{
	const char *env = getenv("LOGCAT_POLL");
	uint64_t ms;

	if (!env || !*env)
		return;
	if (ex_off_parse(env, strlen(env), &ms) || ms == 0 || ms > 60000)
		ex_diex(EXIT_USAGE, "LOGCAT_POLL=%s: expected milliseconds, 1 to "
		    "60000", env);
	o->pollms = (int)ms;
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

static void
onsig(int sig)
{
	stopsig = sig;
}

/* SIGTERM and SIGINT end -F cleanly; no SA_RESTART, so a wait returns. */
static void
catchstop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onsig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Watch the directories of the paths: a directory's watch also reports
 * writes to the files in it, renames and creations.  -1 if inotify is not
 * to be had: then logcat polls. */
static int
watch(char *const *paths, int n)
{
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), k = 0;

	if (fd < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *slash = strrchr(paths[i], '/');
		char dir[4096];

		if (!slash)
			strcpy(dir, ".");
		else
			snprintf(dir, sizeof dir, "%.*s", slash == paths[i] ? 1 :
			    (int)(slash - paths[i]), paths[i]);
		if (inotify_add_watch(fd, dir, IN_MODIFY | IN_CREATE |
		    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB) >= 0)
			k++;
	}
	if (k == 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * -F at the end of the log: wait until it may have more — the log's own
 * descriptor, the watched directories, or the longest wait — or a signal.
 * Returns nonzero when logcat is to stop: a signal, or the reader of
 * stdout gone away (a follower with nothing to write would not learn it
 * from a write, and would linger).
 */
static int
waitmore(struct ex_log *log, int ifd, int ms)
{
	struct ex_log_wait w;
	struct pollfd p[3];
	char buf[4096];

	ex_log_wait(log, &w);
	if (w.ms >= 0 && w.ms < ms)
		ms = w.ms;
	p[0] = (struct pollfd){ .fd = STDOUT_FILENO, .events = 0 };
	p[1] = (struct pollfd){ .fd = ifd, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = w.fd, .events = POLLIN };
	if (poll(p, 3, ms) < 0 && errno != EINTR)
		ex_die(EXIT_IO, "poll");
	if (ifd >= 0)
		while (read(ifd, buf, sizeof buf) > 0)
			;
	return stopsig || (p[0].revents & (POLLERR | POLLHUP));
}

/* The log's onfatal hook: what was handed out reaches the reader first. */
static void
flushout(void *out)
{
	ex_out_flush(out);
}

static void
summary(const struct tally *t)
{
	if (t->nrec == 0)
		ex_summary("0 records, 0 bytes, at offset %llu",
		    (unsigned long long)t->start);
	else
		ex_summary("%llu records, %llu bytes, offsets %llu-%llu",
		    (unsigned long long)t->nrec, (unsigned long long)t->bytes,
		    (unsigned long long)t->first, (unsigned long long)t->last);
}

/* Write records until -n is used up, the log ends (without -F), the
 * reader of stdout goes away or a signal comes. */
static void
pump(const struct opts *o, struct ex_log *log, struct ex_out *out,
    struct tally *t)
{
	struct ex_log_span sp;
	uint64_t left = o->limit, nrec = 0, bytes = 0, k;
	int ifd = -1, ms = o->pollms ? o->pollms : 100;

	if (o->follow && !o->pollms) {
		struct ex_log_wait w;

		ex_log_wait(log, &w);
		if (w.paths && (ifd = watch(w.paths, w.npaths)) >= 0)
			ms = 1000;
	}
	while (left > 0 && !out->broken && !stopsig) {
		if ((k = ex_log_copy(log, out, left, o->tagged, &sp)) > 0) {
			if (nrec == 0)
				t->first = sp.first;
			t->last = sp.last;
			nrec += k;
			bytes += sp.bytes;
			left -= k;
			continue;
		}
		if (!o->follow || ex_out_flush(out) < 0 || waitmore(log, ifd, ms))
			break;
	}
	t->nrec = nrec;
	t->bytes = bytes;
	if (ifd >= 0)
		close(ifd);
}

static void
readlog(const struct opts *o, char **files, int n)
{
	struct ex_store *store = NULL;
	struct ex_log *log;
	struct ex_out out;
	struct tally t = { .start = o->start };
	char from[512];
	int have = o->soff != NULL;

	if (o->ofile) {
		store = ex_store_open(o->ofile, 0);
		if ((have = ex_store_read(store, &t.start)) == 0)
			t.start = 0;
		snprintf(from, sizeof from, "%s: committed offset %llu",
		    o->ofile, (unsigned long long)t.start);
	} else
		snprintf(from, sizeof from, "-s %llu: offset",
		    (unsigned long long)t.start);
	ex_out_init(&out, STDOUT_FILENO, "stdout");
	bigpipe(STDOUT_FILENO);
	log = ex_log_open(files, n, store, o->follow ? EX_LOG_FOLLOW : 0);
	ex_log_onfatal(log, flushout, &out);
	ex_log_seek(log, have, t.start, o->policy, from);
	pump(o, log, &out, &t);
	/* a reader that went away is not an error for a filter */
	ex_out_flush(&out);
	ex_log_close(log);
	/* A reader gone is a quiet stop; with SIGPIPE ignored (as systemd
	 * runs services) the same as with it at its default: status 141. */
	if (out.broken)
		ex_child_gone();
	ex_out_free(&out);
	ex_store_close(store);
	if (o->verbose)
		summary(&t);
}

/* A log's name as -L writes it: one field of one line, whatever bytes
 * it holds.  A backslash, TAB, LF and every other control byte are
 * escaped (\\, \t, \n, \r, else \ooo in octal); all else, UTF-8 too,
 * is written as it is. */
static void
put_name(struct ex_out *out, const char *name)
{
	static const char plain[] = "\\\t\n\r", named[] = "\\tnr";
	const unsigned char *p = (const unsigned char *)name, *run = p;
	const char *c;
	char esc[5];

	for (;; p++) {
		if (*p >= 0x20 && *p != 0x7f && *p != '\\')
			continue;
		ex_out_write(out, run, (size_t)(p - run));
		if (*p == '\0')
			return;
		run = p + 1;
		if ((c = memchr(plain, *p, sizeof plain - 1))) {
			esc[0] = '\\';
			esc[1] = named[c - plain];
			ex_out_write(out, esc, 2);
		} else {
			snprintf(esc, sizeof esc, "\\%03o", *p);
			ex_out_write(out, esc, 4);
		}
	}
}

/* -L: NAME FIRST END COMMITTED LAG, one line per log. */
static void
list(const struct opts *o, char **files, int n)
{
	struct ex_store *store = o->ofile ? ex_store_open(o->ofile,
	    EX_STORE_PEEK) : NULL;
	struct ex_log *log = ex_log_open(files, n, store, EX_LOG_LIST);
	struct ex_log_stand st;
	struct ex_out out;
	char line[128]; /* the four numbers */

	ex_out_init(&out, STDOUT_FILENO, "stdout");
	for (size_t i = 0; ex_log_stand(log, i, &st); i++) {
		int k = snprintf(line, sizeof line, "\t%" PRIu64 "\t%" PRIu64,
		    st.first, st.end);

		if (st.hascommitted)
			k += snprintf(line + k, sizeof line - (size_t)k,
			    "\t%" PRIu64 "\t%" PRId64 "\n", st.committed,
			    (int64_t)(st.end - st.committed));
		else
			k += snprintf(line + k, sizeof line - (size_t)k,
			    "\t-\t-\n");
		put_name(&out, st.name);
		ex_out_write(&out, line, (size_t)k);
	}
	ex_out_flush(&out);
	ex_log_close(log);
	ex_out_free(&out);
	ex_store_close(store);
}

int
main(int argc, char *argv[])
{
	struct opts o = { .limit = EX_COUNT_NONE, .tagged = 1 };

	ex_opt_init(argv[0], usage_lines);
	ex_elapsed();
	options(argc, argv, &o);
	ex_kafka_verbose(o.verbose);
	if (o.klog) {
		argv = &o.klog;
		argc = 1;
		optind = 0;
	}
	if (o.list) {
		list(&o, argv + optind, argc - optind);
		return 0;
	}
	if (o.follow) {
		pollenv(&o);
		catchstop();
	}
	readlog(&o, argv + optind, argc - optind);
	return 0;
}
