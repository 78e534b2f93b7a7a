#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "err.h"
#include "fpset.h"
#include "fptab.h"

#define FPSET_MIN 64
#define BIG (2u << 20)

/* Zeroed slots; big sets get huge pages, since every access is random and
 * would otherwise miss the TLB as well as the cache. */
static uint64_t *
zalloc(size_t cap)
{
	size_t n = 2 * cap * sizeof(uint64_t);
	void *p;

	if (n < BIG) {
		if (!(p = calloc(1, n)))
			ex_die(EXIT_FAILURE, "calloc");
		return p;
	}
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		ex_die(EXIT_FAILURE, "mmap %zu bytes", n);
	madvise(p, n, MADV_HUGEPAGE);
	return p;
}

static void
zfree(uint64_t *p, size_t cap)
{
	size_t n = 2 * cap * sizeof(uint64_t);

	if (n < BIG)
		free(p);
	else if (p)
		munmap(p, n);
}

void
ex_fpset_init(struct ex_fpset *s)
{
	s->cap = FPSET_MIN;
	s->n = 0;
	s->slot = zalloc(s->cap);
	s->log = NULL;
	s->logcap = 0;
	s->logging = 0;
	s->whole = 1;
}

void
ex_fpset_free(struct ex_fpset *s)
{
	zfree(s->slot, s->cap);
	s->slot = NULL;
	free(s->log);
	s->log = NULL;
}

void
ex_fpset_log(struct ex_fpset *s)
{
	s->logging = 1;
	s->whole = s->n == 0;
}

const unsigned char *
ex_fpset_logged(const struct ex_fpset *s)
{
	return s->logging && s->whole && s->log ? s->log : NULL;
}

int
ex_fpset_has(const struct ex_fpset *s, const unsigned char *fp)
{
	uint64_t a, b, pos;

	if (s->n == 0)
		return 0;
	ex_fp_words(fp, &a, &b);
	return ex_fptab_find(s->slot, s->cap - 1, a, b, &pos);
}

void
ex_fpset_prefetch(const struct ex_fpset *s, const unsigned char *fp)
{
	uint64_t a;

	if (s->n) {
		memcpy(&a, fp, 8);
		ex_fptab_prefetch(s->slot, s->cap - 1, a);
	}
}

static void
grow(struct ex_fpset *s)
{
	uint64_t *old = s->slot;
	size_t ocap = s->cap;

	s->cap *= 2;
	s->slot = zalloc(s->cap);
	for (size_t i = 0; i < ocap; i++)
		if (old[2 * i] | old[2 * i + 1])
			ex_fptab_put(s->slot, s->cap - 1, old[2 * i],
			    old[2 * i + 1]);
	zfree(old, ocap);
}

int
ex_fpset_add(struct ex_fpset *s, const unsigned char *fp)
{
	uint64_t a, b, pos;

	ex_fp_words(fp, &a, &b);
	if (ex_fptab_find(s->slot, s->cap - 1, a, b, &pos))
		return 0;
	if (2 * (s->n + 1) > s->cap) {
		grow(s);
		ex_fptab_put(s->slot, s->cap - 1, a, b);
	} else {
		s->slot[2 * pos] = a;
		s->slot[2 * pos + 1] = b;
	}
	if (s->logging) {
		if (16 * (s->n + 1) > s->logcap) {
			s->logcap = s->logcap ? 2 * s->logcap : 16 * FPSET_MIN;
			s->log = ex_realloc(s->log, s->logcap);
		}
		memcpy(s->log + 16 * s->n, fp, 16);
	}
	s->n++;
	return 1;
}

int
ex_fpset_del(struct ex_fpset *s, const unsigned char *fp)
{
	uint64_t a, b;

	ex_fp_words(fp, &a, &b);
	if (s->n == 0 || !ex_fptab_del(s->slot, s->cap - 1, a, b))
		return 0;
	s->n--;
	s->whole = 0;
	return 1;
}

void
ex_fpset_clear(struct ex_fpset *s)
{
	int logging = s->logging;

	if (s->cap > 4096) { /* a big batch is over: give the memory back */
		ex_fpset_free(s);
		ex_fpset_init(s);
		s->logging = logging;
		return;
	}
	memset(s->slot, 0, 2 * s->cap * sizeof *s->slot);
	s->n = 0;
	s->whole = 1;
}
