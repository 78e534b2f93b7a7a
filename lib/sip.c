#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "sip.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define WIDE __attribute__((target("avx512f")))

int
ex_sip16_ok(void)
{
	return ex_cpu_has(EX_CPU_AVX512F);
}

static uint64_t
ld64(const unsigned char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return x;
}

/* The last block: what is left after the whole words, and the length in
 * the top byte. */
static uint64_t
last(const unsigned char *p, size_t n)
{
	uint64_t t = 0;
	size_t r = n & 7;

	memcpy(&t, p + (n - r), r);
	return (uint64_t)n << 56 | t;
}

#define ADD(a, b) _mm512_add_epi64(a, b)
#define XOR(a, b) _mm512_xor_si512(a, b)
#define ROL(a, b) _mm512_rol_epi64(a, b)
/* One SipRound of each of the two groups of eight keys, interleaved. */
#define ROUND() do { \
	a0 = ADD(a0, a1); b0 = ADD(b0, b1); a2 = ADD(a2, a3); b2 = ADD(b2, b3); \
	a1 = ROL(a1, 13); b1 = ROL(b1, 13); a3 = ROL(a3, 16); b3 = ROL(b3, 16); \
	a1 = XOR(a1, a0); b1 = XOR(b1, b0); a3 = XOR(a3, a2); b3 = XOR(b3, b2); \
	a0 = ROL(a0, 32); b0 = ROL(b0, 32); \
	a2 = ADD(a2, a1); b2 = ADD(b2, b1); a0 = ADD(a0, a3); b0 = ADD(b0, b3); \
	a1 = ROL(a1, 17); b1 = ROL(b1, 17); a3 = ROL(a3, 21); b3 = ROL(b3, 21); \
	a1 = XOR(a1, a2); b1 = XOR(b1, b2); a3 = XOR(a3, a0); b3 = XOR(b3, b0); \
	a2 = ROL(a2, 32); b2 = ROL(b2, 32); \
} while (0)
/* Take in one block m of each key (ma for the first eight, mb the rest). */
#define BLOCK(ma, mb) do { \
	a3 = XOR(a3, ma); b3 = XOR(b3, mb); \
	ROUND(); ROUND(); \
	a0 = XOR(a0, ma); b0 = XOR(b0, mb); \
} while (0)

WIDE void
ex_sip16(const unsigned char key[16], const unsigned char *const in[16],
    const size_t len[16], unsigned char *const out[16])
{
	uint64_t k0 = ld64(key), k1 = ld64(key + 8), m[16], h[16], g[16];
	__m512i a0 = _mm512_set1_epi64((long long)(k0 ^ 0x736f6d6570736575u));
	__m512i a1 = _mm512_set1_epi64((long long)(k1 ^ 0x646f72616e646f6du ^ 0xee));
	__m512i a2 = _mm512_set1_epi64((long long)(k0 ^ 0x6c7967656e657261u));
	__m512i a3 = _mm512_set1_epi64((long long)(k1 ^ 0x7465646279746573u));
	__m512i b0 = a0, b1 = a1, b2 = a2, b3 = a3;
	size_t words = len[0] / 8;

	for (size_t w = 0; w < words; w++) {
		for (int i = 0; i < 16; i++)
			m[i] = ld64(in[i] + 8 * w);
		BLOCK(_mm512_loadu_si512(m), _mm512_loadu_si512(m + 8));
	}
	for (int i = 0; i < 16; i++)
		m[i] = last(in[i], len[i]);
	BLOCK(_mm512_loadu_si512(m), _mm512_loadu_si512(m + 8));
	a2 = XOR(a2, _mm512_set1_epi64(0xee));
	b2 = XOR(b2, _mm512_set1_epi64(0xee));
	ROUND(); ROUND(); ROUND(); ROUND();
	_mm512_storeu_si512(h, XOR(XOR(a0, a1), XOR(a2, a3)));
	_mm512_storeu_si512(h + 8, XOR(XOR(b0, b1), XOR(b2, b3)));
	a1 = XOR(a1, _mm512_set1_epi64(0xdd));
	b1 = XOR(b1, _mm512_set1_epi64(0xdd));
	ROUND(); ROUND(); ROUND(); ROUND();
	_mm512_storeu_si512(g, XOR(XOR(a0, a1), XOR(a2, a3)));
	_mm512_storeu_si512(g + 8, XOR(XOR(b0, b1), XOR(b2, b3)));
	for (int i = 0; i < 16; i++) {
		memcpy(out[i], &h[i], 8);
		memcpy(out[i] + 8, &g[i], 8);
	}
}

#else

int
ex_sip16_ok(void)
{
	return 0;
}

void
ex_sip16(const unsigned char key[16], const unsigned char *const in[16],
    const size_t len[16], unsigned char *const out[16])
{
	(void)key, (void)in, (void)len, (void)out;
}

#endif
