/* fuzz_spf_macro.c - the SPF macro expander (RFC 7208 §7).
 *
 * Input: one flag byte, then "sender\0macro-string" (without a NUL the
 * whole rest is the macro-string).  Flag bits: 1 = explanation rules,
 * 2 = IPv6 client, 4 = no HELO.  Checked besides memory safety: the
 * result is NUL-terminated, its length is bounded, and explain-string
 * rules accept everything that domain-spec rules accept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a;
	struct inkan_spf_parse_error err;
	struct inkan_ip ip;
	const char *spec, *nul;
	char *sender, *local, *out = NULL, *at;
	size_t slen;
	unsigned flags;
	int rc, rc2;

	if (len < 1)
		return 0;
	flags = data[0];
	data++;
	len--;
	if ((a = inkan_arena_new()) == NULL)
		return 0;
	nul = memchr(data, '\0', len);
	if (nul != NULL) {
		sender =
		    inkan_arena_strndup(a, (const char *)data, (size_t)(nul - (const char *)data));
		spec = nul + 1;
		slen = len - (size_t)(nul - (const char *)data) - 1;
	} else {
		sender = inkan_arena_strdup(a, "strong-bad@email.example.com");
		spec = (const char *)data;
		slen = len;
	}
	if (sender == NULL) {
		inkan_arena_free(a);
		return 0;
	}
	at = strrchr(sender, '@');
	local = at != NULL ? inkan_arena_strndup(a, sender, (size_t)(at - sender)) : sender;
	memset(&ip, 0, sizeof(ip));
	if (flags & 2) {
		static const uint8_t v6[16] = {
		    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xcb, 0x01};

		ip.family = 6;
		memcpy(ip.a, v6, 16);
	} else {
		ip.family = 4;
		ip.a[0] = 192, ip.a[1] = 0, ip.a[2] = 2, ip.a[3] = 3;
	}
	struct inkan_spf_macro_ctx mc = {
	    .sender = sender,
	    .local = local,
	    .sender_domain = at != NULL ? at + 1 : "",
	    .domain = "email.example.com",
	    .ip = &ip,
	    .helo = (flags & 4) ? NULL : "mx.example.org",
	    .receiver = "receiver.example",
	    .validated = "mx.example.org",
	    .now = 1400000000,
	};
	rc = inkan_spf_macro_expand(a, spec, slen, (flags & 1) != 0, &mc, &out, &err);
	if (rc == 0) {
		if (out == NULL || strlen(out) > INKAN_SPF_MAX_MACRO_OUTPUT)
			abort();
	} else if (rc == INKAN_EMALFORMED) {
		if (err.why == NULL || err.offset > slen)
			abort();
	}
	if (!(flags & 1) && rc == 0) {
		/* explanation rules are a superset of domain-spec rules */
		rc2 = inkan_spf_macro_expand(a, spec, slen, true, &mc, &out, &err);
		if (rc2 == INKAN_EMALFORMED)
			abort();
	}
	inkan_arena_free(a);
	return 0;
}
