/* fuzz_tagvalue.c - the RFC 6376 §3.2 tag=value parser, on any bytes.
 * Checks that every tag the parser returns lies inside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "inkan/arena.h"
#include "inkan/tagvalue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_taglist l;
	struct inkan_tv_error err;
	const char *s = (const char *)data;

	if (a == NULL)
		return 0;
	for (unsigned flags = 0; flags < 2; flags++) {
		if (inkan_tv_parse(a, s, len, flags, &l, &err) == 0) {
			for (size_t i = 0; i < l.n; i++) {
				const struct inkan_tag *t = &l.tags[i];

				if (t->name.len == 0 || t->name.p < s ||
				    t->name.p + t->name.len > s + len ||
				    t->value.p < s || t->value.p + t->value.len > s + len)
					abort();
			}
		} else if (err.offset > len) {
			abort();
		}
	}
	inkan_arena_free(a);
	return 0;
}
