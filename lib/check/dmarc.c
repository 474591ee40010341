/* dmarc.c - the dmarc category: the record the tree walk finds (RFC 9989
 * §4.10), its problems, the policy it sets for the domain, its
 * subdomains and non-existent names, testing and legacy pct, alignment,
 * report destinations and their authorisation (RFC 9990 §3), and the
 * parked-domain advice.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dmarc.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "check_int.h"

#define ITEM(...) inkan__chk_item(c, INKAN_CHECK_DMARC, __VA_ARGS__)

static const char start_advice[] =
    "Publish a TXT record at _dmarc.<domain>, starting with \"v=DMARC1; p=none; "
    "rua=mailto:dmarc-reports@<domain>\"; read the reports, then move to p=quarantine "
    "and p=reject.";

static int
strength(enum inkan_dmarc_policy p)
{
	switch (p) {
	case INKAN_DMARC_P_REJECT: return 3;
	case INKAN_DMARC_P_QUARANTINE: return 2;
	case INKAN_DMARC_P_NONE: return 1;
	default: return 0;
	}
}

static const char *
pname(enum inkan_dmarc_policy p)
{
	const char *n = inkan_dmarc_policy_name(p);

	return n != NULL ? n : "(none)";
}

static void
steps_evidence(struct chk *c, struct inkan_check_item *it, const struct inkan_dmarc_discovery *d)
{
	for (size_t i = 0; i < d->nsteps; i++) {
		const struct inkan_dmarc_step *s = &d->steps[i];

		if (s->record != NULL)
			inkan__chk_ev(c, it, "TXT %s \"%s\"", s->name, s->record->text);
		else
			inkan__chk_ev(c, it, "TXT %s: %s%s%s", s->name, inkan_dns_status_name(s->dns),
			    s->why ? ", " : "", s->why ? s->why : "");
	}
}

static void
check_uris(struct chk *c, const struct inkan_dmarc_record *rec, const char *policy_domain,
    bool ruf)
{
	const struct inkan_dmarc_uri *u = ruf ? rec->ruf : rec->rua;
	size_t n = ruf ? rec->nruf : rec->nrua;
	const char *id = ruf ? "dmarc-ruf" : "dmarc-rua";
	struct inkan_check_item *it;
	bool bad = false;

	if (n == 0) {
		if (!ruf) {
			it = ITEM(id, c->parked ? INKAN_CHECK_INFO : INKAN_CHECK_WARN, NULL,
			    "Add rua=mailto:<address> to receive aggregate reports: without "
			    "them you cannot see who sends in your name before tightening p=.",
			    "No aggregate report address (rua=)");
			inkan__chk_ev(c, it, "TXT _dmarc.%s \"%s\"", policy_domain, rec->text);
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct inkan_dmarc_report_auth auth;
		int rc;

		if (strcmp(u[i].scheme, "mailto") != 0) {
			it = ITEM(id, INKAN_CHECK_WARN, u[i].uri,
			    "Use a mailto: URI: reporters send DMARC reports by mail (RFC 9990 "
			    "§4); other schemes are ignored by most of them.",
			    "Report URI %s is not mailto:", u[i].uri);
			bad = true;
			continue;
		}
		rc = inkan_dmarc_report_check(c->r, c->a, NULL, policy_domain, &u[i], &auth);
		if (inkan__chk_fail(c, rc))
			return;
		switch (auth.status) {
		case INKAN_DMARC_REPORT_AUTHORIZED:
		case INKAN_DMARC_REPORT_INTERNAL:
			break;
		case INKAN_DMARC_REPORT_NOT_AUTHORIZED:
		case INKAN_DMARC_REPORT_PERMERROR:
			bad = true;
			it = ITEM(id, ruf ? INKAN_CHECK_WARN : INKAN_CHECK_FAIL, u[i].uri,
			    auth.query ? inkan_arena_printf(c->a, "The receiving domain must "
			    "publish \"v=DMARC1\" at %s (RFC 9990 §3), or use an address in "
			    "your own domain.", auth.query) : NULL,
			    "%s reports to %s are not authorised by %s: reporters will not "
			    "send them", ruf ? "Failure" : "Aggregate", u[i].address ? u[i].address :
			    u[i].uri, u[i].domain ? u[i].domain : "its domain");
			inkan__chk_ev(c, it, "%s", auth.why ? auth.why : "not authorised");
			if (auth.query != NULL)
				inkan__chk_ev(c, it, "TXT %s: no v=DMARC1 record", auth.query);
			break;
		case INKAN_DMARC_REPORT_TEMPERROR:
			bad = true;
			it = ITEM(id, INKAN_CHECK_ERROR, u[i].uri, NULL,
			    "Could not check whether %s accepts reports: %s", u[i].domain,
			    auth.why ? auth.why : "DNS failure");
			break;
		}
	}
	if (!bad) {
		it = ITEM(id, ruf ? INKAN_CHECK_INFO : INKAN_CHECK_PASS, NULL, NULL,
		    "%s reports go to %zu address%s, each in the domain or authorised",
		    ruf ? "Failure" : "Aggregate", n, n == 1 ? "" : "es");
		for (size_t i = 0; i < n; i++)
			inkan__chk_ev(c, it, "%s", u[i].uri);
	}
}

static void
problems(struct chk *c, const struct inkan_dmarc_record *rec, const char *where)
{
	struct inkan_check_item *it;

	for (size_t i = 0; i < rec->nproblems; i++) {
		const struct inkan_dmarc_problem *p = &rec->problems[i];
		enum inkan_check_status st;
		const char *advice;

		switch (p->kind) {
		case INKAN_DMARC_PROB_ERROR:
		case INKAN_DMARC_PROB_POLICY:
			st = INKAN_CHECK_FAIL;
			advice = "Fix the record: receivers ignore what they cannot parse.";
			break;
		case INKAN_DMARC_PROB_LEGACY:
			/* pct is judged by dmarc-testing */
			if (p->tag != NULL && strcmp(p->tag, "pct") == 0)
				continue;
			st = INKAN_CHECK_INFO;
			advice = "RFC 9989 dropped this; it can go.";
			break;
		case INKAN_DMARC_PROB_UNKNOWN:
			st = INKAN_CHECK_WARN;
			advice = "Remove the unknown tag, or check its spelling.";
			break;
		default:
			st = INKAN_CHECK_WARN;
			advice = "Fix the value: receivers use the default instead.";
			break;
		}
		it = ITEM("dmarc-syntax", st, p->tag, advice, "%s: %s", where, p->what);
		inkan__chk_ev(c, it, "TXT %s \"%s\"", where, rec->text);
		inkan__chk_ev(c, it, "at column %zu: \"%.40s\"", p->offset + 1,
		    p->offset <= strlen(rec->text) ? rec->text + p->offset : "");
	}
}

