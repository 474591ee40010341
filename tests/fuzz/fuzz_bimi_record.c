/* fuzz_bimi_record.c - the BIMI record parser, then the lookup with the
 * bytes served as default._bimi TXT from the zone backend.  Checks that a
 * parsed record's URIs are https with a host, that "declined" means no
 * logo and no evidence, that a refusal says why, and that the lookup's
 * status and reason agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/bimi.h"
#include "inkan/dns.h"
#include "inkan/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
check_uri(const char *u)
{
	if (u == NULL || strncasecmp(u, "https://", 8) != 0 || u[8] == '\0' || u[8] == '/')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_bimi_record r;
	const char *why = NULL;
	int rc;

	if (a == NULL)
		return 0;
	rc = inkan_bimi_record_parse(a, (const char *)data, len, &r, &why);
	if (rc == 0) {
		for (size_t i = 0; i < r.nlogos; i++)
			check_uri(r.logos[i]);
		if (r.evidence != NULL)
			check_uri(r.evidence);
		if (r.declined != (r.nlogos == 0 && r.evidence == NULL))
			abort();
		if (!inkan_bimi_is_record((const char *)data, len))
			abort();
		for (size_t i = 0; i < r.nwarnings; i++)
			if (r.warnings[i] == NULL)
				abort();
	} else if (why == NULL && rc != INKAN_ENOMEM) {
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
			if (inkan_zone_add_rr(z, "default._bimi.a.example", 16, 60, rd, n) == 0 &&
			    inkan_resolver_zone_new(z, &res) == 0) {
				struct inkan_bimi_lookup l;

				if (inkan_bimi_lookup(res, a, "a.example", NULL, &l) == 0 &&
				    (l.status == INKAN_BIMI_FOUND) != (l.why == NULL))
					abort();
				inkan_resolver_free(res);
			}
			inkan_zone_free(z);
		}
	}
	inkan_arena_free(a);
	return 0;
}
