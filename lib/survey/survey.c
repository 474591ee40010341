/* survey.c - one domain's posture from DNS, re-runnable under the bulk
 * driver.
 *
 * Two steps.  Step 1 asks everything that depends only on the domain
 * name (MX, apex TXT, _dmarc, _mta-sts, _smtp._tls, default._bimi,
 * _domainkey); a cache-only miss in one of them does not stop the
 * others, so one run notes all of them and the driver sends them
 * together.  Step 2 needs step 1's answers: the SPF tree (spf_lint) and
 * the TLSA records of the MX hosts.  Every query depends only on the
 * domain and the answers, so a re-run asks the same ones.
 */
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/bimi.h"
#include "inkan/dane.h"
#include "inkan/dmarc.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "inkan/mtasts.h"
#include "inkan/spf.h"
#include "inkan/spf_lint.h"
#include "inkan/survey.h"
#include "inkan/tlsrpt.h"

const char *
inkan_survey_mx_name(enum inkan_survey_mx m)
{
	static const char *const n[] = { "none", "ok", "null", "ip", "temperror" };

	return (unsigned)m < sizeof(n) / sizeof(n[0]) ? n[m] : "?";
}

const char *
inkan_survey_rec_name(enum inkan_survey_rec r)
{
	static const char *const n[] = { "none", "valid", "invalid", "multiple", "temperror" };

	return (unsigned)r < sizeof(n) / sizeof(n[0]) ? n[r] : "?";
}

const char *
inkan_survey_dnssec_name(enum inkan_survey_dnssec d)
{
	static const char *const n[] = { "insecure", "secure", "bogus" };

	return (unsigned)d < sizeof(n) / sizeof(n[0]) ? n[d] : "?";
}

const char *
inkan_survey_dkim_name(enum inkan_survey_dkim d)
{
	static const char *const n[] = { "none", "present", "temperror" };

	return (unsigned)d < sizeof(n) / sizeof(n[0]) ? n[d] : "?";
}

/* A query whose cache-only miss is remembered in *again instead of
 * ending the run.  Returns 0 (answer in *ans), 1 (missed), or an error. */
static int
ask(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *ans, bool *again)
{
	int rc = inkan_dns_query(r, a, name, type, ans);

	if (rc == INKAN_EAGAIN) {
		*again = true;
		return 1;
	}
	return rc;
}

static bool
dns_failed(const struct inkan_dns_answer *ans)
{
	return ans->status == INKAN_DNS_SERVFAIL || ans->status == INKAN_DNS_TIMEOUT;
}

static enum inkan_survey_rec
rec_from_status(int s)
{
	/* The MTA-STS, TLS-RPT and BIMI lookups share this order:
	 * found, none, invalid, multiple, temperror. */
	switch (s) {
	case 0: return INKAN_SURVEY_REC_VALID;
	case 1: return INKAN_SURVEY_REC_NONE;
	case 2: return INKAN_SURVEY_REC_INVALID;
	case 3: return INKAN_SURVEY_REC_MULTIPLE;
	default: return INKAN_SURVEY_REC_TEMPERROR;
	}
}

/* MX: Null MX (RFC 7505 §3: a single record, exchange "."), an IP
 * address as exchange (RFC 7505 §4 calls these out; it is a host name
 * by RFC 5321 §5.1), else the host names for TLSA, sorted so that the
 * order of the answer does not matter. */
static int
eval_mx(struct inkan_arena *a, const struct inkan_dns_answer *ans,
    struct inkan_survey_result *out, const char ***hosts, size_t *nhosts)
{
	const char **h;
	size_t n = 0;

