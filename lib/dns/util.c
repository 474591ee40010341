/* util.c - small helpers shared by lib/dns: folded name keys, hashing,
 * the monotonic clock. */
#include <time.h>

#include "dns_int.h"

int
inkan__dns_key(const char *name, char *key)
{
	size_t n = 0;

	for (; name[n] != '\0'; n++) {
		unsigned char c = (unsigned char)name[n];

		if (n >= INKAN__KEYMAX - 1)
			return -1;
		key[n] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	/* One trailing dot is the same name; an escaped dot ("a\.") is not
	 * a trailing dot, so count the backslashes before it. */
	if (n > 0 && key[n - 1] == '.') {
		size_t bs = 0;

		while (bs + 1 < n && key[n - 2 - bs] == '\\')
			bs++;
		if (bs % 2 == 0)
			n--;
	}
	key[n] = '\0';
	return (int)n;
}

uint64_t
inkan__dns_hash(const char *key, size_t len, uint16_t type)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	h ^= type;
	h *= 0x100000001b3ULL;
	h ^= h >> 29;
	return h;
}

uint64_t
inkan__now_ms(void)
{
	struct timespec ts;

	/* The coarse clock is a vDSO read without a syscall; millisecond
	 * ticks are plenty for TTLs counted in seconds. */
#ifdef CLOCK_MONOTONIC_COARSE
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
#endif
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
