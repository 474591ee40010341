/* dkim.c - the dkim category: which selectors exist, and what each key
 * record says.
 *
 * DNS has no "list the selectors" query, so discovery is a guess made as
 * sure as it can be.  First the RFC 8020 probe: _domainkey.<domain> is
 * NXDOMAIN exactly when nothing exists below it (a server that follows
 * RFC 8020 must answer so), and then no selector can exist — a certain
 * "no DKIM".  Otherwise (NODATA: an empty non-terminal, so something is
 * below) every name of a dictionary of selectors that providers use is
 * asked for.  The summary says which of these it was.
 */
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/dkim.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "../dkim/dkim_int.h"
#include "check_int.h"

#define ITEM(...) inkan__chk_item(c, INKAN_CHECK_DKIM, __VA_ARGS__)

/* Selectors of common mail services and software defaults. */
const char *const inkan_check_dkim_dictionary[] = {
	"default", "dkim", "mail", "email", "selector1", "selector2",	/* Microsoft 365 */
	"google",							/* Google Workspace */
	"k1", "k2", "k3",						/* Mailchimp */
	"s1", "s2",							/* SendGrid */
	"fm1", "fm2", "fm3",						/* Fastmail */
	"protonmail", "protonmail2", "protonmail3",			/* Proton */
	"sig1",								/* iCloud */
	"zoho", "zmail",						/* Zoho */
	"mandrill", "mailjet", "mxvault", "cm", "pm",			/* Postmark */
	"hs1", "hs2",							/* HubSpot */
	"everlytickey1", "everlytickey2", "smtp", "mx", "key1", "key2",
	"dkim1", "dkim2", "dk", "s1024", "s2048", "rsa", "ed25519", "sel1", "sel2",
	NULL,
};

struct found {
	const char *selector;
	const char *qname;
	char *txt;
	size_t len;
	bool given;
};

/* The TXT at <sel>._domainkey.<domain>: 1 with *f filled when there is a
 * key-like record, 0 when none, -1 on a DNS error (status in *st). */
static int
fetch(struct chk *c, const char *sel, struct found *f, enum inkan_dns_status *st)
{
	struct inkan_dns_answer ans;
	const char *why;

	memset(f, 0, sizeof(*f));
	f->selector = sel;
	if ((f->qname = inkan_arena_printf(c->a, "%s._domainkey.%s", sel, c->domain)) == NULL) {
		c->err = INKAN_ENOMEM;
		return -1;
	}
	if (inkan_dname_check(f->qname, strlen(f->qname), 0, &why) != 0) {
		*st = INKAN_DNS_NXDOMAIN;
		return 0;
	}
	if (inkan__chk_fail(c, inkan_dns_query(c->r, c->a, f->qname, INKAN_DNS_TXT, &ans)))
		return -1;
	*st = ans.status;
	if (ans.status == INKAN_DNS_SERVFAIL || ans.status == INKAN_DNS_TIMEOUT)
		return -1;
	for (size_t i = 0; i < ans.nrr; i++) {
		char *t;
		size_t n;

		if (inkan_dns_rr_txt(c->a, &ans.rr[i], &t, &n) != 0)
			continue;
		/* A key record: v=DKIM1 first, or (v= is optional) a p= tag. */
		if (strncmp(t, "v=DKIM1", 7) == 0 || strstr(t, "p=") != NULL) {
			f->txt = t;
			f->len = n;
			return 1;
		}
	}
	return 0;
}

/* The record for evidence, with p= cut short. */
static const char *
short_record(struct chk *c, const char *txt)
{
	const char *p = strstr(txt, "p=");
	size_t rest;

	if (p == NULL)
		return txt;
	rest = strcspn(p + 2, ";");
	if (rest <= 24)
		return txt;
	return inkan_arena_printf(c->a, "%.*s%.16s...%s", (int)(p + 2 - txt), txt, p + 2,
	    p + 2 + rest);
}

