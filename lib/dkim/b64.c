/* b64.c - base64 for DKIM tags (RFC 4648 §4), FWS allowed inside. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "inkan/arena.h"
#include "../core/bytescan.h"
#include "dkim_int.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Each base64 character's value plus one; FWS (skipped) is 65, '=' is 66,
 * anything else 0.  A table, because b= and p= are decoded for every
 * signature verified. */
static const uint8_t b64tab[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
	['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20,
	['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38,
	['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44,
	['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
	['+'] = 63, ['/'] = 64,
	[' '] = 65, ['\t'] = 65, ['\r'] = 65, ['\n'] = 65, ['='] = 66,
};

static bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

uint8_t *
inkan__b64_decode(struct inkan_arena *a, const char *s, size_t n, size_t *outlen, bool *bad)
{
	uint8_t *o = inkan_arena_alloc(a, n / 4 * 3 + 4);
	uint32_t acc = 0;
	size_t k = 0, nch = 0, npad = 0;

	*bad = false;
	*outlen = 0;
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		/* four plain characters at a group boundary: the usual case */
		while (nch % 4 == 0 && npad == 0 && i + 4 <= n) {
			unsigned a0 = b64tab[(unsigned char)s[i]] - 1u;
			unsigned a1 = b64tab[(unsigned char)s[i + 1]] - 1u;
			unsigned a2 = b64tab[(unsigned char)s[i + 2]] - 1u;
			unsigned a3 = b64tab[(unsigned char)s[i + 3]] - 1u;

			/* each is 0..63 for a base64 character, else larger */
			if ((a0 | a1 | a2 | a3) > 63)
				break;
			uint32_t v = a0 << 18 | a1 << 12 | a2 << 6 | a3;

			o[k++] = (uint8_t)(v >> 16);
			o[k++] = (uint8_t)(v >> 8);
			o[k++] = (uint8_t)v;
			nch += 4;
			i += 4;
		}
		if (i == n)
			break;
		unsigned v = b64tab[(unsigned char)s[i]];

		if (v == 65)
			continue;
		if (v == 66) {
			npad++;
			continue;
		}
		if (npad > 0 || v == 0) {
			*bad = true;	/* data after padding, or not base64 */
			return NULL;
		}
		v--;
		acc = acc << 6 | (uint32_t)v;
		if (++nch % 4 == 0) {
			o[k++] = (uint8_t)(acc >> 16);
			o[k++] = (uint8_t)(acc >> 8);
			o[k++] = (uint8_t)acc;
			acc = 0;
		}
	}
	switch (nch % 4) {
	case 0:
		if (npad != 0)
			goto bad;
		break;
	case 2:
		if (npad > 2)
			goto bad;
		o[k++] = (uint8_t)(acc >> 4);
		break;
	case 3:
		if (npad > 1)
			goto bad;
		o[k++] = (uint8_t)(acc >> 10);
		o[k++] = (uint8_t)(acc >> 2);
		break;
	default:
		goto bad;
	}
	o[k] = 0;
	*outlen = k;
	return o;
bad:
	*bad = true;
	return NULL;
}

char *
inkan__b64_encode(struct inkan_arena *a, const uint8_t *p, size_t n)
{
	char *o = inkan_arena_alloc(a, (n + 2) / 3 * 4 + 1);
	size_t k = 0, i = 0;

	if (o == NULL)
		return NULL;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		o[k++] = alphabet[v >> 18];
		o[k++] = alphabet[v >> 12 & 63];
		o[k++] = alphabet[v >> 6 & 63];
		o[k++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		o[k++] = alphabet[v >> 18];
		o[k++] = alphabet[v >> 12 & 63];
		o[k++] = '=';
		o[k++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		o[k++] = alphabet[v >> 18];
		o[k++] = alphabet[v >> 12 & 63];
		o[k++] = alphabet[v >> 6 & 63];
		o[k++] = '=';
	}
	o[k] = '\0';
	return o;
}

char *
inkan__strip_fws(struct inkan_arena *a, const char *s, size_t n)
{
	char *o = inkan_arena_alloc(a, n + 1);
	size_t k = 0;

	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n;) {
		/* runs of bytes above SP (never FWS) are copied whole */
		size_t j = i + inkan__span_text(s + i, n - i, ' ', ' ');

		memcpy(o + k, s + i, j - i);
		k += j - i;
		if (j < n && !is_fws(s[j]))
			o[k++] = s[j];
		i = j + 1;
	}
	o[k] = '\0';
	return o;
}
