/* dane.c - the dnssec and dane categories.
 *
 * dnssec: is the domain's zone signed and validated, is each MX host's,
 * and did any answer of the whole audit fail validation (the recording
 * resolver of check.c noted those).
 *
 * dane: the TLSA RRset at _25._tcp.<mx> (RFC 7672 §2.2), trusted only
 * from a secure answer; its lint (lib/dane); the match against the
 * certificate the server presents is made by the tls stage, which has
 * the chain.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dane.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "check_int.h"

static const char tlsa_advice[] =
    "Sign the MX host's zone with DNSSEC and publish \"_25._tcp.<mx host> TLSA 3 1 1 "
    "<SHA-256 of the server's public key>\" plus a second record for the next key "
    "(RFC 7672, RFC 7671 §8).";

static const char *
tlsa_text(struct chk *c, const struct inkan_dane_tlsa *t)
{
	const char *s = inkan_dane_tlsa_text(c->a, t);

	return s != NULL ? s : "?";
}

void
inkan__chk_dane(struct chk *c)
{
	struct inkan_check_item *it;
	size_t nok = 0, nmx = 0;

	if (!inkan__chk_want(c, INKAN_CHECK_DANE) && !inkan__chk_want(c, INKAN_CHECK_TLS))
		return;
	for (size_t i = 0; i < c->nmx && c->mx[i].examined && !c->err; i++) {
		struct chk_mx *m = &c->mx[i];
		struct inkan_dns_answer ans;
		struct inkan_dane_lint lint;
		bool trusted;
		size_t n = 0;

		if (!m->resolves)
			continue;
		nmx++;
		m->tlsa_qname = inkan_arena_printf(c->a, "_25._tcp.%s", m->name);
		if (m->tlsa_qname == NULL) {
			c->err = INKAN_ENOMEM;
			return;
		}
		if (inkan__chk_fail(c, inkan_dns_query(c->r, c->a, m->tlsa_qname, INKAN_DNS_TLSA,
		    &ans)))
			return;
		m->tlsa_queried = true;
		m->tlsa_secure = ans.secure;
		m->tlsa_bogus = ans.bogus;
		if (ans.bogus) {
			it = inkan__chk_item(c, INKAN_CHECK_DANE, "dane-tlsa", INKAN_CHECK_FAIL, m->name,
			    "Re-sign the zone: a DANE sender defers mail to a host whose TLSA "
			    "records fail validation (RFC 7672 §2.2).",
			    "The TLSA records of %s fail DNSSEC validation", m->name);
			inkan__chk_ev(c, it, "TLSA %s: bogus (%s)", m->tlsa_qname,
			    ans.why ? ans.why : "validation failed");
			continue;
		}
		if (ans.status == INKAN_DNS_SERVFAIL || ans.status == INKAN_DNS_TIMEOUT) {
			m->tlsa_error = true;
			it = inkan__chk_item(c, INKAN_CHECK_DANE, "dane-tlsa", INKAN_CHECK_ERROR, m->name,
			    "A DANE sender defers mail while the TLSA lookup fails (RFC 7672 §2.2).",
			    "The TLSA lookup for %s failed: %s", m->name,
			    inkan_dns_status_name(ans.status));
			continue;
		}
		if (ans.status != INKAN_DNS_OK) {
			it = inkan__chk_item(c, INKAN_CHECK_DANE, "dane-tlsa", INKAN_CHECK_WARN, m->name,
			    tlsa_advice, m->secure || c->o->no_dnssec ?
			    "No TLSA record for %s: DANE does not protect it" :
			    "No DANE for %s: its zone is not DNSSEC-signed, which DANE needs",
			    m->name);
			inkan__chk_ev(c, it, "TLSA %s: %s%s", m->tlsa_qname,
			    inkan_dns_status_name(ans.status), ans.secure ? " (secure)" : "");
			continue;
		}
		if ((m->tlsa = inkan_arena_zalloc(c->a, ans.nrr * sizeof(*m->tlsa))) == NULL) {
			c->err = INKAN_ENOMEM;
			return;
		}
		for (size_t k = 0; k < ans.nrr; k++) {
			const char *why;

			if (ans.rr[k].type != INKAN_DNS_TLSA)
				continue;
			if (inkan_dane_tlsa_parse(ans.rr[k].data, ans.rr[k].len, &m->tlsa[n],
			    &why) == 0)
				n++;
		}
		m->ntlsa = n;
		trusted = ans.secure || c->o->no_dnssec;
		if (!trusted) {
			it = inkan__chk_item(c, INKAN_CHECK_DANE, "dane-tlsa", INKAN_CHECK_WARN, m->name,
			    "Sign the MX host's zone with DNSSEC: senders use TLSA records only "
			    "from a validated answer (RFC 7672 §2.2).",
			    "%s has TLSA records, but they are not DNSSEC-validated and senders "
			    "ignore them", m->name);
			for (size_t k = 0; k < n; k++)
				inkan__chk_ev(c, it, "TLSA %s %s", m->tlsa_qname,
				    tlsa_text(c, &m->tlsa[k]));
			continue;
		}
		if (inkan__chk_fail(c, inkan_dane_lint(c->a, m->tlsa, n, INKAN_DANE_SMTP, &lint)))
			return;
		for (size_t k = 0; k < lint.nfindings; k++) {
			const struct inkan_dane_finding *f = &lint.findings[k];
			const char *id = inkan_arena_printf(c->a, "dane-%s", f->id);

			if (id == NULL) {
				c->err = INKAN_ENOMEM;
				return;
			}
			it = inkan__chk_item(c, INKAN_CHECK_DANE, id,
			    f->severity == INKAN_LINT_ERROR ? INKAN_CHECK_FAIL :
			    f->severity == INKAN_LINT_WARN ? INKAN_CHECK_WARN : INKAN_CHECK_INFO,
			    m->name, f->advice, "%s: %s", m->name, f->message);
			if (f->record >= 0 && (size_t)f->record < n)
				inkan__chk_ev(c, it, "TLSA %s %s", m->tlsa_qname,
				    tlsa_text(c, &m->tlsa[f->record]));
		}
		if (lint.usable > 0) {
			nok++;
			it = inkan__chk_item(c, INKAN_CHECK_DANE, "dane-tlsa", INKAN_CHECK_PASS, m->name,
			    NULL, "%s: %zu usable TLSA record%s%s", m->name, lint.usable,
			    lint.usable == 1 ? "" : "s", ans.secure ? ", DNSSEC-validated" :
			    " (DNSSEC not checked)");
			for (size_t k = 0; k < n; k++)
				inkan__chk_ev(c, it, "TLSA %s %s", m->tlsa_qname,
				    tlsa_text(c, &m->tlsa[k]));
		}
	}
	(void)nok;
	(void)nmx;
}

void
inkan__chk_dnssec(struct chk *c)
{
	struct inkan_dns_answer ans;
	struct inkan_check_item *it;
	size_t nsec = 0, nhosts = 0;

	if (!inkan__chk_want(c, INKAN_CHECK_DNSSEC))
		return;
	if (c->o->no_dnssec) {
		inkan__chk_item(c, INKAN_CHECK_DNSSEC, "dnssec-domain", INKAN_CHECK_NOT_TESTED, NULL,
		    NULL, "DNSSEC was not checked (zone data or validation off)");
		return;
	}
	if (inkan__chk_fail(c, inkan_dns_query(c->r, c->a, c->domain, INKAN_DNS_SOA, &ans)))
		return;
	if (ans.bogus) {
		it = inkan__chk_item(c, INKAN_CHECK_DNSSEC, "dnssec-domain", INKAN_CHECK_FAIL, NULL,
		    "Re-sign the zone or fix its DS record at the parent: validating "
		    "resolvers answer SERVFAIL for the whole domain.",
		    "DNSSEC validation of %s fails (bogus)", c->domain);
		inkan__chk_ev(c, it, "SOA %s: bogus (%s)", c->domain, ans.why ? ans.why : "");
	} else if (ans.status == INKAN_DNS_SERVFAIL || ans.status == INKAN_DNS_TIMEOUT) {
		it = inkan__chk_item(c, INKAN_CHECK_DNSSEC, "dnssec-domain", INKAN_CHECK_ERROR, NULL,
		    NULL, "The SOA lookup of %s failed: %s%s%s", c->domain,
		    inkan_dns_status_name(ans.status), ans.why ? ": " : "", ans.why ? ans.why : "");
	} else if (ans.secure) {
		it = inkan__chk_item(c, INKAN_CHECK_DNSSEC, "dnssec-domain", INKAN_CHECK_PASS, NULL,
		    NULL, "%s is DNSSEC-signed and validates", c->domain);
		inkan__chk_ev(c, it, "SOA %s: %s, secure", c->domain,
		    inkan_dns_status_name(ans.status));
	} else {
		it = inkan__chk_item(c, INKAN_CHECK_DNSSEC, "dnssec-domain", INKAN_CHECK_WARN, NULL,
		    "Sign the zone with DNSSEC and publish its DS at the parent: it protects "
		    "MX, SPF, DKIM and DMARC answers from forgery and enables DANE.",
		    "%s is not DNSSEC-signed (insecure)", c->domain);
		inkan__chk_ev(c, it, "SOA %s: %s, insecure", c->domain,
		    inkan_dns_status_name(ans.status));
	}
	for (size_t i = 0; i < c->nmx && c->mx[i].examined; i++) {
		const struct chk_mx *m = &c->mx[i];

		if (!m->resolves && !m->bogus)
			continue;
		nhosts++;
		if (m->bogus) {
			it = inkan__chk_item(c, INKAN_CHECK_DNSSEC, "dnssec-mx", INKAN_CHECK_FAIL, m->name,
			    "Re-sign the MX host's zone: validating senders cannot find its address.",
			    "The address records of MX host %s fail DNSSEC validation", m->name);
		} else if (m->secure) {
			nsec++;
		} else {
			it = inkan__chk_item(c, INKAN_CHECK_DNSSEC, "dnssec-mx", INKAN_CHECK_WARN, m->name,
			    "Sign the zone of the MX host: DANE for the host needs it.",
			    "The zone of MX host %s is not DNSSEC-signed", m->name);
		}
	}
	if (nhosts > 0 && nsec == nhosts) {
		it = inkan__chk_item(c, INKAN_CHECK_DNSSEC, "dnssec-mx", INKAN_CHECK_PASS, NULL, NULL,
		    "The addresses of every MX host are DNSSEC-validated");
		for (size_t i = 0; i < c->nmx && c->mx[i].examined; i++)
			if (c->mx[i].resolves)
				inkan__chk_ev(c, it, "%s: secure", c->mx[i].name);
	}
	if (c->nbogus > 0) {
		it = inkan__chk_item(c, INKAN_CHECK_DNSSEC, "dnssec-bogus", INKAN_CHECK_FAIL, NULL,
		    "Re-sign the zone (or remove the records that were changed after "
		    "signing): validating receivers treat these answers as failures.",
		    "%zu answer%s failed DNSSEC validation", c->nbogus, c->nbogus == 1 ? "" : "s");
		for (size_t i = 0; i < c->nbogus; i++)
			inkan__chk_ev(c, it, "%s %s: bogus%s%s%s", inkan_dns_type_name(c->bogus[i].type),
			    c->bogus[i].name, c->bogus[i].why ? " (" : "",
			    c->bogus[i].why ? c->bogus[i].why : "", c->bogus[i].why ? ")" : "");
	}
}