/* Judge one key record; returns true when it is a usable RSA key. */
static bool
judge_key(struct chk *c, const struct found *f, bool *ed)
{
	struct inkan_dkim_keyrec k;
	struct inkan_check_item *it;
	const char *why = NULL, *shown = short_record(c, f->txt);
	EVP_PKEY *pk;
	unsigned bits;
	int rc;

	rc = inkan_dkim_key_parse(c->a, f->txt, f->len, &k, &why);
	if (rc == INKAN_ENOMEM) {
		c->err = rc;
		return false;
	}
	if (rc != 0) {
		it = ITEM("dkim-key", INKAN_CHECK_FAIL, f->selector,
		    "Publish the key record exactly as the signing software printed it "
		    "(RFC 6376 §3.6.1); receivers treat signatures with this selector as "
		    "permerror.", "Key record at %s is malformed: %s", f->qname,
		    why ? why : "unparseable");
		inkan__chk_ev(c, it, "TXT %s \"%s\"", f->qname, shown);
		return false;
	}
	if (k.revoked) {
		it = ITEM("dkim-key-revoked", INKAN_CHECK_INFO, f->selector, NULL,
		    "Key at selector %s is revoked (empty p=): signatures with it fail",
		    f->selector);
		inkan__chk_ev(c, it, "TXT %s \"%s\"", f->qname, shown);
		return false;
	}
	if (k.s != NULL && strstr(k.s, "*") == NULL && strcasestr(k.s, "email") == NULL) {
		it = ITEM("dkim-key", INKAN_CHECK_FAIL, f->selector,
		    "Remove s= or include \"email\" in it.",
		    "Key at selector %s is not for email (s=%s, RFC 6376 §3.6.1)", f->selector,
		    k.s);
		inkan__chk_ev(c, it, "TXT %s \"%s\"", f->qname, shown);
		return false;
	}
	if ((pk = inkan__pubkey_decode(k.k, k.p, k.plen)) == NULL) {
		it = ITEM("dkim-key", INKAN_CHECK_FAIL, f->selector,
		    "Publish the public key the signer uses, base64 of its "
		    "SubjectPublicKeyInfo (rsa) or the 32 raw bytes (ed25519).",
		    "Key at selector %s: p= is not an %s public key", f->selector, k.k);
		inkan__chk_ev(c, it, "TXT %s \"%s\"", f->qname, shown);
		return false;
	}
	bits = (unsigned)EVP_PKEY_get_bits(pk);
	EVP_PKEY_free(pk);
	if (strcasecmp(k.k, "ed25519") == 0) {
		*ed = true;
		it = ITEM("dkim-key", INKAN_CHECK_PASS, f->selector, NULL,
		    "Selector %s: Ed25519 key (RFC 8463)", f->selector);
	} else if (bits < 1024) {
		it = ITEM("dkim-key", INKAN_CHECK_FAIL, f->selector,
		    "Generate a 2048-bit RSA key (inkan dkim keygen) and publish it under a new "
		    "selector; receivers ignore signatures with keys under 1024 bits "
		    "(RFC 8301 §3.2).", "Selector %s: RSA key of %u bits is too short",
		    f->selector, bits);
	} else if (bits < 2048) {
		it = ITEM("dkim-key", INKAN_CHECK_WARN, f->selector,
		    "Move to a 2048-bit RSA key under a new selector: 1024-bit keys are within "
		    "reach of factoring (RFC 8301 §3.2 asks signers for 2048).",
		    "Selector %s: RSA key of %u bits", f->selector, bits);
	} else {
		it = ITEM("dkim-key", INKAN_CHECK_PASS, f->selector, NULL,
		    "Selector %s: RSA key of %u bits", f->selector, bits);
	}
	inkan__chk_ev(c, it, "TXT %s \"%s\"", f->qname, shown);
	if (k.testing) {
		it = ITEM("dkim-key-testing", INKAN_CHECK_WARN, f->selector,
		    "Remove t=y once signing works: in testing mode receivers treat "
		    "signatures as if the message were unsigned (RFC 6376 §3.6.1).",
		    "Selector %s is in testing mode (t=y)", f->selector);
		inkan__chk_ev(c, it, "TXT %s \"%s\"", f->qname, shown);
	}
	if (k.h != NULL) {
		bool sha256 = strcasestr(k.h, "sha256") != NULL;

		it = ITEM("dkim-key-hash", sha256 ? INKAN_CHECK_INFO : INKAN_CHECK_FAIL,
		    f->selector, sha256 ? NULL : "Remove h= or list sha256: rsa-sha1 signatures "
		    "are not acceptable any more (RFC 8301 §3.1).",
		    "Selector %s restricts hashes to h=%s", f->selector, k.h);
		inkan__chk_ev(c, it, "TXT %s \"%s\"", f->qname, shown);
	}
	return strcasecmp(k.k, "rsa") == 0 && bits >= 1024;
}

