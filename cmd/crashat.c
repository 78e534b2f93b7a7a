/*
 * crashat — a crash on purpose, at a chosen record.
 *
 * crashat copies records from stdin to stdout until the first one whose
 * offset (with -c: whose 0-based line number) is at least the given one,
 * or, with -r, until a seeded coin says so; then it crashes before writing
 * that record: SIGKILL (or -s SIG) to its whole process group, to itself
 * alone with -1, or a plain exit with -x.
 *
 * Invariants:
 *   - Every record before the crash point is on stdout, flushed, before
 *     the crash; the record at the crash point and those after it never
 *     reach stdout.
 *   - With a command (lockstep), at most one record is in flight: a record
 *     is fed only after the previous one was acknowledged and written on,
 *     so at the crash the command has finished exactly the records before
 *     the crash point, and the record at the crash point was never fed.
 *   - -r with a given seed crashes at the same record for the same input,
 *     whatever the machine: the generator is ours (splitmix64), not rand().
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ack.h"
#include "clock.h"
#include "err.h"
#include "out.h"
#include "rd.h"
#include "tag.h"

/* Probabilities are compared on 53 bits, the precision of a double. */
#define P_ONE 9007199254740992.0 /* 2^53 */

static const struct {
	const char *name;
	int sig;
} signames[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "IOT", SIGIOT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
	{ "TERM", SIGTERM }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL },
	{ "PWR", SIGPWR }, { "SYS", SIGSYS },
};

struct opts {
	int cflag, pflag, one, verbose;
	int tagged;        /* write (and feed) OFFSET<TAB>PAYLOAD: not -c, -p */
	int sig;           /* signal to crash with, unless xflag */
	int xflag, xstatus;
	int rflag;
	uint64_t thresh;   /* -r: crash when a draw is below this */
	uint64_t seed;
	uint64_t at;       /* the crash offset, without -r */
	char **cmd;        /* NULL: filter form */
};

_Noreturn static void
usage(void)
{
	fprintf(stderr,
	    "usage: crashat [-cpv] [-s signal | -x status] [-1] offset "
	    "[-- command [arg ...]]\n"
	    "       crashat -r probability [-S seed] [-cpv] "
	    "[-s signal | -x status] [-1]\n"
	    "               [-- command [arg ...]]\n");
	exit(EXIT_USAGE);
}

_Noreturn static void
bad(const char *fmt, const char *arg, const char *why)
{
	fprintf(stderr, "%s: ", ex_prog);
	fprintf(stderr, fmt, arg, why);
	fputc('\n', stderr);
	usage();
}

static int
parse_signal(const char *s)
{
	const char *name = s;
	char *end;
	long n;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		n = strtol(s, &end, 10);
		if (*end || errno || n < 1 || n >= NSIG)
			bad("-s %s: %s", s, "no such signal");
		return (int)n;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof signames / sizeof signames[0]; i++)
		if (strcasecmp(name, signames[i].name) == 0)
			return signames[i].sig;
	bad("-s %s: %s", s, "no such signal");
}

static int
parse_status(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || n > 255)
		bad("-x %s: %s", s, "not an exit status from 0 to 255");
	return (int)n;
}

static uint64_t
parse_prob(const char *s)
{
	char *end;
	double p;

	errno = 0;
	p = strtod(s, &end);
	if (end == s || *end || errno || !(p >= 0 && p <= 1))
		bad("-r %s: %s", s, "not a probability from 0 to 1");
	return (uint64_t)(p * P_ONE);
}

static uint64_t
parse_seed(const char *s)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno)
		bad("-S %s: %s", s, "not a seed from 0 to 2^64-1");
	return (uint64_t)n;
}

