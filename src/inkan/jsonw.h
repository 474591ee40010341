/* jsonw.h - a small streaming writer for flat JSON objects.
 *
 * The batch commands print one object per input line, tens of thousands
 * a second; building a jansson tree for each costs a quarter of the CPU.
 * This writes the same compact, ASCII-only text straight into a buffer.
 * Invalid UTF-8 in a value becomes U+FFFD instead of dropping the key. */
#ifndef INKAN_JSONW_H
#define INKAN_JSONW_H

#include <stdint.h>

#include "inkan/buf.h"

struct jsonw {
	struct inkan_buf *b;
	int n;		/* members written so far */
};

void jw_begin(struct jsonw *w, struct inkan_buf *b);
/* A string member; value NULL writes null. */
void jw_str(struct jsonw *w, const char *key, const char *value);
void jw_int(struct jsonw *w, const char *key, long long value);
/* Close the object; returns the buffer's sticky error (0 on success). */
int jw_end(struct jsonw *w);

#endif
