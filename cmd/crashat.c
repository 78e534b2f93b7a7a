/*
 * crashat — a crash on purpose, at a chosen record.
 *
 * crashat copies records from stdin to stdout until the first one whose
 * offset (with -c: whose 0-based line number) is at least the given one,
 * or, with -r, until a seeded coin says so; then it crashes before writing
 * that record: SIGKILL (or -s SIG) to its whole process group, to itself
 * alone with -1, or a plain exit with -x.
 *
 * A progress mark ("OFFSET" alone, without -c) is not a record: it is
 * never a crash point, never counted, never fed to the command (nothing
 * is in flight when it comes, so it is written on at once, in its
 * place), and, having no payload, not written at all with -p.
 *
 * Invariants:
 *   - Every record and mark before the crash point is on stdout, flushed,
 *     before the crash; the record at the crash point and those after it
 *     never reach stdout.
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
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ack.h"
#include "child.h"
#include "clock.h"
#include "err.h"
#include "loop.h"
#include "opt.h"
#include "out.h"
#include "rd.h"
#include "sig.h"
#include "tag.h"

static const char usage_lines[] =
    "usage: crashat [-cpv] [-s signal | -x status] [-1] offset "
    "[-- command [arg ...]]\n"
    "       crashat -r probability [-S seed] [-cpv] "
    "[-s signal | -x status] [-1]\n"
    "               [-- command [arg ...]]\n";

/* Probabilities are compared on 53 bits, the precision of a double. */
#define P_ONE 9007199254740992.0 /* 2^53 */

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

static int
parse_signal(const char *s)
{
	int sig = ex_sig_parse(s);

	if (sig < 0)
		ex_usage("-s %s: no such signal", s);
	return sig;
}

static int
parse_status(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || n > 255)
		ex_usage("-x %s: expected an exit status from 0 to 255", s);
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
		ex_usage("-r %s: expected a probability from 0 to 1", s);
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
		ex_usage("-S %s: expected a seed from 0 to 2^64-1", s);
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


static void
flush(struct ex_out *o)
{
	if (ex_out_flush(o) < 0)
		ex_child_gone();
}

_Noreturn static void
crash(const struct opts *op, struct ex_out *o, struct ex_echo *e,
    uint64_t off, uint64_t out)
{
	const char *unit = op->cflag ? "record" : "offset";
	const char *sn = ex_sig_name(op->sig);
	char how[64];
	sigset_t set;

	flush(o);
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
		    (unsigned long long)(e ? e->a.fed - e->a.acked : 0), unit,
		    (unsigned long long)off, how);
	fflush(stderr);
	if (op->xflag) {
		/* A failing stage, not a crash: the command has acknowledged
		 * all it was fed, so let it finish rather than orphan it. */
		if (e)
			ex_ack_wait(&e->a);
		exit(op->xstatus);
	}
	/* The crash is ours to make: not one the handlers of child.h soften
	 * by stopping the command first. */
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
lockstep(struct ex_echo *e, struct ex_out *o, const struct opts *op,
    uint64_t off, const char *payload, size_t len)
{
	struct ex_flight *f;
	int bits;

	ex_ack_send(&e->a, off, payload, len, 0);
	for (;;) {
		bits = ex_echo_poll(e, -1, -1);
		if ((f = ex_ack_take(&e->a))) {
			/* At once, not when the buffer fills: as the command of
			 * commit -e or dedup -e, our output is the
			 * acknowledgement, and one held back widens the window
			 * in which a crash replays a finished record. */
			ex_out_rec(o, f->off, f->payload, f->len, op->tagged);
			flush(o);
			e->done++;
			return 1;
		}
		if (bits & EX_ACK_GONE)
			ex_child_gone();
		if (bits & EX_ACK_EOF)
			return 0;
	}
}

static void
parse(int argc, char *argv[], struct opts *op)
{
	int c, sflag = 0, seeded = 0;
	const char *at;

	while ((c = getopt(argc, argv, "+1cpr:s:S:vx:")) != -1) {
		switch (c) {
		case '1':
			op->one = 1;
			break;
		case 'c':
			op->cflag = 1;
			break;
		case 'p':
			op->pflag = 1;
			break;
		case 'r':
			op->rflag = 1;
			op->thresh = parse_prob(optarg);
			break;
		case 's':
			sflag = 1;
			op->sig = parse_signal(optarg);
			break;
		case 'S':
			seeded = 1;
			op->seed = parse_seed(optarg);
			break;
		case 'v':
			op->verbose = 1;
			break;
		case 'x':
			op->xflag = 1;
			op->xstatus = parse_status(optarg);
			break;
		default:
			ex_usage(NULL);
		}
	}
	argv += optind;
	argc -= optind;
	if (sflag && op->xflag)
		ex_usage("-s and -x exclude each other");
	if (seeded && !op->rflag)
		ex_usage("-S needs -r");
	if (!op->rflag) {
		if (argc < 1)
			ex_usage("missing offset");
		at = argv[0];
		op->at = ex_opt_offset("offset", at);
		argv++;
		argc--;
		if (argc > 0 && strcmp(argv[0], "--") == 0) {
			argv++;
			argc--;
			if (argc == 0)
				ex_usage("-- without a command");
		} else if (argc > 0)
			ex_usage("%s: %s", argv[0], argv[0][0] == '-' ?
			    "options go before the offset" :
			    "unexpected argument (a command follows --)");
	} else if (argc > 0 && strcmp(argv[-1], "--") != 0)
		ex_usage("%s: unexpected argument (-r takes no offset; a "
		    "command follows --)", argv[0]);
	if (argc > 0)
		op->cmd = argv;
	if (op->rflag && !seeded) {
		op->seed = random_seed();
		ex_warnx("seed %llu", (unsigned long long)op->seed);
	}
	op->tagged = !op->cflag && !op->pflag;
}

