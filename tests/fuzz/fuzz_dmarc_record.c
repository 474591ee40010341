/* fuzz_dmarc_record.c - the DMARC record parser (RFC 9989 §4.7/§4.8 with
 * the RFC 7489 tags).  Checks that a parsed record is self-consistent:
 * what inkan_dmarc_is_record refuses never parses, a refusal says why,
 * the policies to apply follow the §4.10.1 rule, and every list stays
 * within its limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dmarc.h"
#include "inkan/error.h"
#include "inkan/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_record r;
	const char *why = NULL;
	int rc;

	if (a == NULL)
		return 0;
	rc = inkan_dmarc_record_parse(a, (const char *)data, len, &r, &why);
	if (rc == INKAN_EMALFORMED && why == NULL)
		abort();
	if (rc == 0 && !inkan_dmarc_is_record((const char *)data, len))
		abort();
	if (r.text == NULL && rc != INKAN_ENOMEM)
		abort();
	if (rc == 0) {
		if (r.applies != (r.apply_p != INKAN_DMARC_P_UNSPEC) ||
		    r.applies != (r.apply_sp != INKAN_DMARC_P_UNSPEC) ||
		    r.applies != (r.apply_np != INKAN_DMARC_P_UNSPEC))
			abort();
		if (r.as_p_none && (!r.applies || r.nrua == 0 || r.apply_p != INKAN_DMARC_P_NONE))
			abort();
		if (r.nrua > INKAN_DMARC_MAX_URIS || r.nruf > INKAN_DMARC_MAX_URIS ||
		    r.nproblems > INKAN_DMARC_MAX_PROBLEMS || r.pct > 100 || r.nrf == 0 ||
		    r.fo == 0)
			abort();
		for (size_t i = 0; i < r.nrua + r.nruf; i++) {
			const struct inkan_dmarc_uri *u = i < r.nrua ? &r.rua[i] :
			    &r.ruf[i - r.nrua];

			if (u->uri == NULL || u->scheme == NULL || strchr(u->uri, '!') != NULL ||
			    (strcmp(u->scheme, "mailto") == 0 && (u->address == NULL ||
			    u->domain == NULL)))
				abort();
		}
		for (size_t i = 0; i < r.nproblems; i++)
			if (r.problems[i].what == NULL ||
			    r.problems[i].kind == INKAN_DMARC_PROB_ERROR)
				abort();
	}
	inkan_arena_free(a);
	return 0;
}
