/* fuzz_maillog.c - the Postfix smtp(8) log-line reader of inkan-stsd's
 * TLS-RPT intake: each input line is parsed; every slice must lie inside
 * its line, and the result type derived for each policy type must be
 * NULL, "success" or an RFC 8460 §4.3 result type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
inside(const struct slice *s, const char *line, size_t len)
{
	if (s->len > 0 && (s->p < line || s->p + s->len > line + len))
		abort();
}

static const char *const types[] = { "success", "starttls-not-supported",
	"certificate-host-mismatch", "certificate-expired", "certificate-not-trusted",
	"validation-failure", "tlsa-invalid", "dnssec-invalid", "dane-required",
	"sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid", NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data, *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct ml_event ev;
		const char *why = NULL;

		if (ml_parse(p, ll, &ev, &why) != 0) {
			if (why == NULL)
				abort();
		} else {
			inside(&ev.service, p, ll);
			inside(&ev.host, p, ll);
			inside(&ev.ip, p, ll);
			inside(&ev.verify_text, p, ll);
			inside(&ev.queue_id, p, ll);
			inside(&ev.rcpt_domain, p, ll);
			inside(&ev.dsn, p, ll);
			inside(&ev.reason, p, ll);
			if (ev.kind == ML_DELIVERY) {
				static const char *const pt[] = { "sts", "tlsa", "no-policy-found" };
				for (int i = 0; i < 3; i++) {
					const char *r = ml_result_type(&ev, i != 1, ML_TRUSTED, 10, pt[i]);
					if (r == NULL)
						continue;
					int k = 0;
					while (types[k] != NULL && strcmp(types[k], r) != 0)
						k++;
					if (types[k] == NULL)
						abort();
				}
			}
		}
		p += ll + 1;
	}
	return 0;
}