int
main(int argc, char *argv[])
{
	struct opts op = { .sig = SIGKILL };
	struct ex_echo ec, *e = NULL;
	struct ex_batch b;
	struct ex_rd rd;
	struct ex_out o;
	uint64_t n = 0, out = 0, off = 0, nmark = 0, rng;
	const char *payload, *why;
	char *line, how[64], marks[64] = "";
	size_t len, plen;
	int r, st = 0, mark = 0;

	ex_opt_init(argv[0], usage_lines);
	ex_elapsed();
	parse(argc, argv, &op);
	rng = op.seed;

	ex_rd_init(&rd, 0, "stdin");
	ex_out_init(&o, 1, "stdout");
	/* one batch without limits: a reader of ours that leaves while the
	 * input is quiet is seen at once */
	ex_batch_init(&b, &rd, EX_COUNT_NONE, 0);
	ex_batch_start(&b);
	b.idle = b.watch = &o;
	if (op.cmd) {
		signal(SIGPIPE, SIG_IGN);
		ex_child_guard();
		e = &ec;
		/* lockstep: one record in flight at most */
		ex_echo_start(e, op.cmd, op.tagged, 1, op.verbose);
		e->a.watch = o.fd;
	}
	for (;;) {
		r = ex_batch_next(&b, &line, &len);
		if (r == EX_BATCH_GONE)
			ex_child_gone();
		if (r == EX_BATCH_EOF)
			break;
		if (op.cflag) {
			off = n;
			payload = line;
			plen = len;
		} else if ((why = ex_tag_line(line, len, &off, &payload,
		    &plen, &mark))) {
			flush(&o);
			ex_diex(EXIT_DATA, "stdin: line %llu: %s",
			    (unsigned long long)(rd.lineno +
			    (r == EX_BATCH_TORN)), why);
		}
		if (mark) {
			if (op.tagged) {
				ex_out_write(&o, line, len);
				if (r == EX_BATCH_REC)
					ex_out_write(&o, "\n", 1);
				/* as an acknowledgement is: at once */
				if (e)
					flush(&o);
				if (o.broken)
					ex_child_gone(); /* SIGPIPE ignored */
			}
			nmark++;
			if (r == EX_BATCH_TORN)
				break;
			continue;
		}
		n++;
		if (op.rflag ? (splitmix64(&rng) >> 11) < op.thresh :
		    off >= op.at)
			crash(&op, &o, e, off, out);
		if (e) {
			if (!lockstep(e, &o, &op, off, payload, plen))
				break;
		} else {
			if (op.tagged)
				ex_out_write(&o, line, len);
			else
				ex_out_write(&o, payload, plen);
			/* a last line without its LF is copied as it is */
			if (r == EX_BATCH_REC)
				ex_out_write(&o, "\n", 1);
			if (o.broken)
				ex_child_gone(); /* SIGPIPE ignored */
		}
		out++;
		if (r == EX_BATCH_TORN)
			break;
	}
	flush(&o);
	if (e) {
		st = ex_ack_wait(&e->a);
		if (e->a.fed != e->a.acked) {
			/* A command that ended before the end of its input is a
			 * failure even if it exited 0: status 0 says the input
			 * ended.  126 and 127: it never ran, and said why. */
			if (WIFEXITED(e->a.wstatus) && (st == EXIT_NOEXEC ||
			    st == EXIT_NOTFOUND))
				;
			else
				ex_warnx("%s: %s before acknowledging %s %llu",
				    op.cmd[0], ex_child_how(e->a.wstatus, how,
				    sizeof how), op.cflag ? "record" : "offset",
				    (unsigned long long)off);
			if (st == 0)
				st = EXIT_FAILURE;
		} else
			ex_child_report(op.cmd[0], e->a.wstatus);
	}
	if (nmark)
		snprintf(marks, sizeof marks, ", %llu progress mark%s",
		    (unsigned long long)nmark, nmark == 1 ? "" : "s");
	if (op.verbose && e)
		ex_summary("%llu records in, %llu out%s, %llu in flight, "
		    "command status %d", (unsigned long long)n,
		    (unsigned long long)out, marks,
		    (unsigned long long)(e->a.fed - e->a.acked), st);
	else if (op.verbose)
		ex_summary("%llu records in, %llu out%s", (unsigned long long)n,
		    (unsigned long long)out, marks);
	return st;
}
