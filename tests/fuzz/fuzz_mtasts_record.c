/* fuzz_mtasts_record.c - the _mta-sts TXT record parser (RFC 8461 §3.1),
 * then the lookup with the bytes served as the TXT record (and beside a
 * second STSv1 record) from the zone backend, so that TXT selection and
 * the reasons built from hostile text run too.  Checks that a parsed
 * record obeys the grammar. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/limits.h"
#include "inkan/mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static bool
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_record r;
	const char *why = NULL;
	int rc;

	if (a == NULL)
		return 0;
	rc = inkan_mtasts_record_parse(a, (const char *)data, len, &r, &why);
	if (rc == 0) {
		size_t n = strlen(r.id);

		if (n == 0 || n > INKAN_MTASTS_MAX_ID || !inkan_mtasts_record_is_sts(
		    (const char *)data, len))
			abort();
		for (size_t i = 0; i < n; i++)
			if (!alnum(r.id[i]))
				abort();
		for (size_t i = 0; i < r.next; i++)
			if (r.ext[i].name[0] == '\0' || r.ext[i].value[0] == '\0')
				abort();
	} else if (why == NULL) {
		abort();
	}
	if (len <= 2000) {
		uint8_t rd[2048 + 16];
		size_t n = 0;
		struct inkan_zone *z;
		struct inkan_resolver *res;

		for (size_t i = 0; i < len || i == 0; i += 255) {
			size_t c = len - i < 255 ? len - i : 255;

			rd[n++] = (uint8_t)c;
			memcpy(rd + n, data + i, c);
			n += c;
			if (len == 0)
				break;
		}
		if (inkan_zone_new(&z) == 0) {
			static const uint8_t other[] = "\x0cv=STSv1;id=2";

			if (inkan_zone_add_rr(z, "_mta-sts.a.example", 16, 60, rd, n) == 0 &&
			    inkan_zone_add_rr(z, "_mta-sts.b.example", 16, 60, rd, n) == 0 &&
			    inkan_zone_add_rr(z, "_mta-sts.b.example", 16, 60, other,
			    sizeof(other) - 1) == 0 &&
			    inkan_resolver_zone_new(z, &res) == 0) {
				struct inkan_mtasts_lookup l;

				if (inkan_mtasts_record_lookup(res, a, "a.example", &l) == 0 &&
				    (l.status == INKAN_MTASTS_RECORD_FOUND) != (l.why == NULL))
					abort();
				if (inkan_mtasts_record_lookup(res, a, "b.example", &l) == 0 &&
				    l.status == INKAN_MTASTS_RECORD_FOUND && strcmp(l.record.id, "2"))
					abort();
				inkan_resolver_free(res);
			}
			inkan_zone_free(z);
		}
	}
	inkan_arena_free(a);
	return 0;
}
