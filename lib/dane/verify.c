/* verify.c - match a TLSA RRset against a presented certificate chain,
 * with OpenSSL's DANE verifier, offline.
 *
 * OpenSSL (libssl) implements RFC 7671 matching inside X509_verify_cert
 * when a store context carries an SSL_DANE: DANE-EE(3) matches the leaf
 * and skips name and date checks, DANE-TA(2) anchors the chain at the
 * matching certificate or at a certificate or key given in full in DNS
 * (which may be absent from the chain), PKIX-TA/EE also need a chain to
 * the trust store.  It is the implementation Postfix uses and the one its
 * authors wrote the test vectors for, so we drive it rather than write a
 * second one: an SSL handle is made only to hold the DANE state and the
 * reference names (SSL_dane_enable, SSL_dane_tlsa_add, SSL_add1_host),
 * and the chain is verified through an X509_STORE_CTX exactly as libssl
 * does during a handshake (this is also how OpenSSL's danetest runs).
 * No connection is made.
 *
 * What this file adds: the profile (RFC 7672 keeps PKIX usages out),
 * input bounds, and the mapping of X509_V_ERR codes to our outcomes with
 * a reason and the record that matched.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "inkan/arena.h"
#include "inkan/dane.h"
#include "inkan/error.h"
#include "inkan/limits.h"

struct inkan_dane_ctx {
	SSL_CTX *ssl;
};

const char *
inkan_dane_status_name(enum inkan_dane_status s)
{
	switch (s) {
	case INKAN_DANE_OK: return "ok";
	case INKAN_DANE_NO_MATCH: return "no-match";
	case INKAN_DANE_NAME_MISMATCH: return "name-mismatch";
	case INKAN_DANE_UNTRUSTED: return "untrusted";
	case INKAN_DANE_NOT_USABLE: return "not-usable";
	}
	return "unknown";
}

int
inkan_dane_ctx_new(const char *ca_file, struct inkan_dane_ctx **out, const char **why)
{
	struct inkan_dane_ctx *c;

	*out = NULL;
	if (why != NULL)
		*why = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return INKAN_ENOMEM;
	if ((c->ssl = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_dane_enable(c->ssl) <= 0) {
		inkan_dane_ctx_free(c);
		ERR_clear_error();
		return INKAN_ENOMEM;
	}
	if (ca_file != NULL && SSL_CTX_load_verify_locations(c->ssl, ca_file, NULL) != 1) {
		inkan_dane_ctx_free(c);
		ERR_clear_error();
		if (why != NULL)
			*why = "cannot load the CA file";
		return INKAN_EIO;
	}
	*out = c;
	return 0;
}

void
inkan_dane_ctx_free(struct inkan_dane_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl);
	free(c);
}

static bool
usable_in(enum inkan_dane_profile p, const struct inkan_dane_tlsa *t)
{
	return p != INKAN_DANE_SMTP || t->usage == INKAN_DANE_DANE_TA ||
	    t->usage == INKAN_DANE_DANE_EE;
}

/* Index in rrset of the record OpenSSL reports as matched, or -1. */
static int
find_record(const struct inkan_dane_tlsa *rrset, size_t n, uint8_t u, uint8_t s, uint8_t m,
    const unsigned char *data, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (rrset[i].usage == u && rrset[i].selector == s && rrset[i].mtype == m &&
		    rrset[i].len == len && memcmp(rrset[i].data, data, len) == 0)
			return (int)i;
	return -1;
}

static int
verdict(struct inkan_dane_result *out, enum inkan_dane_status st, const char *why)
{
	out->status = st;
	out->why = why;
	return why == NULL && st != INKAN_DANE_OK ? INKAN_ENOMEM : 0;
}

