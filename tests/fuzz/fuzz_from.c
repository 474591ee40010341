/* fuzz_from.c - the From field rules (include/inkan/dmarc.h) and the
 * evaluation that follows them.  The input is split into up to four From
 * field values at each "\n--\n".  Checks: `domain` is set only for exactly
 * one distinct domain, which is then the only entry of `domains`; OK has
 * an address; every domain is a valid lower-case host name; the lists
 * stay within their limits.  Then the parsed field is evaluated over an
 * empty zone (every domain has no record), which must end in a verdict,
 * never an error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dmarc.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct inkan_zone *zone;
static struct inkan_resolver *res;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_slice v[4];
	struct inkan_dmarc_from f;
	struct inkan_dmarc_eval ev;
	struct inkan_dmarc_opts o = { .reject_bad_from = (len & 1) != 0 };
	struct inkan_dmarc_dkim dk = { "example.com", INKAN_DKIM_PASS, NULL };
	struct inkan_dmarc_input in = { .dkim = &dk, .ndkim = 1 };
	const char *p = (const char *)data, *end = p + len;
	size_t n = 0;
	int rc;

	if (a == NULL)
		return 0;
	if (res == NULL && (inkan_zone_new(&zone) != 0 ||
	    inkan_resolver_zone_new(zone, &res) != 0))
		abort();
	while (n < 4) {
		const char *sep = memmem(p, (size_t)(end - p), "\n--\n", 4);

		v[n++] = (struct inkan_slice){ p, sep ? (size_t)(sep - p) : (size_t)(end - p) };
		if (sep == NULL)
			break;
		p = sep + 4;
	}
	if (len == 0)
		n = 0;
	if (inkan_dmarc_from_parse(a, v, n, &f) != 0)
		abort();
	if (f.ndomains > INKAN_DMARC_MAX_AUTHOR_DOMAINS || (f.more_domains && f.ndomains == 0))
		abort();
	if (f.domain != NULL && (f.ndomains != 1 || strcmp(f.domain, f.domains[0]) != 0))
		abort();
	if (f.status == INKAN_DMARC_FROM_OK && (f.address == NULL || f.domain == NULL))
		abort();
	if (f.status != INKAN_DMARC_FROM_OK && f.why == NULL)
		abort();
	for (size_t i = 0; i < f.ndomains; i++) {
		const char *d = f.domains[i];

		if (inkan_dname_check(d, strlen(d), INKAN_DNAME_HOSTNAME | INKAN_DNAME_UNDERSCORE,
		    NULL) != 0 || d[strlen(d) - 1] == '.')
			abort();
		for (const char *q = d; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				abort();
	}
	rc = inkan_dmarc_evaluate_from(res, a, &o, &f, &in, &ev);
	if (rc != 0 || ev.reason == NULL)
		abort();
	if (ev.result == INKAN_DMARC_PASS || ev.result == INKAN_DMARC_FAIL)
		abort();	/* no domain has a record */
	inkan_arena_free(a);
	return 0;
}