/* The registrable domain reg, above the checked one: in use, but
 * without a DMARC record of its own? */
static void
org_only(struct chk *c, const char *reg)
{
	struct inkan_dns_answer ans;
	struct inkan_check_item *it;
	const struct inkan_dmarc_step *st = NULL;
	const char *q = inkan_arena_printf(c->a, "_dmarc.%s", reg);
	static const uint16_t types[] = { INKAN_DNS_MX, INKAN_DNS_A, INKAN_DNS_AAAA };
	bool used = false;

	if (q == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	for (size_t i = 0; i < c->dmarc.nsteps; i++)
		if (strcmp(c->dmarc.steps[i].name, q) == 0)
			st = &c->dmarc.steps[i];
	if (st == NULL || st->record != NULL || st->ndmarc > 0 ||
	    (st->dns != INKAN_DNS_NXDOMAIN && st->dns != INKAN_DNS_NODATA &&
	    st->dns != INKAN_DNS_OK))
		return;
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]) && !used; k++) {
		if (inkan__chk_fail(c, inkan_dns_query(c->r, c->a, reg, types[k], &ans)))
			return;
		used = ans.status == INKAN_DNS_OK;
	}
	if (!used)
		return;
	it = ITEM("dmarc-org", INKAN_CHECK_WARN, reg,
	    "Publish a DMARC record at the registrable domain too: forgers use the "
	    "names that have none.",
	    "Only %s has a DMARC policy; %s, which is in use, has none", c->domain, reg);
	inkan__chk_ev(c, it, "TXT %s: %s", q, inkan_dns_status_name(st->dns));
	inkan__chk_ev(c, it, "%s %s: %s", inkan_dns_type_name(ans.qtype), reg,
	    inkan_dns_status_name(ans.status));
}

