/*
 * cpu.h — what the CPU (and the kernel) let the vector paths use.
 *
 * Asked once, by whichever thread comes first, and kept: the JSON scan
 * (json.c) and SipHash (sip.c) choose their AVX-512 code by it on every
 * call.  Where the compiler cannot ask (not x86-64, not GCC or clang),
 * and under valgrind, whose CPU lacks AVX-512, the answer is none.
 */
#ifndef EX_CPU_H
#define EX_CPU_H

#define EX_CPU_AVX512F  1
#define EX_CPU_AVX512BW 2

/* Nonzero if the CPU has every feature of want (EX_CPU_* or'ed). */
int ex_cpu_has(int want);

#endif
