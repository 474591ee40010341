/* tcptable.c - Postfix tcp_table(5) requests and replies.
 *
 * One request per line, "get SP key NL", the key %XX-encoded; the reply
 * "200 SP value NL" (found), "500 SP text NL" (not found), "400 SP text
 * NL" (try again), the text %XX-encoded.  Postfix encodes every byte
 * <= 32, >= 127 and '%'; we decode any %XX and refuse one that encodes
 * NUL (it cannot be part of a domain and would cut the key short).
 */
#include <string.h>

#include "proto.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
tt_decode(char *out, size_t outsize, const char *in, size_t inlen)
{
	size_t o = 0;

	for (size_t i = 0; i < inlen; i++) {
		char c = in[i];
		if (c == '%') {
			int h, l;
			if (inlen - i < 3 || (h = hexval(in[i + 1])) < 0 ||
			    (l = hexval(in[i + 2])) < 0)
				return (size_t)-1;
			c = (char)(h << 4 | l);
			i += 2;
		}
		if (o + 1 >= outsize)
			return (size_t)-1;
		out[o++] = c;
	}
	if (outsize > 0)
		out[o] = '\0';
	return o;
}

size_t
tt_encode(char *out, size_t outsize, const char *in, size_t inlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= 32 || c >= 127 || c == '%') {
			if (o + 4 > outsize)
				return (size_t)-1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (o + 2 > outsize)
				return (size_t)-1;
			out[o++] = (char)c;
		}
	}
	if (outsize > 0)
		out[o] = '\0';
	return o;
}

enum proto_rc
tt_parse(const char *buf, size_t len, size_t max, char *key, size_t keysize, size_t *keylen,
    size_t *used, const char **why)
{
	const char *nl = memchr(buf, '\n', len < max + 1 ? len : max + 1);

	*used = 0;
	*keylen = 0;
	if (keysize > 0)
		key[0] = '\0';
	if (nl == NULL) {
		if (len > max) {
			*why = "request line longer than the limit";
			return PROTO_FATAL;
		}
		return PROTO_MORE;
	}
	*used = (size_t)(nl - buf) + 1;
	size_t ll = (size_t)(nl - buf);
	if (ll > 0 && buf[ll - 1] == '\r')	/* a person with telnet */
		ll--;
	if (ll >= 4 && memcmp(buf, "put ", 4) == 0) {
		*why = "put is not supported: this table is read-only";
		return PROTO_BAD;
	}
	if (ll < 4 || memcmp(buf, "get ", 4) != 0) {
		*why = "request is not \"get KEY\"";
		return PROTO_BAD;
	}
	if (ll == 4) {
		*why = "empty key";
		return PROTO_BAD;
	}
	size_t k = tt_decode(key, keysize, buf + 4, ll - 4);
	if (k == (size_t)-1) {
		*why = "bad %XX escape in the key, or key too long";
		if (keysize > 0)
			key[0] = '\0';
		return PROTO_BAD;
	}
	if (memchr(key, '\0', k) != NULL) {
		*why = "key contains a NUL byte";
		key[0] = '\0';
		return PROTO_BAD;
	}
	*keylen = k;
	return PROTO_OK;
}

size_t
tt_format(char *out, size_t outsize, int code, const char *text)
{
	if (outsize < 6 || (code != 200 && code != 400 && code != 500))
		return 0;
	out[0] = (char)('0' + code / 100);
	out[1] = '0';
	out[2] = '0';
	out[3] = ' ';
	size_t n = tt_encode(out + 4, outsize - 5, text != NULL ? text : "",
	    text != NULL ? strlen(text) : 0);
	if (n == (size_t)-1)
		return 0;
	out[4 + n] = '\n';
	return 5 + n;
}
