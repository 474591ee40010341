/* discover.c - DMARC policy discovery: the DNS Tree Walk of RFC 9989
 * §4.10 and the RFC 7489 §6.6.3 lookup with the Public Suffix List.
 *
 * Every _dmarc name looked at in one call is kept (struct dctx), so the
 * several walks one evaluation needs (Author Domain, SPF domain, DKIM
 * domains, and the other mode's answer for the PSL comparison) ask DNS
 * once per name.  Each answer is classified once: no DMARC record, one
 * usable record, one malformed record, several (all discarded, §4.10
 * step 2), or a DNS failure.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "dmarc_int.h"

static int
add_step(struct dctx *c, const struct dlevel *lv, bool queried)
{
	if (!c->record_steps)
		return 0;
	for (size_t i = 0; i < c->nsteps; i++)
		if (strcmp(c->steps[i].name, lv->qname) == 0)
			return 0;
	if (c->nsteps == c->capsteps) {
		size_t ncap = c->capsteps ? c->capsteps * 2 : 16;
		struct inkan_dmarc_step *ns = inkan_arena_alloc(c->a, ncap * sizeof(*ns));

		if (ns == NULL)
			return INKAN_ENOMEM;
		if (c->nsteps > 0)
			memcpy(ns, c->steps, c->nsteps * sizeof(*ns));
		c->steps = ns;
		c->capsteps = ncap;
	}
	c->steps[c->nsteps++] = (struct inkan_dmarc_step){
		.name = lv->qname, .dns = lv->dns, .ndmarc = lv->ndmarc,
		.record = lv->kind == LV_RECORD ? lv->rec : NULL, .why = lv->why,
		.queried = queried,
	};
	return 0;
}

int
inkan__dmarc_level(struct dctx *c, const char *domain, const struct dlevel **out)
{
	struct inkan_dns_answer ans;
	struct dlevel *lv;
	const char *text = NULL;
	size_t tlen = 0;
	int rc;

	for (size_t i = 0; i < c->nlv; i++)
		if (strcmp(c->lv[i]->domain, domain) == 0) {
			*out = c->lv[i];
			return add_step(c, c->lv[i], false);
		}
	if ((lv = inkan_arena_zalloc(c->a, sizeof(*lv))) == NULL ||
	    (lv->domain = inkan_arena_strdup(c->a, domain)) == NULL ||
	    (lv->qname = inkan_arena_printf(c->a, "_dmarc.%s", domain)) == NULL)
		return INKAN_ENOMEM;
	lv->dns = INKAN_DNS_NXDOMAIN;
	if (strlen(lv->qname) > INKAN_DNAME_MAX_TEXT) {
		/* No record can exist at a name DNS cannot carry. */
		lv->kind = LV_NONE;
		lv->why = "name too long for DNS";
		goto done;
	}
	if (c->queries >= INKAN_DMARC_MAX_QUERIES)
		return INKAN_ELIMIT;
	rc = inkan_dns_query(c->r, c->a, lv->qname, INKAN_DNS_TXT, &ans);
	if (rc == INKAN_EINVAL) {
		lv->kind = LV_NONE;
		lv->why = "name the resolver cannot ask for";
		goto done;
	}
	if (rc != 0)
		return rc;
	c->queries++;
	lv->queried = true;
	lv->dns = ans.status;
	switch (ans.status) {
	case INKAN_DNS_OK:
		for (size_t i = 0; i < ans.nrr; i++) {
			char *t;
			size_t tl;

			rc = inkan_dns_rr_txt(c->a, &ans.rr[i], &t, &tl);
			if (rc == INKAN_ENOMEM)
				return rc;
			if (rc != 0 || !inkan_dmarc_is_record(t, tl))
				continue;
			if (lv->ndmarc++ == 0) {
				text = t;
				tlen = tl;
			}
		}
		break;
	case INKAN_DNS_NXDOMAIN:
	case INKAN_DNS_NODATA:
		break;
	case INKAN_DNS_SERVFAIL:
	case INKAN_DNS_TIMEOUT:
		lv->kind = LV_TEMP;
		lv->why = inkan_arena_printf(c->a, "DNS %s for %s%s%s%s",
		    inkan_dns_status_name(ans.status), lv->qname, ans.why ? " (" : "",
		    ans.why ? ans.why : "", ans.why ? ")" : "");
		if (lv->why == NULL)
			return INKAN_ENOMEM;
		goto done;
	}
	if (lv->ndmarc == 1) {
		struct inkan_dmarc_record *rec = inkan_arena_alloc(c->a, sizeof(*rec));
		const char *why = NULL;

		if (rec == NULL)
			return INKAN_ENOMEM;
		rc = inkan_dmarc_record_parse(c->a, text, tlen, rec, &why);
		if (rc == INKAN_ENOMEM)
			return rc;
		lv->rec = rec;
		if (rc == 0) {
			lv->kind = LV_RECORD;
		} else {
			lv->kind = LV_MALFORMED;
			lv->why = inkan_arena_printf(c->a, "malformed DMARC record at %s: %s",
			    lv->qname, why);
			if (lv->why == NULL)
				return INKAN_ENOMEM;
		}
	} else if (lv->ndmarc > 1) {
		lv->kind = LV_MULTI;
		lv->why = inkan_arena_printf(c->a, "%u DMARC records at %s: all discarded",
		    lv->ndmarc, lv->qname);
		if (lv->why == NULL)
			return INKAN_ENOMEM;
	}
