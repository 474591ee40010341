/* fuzz_spf_record.c - the SPF record parser (RFC 7208 §4.6, §12).
 *
 * Input: the text of one record.  Besides memory safety the target checks
 * what callers rely on: every slice lies inside the input, error offsets
 * are inside it, and every domain-spec the parser accepted expands
 * without a syntax error (the parser's macro check and the expander
 * agree).  A violated invariant aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/spf.h"

static void
inside(struct inkan_slice s, const char *p, size_t len)
{
	if (s.len == 0)
		return;
	if (s.p < p || s.p + s.len > p + len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	const char *s = (const char *)data;
	struct inkan_spf_record rec;
	struct inkan_spf_parse_error err;
	struct inkan_ip ip;
	int rc;

	if (a == NULL)
		return 0;
	(void)inkan_spf_is_record(s, len);
	rc = inkan_spf_record_parse(a, s, len, &rec, &err);
	if (rc != 0) {
		if (err.why == NULL || (rc == INKAN_EMALFORMED && err.offset > len))
			abort();
		inkan_arena_free(a);
		return 0;
	}
	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	ip.a[0] = 192, ip.a[1] = 0, ip.a[2] = 2, ip.a[3] = 1;
	struct inkan_spf_macro_ctx mc = {
	    .sender = "strong-bad@email.example.com",
	    .local = "strong-bad",
	    .sender_domain = "email.example.com",
	    .domain = "email.example.com",
	    .ip = &ip,
	    .helo = "mx.example.org",
	    .receiver = NULL,
	    .validated = NULL,
	    .now = 1,
	};
	for (size_t i = 0; i < rec.n; i++) {
		const struct inkan_spf_term *t = &rec.terms[i];
		char *out;

		inside(t->text, s, len);
		inside(t->domain_spec, s, len);
		inside(t->mod_name, s, len);
		if (t->offset >= len || t->cidr4 > 32 || t->cidr6 > 128)
			abort();
		if (t->kind == INKAN_SPF_UNKNOWN_MOD || t->domain_spec.len == 0)
			continue;
		rc = inkan_spf_macro_expand(
		    a, t->domain_spec.p, t->domain_spec.len, false, &mc, &out, NULL);
		if (rc == INKAN_EMALFORMED)
			abort();
	}
	inkan_arena_free(a);
	return 0;
}
