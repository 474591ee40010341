/* spf.c - the spf category: everything `inkan spf lint` finds, each lint
 * finding an item "spf-<lint id>", plus the parked-domain rules for a
 * domain that takes no mail.  Also decides, for later stages, whether
 * the domain sends mail at all ("v=spf1 -all" says it does not).
 */
#include <ctype.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/spf.h"
#include "inkan/spf_lint.h"
#include "check_int.h"

#define ITEM(...) inkan__chk_item(c, INKAN_CHECK_SPF, __VA_ARGS__)

/* "v=spf1 -all" in any spelling: no mechanism but "-all" (modifiers
 * such as exp= do not authorise anyone). */
static bool
minus_all_only(struct chk *c, const char *txt)
{
	struct inkan_spf_record rec;
	struct inkan_spf_parse_error perr;
	bool all = false;

	if (inkan_spf_record_parse(c->a, txt, strlen(txt), &rec, &perr) != 0)
		return false;
	for (size_t i = 0; i < rec.n; i++) {
		const struct inkan_spf_term *t = &rec.terms[i];

		if (t->kind == INKAN_SPF_ALL && t->qualifier == '-' && !all) {
			all = true;
			continue;
		}
		if (t->kind == INKAN_SPF_EXP || t->kind == INKAN_SPF_UNKNOWN_MOD)
			continue;
		return false;
	}
	return all;
}

/* Advice from the linter, which writes it in lower case as a clause. */
static const char *
sentence(struct chk *c, const char *s)
{
	char *o;

	if (s == NULL || (o = inkan_arena_printf(c->a, "%s.", s)) == NULL)
		return s;
	o[0] = (char)toupper((unsigned char)o[0]);
	return o;
}

/* The linter's message with a capital first letter, unless it starts
 * with a name ("example.com has ...", "'a:x': ..."). */
static const char *
capital(struct chk *c, const char *s)
{
	size_t w = strcspn(s, " ");
	char *o;

	if (s[0] < 'a' || s[0] > 'z' || memchr(s, '.', w) != NULL || memchr(s, ':', w) != NULL ||
	    (o = inkan_arena_strdup(c->a, s)) == NULL)
		return s;
	o[0] = (char)(o[0] - 'a' + 'A');
	return o;
}

void
inkan__chk_spf(struct chk *c)
{
	struct inkan_spf_lint l;
	struct inkan_check_item *it;
	bool takes_no_mail;
	const char *rec;
	int rc;

	rc = inkan_spf_lint(c->r, c->a, c->domain, &l);
	if (rc == INKAN_EINVAL)
		rc = 0;		/* a name spf lint refuses: nothing to say */
	if (inkan__chk_fail(c, rc))
		return;
	rec = l.root != NULL ? l.root->record : NULL;
	c->spf_found = rec != NULL;
	c->spf_minus_all_only = rec != NULL && minus_all_only(c, rec);
	c->spf_sends = rec != NULL && !c->spf_minus_all_only;

	for (size_t i = 0; i < l.nfindings; i++) {
		const struct inkan_spf_finding *f = &l.findings[i];
		enum inkan_check_status st = f->severity == INKAN_LINT_ERROR ? INKAN_CHECK_FAIL :
		    f->severity == INKAN_LINT_WARN ? INKAN_CHECK_WARN : INKAN_CHECK_INFO;
		const char *id = inkan_arena_printf(c->a, "spf-%s", f->id);

		if (id == NULL) {
			c->err = INKAN_ENOMEM;
			return;
		}
		/* A DNS failure is not the record's fault: we could not tell. */
		if (strcmp(f->id, "dns-error") == 0)
			st = INKAN_CHECK_ERROR;
		it = ITEM(id, st, strcmp(f->domain, c->domain) != 0 ? f->domain : NULL,
		    sentence(c, f->advice), "%s", capital(c, f->message));
		if (f->record != NULL) {
			inkan__chk_ev(c, it, "TXT %s \"%s\"", f->domain, f->record);
			if (f->offset >= 0)
				inkan__chk_ev(c, it, "at column %ld: \"%.40s\"", f->offset + 1,
				    f->record + (f->offset <= (long)strlen(f->record) ? f->offset : 0));
		}
	}
	if (rec != NULL && l.errors == 0) {
		it = ITEM("spf-record", INKAN_CHECK_PASS, NULL, NULL,
		    "SPF record valid: %u of 10 DNS lookups, %u void lookups",
		    l.root->total_lookups, l.root->void_lookups);
		inkan__chk_ev(c, it, "TXT %s \"%s\"", c->domain, rec);
		for (size_t i = 0; i < l.root->nchildren; i++) {
			const struct inkan_spf_node *n = l.root->children[i];

			if (n != NULL && n->record != NULL)
				inkan__chk_ev(c, it, "%s:%s \"%s\" (%u lookups)", n->via, n->domain,
				    n->record, n->total_lookups);
		}
	}

	/* A domain that takes no mail (Null MX, or no MX and no address). */
	takes_no_mail = c->domain_exists && !c->mx_dns_error && (c->null_mx ||
	    (c->nmx == 0 && !c->implicit_mx));
	if (!takes_no_mail)
		return;
	if (c->spf_minus_all_only) {
		c->parked = true;
		it = ITEM("spf-parked", INKAN_CHECK_PASS, NULL, NULL,
		    "The domain takes no mail and its SPF record says it sends none");
	} else if (rec == NULL) {
		c->parked = true;
		it = ITEM("spf-parked", INKAN_CHECK_FAIL, NULL,
		    "Publish \"v=spf1 -all\" so that receivers reject mail forged in the "
		    "domain's name; add \"v=DMARC1; p=reject\" at _dmarc and a Null MX (RFC "
		    "7505) if not there yet.",
		    "The domain takes no mail and has no SPF record: anyone can send in its name");
	} else {
		it = ITEM("spf-parked", INKAN_CHECK_WARN, NULL,
		    "If the domain sends mail, publish an MX so that replies and bounces can "
		    "come back; if it does not, replace the record with \"v=spf1 -all\".",
		    "The domain takes no mail, yet its SPF record authorises senders");
		inkan__chk_ev(c, it, "TXT %s \"%s\"", c->domain, rec);
	}
	if (c->null_mx && c->spf_sends) {
		it = inkan__chk_item(c, INKAN_CHECK_MX, "mx-null-sends", INKAN_CHECK_WARN, NULL,
		    "Either publish a real MX, or stop sending mail from this domain.",
		    "Null MX, but SPF authorises senders: receivers may refuse mail whose "
		    "envelope sender cannot receive bounces (RFC 7505 §4.2)");
		inkan__chk_ev(c, it, "TXT %s \"%s\"", c->domain, rec);
	}
}