static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
random_seed(void)
{
	uint64_t s;

	if (getrandom(&s, sizeof s, GRND_NONBLOCK) == (ssize_t)sizeof s)
		return s;
	return (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

static const char *
signame(int sig)
{
	for (size_t i = 0; i < sizeof signames / sizeof signames[0]; i++)
		if (signames[i].sig == sig)
			return signames[i].name;
	return NULL;
}

/* Writing to the command needs SIGPIPE ignored, so a reader of our stdout
 * that went away is noticed as a broken stream: stop as a filter whose
 * reader left stops, by SIGPIPE, once the command has finished. */
_Noreturn static void
reader_gone(struct ex_ack *a)
{
	sigset_t set;

	if (a) {
		ex_ack_eof(a);
		ex_ack_wait(a);
	}
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGPIPE);
	exit(128 + SIGPIPE);
}

static void
flush(struct ex_out *o, struct ex_ack *a)
{
	if (ex_out_flush(o) < 0)
		reader_gone(a);
}

_Noreturn static void
crash(const struct opts *op, struct ex_out *o, struct ex_ack *a,
    uint64_t off, uint64_t out)
{
	const char *unit = op->cflag ? "record" : "offset";
	const char *sn = signame(op->sig);
	char how[64];
	sigset_t set;

	flush(o, a);
	if (op->xflag)
		snprintf(how, sizeof how, "exit %d", op->xstatus);
	else if (sn)
		snprintf(how, sizeof how, "SIG%s to %s", sn,
		    op->one ? "crashat only" : "the process group");
	else
		snprintf(how, sizeof how, "signal %d to %s", op->sig,
		    op->one ? "crashat only" : "the process group");
	if (op->rflag)
		ex_warnx("crashing at %s %llu (-S %llu)", unit,
		    (unsigned long long)off, (unsigned long long)op->seed);
	if (op->verbose)
		ex_summary("%llu records out, %llu in flight, crash at %s %llu: "
		    "%s", (unsigned long long)out,
		    (unsigned long long)(a ? a->fed - a->acked : 0), unit,
		    (unsigned long long)off, how);
	fflush(stderr);
	if (op->xflag) {
		/* A failing stage, not a crash: the command has acknowledged
		 * all it was fed, so let it finish rather than orphan it. */
		if (a)
			ex_ack_wait(a);
		exit(op->xstatus);
	}
	signal(op->sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, op->sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (kill(op->one ? getpid() : 0, op->sig) < 0)
		ex_die(EXIT_FAILURE, "kill");
	/* Still here: the signal's default action neither ends a process
	 * (CHLD, CONT, URG, WINCH) nor kept us stopped.  A crash is a crash. */
	exit(128 + op->sig);
}

/* Feed one record and wait for its acknowledgement.  0 if the command
 * closed its output first. */
static int
lockstep(const struct opts *op, struct ex_ack *a, struct ex_out *o,
    uint64_t off, const char *payload, size_t len)
{
	struct ex_flight *f;
	int64_t since = 0, next = 1000;
	int bits;

	ex_ack_send(a, off, payload, len);
	if (op->verbose)
		since = ex_now_ms();
	for (;;) {
		bits = ex_ack_poll(a, -1, op->verbose ? 250 : -1);
		if ((f = ex_ack_take(a))) {
			/* At once, not when the buffer fills: as the command of
			 * commit -e or dedup -e, our output is the
			 * acknowledgement, and one held back widens the window
			 * in which a crash replays a finished record. */
			ex_out_rec(o, f->off, f->payload, f->len, op->tagged);
			flush(o, a);
			return 1;
		}
		if (bits & EX_ACK_EOF)
			return 0;
		if (op->verbose && ex_now_ms() - since >= next) {
			ex_warnx("%s %llu: no acknowledgement after %lld s, "
			    "%llu record in flight (is the command's output "
			    "line-buffered?)", op->cflag ? "record" : "offset",
			    (unsigned long long)off, (long long)(next / 1000),
			    (unsigned long long)(a->fed - a->acked));
			next *= 2;
		}
	}
}

int
main(int argc, char *argv[])
{
	struct opts op = { .sig = SIGKILL };
	struct ex_ack ack, *a = NULL;
	struct ex_rd rd;
	struct ex_out o;
	uint64_t n = 0, out = 0, off = 0, rng;
	const char *payload, *why;
	char *line;
	size_t len, plen;
	int c, r, st = 0, sflag = 0, seeded = 0;

	ex_setprog(argv[0]);
	ex_elapsed();
	while ((c = getopt(argc, argv, "+1cpr:s:S:vx:")) != -1) {
		switch (c) {
		case '1':
			op.one = 1;
			break;
		case 'c':
			op.cflag = 1;
			break;
		case 'p':
			op.pflag = 1;
			break;
		case 'r':
			op.rflag = 1;
			op.thresh = parse_prob(optarg);
			break;
		case 's':
			sflag = 1;
			op.sig = parse_signal(optarg);
			break;
		case 'S':
			seeded = 1;
			op.seed = parse_seed(optarg);
			break;
		case 'v':
			op.verbose = 1;
			break;
		case 'x':
			op.xflag = 1;
			op.xstatus = parse_status(optarg);
			break;
		default:
			usage();
		}
	}
	argv += optind;
	argc -= optind;
	if (sflag && op.xflag)
		bad("%s%s", "-s and -x", " exclude each other");
	if (seeded && !op.rflag)
		bad("%s%s", "-S", " needs -r");
	if (!op.rflag) {
		if (argc < 1)
			bad("%s%s", "missing offset", "");
		if ((why = ex_off_parse(argv[0], strlen(argv[0]), &op.at)))
			bad("offset %s: %s", argv[0], why);
		argv++;
		argc--;
		if (argc > 0 && strcmp(argv[0], "--") == 0) {
			argv++;
			argc--;
			if (argc == 0)
				bad("%s%s", "-- without a command", "");
		} else if (argc > 0)
			bad("%s: %s", argv[0], argv[0][0] == '-' ?
			    "options go before the offset" :
			    "unexpected argument (a command follows --)");
	} else if (argc > 0 && strcmp(argv[-1], "--") != 0)
		bad("%s: %s", argv[0], "unexpected argument (-r takes no "
		    "offset; a command follows --)");
	if (argc > 0)
		op.cmd = argv;
	if (op.rflag && !seeded) {
		op.seed = random_seed();
		ex_warnx("seed %llu", (unsigned long long)op.seed);
	}
	rng = op.seed;
	op.tagged = !op.cflag && !op.pflag;

	ex_rd_init(&rd, 0, "stdin");
	ex_out_init(&o, 1, "stdout");
	if (op.cmd) {
		signal(SIGPIPE, SIG_IGN);
		a = &ack;
		ex_ack_start(a, op.cmd, op.tagged);
	}
	for (;;) {
		if (!ex_rd_ready(&rd))
			flush(&o, a); /* about to wait: hand on what we have */
		if ((r = ex_rd_line(&rd, &line, &len)) == EX_RD_EOF)
			break;
		if (op.cflag) {
			off = n;
			payload = line;
			plen = len;
		} else if ((why = ex_tag_split(line, len, &off, &payload,
		    &plen))) {
			flush(&o, a);
			ex_diex(EXIT_DATA, "stdin: line %llu: %s",
			    (unsigned long long)n + 1, why);
		}
		n++;
		if (op.rflag ? (splitmix64(&rng) >> 11) < op.thresh :
		    off >= op.at)
			crash(&op, &o, a, off, out);
		if (a) {
			if (!lockstep(&op, a, &o, off, payload, plen))
				break;
		} else {
			if (op.tagged)
				ex_out_write(&o, line, len);
			else
				ex_out_write(&o, payload, plen);
			if (r == EX_RD_LINE)
				ex_out_write(&o, "\n", 1);
		}
		out++;
	}
	flush(&o, a);
	if (a) {
		st = ex_ack_wait(a);
		/* 126 and 127: the command was never run, and said why. */
		if (a->fed != a->acked && st != EXIT_NOEXEC &&
		    st != EXIT_NOTFOUND)
			ex_warnx("%s: %s before acknowledging %s %llu (status %d)",
			    op.cmd[0], st ? "failed" : "ended",
			    op.cflag ? "record" : "offset",
			    (unsigned long long)off, st);
	}
	if (op.verbose && a)
		ex_summary("%llu records in, %llu out, %llu in flight, "
		    "command status %d", (unsigned long long)n,
		    (unsigned long long)out,
		    (unsigned long long)(a->fed - a->acked), st);
	else if (op.verbose)
		ex_summary("%llu records in, %llu out", (unsigned long long)n,
		    (unsigned long long)out);
	return st;
}
