/* fuzz_tlsrpt_record.c - the TLS-RPT record parser (RFC 8460 §3), then
 * the lookup with the bytes served as _smtp._tls TXT from the zone
 * backend.  Checks that a parsed record has a usable URI and that the
 * kinds and targets agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/limits.h"
#include "inkan/tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_tlsrpt_record r;
	const char *why = NULL;
	int rc;

	if (a == NULL)
		return 0;
	rc = inkan_tlsrpt_record_parse(a, (const char *)data, len, &r, &why);
	if (rc == 0) {
		size_t usable = 0;

		if (r.nrua == 0 || r.nrua > INKAN_TLSRPT_MAX_RUA || r.nusable == 0)
			abort();
		for (size_t i = 0; i < r.nrua; i++) {
			if (r.rua[i].uri == NULL)
				abort();
			if (r.rua[i].kind == INKAN_TLSRPT_URI_OTHER) {
				if (r.rua[i].target != NULL)
					abort();
				continue;
			}
			usable++;
			if (r.rua[i].target == NULL || r.rua[i].target[0] == '\0')
				abort();
			if (r.rua[i].kind == INKAN_TLSRPT_URI_MAILTO &&
			    strchr(r.rua[i].target, '@') == NULL)
				abort();
		}
		if (usable != r.nusable)
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
			if (inkan_zone_add_rr(z, "_smtp._tls.a.example", 16, 60, rd, n) == 0 &&
			    inkan_resolver_zone_new(z, &res) == 0) {
				struct inkan_tlsrpt_lookup l;

				if (inkan_tlsrpt_record_lookup(res, a, "a.example", &l) == 0 &&
				    (l.status == INKAN_TLSRPT_FOUND) != (l.why == NULL))
					abort();
				inkan_resolver_free(res);
			}
			inkan_zone_free(z);
		}
	}
	inkan_arena_free(a);
	return 0;
}
