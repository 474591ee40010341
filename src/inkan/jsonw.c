/* jsonw.c - compact JSON objects without a document tree (see jsonw.h). */
#include <stdio.h>
#include <string.h>

#include "jsonw.h"

static const char hex[] = "0123456789ABCDEF";

static void
put_u(struct inkan_buf *b, unsigned cp)
{
	char e[6] = { '\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
		hex[cp & 15] };

	inkan_buf_append(b, e, sizeof(e));
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), its code point in
 * *cp; 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len;
	unsigned c = s[0], min;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
	if (n < len)
		return 0;
	*cp = c & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

static void
put_string(struct inkan_buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0;

	inkan_buf_putc(b, '"');
	while (i < n) {
		size_t run = i;

		while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' &&
		    s[run] != '\\')
			run++;
		inkan_buf_append(b, s + i, run - i);
		if ((i = run) == n)
			break;
		unsigned c = s[i], cp;
		size_t len;

		switch (c) {
		case '"':  inkan_buf_puts(b, "\\\""); i++; continue;
		case '\\': inkan_buf_puts(b, "\\\\"); i++; continue;
		case '\b': inkan_buf_puts(b, "\\b"); i++; continue;
		case '\f': inkan_buf_puts(b, "\\f"); i++; continue;
		case '\n': inkan_buf_puts(b, "\\n"); i++; continue;
		case '\r': inkan_buf_puts(b, "\\r"); i++; continue;
		case '\t': inkan_buf_puts(b, "\\t"); i++; continue;
		}
		if (c < 0x80) {		/* other controls, DEL */
			put_u(b, c);
			i++;
			continue;
		}
		if ((len = utf8_seq(s + i, n - i, &cp)) == 0) {
			put_u(b, 0xfffd);
			i++;
			continue;
		}
		if (cp >= 0x10000) {	/* UTF-16 surrogate pair */
			cp -= 0x10000;
			put_u(b, 0xd800 | (cp >> 10));
			put_u(b, 0xdc00 | (cp & 0x3ff));
		} else {
			put_u(b, cp);
		}
		i += len;
	}
	inkan_buf_putc(b, '"');
}

static void
key(struct jsonw *w, const char *k)
{
	if (w->n++ > 0)
		inkan_buf_putc(w->b, ',');
	put_string(w->b, k);
	inkan_buf_putc(w->b, ':');
}

void
jw_begin(struct jsonw *w, struct inkan_buf *b)
{
	w->b = b;
	w->n = 0;
	inkan_buf_putc(b, '{');
}

void
jw_str(struct jsonw *w, const char *k, const char *value)
{
	key(w, k);
	if (value == NULL)
		inkan_buf_puts(w->b, "null");
	else
		put_string(w->b, value);
}

void
jw_int(struct jsonw *w, const char *k, long long value)
{
	char num[24];
	int len = snprintf(num, sizeof(num), "%lld", value);

	key(w, k);
	inkan_buf_append(w->b, num, (size_t)len);
}

int
jw_end(struct jsonw *w)
{
	inkan_buf_putc(w->b, '}');
	return w->b->err;
}