void
inkan__chk_dkim(struct chk *c)
{
	const struct inkan_check_opts *o = c->o;
	struct found *found;
	size_t nfound = 0, ntried = 0;
	struct inkan_check_item *it;
	struct inkan_dns_answer ent;
	const char *qent;
	bool discover = o->nselectors == 0 || o->discover_selectors;
	bool ent_nx = false, ent_err = false, any_rsa = false, any_ed = false, wildcard = false;
	enum inkan_dns_status st;

	if (!inkan__chk_want(c, INKAN_CHECK_DKIM) || !c->domain_exists)
		return;
	if ((found = inkan_arena_zalloc(c->a, INKAN_CHECK_MAX_SELECTORS * sizeof(*found))) == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	for (size_t i = 0; i < o->nselectors && ntried < INKAN_CHECK_MAX_SELECTORS; i++) {
		int r = fetch(c, o->selectors[i], &found[nfound], &st);

		ntried++;
		if (c->err)
			return;
		if (r > 0) {
			found[nfound++].given = true;
			continue;
		}
		it = ITEM("dkim-key", r < 0 ? INKAN_CHECK_ERROR : INKAN_CHECK_FAIL, o->selectors[i],
		    r < 0 ? NULL : "Publish the key record the signer prints for this selector, "
		    "or sign with a selector that has one.",
		    "No DKIM key at selector %s (%s)", o->selectors[i], inkan_dns_status_name(st));
		inkan__chk_ev(c, it, "TXT %s._domainkey.%s: %s", o->selectors[i], c->domain,
		    inkan_dns_status_name(st));
	}
	if (discover) {
		if ((qent = inkan_arena_printf(c->a, "_domainkey.%s", c->domain)) == NULL) {
			c->err = INKAN_ENOMEM;
			return;
		}
		if (inkan__chk_fail(c, inkan_dns_query(c->r, c->a, qent, INKAN_DNS_TXT, &ent)))
			return;
		ent_nx = ent.status == INKAN_DNS_NXDOMAIN;
		ent_err = ent.status == INKAN_DNS_SERVFAIL || ent.status == INKAN_DNS_TIMEOUT;
		/* A wildcard below _domainkey answers every name: the dictionary
		 * would "find" all of it.  A name nobody uses tells. */
		if (!ent_nx) {
			struct found w;

			if (fetch(c, "inkan-no-such-selector-7f3a", &w, &st) > 0) {
				it = ITEM("dkim-selectors", INKAN_CHECK_NOT_TESTED, NULL,
				    "Name the selectors with --selector.",
				    "A wildcard answers every selector under %s: selectors "
				    "cannot be discovered", qent);
				inkan__chk_ev(c, it, "TXT %s \"%s\"", w.qname, short_record(c, w.txt));
				ent_nx = true;	/* no dictionary */
				wildcard = true;
			}
			if (c->err)
				return;
		}
		for (size_t i = 0; !ent_nx && inkan_check_dkim_dictionary[i] != NULL &&
		    ntried < INKAN_CHECK_MAX_SELECTORS; i++) {
			const char *sel = inkan_check_dkim_dictionary[i];
			bool dup = false;

			for (size_t k = 0; k < o->nselectors; k++)
				dup |= strcasecmp(o->selectors[k], sel) == 0;
			if (dup)
				continue;
			ntried++;
			if (fetch(c, sel, &found[nfound], &st) > 0)
				nfound++;
			if (c->err)
				return;
		}
	}

	if (discover && !wildcard) {
		size_t ndisc = 0;

		for (size_t i = 0; i < nfound; i++)
			ndisc += !found[i].given;
		if (ndisc > 0) {
			it = ITEM("dkim-selectors", INKAN_CHECK_INFO, NULL, NULL,
			    "Found %zu selector%s by trying %zu common names (other selectors "
			    "may exist)", ndisc, ndisc == 1 ? "" : "s", ntried - o->nselectors);
		} else if (ent_nx && nfound == 0) {
			bool quiet = c->parked || c->spf_minus_all_only;

			it = ITEM("dkim-selectors", quiet ? INKAN_CHECK_INFO : INKAN_CHECK_FAIL, NULL,
			    quiet ? NULL : "Sign outgoing mail with DKIM (inkan dkim keygen, then "
			    "publish the key at <selector>._domainkey): without it DMARC rests on "
			    "SPF alone, which forwarding breaks.",
			    "No DKIM keys: %s does not exist, so no selector can exist below it "
			    "(RFC 8020)", qent);
		} else if (nfound == 0) {
			it = ITEM("dkim-selectors", ent_err ? INKAN_CHECK_ERROR :
			    INKAN_CHECK_NOT_TESTED, NULL,
			    "Name the selector with --selector (it is the s= of the DKIM-Signature "
			    "of a message from the domain).",
			    ent_err ? "The lookup of %s failed; keys could not be looked for" :
			    "%s exists, so keys are published, but under none of the %zu common "
			    "selector names tried", qent, ntried - o->nselectors);
		} else {
			it = NULL;
		}
		if (it != NULL) {
			inkan__chk_ev(c, it, "TXT %s: %s (RFC 8020: NXDOMAIN means nothing below)",
			    qent, inkan_dns_status_name(ent.status));
			for (size_t i = 0; i < nfound; i++)
				if (!found[i].given)
					inkan__chk_ev(c, it, "key at %s", found[i].qname);
		}
	}
	for (size_t i = 0; i < nfound && !c->err; i++)
		any_rsa |= judge_key(c, &found[i], &any_ed);
	if (any_ed && !any_rsa) {
		it = ITEM("dkim-key", INKAN_CHECK_WARN, NULL,
		    "Sign with an RSA key as well: many receivers do not verify Ed25519 "
		    "signatures yet (RFC 8463 §1 expects both).",
		    "Only Ed25519 keys were found");
	}
}
