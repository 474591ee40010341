/* evaluate.c - a DMARC verdict: policy discovery, Identifier Alignment
 * (RFC 9989 §4.4, §4.10.2; RFC 7489 §3.1), the policy that applies (p,
 * sp or np), the disposition after t=y (RFC 9989 §4.7) or pct (RFC 7489
 * §6.6.4), the comparison of the two ways of finding the Organizational
 * Domain, and the rules for From fields that name no or several domains
 * (see include/inkan/dmarc.h).
 *
 * Alignment in relaxed mode needs the Organizational Domain of both
 * sides.  An identifier that is not the Organizational Domain O of the
 * Author Domain or below it cannot share O (an Organizational Domain is
 * always the name itself or one of its parents), so only identifiers
 * under O cost a tree walk; all walks share one memo of DNS answers.
 */
#include <sys/random.h>

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "dmarc_int.h"

/* The caller's input, normalised: A-labels, lower case, no trailing dot;
 * NULL for a domain that is absent or not a domain name. */
struct nin {
	const char *author;
	enum inkan_spf_verdict spf;
	const char *spf_domain;
	bool spf_is_helo;
	size_t ndkim;
	const char **d;
	const enum inkan_dkim_result *res;
};

struct ectx {
	struct dctx *c;
	struct inkan_arena *a;
	enum inkan_dmarc_mode mode;
	const struct inkan_dmarc_psl *psl;
	const struct nin *in;
	struct disc d;
	/* Organizational Domain of the Author Domain, computed on demand */
	bool org_done;
	const char *org;
	const char *org_why;
	/* DKIM domains walked for relaxed alignment */
	const char *walked[INKAN_DMARC_MAX_DKIM_DOMAINS];
	size_t nwalked;
	bool dkim_cut;
};

enum tri { T_NO, T_YES, T_UNKNOWN };

static const char *
align_name(enum inkan_dmarc_align m)
{
	return m == INKAN_DMARC_ALIGN_STRICT ? "strict" : "relaxed";
}

static enum inkan_dmarc_policy
lower(enum inkan_dmarc_policy p)
{
	if (p == INKAN_DMARC_P_REJECT)
		return INKAN_DMARC_P_QUARANTINE;
	if (p == INKAN_DMARC_P_QUARANTINE)
		return INKAN_DMARC_P_NONE;
	return p;
}

static uint32_t
default_random(void *arg)
{
	static __thread uint64_t state;
	uint32_t v;

	(void)arg;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* No entropy yet (early boot): xorshift from time and pid. */
	if (state == 0)
		state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state >> 16);
}

/* Organizational Domain of dom by the mode; *org NULL (with *why) when DNS
 * failed during the walk. */
static int
org_of(struct ectx *e, const char *dom, const char **org, const char **why)
{
	struct dwalk w;
	const char *psd;
	int rc;

	*org = NULL;
	if (e->mode == INKAN_DMARC_PSL)
		return inkan__dmarc_psl_org(e->psl, e->a, dom, org);
	if ((rc = inkan__dmarc_walk(e->c, dom, true, &w)) != 0)
		return rc;
	*org = inkan__dmarc_walk_org(e->c, &w, &psd);
	if (*org == NULL)
		*why = w.why;
	return 0;
}

static int
author_org(struct ectx *e)
{
	int rc = 0;

	if (e->org_done)
		return 0;
	if (e->d.org != NULL || e->d.org_temp) {
		e->org = e->d.org;
		e->org_why = e->d.org_why;
	} else {
		rc = org_of(e, e->in->author, &e->org, &e->org_why);
	}
	e->org_done = rc == 0;
	return rc;
}

/* Is id aligned with the Author Domain under mode m? */
static int
aligned(struct ectx *e, const char *id, enum inkan_dmarc_align m, enum tri *t,
    const char **why)
{
	const char *org;
	int rc;

	*t = T_NO;
	if (strcmp(id, e->in->author) == 0) {
		*t = T_YES;	/* identical: strict and relaxed alike */
		return 0;
	}
	if (m == INKAN_DMARC_ALIGN_STRICT)
		return 0;
	if ((rc = author_org(e)) != 0)
		return rc;
	if (e->org == NULL) {
		*t = T_UNKNOWN;
		*why = e->org_why;
		return 0;
	}
	if (!inkan_dname_is_sub(id, strlen(id), e->org, strlen(e->org)))
		return 0;
	if ((rc = org_of(e, id, &org, why)) != 0)
		return rc;
	if (org == NULL)
		*t = T_UNKNOWN;
	else if (strcmp(org, e->org) == 0)
		*t = T_YES;
	return 0;
}