done:
	if (c->nlv < INKAN_DMARC_MAX_QUERIES)
		c->lv[c->nlv++] = lv;
	*out = lv;
	return add_step(c, lv, lv->queried);
}

int
inkan__dmarc_exists(struct dctx *c, const char *domain, enum inkan_dns_status *status)
{
	struct inkan_dns_answer ans;
	int rc;

	for (size_t i = 0; i < c->nex; i++)
		if (strcmp(c->ex[i].domain, domain) == 0) {
			*status = c->ex[i].dns;
			return 0;
		}
	if (c->queries >= INKAN_DMARC_MAX_QUERIES)
		return INKAN_ELIMIT;
	rc = inkan_dns_query(c->r, c->a, domain, INKAN_DNS_A, &ans);
	if (rc != 0)
		return rc;
	c->queries++;
	*status = ans.status;
	if (c->nex < sizeof(c->ex) / sizeof(c->ex[0]))
		c->ex[c->nex++] = (struct dexist){ domain, ans.status };
	return 0;
}

int
inkan__dmarc_walk(struct dctx *c, const char *start, bool full, struct dwalk *w)
{
	size_t x = inkan_dname_labels(start, strlen(start));
	const char *cur = start;

	memset(w, 0, sizeof(*w));
	w->start = start;
	while (x > 0 && w->n < INKAN_DMARC_MAX_WALK_QUERIES) {
		const struct dlevel *lv;
		int rc = inkan__dmarc_level(c, cur, &lv);

		if (rc == INKAN_ELIMIT) {
			w->temperror = true;
			w->why = "DNS query limit of this evaluation reached";
			return 0;
		}
		if (rc != 0)
			return rc;
		w->lv[w->n++] = lv;
		if (lv->kind == LV_TEMP) {
			w->temperror = true;
			w->why = lv->why;
			return 0;
		}
		/* §4.10 steps 2 and 6: a single record with psd=n or psd=y stops */
		if (lv->kind == LV_RECORD && lv->rec->psd != INKAN_DMARC_PSD_U)
			break;
		if (!full && w->n == 1 && (lv->kind == LV_RECORD || lv->kind == LV_MALFORMED))
			return 0;
		/* §4.10 step 4: after the first query, a name of 8 or more
		 * labels is cut to 7; then one label at a time (step 7) */
		if (w->n == 1 && x >= INKAN_DMARC_MAX_WALK_QUERIES)
			x = INKAN_DMARC_WALK_KEEP_LABELS;
		else
			x--;
		cur = inkan__dmarc_suffix(start, x);
	}
	w->complete = true;
	return 0;
}

