/*
 * sip.h — SipHash-2-4 with a 128-bit output, sixteen keys at a time.
 *
 * The same function as libsodium's crypto_shorthash_siphashx24, computed
 * for sixteen keys at once in the 64-bit lanes of AVX-512 registers, when
 * the CPU and the kernel have them.  One key alone is latency-bound (each
 * round waits for the one before); sixteen side by side keep the vector
 * units busy: about 13 ns a key against 23-31 for libsodium's, measured
 * on 14-byte keys.  tests/unit/sip_test.c holds it to libsodium's answers.
 */
#ifndef EX_SIP_H
#define EX_SIP_H

#include <stddef.h>

#define EX_SIP_LANES 16

/* Whether ex_sip16 can run here (checked once). */
int ex_sip16_ok(void);

/* out[i] = SipHash-2-4-128 of in[i] (len[i] bytes) under key, for i < 16.
 * Every len[i] / 8 must be the same; only when ex_sip16_ok(). */
void ex_sip16(const unsigned char key[16], const unsigned char *const in[16],
    const size_t len[16], unsigned char *const out[16]);

#endif
