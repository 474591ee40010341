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

/* The length of the run at the start of s[0..n) of bytes above SP that
 * are neither stop1 nor stop2: text without whitespace, line breaks or
 * control characters (a base64 value, a run of a header value ...). */
static inline size_t
inkan__span_text(const char *s, size_t n, char stop1, char stop2)
{
	size_t i = 0;

#ifdef INKAN_HAVE_SSE2
	const __m128i sp = _mm_set1_epi8(' '), a = _mm_set1_epi8(stop1);
	const __m128i b = _mm_set1_epi8(stop2);

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* v <= SP (unsigned): min(v, SP) == v */
		__m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, sp), v),
		    _mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b)));
		unsigned mm = (unsigned)_mm_movemask_epi8(m);

		if (mm != 0)
			return i + (unsigned)__builtin_ctz(mm);
	}
#else
	for (; i + 8 <= n; i += 8) {
		uint64_t w = inkan__swar_load(s + i);
		/* 0x80 where the byte is above SP: its high bit, or its low
		 * seven bits plus 0x5f carrying into bit 7 */
		uint64_t gt = (((w & INKAN__SWAR_LOW7) + INKAN__SWAR_ONES * 0x5f) | w) &
		    (INKAN__SWAR_ONES * 0x80);
		uint64_t m = (gt ^ (INKAN__SWAR_ONES * 0x80)) | inkan__swar_eq(w,
		    (unsigned char)stop1) | inkan__swar_eq(w, (unsigned char)stop2);

		if (m != 0)
			return i + inkan__swar_first(m);
	}
#endif
	while (i < n && (unsigned char)s[i] > ' ' && s[i] != stop1 && s[i] != stop2)
		i++;
	return i;
}

#endif
