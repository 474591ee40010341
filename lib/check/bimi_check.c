/* bimi_check.c - the bimi category: the default._bimi record (of the
 * domain, else of its Organizational Domain), its logo and evidence
 * URIs, and the enforcing DMARC policy receivers require before they show
 * a logo.  A domain without BIMI is a fact, not a fault (info).
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/bimi.h"
#include "inkan/dmarc.h"
#include "inkan/error.h"
#include "check_int.h"

#define ITEM(...) inkan__chk_item(c, INKAN_CHECK_BIMI, __VA_ARGS__)

void
inkan__chk_bimi(struct chk *c)
{
	struct inkan_bimi_lookup lk;
	struct inkan_check_item *it;
	const struct inkan_dmarc_record *d;
	const char *org = c->dmarc.org_domain;
	int rc;

	if (!inkan__chk_want(c, INKAN_CHECK_BIMI) || !c->domain_exists)
		return;
	rc = inkan_bimi_lookup(c->r, c->a, c->domain, NULL, &lk);
	if (rc == INKAN_EINVAL)
		return;
	if (inkan__chk_fail(c, rc))
		return;
	/* The draft's fallback: the Organizational Domain's record. */
	if (lk.status == INKAN_BIMI_NONE && org != NULL && strcmp(org, c->domain) != 0) {
		struct inkan_bimi_lookup lo;

		rc = inkan_bimi_lookup(c->r, c->a, org, NULL, &lo);
		if (rc != 0 && rc != INKAN_EINVAL && inkan__chk_fail(c, rc))
			return;
		if (rc == 0 && lo.status != INKAN_BIMI_NONE)
			lk = lo;
	}
	switch (lk.status) {
	case INKAN_BIMI_NONE:
		it = ITEM("bimi-record", INKAN_CHECK_INFO, NULL, NULL,
		    "No BIMI record (optional: shows a brand logo next to authenticated mail)");
		inkan__chk_ev(c, it, "TXT %s: %s", lk.qname, lk.why ? lk.why : "none");
		return;
	case INKAN_BIMI_TEMPERROR:
		ITEM("bimi-record", INKAN_CHECK_ERROR, NULL, NULL, "%s", lk.why);
		return;
	case INKAN_BIMI_INVALID:
	case INKAN_BIMI_MULTIPLE:
		it = ITEM("bimi-record", INKAN_CHECK_FAIL, NULL,
		    "Publish one record: \"v=BIMI1; l=https://<host>/logo.svg; "
		    "a=https://<host>/vmc.pem\".", "%s", lk.why);
		if (lk.txt != NULL)
			inkan__chk_ev(c, it, "TXT %s \"%s\"", lk.qname, lk.txt);
		return;
	case INKAN_BIMI_FOUND:
		break;
	}
	if (lk.record.declined) {
		it = ITEM("bimi-record", INKAN_CHECK_INFO, NULL, NULL,
		    "BIMI declined: the record has an empty l= and no a=");
		inkan__chk_ev(c, it, "TXT %s \"%s\"", lk.qname, lk.txt);
		return;
	}
	it = ITEM("bimi-record", INKAN_CHECK_PASS, NULL, NULL, "BIMI record at %s", lk.qname);
	inkan__chk_ev(c, it, "TXT %s \"%s\"", lk.qname, lk.txt);
	for (size_t i = 0; i < lk.record.nwarnings; i++)
		ITEM("bimi-record", INKAN_CHECK_WARN, NULL,
		    "Write the record as the BIMI draft says: receivers are strict.",
		    "%s", lk.record.warnings[i]);
	if (lk.record.nlogos > 0)
		it = ITEM("bimi-logo", INKAN_CHECK_PASS, NULL, NULL, "Logo at %s",
		    lk.record.logos[0]);
	else
		it = ITEM("bimi-logo", INKAN_CHECK_WARN, NULL,
		    "Put the HTTPS URI of the SVG Tiny PS logo in l=.",
		    "No logo URI (l= is empty) although a= is set");
	if (lk.record.evidence != NULL)
		it = ITEM("bimi-evidence", INKAN_CHECK_PASS, NULL, NULL, "Mark certificate at %s",
		    lk.record.evidence);
	else
		it = ITEM("bimi-evidence", INKAN_CHECK_WARN, NULL,
		    "Get a Verified Mark Certificate (or Common Mark Certificate) and put its "
		    "HTTPS URI in a=: the large mailbox providers show logos only with one.",
		    "No mark certificate (a=)");

	/* Receivers show logos only under an enforcing DMARC policy. */
	d = c->dmarc_ok ? c->dmarc.record : NULL;
	if (d == NULL) {
		it = ITEM("bimi-dmarc", INKAN_CHECK_FAIL, NULL,
		    "Publish DMARC with p=quarantine or p=reject first.",
		    "No DMARC policy applies: receivers ignore BIMI");
		return;
	}
	{
		enum inkan_dmarc_policy eff = c->dmarc.source == INKAN_DMARC_SRC_AUTHOR ?
		    d->apply_p : d->apply_sp;
		bool enforcing = (eff == INKAN_DMARC_P_QUARANTINE || eff == INKAN_DMARC_P_REJECT) &&
		    d->apply_sp != INKAN_DMARC_P_NONE && !d->testing &&
		    !(d->has_pct && d->pct < 100);

		it = ITEM("bimi-dmarc", enforcing ? INKAN_CHECK_PASS : INKAN_CHECK_FAIL, NULL,
		    enforcing ? NULL : "Receivers show BIMI logos only under p=quarantine or "
		    "p=reject, without sp=none, t=y or pct below 100.",
		    enforcing ? "DMARC policy is enforcing (%s)" :
		    "DMARC policy is not enforcing enough for BIMI (%s)",
		    inkan_dmarc_policy_name(eff) ? inkan_dmarc_policy_name(eff) : "none");
		inkan__chk_ev(c, it, "TXT _dmarc.%s \"%s\"", c->dmarc.policy_domain, d->text);
	}
}
