/*
 * ack_test — lib/ack.c under load: records fed to a real command as fast
 * as it takes them (no lockstep), and every acknowledged record handed
 * back whole and in order.  Both pipes full, a command that reads all
 * before it acknowledges anything, records larger than a chunk, and a
 * command that stops reading, whose records stay in flight.  Progress
 * marks: never fed, handed out in their place once the records before
 * them are acknowledged, a run of them taken as its last.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack.h"
#include "clock.h"
#include "err.h"
#include "unit.h"

struct recs {
	char **p;
	size_t *n;
	size_t count;
};

static void
mkrecs(struct recs *r, size_t count, size_t big)
{
	r->p = ex_malloc(count * sizeof *r->p);
	r->n = ex_malloc(count * sizeof *r->n);
	r->count = count;
	for (size_t i = 0; i < count; i++) {
		if (big && i % 2) {
			r->p[i] = ex_malloc(big);
			memset(r->p[i], 'x', big);
			r->n[i] = big;
		} else {
			char b[32];

			r->n[i] = (size_t)snprintf(b, sizeof b, "payload %zu", i);
			r->p[i] = strdup(b);
		}
	}
}

static void
freerecs(struct recs *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->p[i]);
	free(r->p);
	free(r->n);
}

/* Hand back what the command acknowledged, checking it is the next
 * record, whole. */
static void
take(struct ex_ack *a, const struct recs *r, size_t *next, int *bad)
{
	struct ex_flight *f;

	while ((f = ex_ack_take(a))) {
		size_t i = *next;

		if (i >= r->count || f->off != i || f->len != r->n[i] ||
		    memcmp(f->payload, r->p[i], f->len) != 0)
			(*bad)++;
		(*next)++;
	}
}

/* Feed every record to argv as fast as it takes them; returns how many
 * came back acknowledged, in order and whole (*bad counts those that did
 * not), and the command's status in *st. */
static size_t
feed_all(char *const argv[], const struct recs *r, int *st, int *bad)
{
	struct ex_ack a;
	size_t sent = 0, next = 0;

	*bad = 0;
	ex_ack_start(&a, argv, 1);
	while (sent < r->count) {
		if (ex_ack_full(&a)) {
			ex_ack_poll(&a, -1, -1);
			take(&a, r, &next, bad);
			continue;
		}
		ex_ack_send(&a, sent, r->p[sent], r->n[sent], 0);
		sent++;
		if (sent % 1000 == 0) {
			ex_ack_poll(&a, -1, 0);
			take(&a, r, &next, bad);
		}
	}
	*st = ex_ack_wait(&a);
	take(&a, r, &next, bad);
	CHECK_U64(a.fed, r->count);
	ex_ack_free(&a);
	return next;
}

/* The next flight taken is the record (mark 0) or mark at off. */
#define TAKE(a, o, m) do { \
	struct ex_flight *f_ = ex_ack_take(a); \
	CHECK(f_ != NULL); \
	if (f_) { \
		CHECK_U64(f_->off, o); \
		CHECK_U64(f_->mark, m); \
		if (m) \
			CHECK_U64(f_->len, 0); \
	} \
} while (0)

static void
marks(void)
{
	char w_cat[] = "cat", w_sh[] = "sh", w_c[] = "-c", w_tee[128],
	    fed[64];
	char *cat[] = { w_cat, NULL }, *late[] = { w_sh, w_c, w_tee, NULL };
	struct ex_ack a;
	int64_t t0;
	int bits;
	FILE *fp;
	char got[64];
	size_t n;

	/* what the command was fed, kept where it harms nothing */
	snprintf(fed, sizeof fed, "/tmp/ack_test.%ld", (long)getpid());
	snprintf(w_tee, sizeof w_tee, "tee %s | sort | sed 's/.*//'", fed);

	/* nothing before it: handed out at once, and poll says so at once */
	ex_ack_start(&a, cat, 1);
	ex_ack_mark(&a, 0);
	t0 = ex_now_ms();
	bits = ex_ack_poll(&a, -1, 5000);
	CHECK(bits & EX_ACK_READY);
	CHECK(ex_now_ms() - t0 < 2500);
	TAKE(&a, 0, 1);
	CHECK(ex_ack_take(&a) == NULL);
	CHECK_U64(a.fed, 0);
	CHECK_U64(ex_ack_wait(&a), 0);
	CHECK_U64(a.acked, 0);
	ex_ack_free(&a);

	/* behind records: only once they are acknowledged; a run of marks
	 * is its last; the command is fed the records alone */
	ex_ack_start(&a, late, 1);
	ex_ack_send(&a, 1, "a", 1, 0);
	ex_ack_mark(&a, 2);
	ex_ack_mark(&a, 3);
	ex_ack_send(&a, 4, "b", 1, 0);
	ex_ack_mark(&a, 5);
	CHECK_U64(a.fed, 2);
	bits = ex_ack_poll(&a, -1, 200);
	CHECK(!(bits & EX_ACK_READY));
	CHECK(ex_ack_take(&a) == NULL); /* sort acknowledges only at EOF */
	CHECK_U64(ex_ack_wait(&a), 0);
	TAKE(&a, 1, 0);
	TAKE(&a, 3, 1);
	TAKE(&a, 4, 0);
	TAKE(&a, 5, 1);
	CHECK(ex_ack_take(&a) == NULL);
	CHECK_U64(a.acked, 2);
	ex_ack_free(&a);
	fp = fopen(fed, "r");
	CHECK(fp != NULL);
	if (fp) {
		n = fread(got, 1, sizeof got, fp);
		CHECK_MEM(got, n, "1\ta\n4\tb\n", 8);
		fclose(fp);
	}
	unlink(fed);

	/* many, past the ring's first size, through a command that runs
	 * as fast as we feed it */
	{
		uint64_t next = 0, i;
		struct ex_flight *f;
		int order = 0;

		ex_ack_start(&a, cat, 1);
		for (i = 0; i < 5000; i++) {
			ex_ack_send(&a, 2 * i, "r", 1, 0);
			ex_ack_mark(&a, 2 * i + 1);
			if (i % 700 == 0)
				ex_ack_poll(&a, -1, 0);
			while ((f = ex_ack_take(&a)))
				order += f->off != next++ || f->mark != (int)(f->off & 1);
		}
		CHECK_U64(ex_ack_wait(&a), 0);
		while ((f = ex_ack_take(&a)))
			order += f->off != next++ || f->mark != (int)(f->off & 1);
		CHECK_U64(order, 0);
		CHECK_U64(next, 10000);
		CHECK_U64(a.fed, 5000);
		ex_ack_free(&a);
	}
}

