/* tlsa.c - TLSA records (RFC 6698 §2): wire and presentation forms, and a
 * lint of an RRset against RFC 7671 (operations) and RFC 7672 (SMTP).
 *
 * A record is usable when its three parameters are known, its data can
 * match anything (a SHA2 digest of the right length; Full(0) data that
 * is a certificate or a key), and the profile allows its usage (SMTP:
 * DANE-TA and DANE-EE only).  An RRset without a usable record is as if
 * there were none (RFC 7672 §2.2): DANE is then not in force, which is
 * the most important thing a lint can tell an operator.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "inkan/arena.h"
#include "inkan/dane.h"
#include "inkan/error.h"
#include "inkan/limits.h"

static int
fail(const char **why, const char *w)
{
	if (why != NULL)
		*why = w;
	return INKAN_EMALFORMED;
}

const char *
inkan_dane_usage_name(unsigned usage)
{
	static const char *const n[] = { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };

	return usage < 4 ? n[usage] : NULL;
}

const char *
inkan_dane_selector_name(unsigned selector)
{
	static const char *const n[] = { "Cert", "SPKI" };

	return selector < 2 ? n[selector] : NULL;
}

const char *
inkan_dane_mtype_name(unsigned mtype)
{
	static const char *const n[] = { "Full", "SHA2-256", "SHA2-512" };

	return mtype < 3 ? n[mtype] : NULL;
}

int
inkan_dane_tlsa_parse(const uint8_t *rdata, size_t len, struct inkan_dane_tlsa *out,
    const char **why)
{
	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = NULL;
	if (rdata == NULL || len < 3)
		return fail(why, "TLSA rdata shorter than its three parameter octets");
	if (len == 3)
		return fail(why, "TLSA record has no certificate association data");
	out->usage = rdata[0];
	out->selector = rdata[1];
	out->mtype = rdata[2];
	out->data = rdata + 3;
	out->len = len - 3;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One decimal field 0..255 at s[*i]; advances past it and the spaces
 * after it. */
static bool
octet(const char *s, size_t len, size_t *i, uint8_t *v)
{
	unsigned n = 0;
	size_t d = 0;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		n = n * 10 + (unsigned)(s[*i] - '0');
		if (n > 255)
			return false;
		(*i)++;
		d++;
	}
	if (d == 0 || (*i < len && !is_space(s[*i])))
		return false;
	while (*i < len && is_space(s[*i]))
		(*i)++;
	*v = (uint8_t)n;
	return true;
}

int
inkan_dane_tlsa_parse_text(struct inkan_arena *a, const char *s, size_t len,
    struct inkan_dane_tlsa *out, const char **why)
{
	size_t i = 0, nhex = 0;
	uint8_t *data;
	int hi = -1;

	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = NULL;
	if (s == NULL)
		return fail(why, "no TLSA text");
	while (i < len && is_space(s[i]))
		i++;
	if (!octet(s, len, &i, &out->usage))
		return fail(why, "TLSA usage is not a number from 0 to 255");
	if (!octet(s, len, &i, &out->selector))
		return fail(why, "TLSA selector is not a number from 0 to 255");
	if (!octet(s, len, &i, &out->mtype))
		return fail(why, "TLSA matching type is not a number from 0 to 255");
	for (size_t j = i; j < len; j++) {
		if (is_space(s[j]))
			continue;
		if (hexval(s[j]) < 0)
			return fail(why, "TLSA data has a character that is not a hex digit");
		nhex++;
	}
	if (nhex == 0)
		return fail(why, "TLSA record has no certificate association data");
	if (nhex % 2 != 0)
		return fail(why, "TLSA data has an odd number of hex digits");
	if ((data = inkan_arena_alloc(a, nhex / 2)) == NULL)
		return INKAN_ENOMEM;
	for (size_t j = i, n = 0; j < len; j++) {
		if (is_space(s[j]))
			continue;
		if (hi < 0) {
			hi = hexval(s[j]);
		} else {
			data[n++] = (uint8_t)(hi << 4 | hexval(s[j]));
			hi = -1;
		}
	}
	out->data = data;
	out->len = nhex / 2;
	return 0;
}

