#include <stdatomic.h>

#include "cpu.h"

int
ex_cpu_has(int want)
{
	static atomic_int have = -1;
	int v = atomic_load_explicit(&have, memory_order_relaxed);

	if (v < 0) {
		v = 0;
#if defined(__x86_64__) && defined(__GNUC__)
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx512f"))
			v |= EX_CPU_AVX512F;
		if (__builtin_cpu_supports("avx512bw"))
			v |= EX_CPU_AVX512BW;
#endif
		atomic_store_explicit(&have, v, memory_order_relaxed);
	}
	return (v & want) == want;
}
