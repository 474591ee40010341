/* fuzz_zone.c - zone text through ldns into the zone store, then queries.
 *
 * The input is loaded as a master file with origin "example."; a few
 * names are asked for every common type through a zone resolver and a
 * cache in front of it, and every record returned goes through the rdata
 * decoders and the presentation printer.  The raw input is also handed
 * to the decoders as rdata of each type, which reaches the malformed
 * cases a zone parser never produces.
 */
#include <stdint.h>
#include <stdlib.h>

#include "inkan/arena.h"
#include "inkan/dns.h"

static const char *const names[] = {
	"example", "www.example", "a.b.example", "*.example", "nope.example", "EXAMPLE.",
	"mail.example", "x.y.z.example", ".", "com",
};

static const uint16_t qtypes[] = {
	INKAN_DNS_A, INKAN_DNS_AAAA, INKAN_DNS_TXT, INKAN_DNS_MX, INKAN_DNS_CNAME,
	INKAN_DNS_PTR, INKAN_DNS_SOA, INKAN_DNS_NS, INKAN_DNS_SPF, 99, 52,
};

static void
decode(struct inkan_arena *a, const struct inkan_dns_rr *rr)
{
	char *s;
	size_t n;
	unsigned pref;
	struct inkan_ip ip;

	(void)inkan_dns_rr_txt(a, rr, &s, &n);
	(void)inkan_dns_rr_mx(a, rr, &pref, &s);
	(void)inkan_dns_rr_name(a, rr, &s);
	(void)inkan_dns_rr_ip(rr, &ip);
	(void)inkan_dns_rr_text(a, rr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_zone *z = NULL;
	struct inkan_resolver *zr = NULL, *cache = NULL;
	struct inkan_arena *a = inkan_arena_new();
	char *why = NULL;

	if (a == NULL)
		return 0;
	if (len <= 65535) {
		for (size_t t = 0; t < sizeof(qtypes) / sizeof(qtypes[0]); t++) {
			struct inkan_dns_rr rr = { .type = qtypes[t], .len = (uint16_t)len,
				.data = data };

			decode(a, &rr);
		}
	}
	if (inkan_zone_new(&z) != 0)
		goto out;
	(void)inkan_zone_load_string(z, (const char *)data, len, "example.", &why);
	free(why);
	if (inkan_resolver_zone_new(z, &zr) != 0 || inkan_resolver_cache_new(zr, 64, &cache) != 0)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			for (size_t t = 0; t < sizeof(qtypes) / sizeof(qtypes[0]); t++) {
				struct inkan_dns_answer ans;

				if (inkan_dns_query(cache, a, names[i], qtypes[t], &ans) != 0)
					continue;
				for (size_t k = 0; k < ans.nrr; k++)
					decode(a, &ans.rr[k]);
			}
		}
		inkan_arena_reset(a);
	}
out:
	inkan_resolver_free(cache);
	inkan_resolver_free(zr);
	inkan_zone_free(z);
	inkan_arena_free(a);
	return 0;
}