char *
inkan_dane_tlsa_text(struct inkan_arena *a, const struct inkan_dane_tlsa *t)
{
	static const char hex[] = "0123456789abcdef";
	char *s, *p;

	int n;

	/* "255 255 255 " is 12 characters. */
	if ((s = inkan_arena_alloc(a, 16 + t->len * 2 + 1)) == NULL)
		return NULL;
	n = snprintf(s, 16, "%u %u %u ", t->usage, t->selector, t->mtype);
	p = s + (n > 0 && n < 16 ? n : 0);
	for (size_t i = 0; i < t->len; i++) {
		*p++ = hex[t->data[i] >> 4];
		*p++ = hex[t->data[i] & 15];
	}
	*p = '\0';
	return s;
}

/* ---- lint ---- */

struct lint {
	struct inkan_arena *a;
	struct inkan_dane_lint *out;
	size_t cap;
	bool nomem;
};

static void add(struct lint *l, enum inkan_lint_severity sev, const char *id, int rec,
    const char *advice, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
add(struct lint *l, enum inkan_lint_severity sev, const char *id, int rec, const char *advice,
    const char *fmt, ...)
{
	struct inkan_dane_finding *f;
	va_list ap;

	if (l->nomem)
		return;
	if (l->out->nfindings == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct inkan_dane_finding *n = inkan_arena_alloc(l->a, ncap * sizeof(*n));

		if (n == NULL) {
			l->nomem = true;
			return;
		}
		if (l->out->nfindings)
			memcpy(n, l->out->findings, l->out->nfindings * sizeof(*n));
		l->out->findings = n;
		l->cap = ncap;
	}
	f = &l->out->findings[l->out->nfindings];
	va_start(ap, fmt);
	f->message = inkan_arena_vprintf(l->a, fmt, ap);
	va_end(ap);
	if (f->message == NULL) {
		l->nomem = true;
		return;
	}
	f->severity = sev;
	f->id = id;
	f->record = rec;
	f->advice = advice;
	l->out->nfindings++;
	if (sev == INKAN_LINT_ERROR)
		l->out->errors++;
	else if (sev == INKAN_LINT_WARN)
		l->out->warnings++;
}

/* Does Full(0) data hold what the selector says? */
static bool
full_data_ok(const struct inkan_dane_tlsa *t)
{
	const unsigned char *p = t->data;
	bool ok = false;

	if (t->len > LONG_MAX)
		return false;
	if (t->selector == INKAN_DANE_SEL_CERT) {
		X509 *x = d2i_X509(NULL, &p, (long)t->len);

		ok = x != NULL && p == t->data + t->len;
		X509_free(x);
	} else {
		EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)t->len);

		ok = k != NULL && p == t->data + t->len;
		EVP_PKEY_free(k);
	}
	return ok;
}

static void
lint_record(struct lint *l, const struct inkan_dane_tlsa *t, int i,
    enum inkan_dane_profile profile)
{
	bool usable = true;