const char *
inkan__dmarc_walk_org(struct dctx *c, const struct dwalk *w, const char **psd)
{
	const struct dlevel *fewest = NULL;

	*psd = NULL;
	if (w->temperror)
		return NULL;
	/* §4.10.2: from the longest name to the shortest */
	for (size_t i = 0; i < w->n; i++) {
		const struct dlevel *lv = w->lv[i];

		if (lv->kind == LV_RECORD && lv->rec->psd == INKAN_DMARC_PSD_N)
			return lv->domain;
		if (lv->kind == LV_RECORD && lv->rec->psd == INKAN_DMARC_PSD_Y) {
			*psd = lv->domain;
			if (i > 0)
				return inkan__dmarc_suffix(w->start,
				    inkan_dname_labels(lv->domain, strlen(lv->domain)) + 1);
		}
		if (lv->kind == LV_RECORD)
			fewest = lv;	/* only valid records count (§4.10.2) */
	}
	(void)c;
	return fewest != NULL ? fewest->domain : w->start;
}

/* ---- discovery ---- */

static const struct dlevel *
walk_find(const struct dwalk *w, const char *domain)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->lv[i]->domain, domain) == 0)
			return w->lv[i];
	return NULL;
}

static int
found(struct disc *d, const struct dlevel *lv, enum inkan_dmarc_source src)
{
	d->lv = lv;
	d->source = src;
	if (lv->kind == LV_MALFORMED) {
		d->status = INKAN_DMARC_FOUND_PERMERROR;
		d->why = lv->why;
	} else {
		d->status = INKAN_DMARC_FOUND_RECORD;
	}
	return 0;
}

int
inkan__dmarc_discover_tree(struct dctx *c, const char *domain, bool need_org, struct disc *d)
{
	struct dwalk w;
	const struct dlevel *lv;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = inkan__dmarc_walk(c, domain, false, &w)) != 0)
		return rc;
	lv = w.lv[0];
	if (w.temperror) {
		d->status = INKAN_DMARC_FOUND_TEMPERROR;
		d->why = w.why;
		return 0;
	}
	if (lv->kind == LV_RECORD || lv->kind == LV_MALFORMED) {
		/* §4.10.1: the Author Domain's own record */
		found(d, lv, INKAN_DMARC_SRC_AUTHOR);
		if (need_org) {
			if ((rc = inkan__dmarc_walk(c, domain, true, &w)) != 0)
				return rc;
			d->org = inkan__dmarc_walk_org(c, &w, &d->psd);
			d->org_temp = d->org == NULL;
			d->org_why = w.why;
		}
		return 0;
	}
	if ((rc = inkan__dmarc_walk(c, domain, true, &w)) != 0)
		return rc;
	if (w.temperror) {
		d->status = INKAN_DMARC_FOUND_TEMPERROR;
		d->why = w.why;
		d->org_temp = true;
		d->org_why = w.why;
		return 0;
	}
	d->org = inkan__dmarc_walk_org(c, &w, &d->psd);
	/* §4.10.1: then the Organizational Domain's record, then the PSD's;
	 * a malformed record above the Author Domain is not a "valid DMARC
	 * Policy Record" and is passed over */
	if ((lv = walk_find(&w, d->org)) != NULL && lv->kind == LV_RECORD)
		return found(d, lv, INKAN_DMARC_SRC_ORG);
	if (d->psd != NULL && (lv = walk_find(&w, d->psd)) != NULL)
		return found(d, lv, INKAN_DMARC_SRC_PSD);
	d->status = INKAN_DMARC_FOUND_NONE;
	d->why = inkan_arena_printf(c->a, "no DMARC record for %s or its Organizational "
	    "Domain %s (RFC 9989 §4.10.1)", domain, d->org);
	return d->why == NULL ? INKAN_ENOMEM : 0;
}

