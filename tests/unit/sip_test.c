/*
 * sip_test — lib/sip.c against libsodium's crypto_shorthash_siphashx24,
 * for which it stands in: sixteen keys at once of every length from 0 to
 * 135 bytes (lengths differing within a word, as ex_sip16 allows), read
 * at every alignment, under random secrets; then ex_seen_fps, which picks
 * between the two, against ex_seen_fp key by key, with keys of mixed
 * lengths too.  A fingerprint that differed would make a key recorded by
 * one build pass as new under another.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "seen.h"
#include "sip.h"
#include "unit.h"

static uint64_t rnd = 0x9e3779b97f4a7c15u;

static void
fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)unit_rand(&rnd);
}

static void
lanes(void)
{
	unsigned char secret[16], buf[16 * 160], fp[16][16], want[16];
	const unsigned char *in[16];
	unsigned char *out[16];
	size_t len[16];

	if (!ex_sip16_ok()) {
		printf("sip_test: no AVX-512 here: ex_sip16 not tested\n");
		return;
	}
	for (size_t words = 0; words <= 16; words++)
		for (int t = 0; t < 64; t++) {
			fill(secret, sizeof secret);
			fill(buf, sizeof buf);
			for (int i = 0; i < 16; i++) {
				len[i] = 8 * words + unit_rand(&rnd) % 8;
				in[i] = buf + 160 * i + t % 16;
				out[i] = fp[i];
			}
			ex_sip16(secret, in, len, out);
			for (int i = 0; i < 16; i++) {
				crypto_shorthash_siphashx24(want, in[i], len[i],
				    secret);
				CHECK(memcmp(fp[i], want, 16) == 0);
			}
		}
}

/* ex_seen_fps over n keys of lengths lo..hi, against ex_seen_fp. */
static void
many(const struct ex_seen *s, size_t n, size_t lo, size_t hi)
{
	static unsigned char buf[200 * 64], fp[200][EX_KEY_FP];
	unsigned char want[EX_KEY_FP];
	const unsigned char *key[200];
	unsigned char *out[200];
	size_t len[200];

	fill(buf, sizeof buf);
	for (size_t i = 0; i < n; i++) {
		len[i] = lo + unit_rand(&rnd) % (hi - lo + 1);
		key[i] = buf + 64 * i;
		out[i] = fp[i];
	}
	ex_seen_fps(s, n, key, len, out);
	for (size_t i = 0; i < n; i++) {
		ex_seen_fp(s, key[i], len[i], want);
		CHECK(memcmp(fp[i], want, EX_KEY_FP) == 0);
	}
}

int
main(void)
{
	char dir[64], set[96], cmd[128];
	struct ex_seen *s;

	ex_setprog("sip_test");
	if (sodium_init() < 0)
		abort();
	lanes();
	snprintf(dir, sizeof dir, "/tmp/sip_test.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(set, sizeof set, "%s/set", dir);
	s = ex_seen_open(set, 0);
	for (size_t n = 0; n <= 200; n += 7) {
		many(s, n, 14, 14);  /* one length: all sixteen at a time */
		many(s, n, 16, 23);  /* one length in words */
		many(s, n, 0, 40);   /* mixed: one key at a time */
	}
	many(s, 64, 0, 0);
	ex_seen_close(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done("sip_test");
}
