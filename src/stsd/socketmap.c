/* socketmap.c - Postfix socketmap_table(5) requests and replies.
 *
 * A request is one netstring (djb's "LEN:DATA,"), DATA "NAME KEY"; the
 * reply is one netstring too.  The length is checked against the limit
 * as it is read, digit by digit, so a hostile "99999999999:" never
 * becomes a large number; a wrong terminator or a non-digit leaves the
 * stream out of step and closes the connection (FATAL); a well-framed
 * request with wrong content ("NAME" without a key) is answered (BAD).
 */
#include <string.h>

#include "proto.h"
#include "inkan/limits.h"

enum proto_rc
sm_parse(const char *buf, size_t len, size_t max, struct sm_request *out, size_t *used,
    const char **why)
{
	size_t i = 0, n = 0;

	memset(out, 0, sizeof(*out));
	*used = 0;
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (i == INKAN_STSD_MAX_NETSTRING_DIGITS) {
			*why = "netstring length has too many digits";
			return PROTO_FATAL;
		}
		n = n * 10 + (size_t)(buf[i] - '0');
		i++;
	}
	if (i == len) {
		if (i > 0 && n > max) {
			*why = "request longer than the limit";
			return PROTO_FATAL;
		}
		return PROTO_MORE;
	}
	if (i == 0) {
		*why = "not a netstring: expected a length";
		return PROTO_FATAL;
	}
	if (buf[i] != ':') {
		*why = "not a netstring: expected ':' after the length";
		return PROTO_FATAL;
	}
	if (i > 1 && buf[0] == '0') {
		*why = "netstring length with a leading zero";
		return PROTO_FATAL;
	}
	if (n > max) {
		*why = "request longer than the limit";
		return PROTO_FATAL;
	}
	i++;			/* ':' */
	if (len - i < n + 1)
		return PROTO_MORE;
	if (buf[i + n] != ',') {
		*why = "not a netstring: expected ',' after the data";
		return PROTO_FATAL;
	}
	*used = i + n + 1;

	const char *d = buf + i;
	const char *sp = memchr(d, ' ', n);
	if (memchr(d, '\0', n) != NULL) {
		*why = "request contains a NUL byte";
		return PROTO_BAD;
	}
	if (sp == NULL || sp == d) {
		*why = "request is not \"NAME KEY\"";
		return PROTO_BAD;
	}
	out->name = d;
	out->namelen = (size_t)(sp - d);
	out->key = sp + 1;
	out->keylen = n - out->namelen - 1;
	if (out->keylen == 0) {
		*why = "empty key";
		return PROTO_BAD;
	}
	return PROTO_OK;
}

static const char *const sm_words[] = {
	[SM_OK] = "OK", [SM_NOTFOUND] = "NOTFOUND", [SM_TEMP] = "TEMP",
	[SM_TIMEOUT] = "TIMEOUT", [SM_PERM] = "PERM",
};

size_t
sm_format(char *out, size_t outsize, enum sm_status st, const char *text)
{
	const char *w = sm_words[st];
	size_t wl = strlen(w), tl = st == SM_NOTFOUND || text == NULL ? 0 : strlen(text);
	size_t dl = wl + 1 + tl;
	char head[16];
	size_t hl = 0;

	/* The length prefix, digits then ':'. */
	{
		char tmp[16];
		size_t k = 0, v = dl;
		do {
			tmp[k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v > 0 && k < sizeof(tmp));
		while (k > 0)
			head[hl++] = tmp[--k];
		head[hl++] = ':';
	}
	if (dl > INKAN_STSD_MAX_REPLY || hl + dl + 1 > outsize)
		return 0;
	memcpy(out, head, hl);
	memcpy(out + hl, w, wl);
	out[hl + wl] = ' ';
	for (size_t k = 0; k < tl; k++) {
		unsigned char c = (unsigned char)text[k];
		out[hl + wl + 1 + k] = c < 32 || c == 127 ? '?' : (char)c;
	}
	out[hl + dl] = ',';
	return hl + dl + 1;
}