int
inkan_dane_verify(struct inkan_dane_ctx *c, struct inkan_arena *a,
    const struct inkan_dane_tlsa *rrset, size_t n, const struct inkan_dane_cert *chain,
    size_t nchain, const struct inkan_dane_verify_opts *o, struct inkan_dane_result *out)
{
	static const struct inkan_dane_verify_opts defaults;
	struct inkan_dane_ctx *own = NULL;
	STACK_OF(X509) *sk = NULL;
	X509_STORE_CTX *sctx = NULL;
	X509_VERIFY_PARAM *param;
	SSL *ssl = NULL;
	size_t added = 0;
	int rc = 0, ok, err, mdepth;
	uint8_t mu = 0, ms = 0, mm = 0;
	const unsigned char *mdata = NULL;
	size_t mlen = 0;

	memset(out, 0, sizeof(*out));
	out->record = -1;
	out->depth = -1;
	if (o == NULL)
		o = &defaults;
	if (nchain == 0 || nchain > INKAN_DANE_MAX_CHAIN || n > INKAN_DANE_MAX_TLSA ||
	    (n > 0 && rrset == NULL) || chain == NULL)
		return INKAN_EINVAL;
	if (c == NULL) {
		const char *w;

		if ((rc = inkan_dane_ctx_new(NULL, &own, &w)) != 0)
			return rc;
		c = own;
	}
	if ((ssl = SSL_new(c->ssl)) == NULL) {
		rc = INKAN_ENOMEM;
		goto done;
	}
	SSL_set_connect_state(ssl);
	/* The base domain is the first reference identifier; without one, a
	 * name no certificate can hold, so DANE-TA fails its name check. */
	if (SSL_dane_enable(ssl, o->nnames > 0 && o->names[0] && o->names[0][0] ?
	    o->names[0] : "invalid") <= 0) {
		rc = INKAN_ENOMEM;
		goto done;
	}
	for (size_t i = 1; i < o->nnames; i++) {
		if (o->names[i] != NULL && o->names[i][0] != '\0' &&
		    SSL_add1_host(ssl, o->names[i]) != 1) {
			rc = INKAN_ENOMEM;
			goto done;
		}
	}
	if (!o->ee_name_checks)
		SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	param = SSL_get0_param(ssl);
	/* A wildcard stands for one whole leftmost label, no "f*.example". */
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (o->now != 0)
		X509_VERIFY_PARAM_set_time(param, (time_t)o->now);

	for (size_t i = 0; i < n; i++) {
		int r;

		if (!usable_in(o->profile, &rrset[i]))
			continue;
		/* 0: unusable (unknown parameter, wrong digest length, Full data
		 * that is not a certificate or key); <0: out of memory. */
		r = SSL_dane_tlsa_add(ssl, rrset[i].usage, rrset[i].selector, rrset[i].mtype,
		    rrset[i].data, rrset[i].len);
		if (r < 0) {
			rc = INKAN_ENOMEM;
			goto done;
		}
		if (r > 0)
			added++;
	}
	ERR_clear_error();
	if (added == 0) {
		rc = verdict(out, INKAN_DANE_NOT_USABLE, n == 0 ? "no TLSA records" :
		    o->profile == INKAN_DANE_SMTP ?
		    "no usable TLSA record (unknown parameters, bad data, or PKIX-TA/PKIX-EE, "
		    "which SMTP does not use: RFC 7672 §3.1.3)" :
		    "no usable TLSA record (unknown parameters or bad data)");
		goto done;
	}

	if ((sk = sk_X509_new_null()) == NULL) {
		rc = INKAN_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < nchain; i++) {
		const unsigned char *p = chain[i].der;
		X509 *x = NULL;

		if (chain[i].der != NULL && chain[i].len > 0 && chain[i].len < (size_t)LONG_MAX)
			x = d2i_X509(NULL, &p, (long)chain[i].len);
		if (x == NULL || p != chain[i].der + chain[i].len) {
			X509_free(x);
			ERR_clear_error();
			rc = verdict(out, INKAN_DANE_UNTRUSTED, inkan_arena_printf(a,
			    "certificate %zu of the chain is not a DER certificate", i));
			goto done;
		}
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			rc = INKAN_ENOMEM;
			goto done;
		}
	}

	if ((sctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(c->ssl), sk_X509_value(sk, 0), sk)) {
		rc = INKAN_ENOMEM;
		goto done;
	}
	/* What libssl does for a client verifying a server: purpose and
	 * trust "ssl_server", the handle's parameters, its DANE state. */
	X509_STORE_CTX_set_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx(), ssl);
	X509_STORE_CTX_set_default(sctx, "ssl_server");
	X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(sctx), param);
	X509_STORE_CTX_set0_dane(sctx, SSL_get0_dane(ssl));

	ok = X509_verify_cert(sctx);
	err = X509_STORE_CTX_get_error(sctx);
	if (ok <= 0 && err == X509_V_OK)
		err = X509_V_ERR_UNSPECIFIED;
	out->x509_error = err;

	/* The match is hidden unless the handle's result is OK; peek as
	 * danetest does, whatever the outcome. */
	SSL_set_verify_result(ssl, X509_V_OK);
	mdepth = SSL_get0_dane_tlsa(ssl, &mu, &ms, &mm, &mdata, &mlen);
	if (mdepth >= 0 && mdata != NULL) {
		out->depth = mdepth;
		out->record = find_record(rrset, n, mu, ms, mm, mdata, mlen);
	}
	{
		const char *peer = X509_VERIFY_PARAM_get0_peername(X509_STORE_CTX_get0_param(sctx));

		if (peer != NULL && (out->peername = inkan_arena_strdup(a, peer)) == NULL) {
			rc = INKAN_ENOMEM;
			goto done;
		}
	}
	ERR_clear_error();

	if (ok > 0 && err == X509_V_OK) {
		rc = verdict(out, INKAN_DANE_OK, NULL);
	} else if (err == X509_V_ERR_DANE_NO_MATCH) {
		rc = verdict(out, INKAN_DANE_NO_MATCH, inkan_arena_printf(a,
		    "no TLSA record matches the certificate chain (%zu usable record%s, "
		    "%zu certificate%s)", added, added == 1 ? "" : "s", nchain,
		    nchain == 1 ? "" : "s"));
	} else if (err == X509_V_ERR_HOSTNAME_MISMATCH) {
		rc = verdict(out, INKAN_DANE_NAME_MISMATCH, inkan_arena_printf(a,
		    "TLSA record %d matches at depth %d, but the certificate is not "
		    "valid for %s%s", out->record + 1, out->depth,
		    o->nnames > 0 && o->names[0] ? o->names[0] : "any reference name",
		    o->nnames > 1 ? " or the other reference names" : ""));
	} else {
		rc = verdict(out, INKAN_DANE_UNTRUSTED, inkan_arena_printf(a,
		    "the chain does not verify: %s (at depth %d)",
		    X509_verify_cert_error_string(err), X509_STORE_CTX_get_error_depth(sctx)));
	}
done:
	X509_STORE_CTX_free(sctx);
	sk_X509_pop_free(sk, X509_free);
	SSL_free(ssl);
	inkan_dane_ctx_free(own);
	ERR_clear_error();
	return rc;
}
