/* fuzz_sts_nexthop.c - the policy domain of a Postfix next-hop
 * (inkan_sts_nexthop_domain), which inkan-stsd reads from every socketmap
 * request.  Cross-checks: a domain it returns is a valid, lowercased host
 * name without a final dot, and is its own policy domain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a;
	const char *d, *d2, *why;
	char *s;
	int rc;

	if (len > 4096 || (a = inkan_arena_new()) == NULL)
		return 0;
	if ((s = inkan_arena_strndup(a, (const char *)data, len)) == NULL) {
		inkan_arena_free(a);
		return 0;
	}
	rc = inkan_sts_nexthop_domain(a, s, &d, &why);
	if (rc == 0) {
		size_t n = strlen(d);

		if (n == 0 || d[n - 1] == '.' ||
		    inkan_dname_check(d, n, INKAN_DNAME_HOSTNAME, &why) != 0)
			abort();
		for (size_t i = 0; i < n; i++)
			if (d[i] >= 'A' && d[i] <= 'Z')
				abort();
		if (inkan_sts_nexthop_domain(a, d, &d2, &why) != 0 || strcmp(d, d2) != 0)
			abort();
	} else if (rc == INKAN_EINVAL && why == NULL) {
		abort();
	}
	inkan_arena_free(a);
	return 0;
}