/* A tag given with the payload is copied, not formatted, and the flight
 * says where the line fed begins; a command fed payloads gets none. */
static void
tags(void)
{
	char w_sh[] = "sh", w_c[] = "-c", w_tee[128], fed[64], got[64];
	char *tee[] = { w_sh, w_c, w_tee, NULL };
	const char line[] = "17\tabc";
	struct ex_ack a;
	struct ex_flight *f;
	FILE *fp;
	size_t n;

	snprintf(fed, sizeof fed, "/tmp/ack_test.%ld", (long)getpid());
	snprintf(w_tee, sizeof w_tee, "tee %s", fed);
	for (int tagged = 1; tagged >= 0; tagged--) {
		ex_ack_start(&a, tee, tagged);
		f = ex_ack_send(&a, 17, line + 3, 3, 3);
		CHECK_U64(f->tag, tagged ? 3 : 0);
		CHECK_MEM(f->payload - f->tag, f->tag + f->len + 1,
		    tagged ? "17\tabc\n" : "abc\n", tagged ? 7 : 4);
		ex_ack_send(&a, 18, "d", 1, 0);
		CHECK_U64(ex_ack_wait(&a), 0);
		CHECK((f = ex_ack_take(&a)) != NULL);
		if (f)
			CHECK_U64(f->tag, tagged ? 3 : 0);
		CHECK((f = ex_ack_take(&a)) != NULL);
		if (f)
			CHECK_U64(f->tag, tagged ? 3 : 0);
		ex_ack_free(&a);
		fp = fopen(fed, "r");
		CHECK(fp != NULL);
		if (fp) {
			n = fread(got, 1, sizeof got, fp);
			if (tagged)
				CHECK_MEM(got, n, "17\tabc\n18\td\n", 12);
			else
				CHECK_MEM(got, n, "abc\nd\n", 6);
			fclose(fp);
		}
		unlink(fed);
	}
}

int
main(int argc, char *argv[])
{
	/* execvp wants char *const[]: writable copies of the words */
	char w_cat[] = "cat", w_sh[] = "sh", w_c[] = "-c",
	    w_sort[] = "sort | sed 's/.*//'", w_head[] = "head", w_n[] = "-n",
	    w_5[] = "5";
	char *cat[] = { w_cat, NULL };
	char *sorted[] = { w_sh, w_c, w_sort, NULL };
	char *head[] = { w_head, w_n, w_5, NULL };
	struct recs r;
	int st, bad;

	(void)argc;
	ex_setprog(argv[0]);
	signal(SIGPIPE, SIG_IGN);

	/* both pipes full: we write while cat waits to write to us */
	mkrecs(&r, 200000, 0);
	CHECK_U64(feed_all(cat, &r, &st, &bad), 200000);
	CHECK_U64(bad, 0);
	CHECK_U64(st, 0);

	/* nothing acknowledged until everything was read */
	CHECK_U64(feed_all(sorted, &r, &st, &bad), 200000);
	CHECK_U64(bad, 0);
	CHECK_U64(st, 0);

	/* a command that stops reading: the rest stays in flight, the
	 * tool is not killed by SIGPIPE */
	CHECK_U64(feed_all(head, &r, &st, &bad), 5);
	CHECK_U64(bad, 0);
	CHECK_U64(st, 0);
	freerecs(&r);

	/* records larger than a chunk, in flight and through */
	mkrecs(&r, 6, (size_t)1 << 21);
	CHECK_U64(feed_all(cat, &r, &st, &bad), 6);
	CHECK_U64(bad, 0);
	CHECK_U64(feed_all(sorted, &r, &st, &bad), 6);
	CHECK_U64(bad, 0);
	freerecs(&r);

	marks();
	tags();
	return unit_done("ack_test");
}