	*hosts = NULL;
	*nhosts = 0;
	if (dns_failed(ans) || ans->bogus) {
		out->mx = INKAN_SURVEY_MX_TEMPERROR;
		return 0;
	}
	if (ans->status != INKAN_DNS_OK || ans->nrr == 0) {
		out->mx = INKAN_SURVEY_MX_NONE;
		return 0;
	}
	if ((h = inkan_arena_zalloc(a, ans->nrr * sizeof(*h))) == NULL)
		return INKAN_ENOMEM;
	out->mx = INKAN_SURVEY_MX_OK;
	out->mx_hosts = (unsigned)ans->nrr;
	for (size_t i = 0; i < ans->nrr; i++) {
		unsigned pref;
		char *ex;
		struct inkan_ip ip;

		if (inkan_dns_rr_mx(a, &ans->rr[i], &pref, &ex) != 0)
			continue;
		if (*ex == '\0') {
			if (ans->nrr == 1)
				out->mx = INKAN_SURVEY_MX_NULL;
			continue;
		}
		if (inkan_ip_parse(ex, strlen(ex), &ip) == 0) {
			out->mx = INKAN_SURVEY_MX_IP;
			continue;
		}
		h[n++] = ex;
	}
	if (out->mx == INKAN_SURVEY_MX_NULL)
		n = 0;
	/* insertion sort: at most a few hosts */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(h[j - 1], h[j]) > 0; j--) {
			const char *t = h[j];

			h[j] = h[j - 1];
			h[j - 1] = t;
		}
	if (n > INKAN_SURVEY_MAX_MX)
		n = INKAN_SURVEY_MAX_MX;
	*hosts = h;
	*nhosts = n;
	return 0;
}

/* The qualifier of the "all" that ends the evaluation of the top record:
 * its own, or through redirect= (RFC 7208 §6.1: redirect is ignored when
 * there is an "all") the target's, as the lint tree holds it. */
static char
spf_all(struct inkan_arena *a, const struct inkan_spf_node *n)
{
	for (unsigned depth = 0; n != NULL && depth <= INKAN_SPF_MAX_DNS_TERMS; depth++) {
		struct inkan_spf_record rec;
		struct inkan_spf_parse_error err;
		const struct inkan_spf_node *next = NULL;

		if (n->status != INKAN_SPF_NODE_OK || n->record == NULL ||
		    inkan_spf_record_parse(a, n->record, strlen(n->record), &rec, &err) != 0)
			return 0;
		for (size_t i = 0; i < rec.n; i++)
			if (rec.terms[i].kind == INKAN_SPF_ALL)
				return rec.terms[i].qualifier;
		if (rec.redirect == NULL)
			return 0;
		for (size_t i = 0; i < n->nchildren; i++)
			if (strcmp(n->children[i]->via, "redirect") == 0)
				next = n->children[i];
		n = next;
	}
	return 0;
}

/* SPF from the apex TXT answer (RFC 7208 §4.5), then the tree. */
static int
eval_spf(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    const struct inkan_dns_answer *txt, struct inkan_survey_result *out, bool *again)
{
	const char *rec = NULL;
	size_t nspf = 0, reclen = 0;
	struct inkan_spf_record parsed;
	struct inkan_spf_parse_error err;
	struct inkan_spf_lint lint;
	int rc;

	if (dns_failed(txt) || txt->bogus) {
		out->spf = INKAN_SURVEY_REC_TEMPERROR;
		return 0;
	}
	for (size_t i = 0; txt->status == INKAN_DNS_OK && i < txt->nrr; i++) {
		char *s;
		size_t len;

		if (inkan_dns_rr_txt(a, &txt->rr[i], &s, &len) != 0)
			continue;
		if (inkan_spf_is_record(s, len)) {
			nspf++;
			rec = s;
			reclen = len;
		}
	}
	if (nspf == 0) {
		out->spf = INKAN_SURVEY_REC_NONE;
		return 0;
	}
	if (nspf > 1) {
		out->spf = INKAN_SURVEY_REC_MULTIPLE;
		return 0;
	}
	rc = inkan_spf_record_parse(a, rec, reclen, &parsed, &err);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0 || strlen(rec) != reclen) {
		out->spf = INKAN_SURVEY_REC_INVALID;
		return 0;
	}
	out->spf = INKAN_SURVEY_REC_VALID;
	rc = inkan_spf_lint(r, a, domain, &lint);
	if (rc == INKAN_EAGAIN) {
		*again = true;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (lint.root != NULL) {
		out->spf_lookups = lint.root->total_lookups;
		out->spf_over_limit = lint.root->total_lookups > INKAN_SPF_MAX_DNS_TERMS;
		out->spf_all = spf_all(a, lint.root);
	}
	return 0;
}