/* Relaxed DKIM alignment walks are bounded by INKAN_DMARC_MAX_DKIM_DOMAINS
 * distinct domains; true if d may be looked at. */
static bool
dkim_budget(struct ectx *e, const char *d, enum inkan_dmarc_align m)
{
	if (e->mode == INKAN_DMARC_PSL || m == INKAN_DMARC_ALIGN_STRICT ||
	    strcmp(d, e->in->author) == 0)
		return true;
	for (size_t i = 0; i < e->nwalked; i++)
		if (strcmp(e->walked[i], d) == 0)
			return true;
	if (e->nwalked == INKAN_DMARC_MAX_DKIM_DOMAINS) {
		e->dkim_cut = true;
		return false;
	}
	e->walked[e->nwalked++] = d;
	return true;
}

static int
set_reason(struct inkan_arena *a, struct inkan_dmarc_eval *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
set_reason(struct inkan_arena *a, struct inkan_dmarc_eval *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out->reason = inkan_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return out->reason == NULL ? INKAN_ENOMEM : 0;
}

/* The p/sp/np that applies (see dmarc.h); may turn a fail into a
 * temperror when np= matters and existence cannot be told. */
static int
select_policy(struct ectx *e, const struct inkan_dmarc_record *rec,
    struct inkan_dmarc_eval *out, const char **note)
{
	bool is_org = false;
	enum inkan_dns_status st;
	int rc;

	*note = NULL;
	if (e->d.source == INKAN_DMARC_SRC_AUTHOR) {
		out->policy = rec->apply_p;
		out->policy_tag = "p";
		return 0;
	}
	/* §4.7: sp= and np= are for subdomains of the Organizational Domain,
	 * not for the Organizational Domain itself (which a PSD record can
	 * cover: §4.10.1) */
	if (e->mode == INKAN_DMARC_TREEWALK && e->d.source == INKAN_DMARC_SRC_PSD)
		is_org = e->d.org != NULL && strcmp(e->d.org, e->in->author) == 0;
	if (is_org) {
		out->policy = rec->apply_p;
		out->policy_tag = "p";
		return 0;
	}
	out->policy = rec->apply_sp;
	out->policy_tag = rec->sp != INKAN_DMARC_P_UNSPEC && !rec->as_p_none ? "sp" : "p";
	if (rec->apply_np == rec->apply_sp)
		return 0;
	/* np= differs: does the Author Domain exist (§3.2.13, RFC 8020)? */
	rc = inkan__dmarc_exists(e->c, e->in->author, &st);
	if (rc == INKAN_ELIMIT)
		st = INKAN_DNS_SERVFAIL;
	else if (rc != 0)
		return rc;
	if (st == INKAN_DNS_NXDOMAIN) {
		out->policy = rec->apply_np;
		out->policy_tag = "np";
	} else if (st == INKAN_DNS_SERVFAIL || st == INKAN_DNS_TIMEOUT) {
		*note = inkan_arena_printf(e->a, "cannot tell whether %s exists for np= (DNS %s)",
		    e->in->author, inkan_dns_status_name(st));
		if (*note == NULL)
			return INKAN_ENOMEM;
		if (out->result == INKAN_DMARC_FAIL)
			out->result = INKAN_DMARC_TEMPERROR;
	}
	return 0;
}

static const char *
dkim_summary(struct ectx *e, const struct inkan_dmarc_eval *out)
{
	size_t pass = 0;

	if (out->dkim_aligned)
		return inkan_arena_printf(e->a, "DKIM d=%s aligned (%s)", out->dkim_domain,
		    align_name(out->record->adkim));
	for (size_t i = 0; i < e->in->ndkim; i++)
		pass += e->in->res[i] == INKAN_DKIM_PASS;
	if (e->in->ndkim == 0)
		return "no DKIM signature";
	if (pass == 0)
		return "no passing DKIM signature";
	return inkan_arena_printf(e->a, "%zu passing DKIM signature%s, none aligned (%s)%s", pass,
	    pass == 1 ? "" : "s", align_name(out->record->adkim),
	    e->dkim_cut ? " (relaxed check limited to the first 8 domains)" : "");
}

static const char *
spf_summary(struct ectx *e, const struct inkan_dmarc_eval *out)
{
	const struct nin *in = e->in;

	if (out->spf_aligned)
		return inkan_arena_printf(e->a, "SPF pass for %s%s aligned (%s)", in->spf_domain,
		    in->spf_is_helo ? " (HELO)" : "", align_name(out->record->aspf));
	if (in->spf_domain == NULL)
		return in->spf == INKAN_SPF_NONE ? "no SPF result" : inkan_arena_printf(e->a,
		    "SPF %s without a domain", inkan_spf_verdict_name(in->spf));
	if (in->spf == INKAN_SPF_PASS)
		return inkan_arena_printf(e->a, "SPF pass for %s%s not aligned (%s)",
		    in->spf_domain, in->spf_is_helo ? " (HELO)" : "",
		    align_name(out->record->aspf));
	return inkan_arena_printf(e->a, "SPF %s for %s%s", inkan_spf_verdict_name(in->spf),
	    in->spf_domain, in->spf_is_helo ? " (HELO)" : "");
}

static int
eval_core(struct ectx *e, const struct inkan_dmarc_opts *o, bool apply_pct,
    struct inkan_dmarc_eval *out)
{
	const struct nin *in = e->in;
	const struct inkan_dmarc_record *rec;
	const char *temp_why = NULL, *note = NULL, *why = NULL, *spf_s, *dkim_s;
	bool temp = false;
	enum tri t;
	int rc;

	memset(out, 0, sizeof(*out));
	out->mode = e->mode;
	out->from_domain = in->author;
	out->spf_domain = in->spf_domain;
	out->ndomains = 1;
	if (e->mode == INKAN_DMARC_PSL)
		rc = inkan__dmarc_discover_psl(e->c, e->psl, in->author, &e->d);
	else
		rc = inkan__dmarc_discover_tree(e->c, in->author, false, &e->d);
	if (rc != 0)
		return rc;
	out->org_domain = e->d.org;
	if (e->d.lv != NULL) {
		out->policy_domain = e->d.lv->domain;
		out->record = e->d.lv->rec;
	}
	switch (e->d.status) {
	case INKAN_DMARC_FOUND_TEMPERROR:
		out->result = INKAN_DMARC_TEMPERROR;
		return set_reason(e->a, out, "DNS failure during policy discovery: %s", e->d.why);
	case INKAN_DMARC_FOUND_NONE:
		out->result = INKAN_DMARC_NONE;
		return set_reason(e->a, out, "%s", e->d.why);
	case INKAN_DMARC_FOUND_PERMERROR:
		out->result = INKAN_DMARC_PERMERROR;
		return set_reason(e->a, out, "%s", e->d.why);
	case INKAN_DMARC_FOUND_RECORD:
		break;
	}
	rec = e->d.lv->rec;
	out->testing = e->mode == INKAN_DMARC_TREEWALK && rec->testing;
	if (!rec->applies) {
		out->result = INKAN_DMARC_NONE;
		return set_reason(e->a, out, "the record at %s has no valid p= and no valid rua=: "
		    "DMARC is not applied (RFC 9989 §4.10.1)", e->d.lv->qname);
	}

	/* SPF: only a pass aligns; a temperror for an aligned domain may
	 * hide one (RFC 9989 §5.3.6) */
	if (in->spf_domain != NULL &&
	    (in->spf == INKAN_SPF_PASS || in->spf == INKAN_SPF_TEMPERROR)) {
		if ((rc = aligned(e, in->spf_domain, rec->aspf, &t, &why)) != 0)
			return rc;
		if (in->spf == INKAN_SPF_PASS && t == T_YES) {
			out->spf_aligned = true;
		} else if (t != T_NO) {
			temp = true;
			temp_why = in->spf == INKAN_SPF_TEMPERROR ?
			    "SPF temperror for an aligned domain" : why;
		}
	}
	/* DKIM: any passing signature with an aligned d= (§4.4.1) */
	for (size_t i = 0; i < in->ndkim; i++) {
		const char *d = in->d[i];

		if (d == NULL ||
		    (in->res[i] != INKAN_DKIM_PASS && in->res[i] != INKAN_DKIM_TEMPERROR))
			continue;
		if (in->res[i] == INKAN_DKIM_PASS && out->dkim_aligned)
			continue;
		if (!dkim_budget(e, d, rec->adkim))
			continue;
		if ((rc = aligned(e, d, rec->adkim, &t, &why)) != 0)
			return rc;
		if (in->res[i] == INKAN_DKIM_PASS && t == T_YES) {
			out->dkim_aligned = true;
			out->dkim_domain = d;
		} else if (t != T_NO) {
			temp = true;
			if (temp_why == NULL)
				temp_why = in->res[i] == INKAN_DKIM_TEMPERROR ?
				    "DKIM temperror for an aligned signature" : why;
		}
	}
	if (out->spf_aligned || out->dkim_aligned)
		out->result = INKAN_DMARC_PASS;
	else if (temp)
		out->result = INKAN_DMARC_TEMPERROR;
	else
		out->result = INKAN_DMARC_FAIL;

	if ((rc = select_policy(e, rec, out, &note)) != 0)
		return rc;
	if (e->org_done && e->org != NULL)
		out->org_domain = e->org;

	/* disposition */
	if (out->result == INKAN_DMARC_PASS) {
		out->disposition = INKAN_DMARC_P_NONE;
	} else if (out->result == INKAN_DMARC_FAIL) {
		enum inkan_dmarc_policy disp = out->policy;

		if (out->testing)
			disp = lower(disp);	/* RFC 9989 §4.7 t=y */
		if (e->mode == INKAN_DMARC_PSL && apply_pct && rec->has_pct && rec->pct < 100 &&
		    disp != INKAN_DMARC_P_NONE) {
			uint32_t (*rnd)(void *) = o->random != NULL ? o->random : default_random;

			if (rnd(o->random_arg) % 100 >= rec->pct) {
				out->sampled_out = true;	/* RFC 7489 §6.6.4 */
				disp = lower(disp);
			}
		}
		out->disposition = disp;
	}

	spf_s = spf_summary(e, out);
	dkim_s = dkim_summary(e, out);
	if (spf_s == NULL || dkim_s == NULL)
		return INKAN_ENOMEM;
	switch (out->result) {
	case INKAN_DMARC_PASS:
		return set_reason(e->a, out, "%s; %s; record %s", spf_s, dkim_s, e->d.lv->qname);
	case INKAN_DMARC_TEMPERROR:
		return set_reason(e->a, out, "no aligned pass, and %s; %s; %s", note ? note :
		    temp_why ? temp_why : "a DNS failure", spf_s, dkim_s);
	default:
		return set_reason(e->a, out,
		    "no aligned pass: %s; %s; policy %s (%s=) from %s%s%s%s",
		    spf_s, dkim_s, inkan_dmarc_policy_name(out->policy), out->policy_tag,
		    e->d.lv->qname, out->testing ? "; t=y: one step lower" : "",
		    out->sampled_out ? "; sampled out by pct=: one step lower" : "",
		    note ? note : "");
	}
}

/* ---- the comparison of the two modes ---- */

static const char *
summary(struct inkan_arena *a, const struct inkan_dmarc_eval *v)
{
	return inkan_arena_printf(a, "%s (Organizational Domain %s, record %s%s%s)",
	    inkan_dmarc_result_name(v->result), v->org_domain ? v->org_domain : "unknown",
	    v->policy_domain ? v->policy_domain : "none",
	    v->policy != INKAN_DMARC_P_UNSPEC ? ", policy " : "",
	    v->policy != INKAN_DMARC_P_UNSPEC ? inkan_dmarc_policy_name(v->policy) : "");
}

static bool
str_differ(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return x != y;
	return strcmp(x, y) != 0;
}

static int
compare(struct ectx *e, const struct inkan_dmarc_opts *o, struct inkan_dmarc_eval *out)
{
	struct ectx e2;
	struct inkan_dmarc_eval alt;
	const struct inkan_dmarc_eval *tw, *pl;
	char what[128] = "";
	int rc;

	if ((rc = author_org(e)) != 0)
		return rc;
	if (e->org != NULL)
		out->org_domain = e->org;
	memset(&e2, 0, sizeof(e2));
	e2.c = e->c;
	e2.a = e->a;
	e2.mode = e->mode == INKAN_DMARC_PSL ? INKAN_DMARC_TREEWALK : INKAN_DMARC_PSL;
	e2.psl = e->psl;
	e2.in = e->in;
	if ((rc = eval_core(&e2, o, false, &alt)) != 0)
		return rc;
	if ((rc = author_org(&e2)) != 0)
		return rc;
	if (e2.org != NULL)
		alt.org_domain = e2.org;
	if (str_differ(out->org_domain, alt.org_domain))
		strcat(what, ", Organizational Domain");
	if (str_differ(out->policy_domain, alt.policy_domain))
		strcat(what, ", policy record");
	if (out->result != alt.result)
		strcat(what, ", result");
	else if (out->policy != alt.policy)
		strcat(what, ", policy");
	if (what[0] == '\0')
		return 0;
	tw = e->mode == INKAN_DMARC_TREEWALK ? out : &alt;
	pl = e->mode == INKAN_DMARC_TREEWALK ? &alt : out;
	const char *ts = summary(e->a, tw), *ps = summary(e->a, pl);

	if (ts == NULL || ps == NULL)
		return INKAN_ENOMEM;
	out->psl_diagnostic = inkan_arena_printf(e->a, "PSL and tree walk disagree (%s): tree "
	    "walk: %s; PSL: %s", what + 2, ts, ps);
	return out->psl_diagnostic == NULL ? INKAN_ENOMEM : 0;
}

/* ---- entry points ---- */

static const struct inkan_dmarc_opts default_opts;

static int
permerror(struct inkan_arena *a, struct inkan_dmarc_eval *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
permerror(struct inkan_arena *a, struct inkan_dmarc_eval *out, const char *fmt, ...)
{
	va_list ap;

	out->result = INKAN_DMARC_PERMERROR;
	va_start(ap, fmt);
	out->reason = inkan_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return out->reason == NULL ? INKAN_ENOMEM : 0;
}

static const char *
norm_or_null(struct inkan_arena *a, const char *s, int *err)
{
	const char *d = NULL, *why;
	int rc;

	if (s == NULL || *s == '\0')
		return NULL;
	rc = inkan__dmarc_norm_domain(a, s, strlen(s), &d, &why);
	if (rc == INKAN_ENOMEM)
		*err = rc;
	return rc == 0 ? d : NULL;
}

static int
evaluate_one(struct dctx *c, const struct inkan_dmarc_opts *o,
    const struct inkan_dmarc_input *in, const char *from_domain, struct inkan_dmarc_eval *out)
{
	struct nin n;
	struct ectx e;
	const struct inkan_dmarc_psl *psl;
	const char *why = NULL;
	unsigned q0 = c->queries, q1;
	int rc, err = 0;

	memset(out, 0, sizeof(*out));
	out->mode = o->mode;
	out->ndomains = 1;
	if (from_domain == NULL || *from_domain == '\0')
		return permerror(c->a, out, "no Author Domain (From domain)");
	memset(&n, 0, sizeof(n));
	rc = inkan__dmarc_norm_domain(c->a, from_domain, strlen(from_domain), &n.author, &why);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0)
		return permerror(c->a, out, "the From domain is not a domain name: %s", why);
	psl = inkan__dmarc_opts_psl(o, &why);
	if (psl == NULL && o->mode == INKAN_DMARC_PSL)
		return INKAN_EIO;
	n.spf = in->spf;
	n.spf_domain = norm_or_null(c->a, in->spf_domain, &err);
	n.spf_is_helo = in->spf_is_helo;
	n.ndkim = in->ndkim;
	if (in->ndkim > 0) {
		enum inkan_dkim_result *res = inkan_arena_alloc(c->a, in->ndkim * sizeof(*res));

		n.d = inkan_arena_alloc(c->a, in->ndkim * sizeof(*n.d));
		if (n.d == NULL || res == NULL)
			return INKAN_ENOMEM;
		for (size_t i = 0; i < in->ndkim; i++) {
			n.d[i] = norm_or_null(c->a, in->dkim[i].d, &err);
			res[i] = in->dkim[i].result;
		}
		n.res = res;
	}
	if (err != 0)
		return err;
	memset(&e, 0, sizeof(e));
	e.c = c;
	e.a = c->a;
	e.mode = o->mode;
	e.psl = psl;
	e.in = &n;
	if ((rc = eval_core(&e, o, o->apply_pct, out)) != 0)
		return rc;
	q1 = c->queries;
	if (!o->no_compare && psl != NULL && (rc = compare(&e, o, out)) != 0)
		return rc;
	out->queries = q1 - q0;
	out->compare_queries = c->queries - q1;
	return 0;
}

int
inkan_dmarc_evaluate(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dmarc_opts *o, const struct inkan_dmarc_input *in,
    struct inkan_dmarc_eval *out)
{
	struct dctx c;

	if (r == NULL || a == NULL || in == NULL || out == NULL ||
	    (in->ndkim > 0 && in->dkim == NULL))
		return INKAN_EINVAL;
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.a = a;
	return evaluate_one(&c, o != NULL ? o : &default_opts, in, in->from_domain, out);
}

/* Order for RFC 9989 §11.5 "the most strict policy": a failure with a
 * stricter disposition first, then temperror, permerror, pass, none. */
static int
rank(const struct inkan_dmarc_eval *v)
{
	switch (v->result) {
	case INKAN_DMARC_FAIL: return 100 + (int)v->disposition;
	case INKAN_DMARC_TEMPERROR: return 50;
	case INKAN_DMARC_PERMERROR: return 40;
	case INKAN_DMARC_PASS: return 20;
	case INKAN_DMARC_NONE: return 10;
	}
	return 0;
}

static int
bad_from(struct inkan_arena *a, const struct inkan_dmarc_opts *o,
    const struct inkan_dmarc_from *from, const char *what, struct inkan_dmarc_eval *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->mode = o->mode;
	out->from_status = from->status;
	rc = permerror(a, out, "From field (%s): %s", inkan_dmarc_from_status_name(from->status),
	    what);
	if (o->reject_bad_from)
		out->disposition = INKAN_DMARC_P_REJECT;
	return rc;
}

int
inkan_dmarc_evaluate_from(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dmarc_opts *o, const struct inkan_dmarc_from *from,
    const struct inkan_dmarc_input *in, struct inkan_dmarc_eval *out)
{
	struct dctx c;
	struct inkan_dmarc_eval best, cur;
	unsigned queries = 0, cqueries = 0;
	size_t n;
	int rc;

	if (r == NULL || a == NULL || from == NULL || in == NULL || out == NULL ||
	    (in->ndkim > 0 && in->dkim == NULL) || (from->ndomains > 0 && from->domains == NULL))
		return INKAN_EINVAL;
	if (o == NULL)
		o = &default_opts;
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.a = a;
	if (from->domain != NULL) {
		if ((rc = evaluate_one(&c, o, in, from->domain, out)) != 0)
			return rc;
		out->from_status = from->status;
		if (from->status != INKAN_DMARC_FROM_OK) {
			out->reason = inkan_arena_printf(a, "From field (%s, one domain): %s",
			    inkan_dmarc_from_status_name(from->status), out->reason);
			if (out->reason == NULL)
				return INKAN_ENOMEM;
		}
		return 0;
	}
	if (from->ndomains == 0)
		return bad_from(a, o, from, from->why ? from->why : "no Author Domain", out);
	if (o->multi_from == INKAN_DMARC_MULTI_PERMERROR)
		return bad_from(a, o, from, from->why ? from->why : "several Author Domains", out);
	/* RFC 9989 §11.5: each domain, the strictest outcome */
	n = from->ndomains;
	memset(&best, 0, sizeof(best));
	for (size_t i = 0; i < n; i++) {
		if ((rc = evaluate_one(&c, o, in, from->domains[i], &cur)) != 0)
			return rc;
		queries += cur.queries;
		cqueries += cur.compare_queries;
		if (i == 0 || rank(&cur) > rank(&best))
			best = cur;
	}
	if (from->more_domains && best.result != INKAN_DMARC_FAIL)
		return bad_from(a, o, from, "more Author Domains than are evaluated "
		    "(RFC 9989 §11.5); the evaluation is incomplete", out);
	*out = best;
	out->ndomains = n;
	out->from_status = from->status;
	out->queries = queries;
	out->compare_queries = cqueries;
	out->reason = inkan_arena_printf(a, "From field (%s) names %zu domains%s; each evaluated, "
	    "the strictest outcome kept (RFC 9989 §11.5): %s: %s",
	    inkan_dmarc_from_status_name(from->status), n,
	    from->more_domains ? " or more" : "", best.from_domain, best.reason);
	return out->reason == NULL ? INKAN_ENOMEM : 0;
}