void
inkan__chk_dmarc(struct chk *c)
{
	struct inkan_dmarc_discovery *d = &c->dmarc;
	const struct inkan_dmarc_record *rec;
	struct inkan_check_item *it;
	enum inkan_dmarc_policy eff;
	const char *where;
	bool own;
	int rc;

	rc = inkan_dmarc_discover(c->r, c->a, NULL, c->domain, d);
	if (inkan__chk_fail(c, rc))
		return;
	for (size_t i = 0; i < d->nsteps; i++)
		if (d->steps[i].ndmarc > 1) {
			it = ITEM("dmarc-multiple", INKAN_CHECK_FAIL, d->steps[i].name,
			    "Keep exactly one v=DMARC1 record at the name: with two, receivers "
			    "discard both (RFC 9989 §4.10).",
			    "%s has %u DMARC records: none of them applies", d->steps[i].name,
			    d->steps[i].ndmarc);
			inkan__chk_ev(c, it, "%s", d->steps[i].why ? d->steps[i].why : "");
		}
	switch (d->status) {
	case INKAN_DMARC_FOUND_TEMPERROR:
		it = ITEM("dmarc-record", INKAN_CHECK_ERROR, NULL,
		    "Make the name servers answer: receivers return temperror meanwhile.",
		    "DMARC discovery failed: %s", d->why ? d->why : "DNS failure");
		steps_evidence(c, it, d);
		return;
	case INKAN_DMARC_FOUND_NONE:
		it = ITEM("dmarc-record", INKAN_CHECK_FAIL, NULL,
		    c->parked ? "Publish \"v=DMARC1; p=reject\" at _dmarc.<domain>: the domain "
		    "sends no mail, so everything in its name is forged." : start_advice,
		    "No DMARC record applies to %s", c->domain);
		steps_evidence(c, it, d);
		return;
	case INKAN_DMARC_FOUND_PERMERROR:
		it = ITEM("dmarc-record", INKAN_CHECK_FAIL, NULL,
		    "Fix the record: receivers treat a malformed record as permerror and apply "
		    "no policy.", "The DMARC record is malformed: %s", d->why ? d->why :
		    "syntax error");
		steps_evidence(c, it, d);
		return;
	case INKAN_DMARC_FOUND_RECORD:
		break;
	}
	rec = d->record;
	own = d->source == INKAN_DMARC_SRC_AUTHOR;
	where = inkan_arena_printf(c->a, "_dmarc.%s", d->policy_domain);
	if (where == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	it = ITEM("dmarc-record", rec->applies ? INKAN_CHECK_PASS : INKAN_CHECK_FAIL, NULL,
	    rec->applies ? NULL : "Give the record a valid p= (none, quarantine or reject).",
	    rec->applies ? "DMARC record found at %s%s" :
	    "The DMARC record at %s has no valid policy and is not applied%s", where,
	    own ? "" : d->source == INKAN_DMARC_SRC_ORG ? " (the Organizational Domain's)" :
	    " (a public suffix's)");
	steps_evidence(c, it, d);
	problems(c, rec, where);
	if (!rec->applies)
		return;
	c->dmarc_ok = true;
	if (rec->as_p_none) {
		it = ITEM("dmarc-syntax", INKAN_CHECK_WARN, "p", "Give the record a valid p=.",
		    "The record has no valid p= and counts as p=none (RFC 9989 §4.10.1)");
	}

	/* The policy that applies to the domain itself. */
	eff = own ? rec->apply_p : rec->apply_sp;
	if (eff == INKAN_DMARC_P_NONE) {
		it = ITEM("dmarc-policy", INKAN_CHECK_WARN, NULL,
		    "Once the aggregate reports show your own mail passing, move to "
		    "p=quarantine and then p=reject: p=none only watches.",
		    "Policy %s=none: mail failing DMARC is delivered as usual", own ? "p" : "sp");
	} else {
		it = ITEM("dmarc-policy", INKAN_CHECK_PASS, NULL, NULL,
		    "Policy %s=%s: receivers %s mail that fails DMARC", own ? "p" : "sp",
		    pname(eff), eff == INKAN_DMARC_P_REJECT ? "reject" : "quarantine");
	}
	inkan__chk_ev(c, it, "TXT %s \"%s\"", where, rec->text);
	if (!own && d->org_domain != NULL)
		inkan__chk_ev(c, it, "%s has no record of its own: the policy of %s applies "
		    "(%s)", c->domain, d->policy_domain, d->source == INKAN_DMARC_SRC_ORG ?
		    "sp=, or p= when sp= is absent" : "public suffix domain");

	if (own && strength(rec->apply_sp) < strength(rec->apply_p)) {
		it = ITEM("dmarc-subdomain-policy", INKAN_CHECK_WARN, NULL,
		    "Remove sp= or set it as strict as p=, unless some subdomain really sends "
		    "unauthenticated mail.", "Subdomains get a weaker policy: sp=%s, p=%s",
		    pname(rec->apply_sp), pname(rec->apply_p));
		inkan__chk_ev(c, it, "TXT %s \"%s\"", where, rec->text);
	}
	if (rec->np != INKAN_DMARC_P_UNSPEC && strength(rec->apply_np) < strength(rec->apply_sp)) {
		it = ITEM("dmarc-np", INKAN_CHECK_WARN, NULL,
		    "Names that do not exist send no real mail: np=reject is safe (RFC 9989 "
		    "§4.7).", "Non-existent subdomains get a weaker policy: np=%s",
		    pname(rec->apply_np));
	}
	if (rec->testing) {
		it = ITEM("dmarc-testing", INKAN_CHECK_WARN, NULL,
		    "Remove t=y when the policy should be applied in full.",
		    "Testing mode (t=y): receivers apply the next weaker policy (RFC 9989 §4.7)");
		inkan__chk_ev(c, it, "TXT %s \"%s\"", where, rec->text);
	}
	if (rec->has_pct && rec->pct < 100) {
		it = ITEM("dmarc-testing", INKAN_CHECK_WARN, "pct",
		    "Remove pct=: RFC 9989 dropped it, receivers following it apply the policy "
		    "in full, the others only to a share; use t=y for a gentle start.",
		    "pct=%u: under RFC 7489 only %u%% of failing mail gets the policy",
		    rec->pct, rec->pct);
		inkan__chk_ev(c, it, "TXT %s \"%s\"", where, rec->text);
	}
	it = ITEM("dmarc-alignment", INKAN_CHECK_INFO, NULL, NULL,
	    "Alignment: DKIM %s, SPF %s", rec->adkim == INKAN_DMARC_ALIGN_STRICT ?
	    "strict (adkim=s)" : "relaxed", rec->aspf == INKAN_DMARC_ALIGN_STRICT ?
	    "strict (aspf=s)" : "relaxed");
	check_uris(c, rec, d->policy_domain, false);
	check_uris(c, rec, d->policy_domain, true);

	/* A policy on this subdomain only.  The tree walk makes a name with
	 * a record its own Organizational Domain, so ask the Public Suffix
	 * List for the registrable domain: when that domain is in use (it
	 * has an address or MX) but has no record, every other name below it
	 * is unprotected.  Without the list file there is nothing to say. */
	if (own) {
		const struct inkan_dmarc_psl *psl = inkan_dmarc_psl_shared(NULL, NULL);
		const char *reg = NULL;

		if (psl != NULL && inkan_dmarc_psl_registrable(psl, c->a, c->domain, &reg) == 0 &&
		    reg != NULL && strcmp(reg, c->domain) != 0)
			org_only(c, reg);
	}
	if (c->parked) {
		bool ok = eff == INKAN_DMARC_P_REJECT && !rec->testing;

		it = ITEM("dmarc-parked", ok ? INKAN_CHECK_PASS : INKAN_CHECK_WARN, NULL,
		    ok ? NULL : "The domain sends no mail: publish p=reject so that receivers "
		    "refuse everything sent in its name.", ok ?
		    "The domain sends no mail and DMARC rejects mail in its name" :
		    "The domain sends no mail, but its DMARC policy is %s", pname(eff));
	}
}
