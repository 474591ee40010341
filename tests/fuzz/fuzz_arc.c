/* fuzz_arc.c - the ARC header field parsers (RFC 8617 §4.1), and chain
 * validation and sealing of a whole message.
 *
 * The first byte picks what the rest is:
 *   'M'  an ARC-Message-Signature value     'S'  an ARC-Seal value
 *   'A'  an ARC-Authentication-Results value
 *   'C'  a message: validate its chain against a zone that holds one key,
 *        seal it with that key, validate the result
 *   other: the whole input through the three parsers.
 * Checks: a parsed field is self-consistent, a syntax error says why, and
 * sealing keeps its promise: a message we seal on top of a chain that
 * validated (cv none or pass) validates as pass, one sealed cv=fail as
 * fail (RFC 8617 §5.1, §5.1.2).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arc.h"
#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct inkan_dkim_key *key;
static struct inkan_zone *zone;
static struct inkan_resolver *res;

static void
setup(void)
{
	struct inkan_arena *a;
	const char *rec;
	uint8_t rd[1024];
	size_t n, k = 0;

	if (key != NULL)
		return;
	a = inkan_arena_new();
	/* 1024 bits: RFC 8301's minimum, and the cheapest to sign with */
	if (a == NULL || inkan_dkim_key_generate("rsa", 1024, &key) != 0 ||
	    inkan_zone_new(&zone) != 0 || (rec = inkan_dkim_key_record(key, a)) == NULL)
		abort();
	n = strlen(rec);
	for (size_t i = 0; i < n; i += 255) {
		size_t c = n - i > 255 ? 255 : n - i;

		rd[k++] = (uint8_t)c;
		memcpy(rd + k, rec + i, c);
		k += c;
	}
	if (inkan_zone_add_rr(zone, "fz._domainkey.fuzz.example", INKAN_DNS_TXT, 300, rd, k) != 0 ||
	    inkan_resolver_zone_new(zone, &res) != 0)
		abort();
	inkan_arena_free(a);
}

static void
sig_check(int rc, const struct inkan_arc_sig *s, const char *why, bool seal)
{
	if (rc == 0) {
		if (s->i < 1 || s->i > INKAN_ARC_MAX_INSTANCES || s->sig.d == NULL ||
		    s->sig.s == NULL || s->sig.a == NULL || s->sig.b_text == NULL ||
		    s->sig.blen == 0 || s->sig.i == NULL)
			abort();
		if (seal && (s->cv_text == NULL || s->cv > INKAN_ARC_FAIL ||
		    s->sig.hdr_canon != INKAN_DKIM_RELAXED))
			abort();
		if (!seal && (s->sig.bhlen == 0 || (s->sig.nh > 0 && s->sig.h == NULL)))
			abort();
		for (size_t k = 0; !seal && k < s->sig.nh; k++)
			if (strcmp(s->sig.h[k], "arc-seal") == 0 || s->sig.h[k][0] == '\0')
				abort();
	} else if (rc == INKAN_EMALFORMED && why == NULL) {
		abort();	/* a syntax error always says why */
	}
}

static void
parsers(struct inkan_arena *a, const char *p, size_t n, int which)
{
	struct inkan_arc_sig s;
	struct inkan_slice pl;
	const char *why = NULL;
	unsigned i;
	int rc;

	if (which == 0 || which == 'M') {
		rc = inkan_arc_ams_parse(a, p, n, &s, &why);
		sig_check(rc, &s, why, false);
	}
	if (which == 0 || which == 'S') {
		why = NULL;
		rc = inkan_arc_as_parse(a, p, n, &s, &why);
		sig_check(rc, &s, why, true);
	}
	if (which == 0 || which == 'A') {
		why = NULL;
		rc = inkan_arc_aar_parse(p, n, &i, &pl, &why);
		if (rc == 0 && (i < 1 || i > INKAN_ARC_MAX_INSTANCES || pl.p < p ||
		    pl.p + pl.len != p + n))
			abort();
		if (rc != 0 && (why == NULL || (i != 0 && i <= INKAN_ARC_MAX_INSTANCES)))
			abort();
	}
}

static void
results_check(const struct inkan_arc_results *r)
{
	if (r->cv > INKAN_ARC_FAIL || (r->cv != INKAN_ARC_PASS && r->reason == NULL) ||
	    (r->cv == INKAN_ARC_PASS && r->reason != NULL) || r->n > INKAN_ARC_MAX_INSTANCES ||
	    (r->n > 0) != (r->sets != NULL) || r->oldest_pass < 0 ||
	    r->oldest_pass > (int)r->n || (r->temperror && r->cv != INKAN_ARC_FAIL))
		abort();
	for (size_t k = 0; k < r->n; k++)
		if (r->sets[k].i != k + 1)
			abort();
}

static void
chain(struct inkan_arena *a, const char *p, size_t n)
{
	struct inkan_arc_results in, out;
	struct inkan_arc_seal_opts o = { .domain = "fuzz.example", .selector = "fz",
	    .authserv_id = "mx.fuzz.example", .timestamp = 1700000000 };
	const char *fields = NULL, *why = NULL;
	int rc;

	/* An mbox "From " envelope line first: the new fields go below it
	 * (msg.h skips it only as the first line), so leave it out here. */
	if (n >= 5 && memcmp(p, "From ", 5) == 0) {
		size_t k = 5;

		while (k < n && (p[k] == ' ' || p[k] == '\t'))
			k++;
		if (k < n && p[k] != ':') {
			const char *nl = memchr(p, '\n', n);

			if (nl == NULL)
				return;
			n -= (size_t)(nl + 1 - p);
			p = nl + 1;
		}
	}
	rc = inkan_arc_verify_message(res, a, NULL, p, n, &in);
	if (rc != 0)
		return;		/* a message the parser refuses */
	results_check(&in);
	rc = inkan_arc_seal_message(a, key, &o, in.cv, NULL, p, n, &fields, &why);
	if (rc != 0) {
		if (why == NULL || rc == INKAN_EINVAL)
			abort();	/* our own verdict must fit the message */
		return;
	}
	if (fields == NULL)
		abort();
	if (*fields == '\0')
		return;		/* the chain had already failed (§5.1) */
	size_t fl = strlen(fields);
	char *m = inkan_arena_alloc(a, fl + n);

	if (m == NULL)
		return;
	memcpy(m, fields, fl);
	memcpy(m + fl, p, n);
	if (inkan_arc_verify_message(res, a, NULL, m, fl + n, &out) != 0)
		abort();
	results_check(&out);
	/* what we sealed validates as we said */
	if (out.cv != (in.cv == INKAN_ARC_FAIL ? INKAN_ARC_FAIL : INKAN_ARC_PASS))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a;

	if (len == 0)
		return 0;
	setup();
	if ((a = inkan_arena_new()) == NULL)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = len - 1;

	switch (data[0]) {
	case 'M':
	case 'S':
	case 'A':
		parsers(a, p, n, data[0]);
		break;
	case 'C':
		chain(a, p, n);
		break;
	default:
		parsers(a, (const char *)data, len, 0);
	}
	inkan_arena_free(a);
	return 0;
}