/* The record at _dmarc.<domain> itself (RFC 9989 §4.10 step 1); a
 * survey counts what the domain publishes, not what it inherits. */
static int
eval_dmarc(struct inkan_arena *a, const struct inkan_dns_answer *ans,
    struct inkan_survey_result *out)
{
	const char *txt = NULL;
	size_t n = 0, len = 0;
	struct inkan_dmarc_record rec;
	int rc;

	if (dns_failed(ans) || ans->bogus) {
		out->dmarc = INKAN_SURVEY_REC_TEMPERROR;
		return 0;
	}
	for (size_t i = 0; ans->status == INKAN_DNS_OK && i < ans->nrr; i++) {
		char *s;
		size_t l;

		if (inkan_dns_rr_txt(a, &ans->rr[i], &s, &l) != 0)
			continue;
		if (inkan_dmarc_is_record(s, l)) {
			n++;
			txt = s;
			len = l;
		}
	}
	if (n == 0) {
		out->dmarc = INKAN_SURVEY_REC_NONE;
		return 0;
	}
	if (n > 1) {
		out->dmarc = INKAN_SURVEY_REC_MULTIPLE;
		return 0;
	}
	rc = inkan_dmarc_record_parse(a, txt, len, &rec, NULL);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0 || !rec.applies) {
		out->dmarc = INKAN_SURVEY_REC_INVALID;
		return 0;
	}
	out->dmarc = INKAN_SURVEY_REC_VALID;
	out->dmarc_p = inkan_dmarc_policy_name(rec.p);
	out->dmarc_sp = inkan_dmarc_policy_name(rec.sp);
	out->dmarc_np = inkan_dmarc_policy_name(rec.np);
	out->dmarc_rua = rec.nrua > 0;
	out->dmarc_testing = rec.testing;
	return 0;
}

/* An RRset of TLSA records of which at least one parses (RFC 7672 §2.2:
 * unusable records alone mean no DANE). */
static bool
tlsa_usable(const struct inkan_dns_answer *ans)
{
	if (ans->status != INKAN_DNS_OK || ans->bogus)
		return false;
	for (size_t i = 0; i < ans->nrr; i++) {
		struct inkan_dane_tlsa t;

		if (inkan_dane_tlsa_parse(ans->rr[i].data, ans->rr[i].len, &t, NULL) == 0)
			return true;
	}
	return false;
}

int
inkan_survey_domain(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    struct inkan_survey_result *out)
{
	return inkan_survey_domain_ex(r, a, domain, 0, out);
}

