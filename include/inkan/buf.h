/* buf.h - string slices and bounded growable buffers.
 *
 * Strings from the wire are slices: a pointer and a length, never trusted
 * to be NUL-terminated.  A growable buffer is created with a maximum size;
 * growth past it sets a sticky INKAN_ETOOBIG, never a crash and never a
 * silent truncation.  After the first error every append is a no-op, so a
 * writer appends in straight lines and checks b->err once at the end.
 */
#ifndef INKAN_BUF_H
#define INKAN_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct inkan_slice {
	const char *p;
	size_t len;
};

#define INKAN_SLICE(s) ((struct inkan_slice){ (s), sizeof(s) - 1 })

/* Slice over a NUL-terminated string (NULL gives an empty slice). */
struct inkan_slice inkan_slice_cstr(const char *s);
/* Byte equality / ASCII case-insensitive equality. */
bool inkan_slice_eq(struct inkan_slice a, struct inkan_slice b);
bool inkan_slice_caseeq(struct inkan_slice a, struct inkan_slice b);
bool inkan_slice_caseeq_cstr(struct inkan_slice a, const char *s);
/* Slice without leading and trailing whitespace (SP, HTAB, CR, LF). */
struct inkan_slice inkan_slice_trim(struct inkan_slice s);

struct inkan_buf {
	char *p;	/* malloc'd; always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;	/* maximum len; 0 = no maximum */
	int err;	/* sticky: 0, INKAN_ENOMEM or INKAN_ETOOBIG */
};

/* Empty buffer that may hold at most max bytes (0 = no maximum). */
void inkan_buf_init(struct inkan_buf *b, size_t max);
/* Release the storage; the buffer is empty and usable again. */
void inkan_buf_free(struct inkan_buf *b);
/* Empty the buffer and clear its error, keeping the storage. */
void inkan_buf_reset(struct inkan_buf *b);
/* Make room for n more bytes without appending (so that a writer that
 * knows its size grows the storage once).  Returns b->err. */
int inkan_buf_reserve(struct inkan_buf *b, size_t n);
/* Appenders return b->err (0 on success). */
int inkan_buf_append(struct inkan_buf *b, const void *p, size_t n);
int inkan_buf_puts(struct inkan_buf *b, const char *s);
int inkan_buf_putc(struct inkan_buf *b, int c);
int inkan_buf_printf(struct inkan_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int inkan_buf_vprintf(struct inkan_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* The contents as a C string ("" when empty). Valid until the next call. */
const char *inkan_buf_cstr(const struct inkan_buf *b);

#endif
