/* fuzz_dkim_key.c - the DKIM key record parser (RFC 6376 §3.6.1), then
 * a verify of a fixed signed message against the record served from the
 * zone backend, so that key decoding (RSA DER, raw Ed25519) and every
 * key check run on hostile records. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dkim.h"
#include "inkan/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* A message whose signature points at s._domainkey.example.com. */
static const char msg[] =
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s;\r\n"
    " h=from:subject; bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=;\r\n"
    " b=dGVzdA==\r\n"
    "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dkim_keyrec k;
	const char *why = NULL;

	if (a == NULL)
		return 0;
	if (inkan_dkim_key_parse(a, (const char *)data, len, &k, &why) == 0) {
		if (k.k == NULL || k.p_text == NULL || (!k.revoked && k.p == NULL))
			abort();
	}
	/* Serve the bytes as the TXT record (wire rdata: 255-byte strings). */
	if (len <= 4000) {
		uint8_t rd[4096 + 32];
		size_t n = 0;
		struct inkan_zone *z;
		struct inkan_resolver *r;

		for (size_t i = 0; i < len || i == 0; i += 255) {
			size_t c = len - i < 255 ? len - i : 255;

			rd[n++] = (uint8_t)c;
			memcpy(rd + n, data + i, c);
			n += c;
			if (len == 0)
				break;
		}
		if (inkan_zone_new(&z) == 0) {
			if (inkan_zone_add_rr(z, "s._domainkey.example.com", 16, 60, rd, n) == 0 &&
			    inkan_resolver_zone_new(z, &r) == 0) {
				struct inkan_dkim_results res;
				struct inkan_dkim_verify_opts o = { .now = 1, .clock_skew = -1 };

				(void)inkan_dkim_verify_message(r, a, &o, msg, sizeof(msg) - 1,
				    &res);
				inkan_resolver_free(r);
			}
			inkan_zone_free(z);
		}
	}
	inkan_arena_free(a);
	return 0;
}