int
inkan__dmarc_discover_psl(struct dctx *c, const struct inkan_dmarc_psl *psl,
    const char *domain, struct disc *d)
{
	const struct dlevel *lv;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = inkan__dmarc_psl_org(psl, c->a, domain, &d->org)) != 0)
		return rc;
	for (int step = 0; step < 2; step++) {
		const char *name = step == 0 ? domain : d->org;

		rc = inkan__dmarc_level(c, name, &lv);
		if (rc == INKAN_ELIMIT) {
			d->status = INKAN_DMARC_FOUND_TEMPERROR;
			d->why = "DNS query limit of this evaluation reached";
			return 0;
		}
		if (rc != 0)
			return rc;
		switch (lv->kind) {
		case LV_TEMP:
			d->status = INKAN_DMARC_FOUND_TEMPERROR;
			d->why = lv->why;
			return 0;
		case LV_RECORD:
		case LV_MALFORMED:
			return found(d, lv, step == 0 ? INKAN_DMARC_SRC_AUTHOR :
			    INKAN_DMARC_SRC_ORG);
		case LV_MULTI:
			/* RFC 7489 §6.6.3 step 5: more than one record ends discovery */
			d->status = INKAN_DMARC_FOUND_NONE;
			d->why = inkan_arena_printf(c->a, "%s (RFC 7489 §6.6.3)", lv->why);
			return d->why == NULL ? INKAN_ENOMEM : 0;
		case LV_NONE:
			break;
		}
		if (strcmp(domain, d->org) == 0)
			break;
	}
	d->status = INKAN_DMARC_FOUND_NONE;
	if (strcmp(domain, d->org) == 0)
		d->why = inkan_arena_printf(c->a, "no DMARC record for %s (RFC 7489 §6.6.3)",
		    domain);
	else
		d->why = inkan_arena_printf(c->a, "no DMARC record for %s or its Organizational "
		    "Domain %s (RFC 7489 §6.6.3)", domain, d->org);
	return d->why == NULL ? INKAN_ENOMEM : 0;
}

/* The list the options ask for, or NULL with *why. */
const struct inkan_dmarc_psl *
inkan__dmarc_opts_psl(const struct inkan_dmarc_opts *o, const char **why)
{
	if (o != NULL && o->psl != NULL)
		return o->psl;
	return inkan_dmarc_psl_shared(o != NULL ? o->psl_file : NULL, why);
}

int
inkan_dmarc_discover(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dmarc_opts *o, const char *domain, struct inkan_dmarc_discovery *out)
{
	struct dctx c;
	struct disc d;
	const struct inkan_dmarc_psl *psl = NULL;
	const char *dom, *why = NULL;
	int rc;

	if (r == NULL || a == NULL || domain == NULL || out == NULL)
		return INKAN_EINVAL;
	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.a = a;
	c.record_steps = true;
	rc = inkan__dmarc_norm_domain(a, domain, strlen(domain), &dom, &why);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		out->status = INKAN_DMARC_FOUND_PERMERROR;
		out->why = inkan_arena_printf(a, "'%s' is not a domain name: %s", domain, why);
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	out->domain = dom;
	if (o != NULL && o->mode == INKAN_DMARC_PSL) {
		if ((psl = inkan__dmarc_opts_psl(o, &why)) == NULL)
			return INKAN_EIO;
		rc = inkan__dmarc_discover_psl(&c, psl, dom, &d);
	} else {
		rc = inkan__dmarc_discover_tree(&c, dom, true, &d);
	}
	if (rc != 0)
		return rc;
	out->status = d.status;
	out->why = d.why;
	out->org_domain = d.org;
	out->psd_domain = d.psd;
	out->source = d.source;
	if (d.lv != NULL) {
		out->policy_domain = d.lv->domain;
		out->record = d.lv->rec;
	}
	if (d.status == INKAN_DMARC_FOUND_RECORD && !d.lv->rec->applies) {
		out->status = INKAN_DMARC_FOUND_NONE;
		out->why = inkan_arena_printf(a, "the record at %s has no valid p= and no valid "
		    "rua=: DMARC is not applied (RFC 9989 §4.10.1)", d.lv->qname);
		if (out->why == NULL)
			return INKAN_ENOMEM;
	}
	out->steps = c.steps;
	out->nsteps = c.nsteps;
	out->queries = c.queries;
	return 0;
}