	if (t->usage > 3) {
		add(l, INKAN_LINT_ERROR, "unknown-usage", i, "use 3 (DANE-EE) or 2 (DANE-TA)",
		    "record %d: certificate usage %u is not defined; the record is unusable",
		    i + 1, t->usage);
		usable = false;
	}
	if (t->selector > 1) {
		add(l, INKAN_LINT_ERROR, "unknown-selector", i, "use 1 (SPKI)",
		    "record %d: selector %u is not defined; the record is unusable", i + 1,
		    t->selector);
		usable = false;
	}
	if (t->mtype > 2) {
		add(l, INKAN_LINT_ERROR, "unknown-mtype", i, "use 1 (SHA2-256)",
		    "record %d: matching type %u is not defined; the record is unusable", i + 1,
		    t->mtype);
		usable = false;
	}
	if ((t->mtype == INKAN_DANE_MT_SHA256 && t->len != 32) ||
	    (t->mtype == INKAN_DANE_MT_SHA512 && t->len != 64)) {
		add(l, INKAN_LINT_ERROR, "digest-length", i,
		    "recompute the digest (e.g. with ldns-dane or openssl)",
		    "record %d: %s data is %zu bytes, not %u; it can never match", i + 1,
		    inkan_dane_mtype_name(t->mtype), t->len,
		    t->mtype == INKAN_DANE_MT_SHA256 ? 32u : 64u);
		usable = false;
	}
	if (t->mtype == INKAN_DANE_MT_FULL && t->selector <= 1 && !full_data_ok(t)) {
		add(l, INKAN_LINT_ERROR, "bad-full-data", i, NULL,
		    "record %d: Full(0) data is not a DER %s; it can never match", i + 1,
		    t->selector == 0 ? "certificate" : "SubjectPublicKeyInfo");
		usable = false;
	}
	if (usable && profile == INKAN_DANE_SMTP && t->usage <= 1) {
		add(l, INKAN_LINT_WARN, "pkix-smtp", i,
		    "publish 3 1 1 for the server key (or 2 1 1 for its issuer)",
		    "record %d: %s(%u) is not used for SMTP (RFC 7672 §3.1.3); senders ignore it",
		    i + 1, inkan_dane_usage_name(t->usage), t->usage);
		usable = false;
	}
	if (!usable)
		return;
	l->out->usable++;
	if (t->selector == INKAN_DANE_SEL_SPKI && t->mtype == INKAN_DANE_MT_SHA256 &&
	    (t->usage == INKAN_DANE_DANE_EE || t->usage == INKAN_DANE_DANE_TA))
		return;
	if (t->usage == INKAN_DANE_DANE_EE && t->selector == INKAN_DANE_SEL_CERT)
		add(l, INKAN_LINT_INFO, "not-recommended", i, "use 3 1 1",
		    "record %d: %u %u %u pins the whole certificate, so every renewal needs a "
		    "new record even with the same key", i + 1, t->usage, t->selector, t->mtype);
	else if (t->mtype == INKAN_DANE_MT_FULL)
		add(l, INKAN_LINT_INFO, "not-recommended", i, "use matching type 1 (SHA2-256)",
		    "record %d: %u %u 0 carries the full %s, which makes the answer large",
		    i + 1, t->usage, t->selector, t->selector ? "key" : "certificate");
	else
		add(l, INKAN_LINT_INFO, "not-recommended", i, "3 1 1, or 2 1 1 for an issuer",
		    "record %d: %u %u %u is usable but not one of the recommended 3 1 1 and "
		    "2 1 1", i + 1, t->usage, t->selector, t->mtype);
}

int
inkan_dane_lint(struct inkan_arena *a, const struct inkan_dane_tlsa *rrset, size_t n,
    enum inkan_dane_profile profile, struct inkan_dane_lint *out)
{
	struct lint l = { .a = a, .out = out };

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		add(&l, INKAN_LINT_ERROR, "empty", -1, NULL, "the TLSA RRset is empty");
		return l.nomem ? INKAN_ENOMEM : 0;
	}
	for (size_t i = 0; i < n; i++) {
		lint_record(&l, &rrset[i], (int)i, profile);
		for (size_t j = 0; j < i; j++) {
			const struct inkan_dane_tlsa *x = &rrset[i], *y = &rrset[j];

			if (x->usage == y->usage && x->selector == y->selector &&
			    x->mtype == y->mtype && x->len == y->len &&
			    memcmp(x->data, y->data, x->len) == 0) {
				add(&l, INKAN_LINT_WARN, "duplicate", (int)i, "remove one",
				    "record %zu repeats record %zu", i + 1, j + 1);
				break;
			}
		}
	}
	if (out->usable == 0)
		add(&l, INKAN_LINT_ERROR, "no-usable", -1,
		    "publish a 3 1 1 record for the server's key",
		    "no usable TLSA record: DANE is not in force%s",
		    profile == INKAN_DANE_SMTP ? " (RFC 7672 §2.2: senders fall back to "
		    "unauthenticated TLS)" : "");
	else if (out->usable == 1)
		add(&l, INKAN_LINT_INFO, "no-rollover", -1,
		    "publish a record for the next key (or a 2 1 1 for the issuer) before "
		    "changing keys (RFC 7671 §8)",
		    "only one usable TLSA record: a new key or certificate breaks delivery until "
		    "the record is changed");
	return l.nomem ? INKAN_ENOMEM : 0;
}
