/* bytescan.h - word-at-a-time byte tests for the scanners of message
 * bytes (lib/msg, lib/dkim); internal, not installed.
 *
 * The hot loops over bodies look for a few byte values (a bare LF, HTAB,
 * a second WSP).  On x86-64 they use SSE2 directly (it is part of the
 * architecture's baseline), and AVX2 when the CPU has it (checked at run
 * time: INKAN_HAVE_AVX2 says the compiler can build such code,
 * inkan__cpu_avx2() whether this CPU runs it).  Elsewhere they use the
 * helpers below: eight bytes in a uint64_t and a mask with 0x80 in every
 * byte that matched, exact (no false positives from carries between
 * bytes).
 *
 * For the tests: INKAN_NO_AVX2 builds without the AVX2 paths,
 * INKAN_NO_SIMD with the portable ones only.
 */
#ifndef INKAN_BYTESCAN_H
#define INKAN_BYTESCAN_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(INKAN_NO_SIMD)
#define INKAN_HAVE_SSE2 1
#include <emmintrin.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(INKAN_NO_AVX2)
#define INKAN_HAVE_AVX2 1
#include <immintrin.h>
#include <stdbool.h>

static inline bool
inkan__cpu_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}
#endif
#endif

#define INKAN__SWAR_ONES 0x0101010101010101ull
#define INKAN__SWAR_LOW7 0x7f7f7f7f7f7f7f7full

static inline uint64_t
inkan__swar_load(const void *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline void
inkan__swar_store(void *p, uint64_t w)
{
	memcpy(p, &w, sizeof(w));
}

/* 0x80 in each byte of w equal to c, 0 elsewhere. */
static inline uint64_t
inkan__swar_eq(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (INKAN__SWAR_ONES * c);

	return ~(((x & INKAN__SWAR_LOW7) + INKAN__SWAR_LOW7) | x | INKAN__SWAR_LOW7);
}

/* Index of the first byte in memory order whose 0x80 bit is set in m (m
 * not 0). */
static inline unsigned
inkan__swar_first(uint64_t m)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (unsigned)__builtin_ctzll(m) / 8;
#else
	return (unsigned)__builtin_clzll(m) / 8;
#endif
}

#endif