int
inkan_survey_domain_ex(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    unsigned flags, struct inkan_survey_result *out)
{
	struct inkan_dns_answer mx, txt, dmarc, dk;
	struct inkan_mtasts_lookup sts;
	struct inkan_tlsrpt_lookup rpt;
	struct inkan_bimi_lookup bimi;
	const char **hosts;
	size_t nhosts;
	unsigned long q0;
	bool again = false, tlsa_secure = true;
	const char *d, *why;
	int rc;

	if (r == NULL || a == NULL || domain == NULL || out == NULL)
		return INKAN_EINVAL;
	memset(out, 0, sizeof(*out));
	if (inkan_dname_check(domain, strlen(domain), INKAN_DNAME_MULTILABEL, &why) != 0)
		return INKAN_EINVAL;
	if ((d = inkan_dname_lower(a, domain, strlen(domain))) == NULL)
		return INKAN_ENOMEM;
	out->domain = d;
	q0 = r->nqueries;

	/* Step 1: independent queries, all asked in one run. */
	const char *n_dmarc = inkan_arena_printf(a, "_dmarc.%s", d);
	const char *n_dk = inkan_arena_printf(a, "_domainkey.%s", d);

	if (n_dmarc == NULL || n_dk == NULL)
		return INKAN_ENOMEM;
	if ((rc = ask(r, a, d, INKAN_DNS_MX, &mx, &again)) < 0 ||
	    (rc = ask(r, a, d, INKAN_DNS_TXT, &txt, &again)) < 0 ||
	    (rc = ask(r, a, n_dmarc, INKAN_DNS_TXT, &dmarc, &again)) < 0 ||
	    (rc = ask(r, a, n_dk, INKAN_DNS_TXT, &dk, &again)) < 0)
		return rc;
	rc = inkan_mtasts_record_lookup(r, a, d, &sts);
	if (rc == INKAN_EAGAIN)
		again = true;
	else if (rc != 0)
		return rc;
	rc = inkan_tlsrpt_record_lookup(r, a, d, &rpt);
	if (rc == INKAN_EAGAIN)
		again = true;
	else if (rc != 0)
		return rc;
	rc = inkan_bimi_lookup(r, a, d, NULL, &bimi);
	if (rc == INKAN_EAGAIN)
		again = true;
	else if (rc == INKAN_EINVAL)
		bimi.status = INKAN_BIMI_NONE;
	else if (rc != 0)
		return rc;
	if (again)
		return INKAN_EAGAIN;

	out->mtasts = rec_from_status(sts.status);
	out->tlsrpt = rec_from_status(rpt.status);
	out->bimi = rec_from_status(bimi.status);
	if (dns_failed(&dk))
		out->dkim = INKAN_SURVEY_DKIM_TEMPERROR;
	else if (dk.status == INKAN_DNS_NXDOMAIN)
		out->dkim = INKAN_SURVEY_DKIM_NONE;
	else
		out->dkim = INKAN_SURVEY_DKIM_PRESENT;	/* NODATA (RFC 8020) or records */
	if (mx.bogus || txt.bogus)
		out->dnssec = INKAN_SURVEY_DNSSEC_BOGUS;
	else if (mx.secure && txt.secure)
		out->dnssec = INKAN_SURVEY_DNSSEC_SECURE;
	if ((rc = eval_mx(a, &mx, out, &hosts, &nhosts)) != 0 ||
	    (rc = eval_dmarc(a, &dmarc, out)) != 0)
		return rc;

	/* Step 2: what step 1's answers lead to. */
	if ((rc = eval_spf(r, a, d, &txt, out, &again)) != 0)
		return rc;
	for (size_t i = 0; i < nhosts; i++) {
		struct inkan_dns_answer t;
		const char *name = inkan_arena_printf(a, "_25._tcp.%s", hosts[i]);

		if (name == NULL)
			return INKAN_ENOMEM;
		rc = ask(r, a, name, INKAN_DNS_TLSA, &t, &again);
		if (rc == INKAN_EINVAL)
			continue;	/* a host name the resolver cannot ask about */
		if (rc < 0)
			return rc;
		if (rc == 0 && tlsa_usable(&t)) {
			out->dane_hosts++;
			if (!t.secure)
				tlsa_secure = false;
		}
	}
	if ((flags & INKAN_SURVEY_WANT_MX_ADDR) != 0 && nhosts > 0) {
		/* The addresses the STARTTLS probe connects to. */
		out->mx_addr_host = inkan_arena_zalloc(a, nhosts * sizeof(*out->mx_addr_host));
		out->mx_addr = inkan_arena_zalloc(a, nhosts * sizeof(*out->mx_addr));
		if (out->mx_addr_host == NULL || out->mx_addr == NULL)
			return INKAN_ENOMEM;
		for (size_t i = 0; i < nhosts; i++) {
			struct inkan_dns_answer ad;

			rc = ask(r, a, hosts[i], INKAN_DNS_A, &ad, &again);
			if (rc == INKAN_EINVAL)
				continue;
			if (rc < 0)
				return rc;
			if (rc != 0 || ad.status != INKAN_DNS_OK || ad.nrr == 0 ||
			    inkan_dns_rr_ip(&ad.rr[0], &out->mx_addr[out->nmx_addr]) != 0)
				continue;
			out->mx_addr_host[out->nmx_addr++] = hosts[i];
		}
	}
	if (again)
		return INKAN_EAGAIN;
	out->dane = out->dane_hosts > 0;
	out->dane_secure = out->dane && tlsa_secure && mx.secure;
	out->queries = (unsigned)(r->nqueries - q0);
	return 0;
}
