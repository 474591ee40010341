/* buf.c - string slices and bounded growable buffers (see buf.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/buf.h"
#include "inkan/error.h"

struct inkan_slice
inkan_slice_cstr(const char *s)
{
	return (struct inkan_slice){ s == NULL ? "" : s, s == NULL ? 0 : strlen(s) };
}

bool
inkan_slice_eq(struct inkan_slice a, struct inkan_slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

bool
inkan_slice_caseeq(struct inkan_slice a, struct inkan_slice b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
			return false;
	return true;
}

bool
inkan_slice_caseeq_cstr(struct inkan_slice a, const char *s)
{
	return inkan_slice_caseeq(a, inkan_slice_cstr(s));
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct inkan_slice
inkan_slice_trim(struct inkan_slice s)
{
	while (s.len > 0 && is_ws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_ws(s.p[s.len - 1]))
		s.len--;
	return s;
}

void
inkan_buf_init(struct inkan_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->err = 0;
}

void
inkan_buf_free(struct inkan_buf *b)
{
	free(b->p);
	inkan_buf_init(b, b->max);
}

void
inkan_buf_reset(struct inkan_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* Make room for n more bytes plus the NUL. */
static int
reserve(struct inkan_buf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->err)
		return b->err;
	if (n > SIZE_MAX - b->len - 1 || (b->max != 0 && b->len + n > b->max))
		return b->err = INKAN_ETOOBIG;
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if (b->max != 0 && cap > b->max + 1)
		cap = b->max + 1;
	if ((p = realloc(b->p, cap)) == NULL)
		return b->err = INKAN_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
inkan_buf_reserve(struct inkan_buf *b, size_t n)
{
	return reserve(b, n);
}

int
inkan_buf_append(struct inkan_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) != 0)
		return b->err;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
inkan_buf_puts(struct inkan_buf *b, const char *s)
{
	return inkan_buf_append(b, s, strlen(s));
}

int
inkan_buf_putc(struct inkan_buf *b, int c)
{
	char ch = (char)c;

	return inkan_buf_append(b, &ch, 1);
}

int
inkan_buf_vprintf(struct inkan_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (b->err)
		return b->err;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return b->err = INKAN_EINVAL;
	if (reserve(b, (size_t)n) != 0)
		return b->err;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
inkan_buf_printf(struct inkan_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = inkan_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
inkan_buf_cstr(const struct inkan_buf *b)
{
	return b->p == NULL ? "" : b->p;
}
