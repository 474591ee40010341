/* fuzz_mtasts_policy.c - the MTA-STS policy parser (RFC 8461 §3.2) and MX
 * matching (§4.1).  Checks that a valid policy obeys the rules it was
 * checked against, that every listed problem has a message, and that
 * matching the input as a host name (against its own patterns and a
 * fixed wildcard) neither crashes nor matches what it must not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/limits.h"
#include "inkan/mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_policy p;
	struct inkan_mtasts_policy_diag d;
	int rc;

	if (a == NULL)
		return 0;
	rc = inkan_mtasts_policy_parse(a, (const char *)data, len, &p, &d);
	if (d.n > INKAN_MTASTS_MAX_PROBLEMS)
		abort();
	for (size_t i = 0; i < d.n; i++)
		if (d.problems[i].message == NULL)
			abort();
	if (rc == 0) {
		if (d.errors != 0 || d.why != NULL || p.max_age > INKAN_MTASTS_MAX_AGE ||
		    (p.mode != INKAN_MTASTS_MODE_NONE && p.nmx == 0))
			abort();
		for (size_t i = 0; i < p.nmx; i++) {
			const char *m = p.mx[i];

			/* A pattern matches itself unless it is a wildcard. */
			if (m[0] != '*' && !inkan_mtasts_mx_match(m, m))
				abort();
			if (m[0] == '*' && inkan_mtasts_mx_match(m, m + 2))
				abort();
		}
	} else if (d.errors == 0 || d.why == NULL) {
		abort();	/* invalid, so at least one error, named */
	}
	if (len < 512) {
		char *host = inkan_arena_strndup(a, (const char *)data, len);

		if (host != NULL) {
			(void)inkan_mtasts_policy_match(&p, host);
			if (inkan_mtasts_mx_match("*.example.com", host) &&
			    strchr(host, '.') == NULL)
				abort();
			(void)inkan_mtasts_mx_match(host, "mail.example.com");
		}
	}
	inkan_arena_free(a);
	return 0;
}
