/* report.c - external report destinations: RFC 9990 §3 (RFC 7489 §7.1).
 *
 * A rua=/ruf= URI whose domain lies outside the policy domain's
 * Organizational Domain is used only if the destination publishes a TXT
 * record at <policy-domain>._report._dmarc.<destination-domain> that
 * starts with v=DMARC1.  Such a record may carry rua=/ruf= that replace
 * the destination; it needs no p= (RFC 9989 §4.7: p is not applicable to
 * third-party reporting records).
 */
#include <stdarg.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "dmarc_int.h"

static int status(struct inkan_arena *a, struct inkan_dmarc_report_auth *out,
    enum inkan_dmarc_report_status s, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
status(struct inkan_arena *a, struct inkan_dmarc_report_auth *out,
    enum inkan_dmarc_report_status s, const char *fmt, ...)
{
	va_list ap;

	out->status = s;
	out->authorized = s == INKAN_DMARC_REPORT_AUTHORIZED || s == INKAN_DMARC_REPORT_INTERNAL;
	va_start(ap, fmt);
	out->why = inkan_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return out->why == NULL ? INKAN_ENOMEM : 0;
}

static int
authorized(struct dctx *c, const char *pol, const char *dest, struct inkan_dmarc_report_auth *out)
{
	struct inkan_dns_answer ans;
	size_t malformed = 0;
	const char *first_why = NULL;
	int rc;

	out->query = inkan_arena_printf(c->a, "%s._report._dmarc.%s", pol, dest);
	if (out->query == NULL)
		return INKAN_ENOMEM;
	if (strlen(out->query) > INKAN_DNAME_MAX_TEXT)
		return status(c->a, out, INKAN_DMARC_REPORT_NOT_AUTHORIZED,
		    "%s is too long for DNS", out->query);
	rc = inkan_dns_query(c->r, c->a, out->query, INKAN_DNS_TXT, &ans);
	if (rc != 0)
		return rc;
	c->queries++;
	out->queries = c->queries;
	switch (ans.status) {
	case INKAN_DNS_SERVFAIL:
	case INKAN_DNS_TIMEOUT:
		return status(c->a, out, INKAN_DMARC_REPORT_TEMPERROR, "DNS %s for %s",
		    inkan_dns_status_name(ans.status), out->query);
	case INKAN_DNS_NXDOMAIN:
	case INKAN_DNS_NODATA:
		return status(c->a, out, INKAN_DMARC_REPORT_NOT_AUTHORIZED,
		    "no record at %s", out->query);
	case INKAN_DNS_OK:
		break;
	}
	for (size_t i = 0; i < ans.nrr; i++) {
		struct inkan_dmarc_record *rec;
		const char *why = NULL;
		char *t;
		size_t tl;

		rc = inkan_dns_rr_txt(c->a, &ans.rr[i], &t, &tl);
		if (rc == INKAN_ENOMEM)
			return rc;
		if (rc != 0 || !inkan_dmarc_is_record(t, tl))
			continue;
		if ((rec = inkan_arena_alloc(c->a, sizeof(*rec))) == NULL)
			return INKAN_ENOMEM;
		rc = inkan_dmarc_record_parse(c->a, t, tl, rec, &why);
		if (rc == INKAN_ENOMEM)
			return rc;
		if (rc == 0) {
			out->record = rec;
			return status(c->a, out, INKAN_DMARC_REPORT_AUTHORIZED,
			    "%s publishes v=DMARC1", out->query);
		}
		malformed++;
		if (first_why == NULL)
			first_why = why;
	}
	if (malformed > 0)
		return status(c->a, out, INKAN_DMARC_REPORT_PERMERROR,
		    "malformed record at %s: %s", out->query, first_why);
	return status(c->a, out, INKAN_DMARC_REPORT_NOT_AUTHORIZED,
	    "no v=DMARC1 record at %s", out->query);
}

static int
norm2(struct inkan_arena *a, const char *p, const char *d, const char **pn, const char **dn,
    struct inkan_dmarc_report_auth *out, bool *bad)
{
	const char *why;
	int rc;

	*bad = false;
	rc = inkan__dmarc_norm_domain(a, p, strlen(p), pn, &why);
	if (rc == 0)
		rc = inkan__dmarc_norm_domain(a, d, strlen(d), dn, &why);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		*bad = true;
		return status(a, out, INKAN_DMARC_REPORT_NOT_AUTHORIZED, "not a domain name: %s",
		    why);
	}
	return 0;
}

int
inkan_dmarc_report_authorized(struct inkan_resolver *r, struct inkan_arena *a,
    const char *policy_domain, const char *dest_domain, struct inkan_dmarc_report_auth *out)
{
	struct dctx c;
	const char *pn, *dn;
	bool bad;
	int rc;

	if (r == NULL || a == NULL || policy_domain == NULL || dest_domain == NULL || out == NULL)
		return INKAN_EINVAL;
	memset(out, 0, sizeof(*out));
	if ((rc = norm2(a, policy_domain, dest_domain, &pn, &dn, out, &bad)) != 0 || bad)
		return rc;
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.a = a;
	return authorized(&c, pn, dn, out);
}

static int
org_by_mode(struct dctx *c, const struct inkan_dmarc_opts *o,
    const struct inkan_dmarc_psl *psl, const char *d, const char **org)
{
	struct dwalk w;
	const char *psd;
	int rc;

	if (o->mode == INKAN_DMARC_PSL)
		return inkan__dmarc_psl_org(psl, c->a, d, org);
	if ((rc = inkan__dmarc_walk(c, d, true, &w)) != 0)
		return rc;
	*org = inkan__dmarc_walk_org(c, &w, &psd);
	return 0;
}

int
inkan_dmarc_report_check(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dmarc_opts *o, const char *policy_domain,
    const struct inkan_dmarc_uri *uri, struct inkan_dmarc_report_auth *out)
{
	static const struct inkan_dmarc_opts defaults;
	const struct inkan_dmarc_psl *psl = NULL;
	const char *pn, *dn, *po, *dorg, *why;
	struct dctx c;
	bool bad;
	int rc;

	if (r == NULL || a == NULL || policy_domain == NULL || uri == NULL || out == NULL)
		return INKAN_EINVAL;
	if (o == NULL)
		o = &defaults;
	memset(out, 0, sizeof(*out));
	if (uri->domain == NULL)
		return status(a, out, INKAN_DMARC_REPORT_NOT_AUTHORIZED, "URI %s has no domain",
		    uri->uri ? uri->uri : "");
	if ((rc = norm2(a, policy_domain, uri->domain, &pn, &dn, out, &bad)) != 0 || bad)
		return rc;
	if (o->mode == INKAN_DMARC_PSL && (psl = inkan__dmarc_opts_psl(o, &why)) == NULL)
		return INKAN_EIO;
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.a = a;
	if ((rc = org_by_mode(&c, o, psl, pn, &po)) != 0 ||
	    (rc = org_by_mode(&c, o, psl, dn, &dorg)) != 0)
		return rc;
	out->queries = c.queries;
	if (po == NULL || dorg == NULL)
		return status(a, out, INKAN_DMARC_REPORT_TEMPERROR,
		    "DNS failure finding the Organizational Domain of %s or %s", pn, dn);
	if (strcmp(po, dorg) == 0)
		return status(a, out, INKAN_DMARC_REPORT_INTERNAL,
		    "%s is inside the Organizational Domain %s: no authorisation needed", dn, po);
	rc = authorized(&c, pn, dn, out);
	out->queries = c.queries;
	return rc;
}
